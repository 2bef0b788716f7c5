import JunctionCore
import JunctionProviders
import JunctionTesting
import Logging
import NIOConcurrencyHelpers

@testable import JunctionDaemon

/// The gateway in-process: a configuration from TOML, the fake HTTP executor and the manual clock, and a
/// recorder of every outcome and event. Runs a request in milliseconds.
final class GatewayHarness: Sendable {
    let clock = ManualClock()
    let executor: FakeHTTPExecutor
    let resilience: Resilience
    let recorder = RecordingOutcomes()
    let gateway: Gateway
    private let active: NIOLockedValueBox<ActiveConfiguration>

    /// The response cache, when the configuration has one in use (`[cache]`); it subscribes to the outcomes.
    let cache: ResponseCache

    init(_ toml: String) throws {
        let loaded = try ConfigLoader.parse(text: toml, file: "test.toml")
        let active = ActiveConfiguration(loaded: loaded, environment: [:])
        self.active = NIOLockedValueBox(active)
        self.executor = FakeHTTPExecutor(clock: self.clock)
        self.resilience = Resilience(events: EventBus(), logger: Logger(label: "test"))
        self.resilience.configure(active, reloaded: false, at: self.clock.now)
        let box = self.active
        let clock = self.clock
        self.cache = ResponseCache(configuration: { box.withLockedValue { $0.loaded.config.cache } }, clock: clock)
        self.gateway = Gateway(
            configuration: { box.withLockedValue { $0 } },
            executor: self.executor,
            resilience: self.resilience,
            reporter: OutcomeReporter(resilience: self.resilience, subscribers: [self.recorder, self.cache]),
            clock: self.clock,
            random: { 0.5 },
            cache: self.cache,
            logger: Logger(label: "test")
        )
    }

    /// Swaps in a new configuration as `admin.reload` does.
    func reload(_ toml: String) throws {
        let loaded = try ConfigLoader.parse(text: toml, file: "test.toml")
        let active = ActiveConfiguration(loaded: loaded, environment: [:])
        self.active.withLockedValue { $0 = active }
        self.resilience.configure(active, reloaded: true, at: self.clock.now)
    }

    var configuration: ActiveConfiguration { self.active.withLockedValue { $0 } }

    /// Runs one generate; returns the answer or the failure, and the events in order.
    func generate(
        _ prompt: String = "hello",
        model: String? = nil,
        route: String? = nil,
        stream: Bool = false,
        timeout: Duration? = nil
    ) async -> (result: Result<GenerateResult, GenerateFailure>, events: [GenerateEvent]) {
        var chat = ChatRequest(messages: [ChatMessage(role: .user, content: prompt)])
        chat.model = model
        chat.route = route
        chat.stream = stream
        let events = NIOLockedValueBox<[GenerateEvent]>([])
        do {
            let result = try await self.gateway.generate(
                GenerateRequest(chat: chat, timeout: timeout), events: { event in events.withLockedValue { $0.append(event) } }
            )
            return (.success(result), events.withLockedValue { $0 })
        } catch let failure as GenerateFailure {
            return (.failure(failure), events.withLockedValue { $0 })
        } catch {
            preconditionFailure("unexpected \(error)")
        }
    }

    func health() -> JSONValue {
        self.resilience.report(registry: self.configuration.registry, at: self.clock.now)
    }
}

/// Records every outcome the reporter delivers.
final class RecordingOutcomes: OutcomeSubscriber {
    private let attempts = NIOLockedValueBox<[AttemptOutcome]>([])
    private let requests = NIOLockedValueBox<[RequestOutcome]>([])

    func attemptFinished(_ outcome: AttemptOutcome) { self.attempts.withLockedValue { $0.append(outcome) } }
    func requestFinished(_ outcome: RequestOutcome) { self.requests.withLockedValue { $0.append(outcome) } }

    var attemptOutcomes: [AttemptOutcome] { self.attempts.withLockedValue { $0 } }
    var requestOutcomes: [RequestOutcome] { self.requests.withLockedValue { $0 } }
}

/// Bodies in OpenAI's chat completions format.
enum OpenAIBodies {
    static func completion(_ text: String = "hi there") -> String {
        """
        {"id":"c1","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"\(text)"},\
        "finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}
        """
    }

    static func error(_ status: Int, type: String = "server_error", code: String? = nil, message: String = "try later") -> String {
        let code = code.map { "\"\($0)\"" } ?? "null"
        return "{\"error\":{\"message\":\"\(message)\",\"type\":\"\(type)\",\"code\":\(code)}}"
    }

    static func streamChunks(_ words: [String], finish: Bool = true) -> [String] {
        var events = words.map { "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\($0)\"}}]}" }
        if finish {
            events.append("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}")
            events.append("{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}")
            events.append("[DONE]")
        }
        return events
    }
}
