import Foundation
import Testing

@testable import JunctionCore

@Suite("Failure reasons")
struct FailureReasonTests {
    private func code(_ kind: ProviderError.Kind, status: Int? = nil, hints: RetryHints = RetryHints(), started: Bool = false) -> String {
        FailureReason.code(for: ProviderError(kind: kind, status: status, message: "m", hints: hints), streamStarted: started)
    }

    @Test func everyKind() {
        #expect(self.code(.rateLimited, status: 429) == "rate_limited")
        #expect(self.code(.rateLimited, status: 429, hints: RetryHints(retryAfter: .seconds(2))) == "rate_limited")
        #expect(self.code(.rateLimited, status: 429, hints: RetryHints(quotaResetAfter: .seconds(3600))) == "daily_quota")
        #expect(self.code(.quotaExhausted, status: 402) == "quota_exhausted")
        #expect(self.code(.auth, status: 401) == "auth_failed")
        #expect(self.code(.contextLength, status: 400) == "context_length")
        #expect(self.code(.contentFilter, status: 400) == "content_filter")
        #expect(self.code(.notFound, status: 404) == "not_found")
        #expect(self.code(.malformed, status: 200) == "malformed")
        let transports: [(TransportFailure, String)] = [
            (.dns, "dns"), (.connectRefused, "connect_refused"), (.connectTimeout, "connect_timeout"), (.tls, "tls"),
            (.firstByteTimeout, "first_byte_timeout"), (.ttftTimeout, "ttft_timeout"), (.deadline, "deadline"),
            (.bodyTooLarge, "body_too_large"), (.other, "transport_error"),
        ]
        for (failure, code) in transports {
            #expect(self.code(.transport(failure)) == code)
            #expect(self.code(.transport(failure), started: true) == code)
        }
    }

    @Test func statusOnlyClassesAreNamedByTheirStatus() {
        #expect(self.code(.serverError, status: 503) == "http_503")
        #expect(self.code(.serverError, status: 500) == "http_500")
        #expect(self.code(.overloaded, status: 529) == "http_529")
        #expect(self.code(.transient, status: 408) == "http_408")
        #expect(self.code(.badRequest, status: 422) == "http_422")
        // Mid-stream error events carry no status.
        #expect(self.code(.serverError) == "server_error")
        #expect(self.code(.overloaded) == "overloaded")
        #expect(self.code(.transient) == "transient")
        #expect(self.code(.badRequest) == "bad_request")
    }

    /// The case: a cut stream read "connection_reset: transfer closed with outstanding read data remaining".
    @Test func aBrokenStreamIsCutOrStalledOnceOutputWasSent() {
        let reset = ProviderError(kind: .transport(.connectionReset), message: "transfer closed with outstanding read data remaining")
        let cut = FailureReason(reset, streamStarted: true)
        #expect(cut.code == "stream_cut")
        #expect(cut.detail == "transfer closed with outstanding read data remaining")
        #expect(cut.description == "stream_cut: transfer closed with outstanding read data remaining")
        #expect(FailureReason(reset, streamStarted: false).code == "connection_reset")
        #expect(self.code(.truncated, started: true) == "stream_cut")
        #expect(self.code(.truncated) == "truncated")
        #expect(self.code(.transport(.idleTimeout), started: true) == "stream_stalled")
        #expect(self.code(.transport(.idleTimeout)) == "idle_timeout")
        #expect(FailureReason.cancelled.description == "cancelled")
    }

    @Test func theVocabularyIsClosedAndDocumented() throws {
        #expect(Set(FailureReason.codes).count == FailureReason.codes.count)
        let kinds: [ProviderError.Kind] = [
            .auth, .rateLimited, .quotaExhausted, .contextLength, .contentFilter, .badRequest, .notFound, .transient,
            .serverError, .overloaded, .truncated, .malformed,
        ] + [TransportFailure.dns, .connectRefused, .connectionReset, .tls, .connectTimeout, .firstByteTimeout,
            .ttftTimeout, .idleTimeout, .deadline, .bodyTooLarge, .other].map { .transport($0) }
        for kind in kinds {
            for started in [false, true] {
                for hints in [RetryHints(), RetryHints(quotaResetAfter: .seconds(1))] {
                    let code = self.code(kind, hints: hints, started: started)
                    #expect(FailureReason.codes.contains(code), "\(kind) gives \(code)")
                }
            }
        }
        // README's "Failure reasons" table lists every code.
        let readme = try String(contentsOfFile: Self.repositoryFile("README.md"), encoding: .utf8)
        for code in FailureReason.codes + ["http_<status>"] {
            #expect(readme.contains("| `\(code)`"), "README does not document \(code)")
        }
    }

    static func repositoryFile(_ name: String) -> String {
        // This file is Tests/JunctionCoreTests/FailureReasonTests.swift.
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return (parts + [Substring(name)]).joined(separator: "/")
    }
}
