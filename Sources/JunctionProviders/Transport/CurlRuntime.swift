import CCurl

/// Facts about the libcurl that Junction runs on, for `daemon.status` and the startup log.
///
/// The transport (issue: providers) is the only other code that calls libcurl; this type exists so that the
/// daemon can report, before any provider is configured, which libcurl and TLS stack it will use.
public enum CurlRuntime {
    /// The libcurl version and the TLS library it was built with, e.g. `libcurl 7.88.1 (OpenSSL/3.0.17)`.
    public static var versionDescription: String {
        guard let info = junction_curl_version_info() else { return "libcurl (unknown version)" }
        let version = info.pointee.version.map { String(cString: $0) } ?? "?"
        let tls = info.pointee.ssl_version.map { String(cString: $0) } ?? "no TLS"
        return "libcurl \(version) (\(tls))"
    }

    /// Whether this libcurl can speak HTTP/2, which the transport prefers for multiplexing.
    public static var supportsHTTP2: Bool {
        guard let info = junction_curl_version_info() else { return false }
        return info.pointee.features & Int32(CURL_VERSION_HTTP2) != 0
    }
}
