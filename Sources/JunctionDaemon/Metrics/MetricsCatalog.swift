/// Every metric the daemon exports: its name, type and HELP text in one place, so that the recorder, the exporter,
/// the README table and the test that checks the dashboard and alert rules against the exposition agree.
enum MetricsCatalog {
    /// One metric family: its full name (unit suffix included), Prometheus type and HELP text.
    struct Metric: Sendable, Equatable {
        /// The `# TYPE` keyword.
        enum Kind: String, Sendable { case counter, gauge, histogram }
        var name: String
        var kind: Kind
        var help: String
    }

    /// `junction_requests_total`, a counter.
    static let requests = Metric(
        name: "junction_requests_total", kind: .counter,
        help: "Finished generate requests by route, answering (or last tried) provider and model, and outcome."
    )
    /// `junction_request_duration_seconds`, a histogram.
    static let requestDuration = Metric(
        name: "junction_request_duration_seconds", kind: .histogram,
        help: "Time from a request's start to its end, waits and retries included (requests that reached a provider)."
    )
    /// `junction_time_to_first_token_seconds`, a histogram.
    static let timeToFirstToken = Metric(
        name: "junction_time_to_first_token_seconds", kind: .histogram,
        help: "Time from a streamed request's start to its first token, by the provider and model that answered."
    )
    /// `junction_attempts_total`, a counter.
    static let attempts = Metric(
        name: "junction_attempts_total", kind: .counter,
        help: "Attempts sent to a provider and model, by outcome (success, a failure reason code, or cancelled)."
    )
    /// `junction_retries_total`, a counter.
    static let retries = Metric(
        name: "junction_retries_total", kind: .counter,
        help: "Attempts that retried the same provider and model after a failure."
    )
    /// `junction_failovers_total`, a counter.
    static let failovers = Metric(
        name: "junction_failovers_total", kind: .counter,
        help: "Moves from one target (provider:model) to the next after a failure, by the failure's reason code."
    )
    /// `junction_tokens_total`, a counter.
    static let tokens = Metric(
        name: "junction_tokens_total", kind: .counter,
        help:
            "Tokens providers billed, by kind: prompt, completion, and their parts cached, cache_write, reasoning."
    )
    /// `junction_cost_usd_total`, a counter.
    static let cost = Metric(
        name: "junction_cost_usd_total", kind: .counter,
        help: "What billed attempts cost in US dollars at the configured prices (unknown prices count nothing)."
    )
    /// `junction_breaker_state`, a gauge.
    static let breakerState = Metric(
        name: "junction_breaker_state", kind: .gauge,
        help: "A target's circuit breaker: 0 closed, 1 half-open, 2 open."
    )
    /// `junction_provider_status`, a gauge.
    static let providerStatus = Metric(
        name: "junction_provider_status", kind: .gauge,
        help: "A provider's health status: 1 for the current status, 0 for every other."
    )
    /// `junction_rate_window_used_ratio`, a gauge.
    static let rateWindowUsed = Metric(
        name: "junction_rate_window_used_ratio", kind: .gauge,
        help:
            "Used share of a provider's rate limits: rpm, tpm, rpd configured; learned_* from its rate-limit headers."
    )
    /// `junction_cache_requests_total`, a counter.
    static let cacheRequests = Metric(
        name: "junction_cache_requests_total", kind: .counter,
        help: "Response cache lookups by result: hit, miss, stale (served on error), coalesced (joined a flight)."
    )
    /// `junction_budget_used_ratio`, a gauge.
    static let budgetUsed = Metric(
        name: "junction_budget_used_ratio", kind: .gauge,
        help: "Used share of a budget's limits in the current period (day, month, minute); the most used limit of each."
    )
    /// `junction_inflight_requests`, a gauge.
    static let inflight = Metric(
        name: "junction_inflight_requests", kind: .gauge, help: "Requests being served now (batch elements count each)."
    )
    /// `junction_connections`, a gauge.
    static let connections = Metric(
        name: "junction_connections", kind: .gauge, help: "Open client connections on the RPC socket."
    )
    /// `junction_ledger_rows_dropped_total`, a counter.
    static let ledgerDropped = Metric(
        name: "junction_ledger_rows_dropped_total", kind: .counter,
        help: "Request rows the usage ledger dropped since start (queue full, database refused, ledger closed)."
    )
    /// `junction_shared_state`, a gauge per state (`connected`, `degraded_local`, `disabled`): 1 for the current.
    static let sharedState = Metric(
        name: "junction_shared_state", kind: .gauge,
        help: "The fleet's shared state ([shared], Redis): 1 for the current of connected, degraded_local, disabled."
    )
    /// `junction_shared_operations_total`, a counter per result (`ok`, `failed`, `timeout`).
    static let sharedOperations = Metric(
        name: "junction_shared_operations_total", kind: .counter,
        help: "Operations sent to the shared state's Redis, by result (failed includes the Redis breaker's refusals)."
    )
    /// `junction_shared_round_trips_total`, a counter: pipelined batches (operations per round trip = ratio).
    static let sharedRoundTrips = Metric(
        name: "junction_shared_round_trips_total", kind: .counter,
        help: "Round trips to the shared state's Redis; each carries every operation queued meanwhile (pipelining)."
    )
    /// `junction_shared_commands_total`, a counter: commands and script calls Redis ran (merged items count once).
    static let sharedCommands = Metric(
        name: "junction_shared_commands_total", kind: .counter,
        help: "Commands and script calls sent to the shared state's Redis; the requests' items of one round trip "
            + "with the same keys are one script call."
    )
    /// `junction_build_info`, a gauge.
    static let buildInfo = Metric(
        name: "junction_build_info", kind: .gauge, help: "Always 1; the version label says which junctiond runs."
    )
    /// `junction_feedback_score`, a histogram.
    static let feedback = Metric(
        name: "junction_feedback_score", kind: .histogram,
        help: "Callers' ratings of answers (0 bad to 1 good) by the provider and model that answered."
    )
    /// `process_resident_memory_bytes`, a gauge.
    static let residentMemory = Metric(
        name: "process_resident_memory_bytes", kind: .gauge, help: "Resident memory size in bytes."
    )
    /// `process_virtual_memory_bytes`, a gauge.
    static let virtualMemory = Metric(
        name: "process_virtual_memory_bytes", kind: .gauge, help: "Virtual memory size in bytes."
    )
    /// `process_cpu_seconds_total`, a counter.
    static let cpuSeconds = Metric(
        name: "process_cpu_seconds_total", kind: .counter, help: "Total user and system CPU time spent in seconds."
    )
    /// `process_open_fds`, a gauge.
    static let openFDs = Metric(name: "process_open_fds", kind: .gauge, help: "Number of open file descriptors.")
    /// `process_max_fds`, a gauge.
    static let maxFDs = Metric(name: "process_max_fds", kind: .gauge, help: "Maximum number of open file descriptors.")
    /// `process_start_time_seconds`, a gauge.
    static let startTime = Metric(
        name: "process_start_time_seconds", kind: .gauge,
        help: "Start time of the process since the Unix epoch in seconds."
    )

    /// Every family, in the README table's order.
    static let all: [Metric] = [
        requests, requestDuration, timeToFirstToken, attempts, retries, failovers, tokens, cost, breakerState,
        providerStatus, rateWindowUsed, cacheRequests, budgetUsed, inflight, connections, ledgerDropped, sharedState,
        sharedOperations, sharedRoundTrips, buildInfo,
        feedback, residentMemory, virtualMemory, cpuSeconds, openFDs, maxFDs, startTime,
    ]

    /// Request durations: LLM calls take from tens of milliseconds (a cached prefix, a tiny answer) to minutes.
    static let durationBuckets: [Duration] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120].map(Self.seconds)
    /// Time to first token: shorter than whole answers, rarely over a minute.
    static let ttftBuckets: [Duration] = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60].map(Self.seconds)
    /// Feedback scores are 0...1.
    static let feedbackBuckets: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]

    private static func seconds(_ value: Double) -> Duration { .milliseconds(Int64((value * 1000).rounded())) }
}
