import JunctionCore
import JunctionRPC

/// The params of `usage.get` and `usage.export`, validated.
enum UsageParams {
    /// `since` and `until`: a duration back from `now` (`"24h"`, `"7d"`) or an RFC 3339 time. `until` defaults to
    /// `now`; `since` must come before it.
    static func window(_ params: Params, now: Int64) throws(RPCError) -> (since: Int64, until: Int64) {
        let since = try params.required("since") { (key) throws(RPCError) in try Self.time(params, key, now: now) }
        let until = try Self.time(params, "until", now: now) ?? now
        guard since < until else {
            let text = UsageTime.rfc3339(milliseconds: until)
            throw .invalidParams(field: "since", problem: "must be before until (\(text))")
        }
        return (since, until)
    }

    static func time(_ params: Params, _ key: String, now: Int64) throws(RPCError) -> Int64? {
        guard let text = try params.string(key) else { return nil }
        if let back = DurationText.parse(text) { return now - back.milliseconds }
        if let seconds = RFC3339.parse(text) { return Int64((seconds * 1_000).rounded()) }
        throw .invalidParams(
            field: key,
            problem: "must be a duration back from now such as \"24h\" or \"7d\", or an RFC 3339 time such as "
                + "\"2026-11-20T00:00:00Z\", got \"\(text)\""
        )
    }

    /// `group_by`: an array of dimension names (or one string of them separated by commas), each at most once.
    static func groupBy(_ params: Params) throws(RPCError) -> [UsageDimension] {
        let names: [String]
        switch params.value("group_by") {
        case nil, .null?: return []
        case .string(let text)?: names = text.split(separator: ",").map { String($0.trimmingSpaces()) }
        case .array(let elements)?:
            names = try elements.enumerated().map { (index, element) throws(RPCError) in
                guard let name = element.stringValue else {
                    throw .invalidParams(field: "group_by.\(index)", problem: "must be a string")
                }
                return name
            }
        case let other?:
            throw .invalidParams(field: "group_by", problem: "must be an array of strings, got \(other.typeName)")
        }
        var dimensions: [UsageDimension] = []
        for (index, name) in names.enumerated() {
            guard let dimension = UsageDimension(rawValue: name) else {
                throw .invalidParams(
                    field: "group_by.\(index)", problem: "must be one of \(Self.dimensionList), got \"\(name)\""
                )
            }
            guard !dimensions.contains(dimension) else {
                throw .invalidParams(field: "group_by.\(index)", problem: "names \"\(name)\" twice")
            }
            dimensions.append(dimension)
        }
        return dimensions
    }

    /// `where`: `{client?, uid?, provider?, model?, route?, day?, hour?, outcome?}`; null matches rows without
    /// a value, `outcome` is "ok", "error" (any failure) or one error kind.
    static func filters(
        _ params: Params
    ) throws(RPCError) -> (filters: [UsageDimension: UsageKey], outcome: String?) {
        guard let value = params.value("where"), value != .null else { return ([:], nil) }
        guard let object = value.objectValue else {
            throw .invalidParams(field: "where", problem: "must be an object such as {\"provider\": \"openai\"}")
        }
        var filters: [UsageDimension: UsageKey] = [:]
        var outcome: String?
        for member in object.members {
            let (key, value) = (member.key, member.value)
            let field = "where.\(key)"
            if key == "outcome" {
                guard let text = value.stringValue else {
                    throw .invalidParams(field: field, problem: "must be \"ok\", \"error\" or an error kind's name")
                }
                outcome = text
                continue
            }
            guard let dimension = UsageDimension(rawValue: key) else {
                throw .invalidParams(
                    field: field, problem: "is not a filter (expected one of \(Self.dimensionList), outcome)"
                )
            }
            filters[dimension] = try Self.key(dimension, value, field: field)
        }
        return (filters, outcome)
    }

    private static func key(
        _ dimension: UsageDimension,
        _ value: JSONValue,
        field: String
    ) throws(RPCError) -> UsageKey {
        switch dimension {
        case .client, .provider, .model, .route:
            if value == .null { return .none }
            guard let text = value.stringValue else {
                throw .invalidParams(field: field, problem: "must be a string (or null for requests without one)")
            }
            return .text(text)
        case .uid:
            guard let uid = value.intValue, let exact = UInt32(exactly: uid) else {
                throw .invalidParams(field: field, problem: "must be a uid (an integer from 0 to 4294967295)")
            }
            return .number(Int64(exact))
        case .day:
            guard let text = value.stringValue, let day = UsageTime.day(of: text) else {
                throw .invalidParams(field: field, problem: "must be a date such as \"2026-11-20\"")
            }
            return .number(day)
        case .hour:
            guard let text = value.stringValue, let hour = UsageTime.hour(of: text) else {
                throw .invalidParams(field: field, problem: "must be an hour such as \"2026-11-20T13:00\"")
            }
            return .number(hour)
        }
    }

    /// `after`: the cursor an export page answered as `next`.
    static func cursor(_ params: Params) throws(RPCError) -> LedgerExportCursor? {
        guard let text = try params.string("after") else { return nil }
        guard let cursor = LedgerExportCursor(text) else {
            throw .invalidParams(
                field: "after", problem: "must be the \"next\" value of the previous page, got \"\(text)\""
            )
        }
        return cursor
    }

    private static var dimensionList: String { UsageDimension.allCases.map(\.rawValue).joined(separator: ", ") }
}
