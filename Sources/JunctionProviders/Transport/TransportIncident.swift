/// Something the transport met that its owner should hear about besides the failed transfer itself (the transport
/// does not log: the daemon does, with its own limits).
public enum TransportIncident: Sendable, Equatable {
    /// libcurl refused an option; the transfer failed (for the multi handle's options: every transfer will).
    case optionRefused(String)
    /// A socket could not be opened: the daemon (or the whole system) is out of file descriptors. Not the
    /// provider's doing; the transfer failed with `TransportFailure.outOfFileDescriptors`.
    case outOfFileDescriptors(String)
}
