// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "junction",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "junctiond", targets: ["junctiond"]),
        .executable(name: "junctionctl", targets: ["junctionctl"]),
        .executable(name: "junction-sim", targets: ["junction-sim"]),
        .executable(name: "junction-bench", targets: ["junction-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // The ledger (SQLite in WAL mode); links the system's libsqlite3.
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // Metrics (issue 11): the swift-metrics API over swift-prometheus's registry and text exposition.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // Shared state across a fleet (issue 13): hiredis, Debian's libhiredis-dev. Found by its header path, not
        // pkg-config: hiredis.pc's -D_FILE_OFFSET_BITS=64 is a flag SwiftPM refuses (with a warning).
        .systemLibrary(name: "CHiredis"),
        // glibc's malloc.h (malloc_trim, mallinfo2): returning free heap memory after bursts.
        .systemLibrary(name: "CMalloc"),
        .target(name: "JunctionCore"),
        // JSON-RPC 2.0 itself (ids, envelopes, error codes, line framing): shared by the daemon and its clients.
        .target(name: "JunctionRPC", dependencies: ["JunctionCore"]),
        .target(name: "JunctionProviders", dependencies: ["JunctionCore", "CCurl"]),
        .target(name: "JunctionClient", dependencies: ["JunctionCore", "JunctionRPC"]),
        // The Redis client (one pipelining thread, a subscriber thread, its own breaker) the shared state runs on.
        .target(
            name: "JunctionShared",
            dependencies: [
                "JunctionCore", "CHiredis", .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "JunctionTesting",
            dependencies: [
                "JunctionCore",
                "JunctionProviders",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "JunctionDaemon",
            dependencies: [
                "JunctionCore",
                "JunctionRPC",
                "JunctionProviders",
                "JunctionShared",
                "CSystemd",
                "CMalloc",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            resources: [.embedInCode("Resources/openrpc.json"), .embedInCode("Resources/dashboard.html")]
        ),
        .executableTarget(
            name: "junctiond",
            dependencies: [
                "JunctionCore",
                "JunctionDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "junctionctl",
            dependencies: [
                "JunctionCore",
                "JunctionRPC",
                "JunctionClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "junction-sim",
            dependencies: [
                "JunctionCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "junction-bench",
            dependencies: [
                "JunctionCore",
                "JunctionProviders",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // scripts/bench-ledger.sh: the ledger writer's sustained throughput.
        .executableTarget(
            name: "ledger-bench",
            dependencies: [
                "JunctionDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "scripts/ledger-bench"
        ),
        // scripts/bench-metrics.sh: the metrics recorder's CPU per request and the exposition's render time.
        .executableTarget(
            name: "metrics-bench",
            dependencies: [
                "JunctionDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "scripts/metrics-bench"
        ),
        // scripts/bench-cache.sh: the response cache's CPU per request on misses, in process.
        .executableTarget(
            name: "cache-bench",
            dependencies: [
                "JunctionDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "scripts/cache-bench"
        ),
        .testTarget(name: "JunctionCoreTests", dependencies: ["JunctionCore"]),
        .testTarget(name: "JunctionRPCTests", dependencies: ["JunctionRPC", "JunctionCore"]),
        .testTarget(name: "JunctionProvidersTests", dependencies: ["JunctionProviders", "JunctionCore"]),
        // junctionctl's pure renderers (top's frame), tested without a terminal.
        .testTarget(name: "JunctionCtlTests", dependencies: ["junctionctl", "JunctionCore"]),
        .testTarget(
            name: "JunctionDaemonTests",
            dependencies: [
                "JunctionDaemon",
                "JunctionCore",
                "JunctionRPC",
                "JunctionProviders",
                "JunctionShared",
                "JunctionClient",
                "JunctionTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
