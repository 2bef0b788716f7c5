import JunctionCore
import NIOCore
import NIOHTTP1

/// `POST /v1/chat/completions` and `GET /v1/models`: OpenAI's API on the gateway's pipeline.
enum OpenAIRoutes {
    static func add(to router: inout HTTPRouter, _ api: APIGeneration, startedAt: Int64) {
        router.add(.POST, "/v1/chat/completions") { request in
            do {
                return try await self.chat(request, api: api)
            } catch let failure as APIFailure {
                return OpenAIChatEncoding.errorResponse(failure)
            }
        }
        router.add(.GET, "/v1/models") { request in
            if case .failure(let failure) = api.admit(request) { return OpenAIChatEncoding.errorResponse(failure) }
            return .json(.ok, self.models(api.routing(), created: startedAt / 1000))
        }
    }

    private static func chat(_ request: HTTPServerRequest, api: APIGeneration) async throws -> HTTPServerResponse {
        let caller = try api.admit(request).get()
        let body = try APIBody.json(request)
        let chat = try OpenAIChatRequest.parse(body, routing: api.routing())
        if !chat.ignored.isEmpty {
            api.logger.debug("openai request fields ignored", metadata: ["fields": "\(chat.ignored.joined(separator: ","))"])
        }
        let generate = api.request(chat.parsed, caller: caller, label: "http")
        guard generate.chat.stream else {
            let result = try await api.answer(generate).get()
            let created = WallClock.nowMilliseconds() / 1000
            var response = HTTPServerResponse.json(.ok, OpenAIChatEncoding.completion(result, created: created))
            for (name, value) in APIGeneration.headers(for: result) { response.headers.add(name: name, value: value) }
            return response
        }
        let includeUsage = chat.includeUsage
        return .stream(contentType: "text/event-stream") { writer in
            try await api.stream(generate) { items in
                var stream = OpenAIStream(writer: writer, includeUsage: includeUsage)
                try await stream.run(items)
            }
        }
    }

    /// The configured models (`provider:model`) and routes, in OpenAI's list shape.
    static func models(_ routing: RoutingTable, created: Int64) -> JSONValue {
        var data: [JSONValue] = []
        for provider in routing.providers where provider.enabled {
            for model in provider.models {
                data.append(
                    [
                        "id": .string("\(provider.name):\(model)"), "object": "model", "created": .int(created),
                        "owned_by": .string(provider.name),
                    ]
                )
            }
        }
        for route in routing.routes {
            data.append(["id": .string(route.name), "object": "model", "created": .int(created), "owned_by": "junction"])
        }
        return ["object": "list", "data": .array(data)]
    }
}

/// Writes one streamed chat completion as OpenAI's SSE: the role chunk with the first content, content chunks,
/// the finish chunk, the usage chunk when asked, `[DONE]`. A failure before any content is a whole error
/// response; after content, an in-band error event and no `[DONE]`, so no client takes the text as complete.
struct OpenAIStream {
    let writer: HTTPBodyWriter
    let includeUsage: Bool
    private var id = "chatcmpl-"
    private var model = ""
    private let created = WallClock.nowMilliseconds() / 1000
    private var sentRole = false
    private var sentContent = false

    init(writer: HTTPBodyWriter, includeUsage: Bool) {
        self.writer = writer
        self.includeUsage = includeUsage
    }

    mutating func run(_ items: AsyncStream<APIStreamItem>) async throws {
        for await item in items {
            switch item {
            case .started(let target, let requestID, let served):
                self.id = OpenAIChatEncoding.id(requestID)
                if !self.sentContent { self.model = target.model }
                for (name, value) in APIGeneration.headers(target: target, requestID: requestID, served: served) {
                    self.writer.setHeader(name, value)
                }
            case .delta(let text):
                try await self.send(["content": .string(text)])
            case .reasoning(let text):
                try await self.send(["reasoning_content": .string(text)])
            case .restart(let reason):
                // Nothing shown yet: the next attempt answers as if it were the first.
                guard self.sentContent else { continue }
                let failure = APIFailure(
                    status: .badGateway, category: .upstream,
                    message: "the answer broke off after it had started (\(reason)); the text received is incomplete",
                    code: "stream_interrupted"
                )
                try await self.event(OpenAIChatEncoding.error(failure))
                return
            case .finished(let result):
                try await self.finish(result)
                return
            case .failed(let failure):
                guard self.writer.headSent else {
                    throw HTTPReplacementResponse(response: OpenAIChatEncoding.errorResponse(failure))
                }
                try await self.event(OpenAIChatEncoding.error(failure))
                return
            }
        }
    }

    private mutating func finish(_ result: GenerateResult) async throws {
        self.id = OpenAIChatEncoding.id(result.requestID)
        self.model = APIGeneration.model(of: result)
        if !self.writer.headSent {
            for (name, value) in APIGeneration.headers(for: result) { self.writer.setHeader(name, value) }
        }
        var text = ""
        if !self.sentRole { text += self.frame(self.chunk(["role": "assistant", "content": "", "refusal": .null])) }
        text += self.frame(
            self.chunk([:], finishReason: OpenAIChatEncoding.finishReason(result.completion.finishReason))
        )
        if self.includeUsage {
            text += self.frame(
                OpenAIChatEncoding.usageChunk(id: self.id, created: self.created, model: self.model, usage: result.usage)
            )
        }
        text += "data: [DONE]\n\n"
        try await self.writer.write(text)
    }

    private mutating func send(_ delta: JSONObject) async throws {
        var text = ""
        if !self.sentRole {
            text += self.frame(self.chunk(["role": "assistant", "content": "", "refusal": .null]))
            self.sentRole = true
        }
        text += self.frame(self.chunk(delta))
        self.sentContent = true
        try await self.writer.write(text)
    }

    private func event(_ value: JSONValue) async throws {
        try await self.writer.write(self.frame(value))
    }

    private func chunk(_ delta: JSONObject, finishReason: String? = nil) -> JSONValue {
        OpenAIChatEncoding.chunk(
            id: self.id, created: self.created, model: self.model, delta: delta, finishReason: finishReason,
            withUsage: self.includeUsage
        )
    }

    private func frame(_ value: JSONValue) -> String { "data: " + value.compactText + "\n\n" }
}
