import CCurl

/// Sets options on one easy handle and remembers the first one libcurl refused. Curl thread only.
///
/// libcurl answers every `curl_easy_setopt` with a code, and a refused option leaves the handle as it was: an
/// ignored refusal sends a request with the wrong URL, no proxy setting or a previous transfer's state. After the
/// first refusal nothing more is set; the caller fails the transfer with `failure` instead of starting it.
struct CurlOptions {
    let handle: UnsafeMutableRawPointer
    private(set) var failure: TransportError?

    init(handle: UnsafeMutableRawPointer) {
        self.handle = handle
    }

    mutating func long(_ option: CURLoption, _ value: Int) {
        let handle = self.handle
        self.check(option) { junction_curl_easy_setopt_long(handle, option, value) }
    }

    mutating func offset(_ option: CURLoption, _ value: Int) {
        let handle = self.handle
        self.check(option) { junction_curl_easy_setopt_off_t(handle, option, curl_off_t(value)) }
    }

    mutating func string(_ option: CURLoption, _ value: String) {
        let handle = self.handle
        self.check(option) { junction_curl_easy_setopt_string(handle, option, value) }
    }

    mutating func pointer(_ option: CURLoption, _ value: UnsafeMutableRawPointer?) {
        let handle = self.handle
        self.check(option) { junction_curl_easy_setopt_pointer(handle, option, value) }
    }

    mutating func list(_ option: CURLoption, _ value: UnsafeMutablePointer<curl_slist>?) {
        let handle = self.handle
        self.check(option) { junction_curl_easy_setopt_slist(handle, option, value) }
    }

    typealias DataCallback = @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int

    mutating func callback(_ option: CURLoption, _ value: DataCallback) {
        let handle = self.handle
        self.check(option) { junction_curl_easy_setopt_write_callback(handle, option, value) }
    }

    /// The socket opener that reports why a socket could not be made into `errnoSlot`.
    mutating func openSocket(reportingInto errnoSlot: UnsafeMutablePointer<Int32>) {
        let handle = self.handle
        self.check(CURLOPT_OPENSOCKETFUNCTION) { junction_curl_easy_setopt_open_socket(handle, errnoSlot) }
    }

    private mutating func check(_ option: CURLoption, _ set: () -> CURLcode) {
        guard self.failure == nil else { return }
        let code = set()
        guard code != CURLE_OK else { return }
        self.failure = TransportError(.other, Self.describe(option: option, code: code))
    }

    /// `curl_easy_setopt(CURLOPT_URL) failed: A libcurl function was given a bad argument (43)`.
    static func describe(option: CURLoption, code: CURLcode) -> String {
        let name = junction_curl_option_name(option).map { "CURLOPT_" + String(cString: $0) }
            ?? "option \(option.rawValue)"
        return "curl_easy_setopt(\(name)) failed: \(String(cString: curl_easy_strerror(code))) (\(code.rawValue))"
    }

    /// The same for the multi handle, whose options are set once; nil when libcurl took the option.
    static func checkMulti(_ name: String, _ code: CURLMcode) -> TransportError? {
        guard code != CURLM_OK else { return nil }
        let reason = String(cString: curl_multi_strerror(code))
        return TransportError(.other, "curl_multi_setopt(\(name)) failed: \(reason) (\(code.rawValue))")
    }
}
