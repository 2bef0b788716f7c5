/// `[accounting] unknown_price`: what a USD budget does with a request whose model has no known price, so that its
/// worst-case cost cannot be reserved.
public enum UnknownPricePolicy: String, Sendable, Equatable, CaseIterable {
    /// Refuse it (the default): a USD limit that cannot be checked is not a limit.
    case refuse
    /// Admit it with nothing reserved; its cost counts as zero and the request is counted as of unknown cost.
    case allow
}
