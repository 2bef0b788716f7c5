import JunctionCore
import NIOCore
import NIOHTTP1

/// `POST /v1/messages` and `POST /v1/messages/count_tokens`: Anthropic's API on the gateway's pipeline.
enum AnthropicRoutes {
    static func add(to router: inout HTTPRouter, _ api: APIGeneration) {
        router.add(.POST, "/v1/messages") { request in
            do {
                return try await self.messages(request, api: api)
            } catch let failure as APIFailure {
                return AnthropicEncoding.errorResponse(failure)
            }
        }
        router.add(.POST, "/v1/messages/count_tokens") { request in
            do {
                return try await self.countTokens(request, api: api)
            } catch let failure as APIFailure {
                return AnthropicEncoding.errorResponse(failure)
            }
        }
    }

    private static func messages(_ request: HTTPServerRequest, api: APIGeneration) async throws -> HTTPServerResponse {
        let caller = try api.admit(request).get()
        let body = try APIBody.json(request)
        let messages = try AnthropicMessagesRequest.parse(body, routing: api.routing())
        if !messages.ignored.isEmpty {
            let fields = messages.ignored.joined(separator: ",")
            api.logger.debug("anthropic request fields ignored", metadata: ["fields": "\(fields)"])
        }
        let generate = api.request(messages.parsed, caller: caller, label: "http")
        guard generate.chat.stream else {
            let result = try await api.answer(generate).get()
            var response = HTTPServerResponse.json(.ok, AnthropicEncoding.message(result))
            for (name, value) in APIGeneration.headers(for: result) { response.headers.add(name: name, value: value) }
            return response
        }
        return .stream(contentType: "text/event-stream") { writer in
            try await api.stream(generate) { items in
                var stream = AnthropicStream(writer: writer)
                try await stream.run(items)
            }
        }
    }

    /// `{"input_tokens": N}`: the first target's own count where its provider has a count endpoint, else the
    /// estimate; which one answered is in `x-junction-token-count`.
    private static func countTokens(
        _ request: HTTPServerRequest, api: APIGeneration
    ) async throws -> HTTPServerResponse {
        _ = try api.admit(request).get()
        let body = try APIBody.json(request)
        let messages = try AnthropicMessagesRequest.parse(body, routing: api.routing(), forCounting: true)
        let counted = try await api.countTokens(messages.parsed.request).get()
        var response = HTTPServerResponse.json(.ok, ["input_tokens": .int(counted["tokens"]?.intValue ?? 0)])
        let exact = counted["exact"] == .bool(true)
        response.headers.add(name: "x-junction-token-count", value: exact ? "exact" : "estimate")
        return response
    }
}
