/// One way in which a value does not follow a schema.
public struct JSONSchemaViolation: Sendable, Equatable, CustomStringConvertible {
    /// JSON Pointer of the offending value in the instance ("" for the root, "/items/0/name").
    public var path: String
    /// The schema keyword that failed ("required", "type", "pattern", ...).
    public var keyword: String
    /// Human readable, short, says what was expected and what was found ("expected integer, got string").
    public var message: String

    public init(path: String, keyword: String, message: String) {
        self.path = path
        self.keyword = keyword
        self.message = message
    }

    /// "/items/0/name: expected string, got number" ("/" for the root).
    public var description: String { "\(self.path.isEmpty ? "/" : self.path): \(self.message)" }
}
