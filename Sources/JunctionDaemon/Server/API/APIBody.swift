import JunctionCore
import NIOCore

/// A request body as JSON.
enum APIBody {
    /// The body parsed; empty or malformed: a 400 that says what is wrong.
    static func json(_ request: HTTPServerRequest) throws(APIFailure) -> JSONValue {
        let body = request.body
        guard body.readableBytes > 0 else { throw .invalid(nil, "the request needs a JSON body") }
        do {
            return try body.withUnsafeReadableBytes { bytes in try JSONValue.parse(bytes, maxDepth: 64) }
        } catch {
            throw .invalid(nil, "the request body is not valid JSON: \(error)")
        }
    }
}
