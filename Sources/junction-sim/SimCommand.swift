import ArgumentParser
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// `junction-sim`: impersonates LLM providers on a loopback port for tests, benchmarks and the demo.
@main
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "junction-sim",
        abstract: "Provider simulator: OpenAI, Anthropic, Gemini and OpenAI-compatible APIs, with injectable faults.",
        discussion: """
            Faults are chosen per request by the model name: "sim-NAME[-PARAM][@COUNT]" or "MODEL@NAME[-PARAM]",
            or set for any model with POST /_sim/faults {"model": "m", "fault": "503@2"}. Names: ok, 429[-SECONDS|-nohint],
            500, 502, 503, 504, 529, 401, context, filter, quota, echo, gemini_rate_minute[-SECONDS], gemini_quota_day,
            reset, hang, slowfirst-MS, cut-N, stall-N, malformed, nosentinel, outage-MS, flood, headersforever,
            pace-MS. GET /_sim/log lists every request; besides path, model, fault and outcome each record has
            "structured" (the structured-output mechanism the request carried: none, openai_json_schema_strict,
            openai_json_schema, json_object, anthropic_output_format, anthropic_tool, gemini_json_schema or
            gemini_json), "schema_in_system" (the system prompt contains "JSON Schema"), "thinking" (the
            Anthropic or Gemini thinking budget, or null), "thinking_type" and "effort" (Anthropic's
            thinking.type and output_config.effort, or null).
            An Anthropic request's stop_sequences end the answer before the first one it contains (stop_reason
            "stop_sequence", and which).
            POST /_sim/answers {"model": "m", "answers": ["text1", "text2"]} sets the completion texts for a
            model: each request for it that is answered with a body takes the next one (the last repeats), in every
            dialect, streamed in pieces; null or [] clears them. To an Anthropic request with a forced tool the
            answer comes as a tool_use block whose input is the text parsed as a JSON object (streamed as
            input_json_delta pieces), or as a text block when the text is not a JSON object.
            POST /_sim/usage {"model": "m", "usage": {...}} sets the token counts reported.
            POST /_sim/reset clears the log, the faults, the usages and the answers.
            """
    )

    @Option(help: "Address to listen on (loopback only by default).")
    var host = "127.0.0.1"

    @Option(help: "Port; 0 picks a free one (printed on the first line of standard output).")
    var port = 0

    @Option(help: "Milliseconds between streamed tokens (0: as fast as possible).")
    var tokenDelayMs = 0

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        let state = SimState()
        let pace = self.tokenDelayMs
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
                        try channel.pipeline.syncOperations.addHandler(SimConnectionHandler(state: state, defaultPace: pace))
                    }
                }
                .bind(host: self.host, port: self.port)
                .get()
        } catch {
            let message = Array((Self.listenFailure(error, host: self.host, port: self.port) + "\n").utf8)
            message.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
            throw ExitCode(1)
        }
        let address = channel.localAddress
        // Written in one call, unbuffered: tests read this line to learn the port.
        let line = Array("junction-sim listening on \(self.host):\(address?.port ?? 0)\n".utf8)
        line.withUnsafeBytes { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        try await channel.closeFuture.get()
    }
}
