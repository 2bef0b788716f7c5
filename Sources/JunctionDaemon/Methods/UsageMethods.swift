import JunctionCore
import JunctionRPC

/// `usage.get` (sums from the ledger, grouped) and `usage.export` (its rows, page by page). A caller who is not
/// an administrator sees only the rows of its own uid.
enum UsageMethods {
    /// - Parameter utcOffsetSeconds: the offset from UTC of the accounting time zone at a UTC time in
    ///   milliseconds: where day and hour buckets start.
    static func all(
        ledger: LedgerWriter,
        utcOffsetSeconds: @escaping @Sendable (Int64) -> Int,
        now: @escaping @Sendable () -> Int64 = LedgerWriter.wallClockMilliseconds
    ) -> [RPCMethod] {
        [
            RPCMethod("usage.get") { params, context in
                let params = try Params(params, known: ["since", "until", "group_by", "where"])
                let store = try Self.store(ledger)
                let (since, until) = try UsageParams.window(params, now: now())
                let (filters, outcome) = try UsageParams.filters(params)
                let query = UsageQuery(
                    since: since,
                    until: until,
                    groupBy: try UsageParams.groupBy(params),
                    filters: filters,
                    outcome: outcome,
                    restrictedToUID: context.isAdmin ? nil : context.peer.uid,
                    utcOffsetSeconds: utcOffsetSeconds(until)
                )
                do {
                    return UsageJSON.report(try await store.usage(query))
                } catch {
                    throw RPCError.ledgerUnavailable(ledger.status, queryError: error)
                }
            },
            RPCMethod("usage.export") { params, context in
                let params = try Params(params, known: ["since", "until", "after", "limit"])
                let store = try Self.store(ledger)
                let (since, until) = try UsageParams.window(params, now: now())
                let after = try UsageParams.cursor(params)
                let limit = try params.int("limit", in: 1...10_000) ?? 1_000
                do {
                    let page = try await store.export(
                        since: since, until: until, uid: context.isAdmin ? nil : context.peer.uid, after: after,
                        limit: limit
                    )
                    return UsageJSON.page(page, since: since, until: until)
                } catch {
                    throw RPCError.ledgerUnavailable(ledger.status, queryError: error)
                }
            },
        ]
    }

    private static func store(_ ledger: LedgerWriter) throws(RPCError) -> LedgerStore {
        guard let store = ledger.store else { throw .ledgerUnavailable(ledger.status, queryError: nil) }
        return store
    }
}

extension RPCError {
    /// The ledger is off, could not be opened, or could not answer the query; the message says how to fix it.
    static func ledgerUnavailable(_ status: LedgerStatus, queryError: (any Error)?) -> RPCError {
        let message: String
        var data: JSONObject = ["state": .string(status.state.rawValue)]
        if let path = status.path { data["path"] = .string(path) }
        if let queryError {
            let reason = LedgerStore.describe(queryError)
            data["reason"] = .string(reason)
            message = "Ledger unavailable: the query failed (\(reason)); see daemon.status for the ledger's state"
        } else if status.state == .disabled {
            message = "Ledger disabled: usage is not recorded; set [ledger] enabled = true and restart junctiond"
        } else {
            let reason = status.lastError ?? "unknown error"
            data["reason"] = .string(reason)
            message = "Ledger unavailable: \(reason); fix the file's directory or permissions, or set [ledger] path, "
                + "and restart junctiond"
        }
        return RPCError(code: RPCErrorCode.ledgerUnavailable.rawValue, message: message, data: .object(data))
    }
}
