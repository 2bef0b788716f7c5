/// Why a schema could not be compiled.
public struct JSONSchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the schema (a JSON Pointer as a URI fragment, "#" for the root) and what is wrong:
    /// "#/properties/age/minimum: must be a number".
    public var message: String

    public init(message: String) {
        self.message = message
    }

    /// The error for the keyword or subschema at `pointer` ("" for the root).
    init(at pointer: String, _ problem: String) {
        self.message = "#\(pointer): \(problem)"
    }

    public var description: String { self.message }
}
