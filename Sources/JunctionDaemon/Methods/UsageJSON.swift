import JunctionCore

/// The JSON of usage reports and export pages. Money goes out as `cost_usd`, the exact decimal of the integer
/// micro-USD with six places (never computed in floating point).
enum UsageJSON {
    static func report(_ report: UsageReport) -> JSONValue {
        let query = report.query
        let rows: [JSONValue] = report.rows.map { row in
            var object = JSONObject()
            for (dimension, key) in zip(query.groupBy, row.keys) {
                object[dimension.rawValue] = Self.key(key, dimension)
            }
            Self.add(row.totals, to: &object)
            return .object(object)
        }
        var totals = JSONObject()
        Self.add(report.totals, to: &totals)
        return [
            "since": .string(UsageTime.rfc3339(milliseconds: query.since)),
            "until": .string(UsageTime.rfc3339(milliseconds: query.until)),
            "group_by": .array(query.groupBy.map { .string($0.rawValue) }),
            "utc_offset_seconds": .int(query.utcOffsetSeconds),
            "rows": .array(rows),
            "totals": .object(totals),
        ]
    }

    /// `since` and `until` as resolved for the first page: the next pages pass them back, so that a window given
    /// as "7d" does not move while it is read.
    static func page(_ page: LedgerExportPage, since: Int64, until: Int64) -> JSONValue {
        [
            "since": .string(UsageTime.rfc3339(milliseconds: since)),
            "until": .string(UsageTime.rfc3339(milliseconds: until)),
            "rows": .array(page.entries.map(Self.entry)),
            "next": page.next.map { .string($0.description) } ?? .null,
        ]
    }

    static func usd(_ microUSD: Int?) -> JSONValue {
        microUSD.map { .number(UsageTime.usd(microUSD: $0)) } ?? .null
    }

    private static func key(_ key: UsageKey, _ dimension: UsageDimension) -> JSONValue {
        switch (key, dimension) {
        case (.none, _): .null
        case (.number(let day), .day): .string(UsageTime.dayText(day))
        case (.number(let hour), .hour): .string(UsageTime.hourText(hour))
        case (.number(let number), _): .int(number)
        case (.text(let text), _): .string(text)
        }
    }

    private static func add(_ totals: UsageTotals, to object: inout JSONObject) {
        object["requests"] = .int(totals.requests)
        object["errors"] = .int(totals.errors)
        object["prompt_tokens"] = .int(totals.promptTokens)
        object["completion_tokens"] = .int(totals.completionTokens)
        object["cached_tokens"] = .int(totals.cachedTokens)
        object["cache_write_tokens"] = .int(totals.cacheWriteTokens)
        object["reasoning_tokens"] = .int(totals.reasoningTokens)
        // The sum of the known costs; null when every row's cost is unknown (a group of an unpriced model is not $0).
        let allUnknown = totals.costUnknown > 0 && totals.costUnknown == totals.requests
        object["cost_usd"] = allUnknown ? .null : Self.usd(totals.costMicroUSD)
        object["cost_unknown"] = .int(totals.costUnknown)
        // Ratings (`feedback`) of the group's requests: how many were rated, and their mean score (null: none).
        object["feedback_count"] = .int(totals.feedbackCount)
        object["feedback_mean_score"] =
            totals.feedbackCount == 0 ? .null : .double(totals.feedbackScoreSum / Double(totals.feedbackCount))
    }

    private static func entry(_ entry: LedgerEntry) -> JSONValue {
        let row = entry.request
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        func optional(_ number: Int?) -> JSONValue { number.map { .int($0) } ?? .null }
        return [
            "request_id": .string(row.requestID),
            "time": .string(UsageTime.rfc3339(milliseconds: row.timeMs)),
            "time_ms": .int(row.timeMs),
            "uid": .int(row.uid),
            "gid": .int(row.gid),
            "pid": .int(row.pid),
            "client": optional(row.client),
            "route": optional(row.route),
            "requested_model": optional(row.requestedModel),
            "provider": optional(row.provider),
            "model": optional(row.model),
            "attempts": .int(row.attempts),
            "outcome": .string(row.outcome),
            "error_code": optional(row.errorCode),
            "finish_reason": optional(row.finishReason),
            "stream": .bool(row.stream),
            "prompt_tokens": .int(row.promptTokens),
            "completion_tokens": .int(row.completionTokens),
            "cached_tokens": .int(row.cachedTokens),
            "cache_write_tokens": .int(row.cacheWriteTokens),
            "reasoning_tokens": .int(row.reasoningTokens),
            "cost_usd": Self.usd(row.costMicroUSD),
            "price_version": optional(row.priceVersion),
            "latency_ms": .int(row.latencyMs),
            "ttft_ms": optional(row.ttftMs),
            "prompt_sha256": .string(row.promptSHA256),
            "cache": optional(row.cache),
            "saved_usd": Self.usd(row.savedMicroUSD),
            "attempt_rows": .array(entry.attempts.map(Self.attempt)),
        ]
    }

    private static func attempt(_ row: LedgerAttemptRow) -> JSONValue {
        [
            "number": .int(row.number),
            "provider": .string(row.provider),
            "model": .string(row.model),
            "outcome": .string(row.outcome),
            "http_status": row.httpStatus.map { .int($0) } ?? .null,
            "latency_ms": .int(row.latencyMs),
            "prompt_tokens": .int(row.promptTokens),
            "completion_tokens": .int(row.completionTokens),
            "cached_tokens": .int(row.cachedTokens),
            "cache_write_tokens": .int(row.cacheWriteTokens),
            "reasoning_tokens": .int(row.reasoningTokens),
            "cost_usd": Self.usd(row.costMicroUSD),
        ]
    }
}
