import JunctionProviders
import ServiceLifecycle

/// Runs the libcurl thread for the daemon's lifetime. Listed before the RPC server in the service group, so it
/// stops only after the server has drained its requests.
struct TransportService: Service {
    let transport: Transport

    func run() async throws {
        self.transport.start()
        try? await gracefulShutdown()
        self.transport.shutdown()
    }
}
