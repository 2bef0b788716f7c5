extension LedgerWriter {
    /// The identity of a request whose rows still wait in the queue (or are being written): a request just
    /// answered can be rated before its row is in the database.
    func queuedIdentity(of requestID: String) -> LedgerRequestIdentity? {
        self.queue.withLockedValue { $0.entry(of: requestID) }.map(LedgerRequestIdentity.init)
    }
}
