// swift-tools-version: 6.0
// libFuzzer targets for Junction's parsers. A package of its own so that a fuzz build compiles only the modules
// the fuzzers need (no NIO, no daemon): the library targets are symlinks to the main package's sources, and the
// configuration fuzzer compiles the daemon's Config folder (also a symlink) into itself. Built and run by
// `make fuzz` and `make fuzz-smoke` (part of `make test`) in the main package's directory:
//   swift build --package-path Fuzz --scratch-path .build-fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld -Xcxx -DNDEBUG
import PackageDescription

let package = Package(
    name: "junction-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        // The same versions as the main package (its Package.swift), resolved from the same cache.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "JunctionCore"),
        .target(name: "JunctionRPC", dependencies: ["JunctionCore"]),
        .target(name: "JunctionProviders", dependencies: ["JunctionCore", "CCurl"]),
        .systemLibrary(name: "CLibFuzzer"),
        .target(name: "FuzzSupport"),
        fuzzer("fuzz-rpc", folder: "FuzzRPC", ["JunctionCore", "JunctionRPC"]),
        fuzzer("fuzz-json", folder: "FuzzJSON", ["JunctionCore"]),
        fuzzer("fuzz-schema", folder: "FuzzSchema", ["JunctionCore"]),
        fuzzer("fuzz-sse", folder: "FuzzSSE", ["JunctionProviders"]),
        fuzzer("fuzz-adapters", folder: "FuzzAdapters", ["JunctionCore", "JunctionProviders"]),
        fuzzer(
            "fuzz-config",
            folder: "FuzzConfig",
            [
                "JunctionCore",
                "JunctionProviders",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

/// One libFuzzer executable: its entry point, the shared checks and the libFuzzer driver declaration.
func fuzzer(_ name: String, folder: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: dependencies + ["FuzzSupport", "CLibFuzzer"], path: "Sources/\(folder)")
}
