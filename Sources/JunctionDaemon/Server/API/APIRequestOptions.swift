import JunctionCore
import JunctionRPC

/// The parts of an API request body that become `generate` params: each front end translates its own format
/// into `generate`'s params (so every field is validated by the one `GenerateParams` parser) and adds Junction's
/// own options from the body's `junction` object (the SDKs' `extra_body`).
enum APIRequestOptions {
    /// `junction` keys and the `generate` params they set.
    static let junctionKeys: [String: String] = [
        "route": "route", "cache": "cache", "fit": "fit", "client": "client", "timeout_ms": "timeout_ms",
    ]

    /// Adds the body's `junction` options to `params`; unknown keys are refused (they are Junction's own).
    static func addJunction(_ value: JSONValue?, to params: inout JSONObject) throws(APIFailure) {
        switch value {
        case nil, .null?:
            return
        case .object(let options)?:
            for member in options.members {
                guard let param = self.junctionKeys[member.key] else {
                    let known = self.junctionKeys.keys.sorted().joined(separator: ", ")
                    throw .invalid("junction.\(member.key)", "junction.\(member.key) is not an option (\(known))")
                }
                params[param] = member.value
            }
            // A route chosen in the options wins over the body's model, which the SDKs always require.
            if params["route"] != nil, params["route"] != .null { params["model"] = nil }
        default:
            throw .invalid("junction", "junction must be an object {route?, cache?, fit?, client?, timeout_ms?}")
        }
    }

    /// A model as the HTTP APIs name it, as `generate` takes it: `route:NAME` selects a route; `provider/model`
    /// with a configured provider becomes `provider:model`; anything else (`provider:model`, a configured model
    /// id, a route's bare name) passes as it is.
    static func addModel(_ name: String, routing: RoutingTable, to params: inout JSONObject) {
        if name.hasPrefix("route:") {
            params["route"] = .string(String(name.dropFirst("route:".count)))
            return
        }
        if !name.contains(":"), let slash = name.firstIndex(of: "/"),
            routing.provider(named: String(name[..<slash])) != nil
        {
            params["model"] = .string(String(name[..<slash]) + ":" + String(name[name.index(after: slash)...]))
            return
        }
        params["model"] = .string(name)
    }

    /// `generate`'s params, parsed; a problem is a 400 naming the field as the body names it (`fields` maps
    /// `generate` param names back to the front end's, `junction.` options are prefixed).
    static func parse(_ params: JSONObject, fields: [String: String] = [:]) throws(APIFailure) -> GenerateParams.Parsed {
        do {
            return try GenerateParams.parse(.object(params))
        } catch {
            let field = error.data?["field"]?.stringValue
            let problem = error.data?["problem"]?.stringValue ?? error.message
            let named = field.map { self.bodyField($0, fields: fields) }
            throw .invalid(named, named.map { "\($0) \(problem)" } ?? problem)
        }
    }

    private static func bodyField(_ field: String, fields: [String: String]) -> String {
        let head = String(field.split(separator: ".", maxSplits: 1).first ?? "")
        let rest = field.dropFirst(head.count)
        if let renamed = fields[head] { return renamed + rest }
        if ["cache", "fit", "timeout_ms"].contains(head) || (head == "route" && fields["route"] == nil) {
            return "junction." + field
        }
        return field
    }
}
