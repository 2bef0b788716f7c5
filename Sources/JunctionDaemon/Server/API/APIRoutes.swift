/// The OpenAI- and Anthropic-compatible API, beside the operators' routes on the HTTP listener.
enum APIRoutes {
    /// Adds every API route to `router`; `startedAt` (Unix ms) dates the model list.
    static func add(to router: inout HTTPRouter, _ api: APIGeneration, startedAt: Int64) {
        OpenAIRoutes.add(to: &router, api, startedAt: startedAt)
        AnthropicRoutes.add(to: &router, api)
    }
}
