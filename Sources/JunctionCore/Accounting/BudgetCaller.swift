/// Who is asking, as budgets see it: the peer credentials of the connection and the client name of the request.
public struct BudgetCaller: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    /// The request's client name, if it gave one.
    public var client: String?
    /// Whether the caller may use `admin.*` (exempt from budgets that say `exempt_admins = true`).
    public var isAdmin: Bool

    public init(uid: UInt32, gid: UInt32, client: String? = nil, isAdmin: Bool = false) {
        self.uid = uid
        self.gid = gid
        self.client = client
        self.isAdmin = isAdmin
    }
}
