import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// `fit` through the real daemon: a conversation too long for a model's window is trimmed (truncate_oldest),
    /// refused with its sizes (error), or routed past (fail_over).
    @Suite("Context fitting end to end")
    struct ContextFittingEndToEndTests {
        /// A small window: 300 tokens, answers of 50.
        static let config = """
            [providers.tiny]
            kind = "openai-compatible"
            base_url = "\(SimProcess.placeholder)/v1"
            [[providers.tiny.models]]
            id = "tiny-window"
            context_window = 300
            max_output_tokens = 100

            """

        /// Ten turns of ~100 estimated tokens each (400 bytes a message), the last user message short.
        static func conversation(keepSecond: Bool = false) -> JSONValue {
            var messages: [JSONValue] = []
            for turn in 0..<5 {
                var user: JSONObject = ["role": "user", "content": .string("q\(turn) " + String(repeating: "u", count: 200))]
                if keepSecond, turn == 1 { user["keep"] = true }
                messages.append(.object(user))
                messages.append(["role": "assistant", "content": .string("a\(turn) " + String(repeating: "a", count: 200))])
            }
            messages.append(["role": "user", "content": "and now?"])
            return .array(messages)
        }

        @Test func truncateOldestDropsWholeOldTurnsAndSaysHowMany() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: Self.config)
            let client = try daemon.client()
            let result = try client.call(
                "generate",
                params: [
                    "messages": Self.conversation(), "model": "tiny:tiny-window", "max_tokens": 50,
                    "fit": "truncate_oldest", "system": "be brief",
                ]
            )
            let trimmed = result["trimmed_messages"]?.intValue ?? 0
            #expect(trimmed > 0)
            #expect(trimmed % 2 == 0)  // whole user/assistant pairs
            let estimated = result["prompt_tokens_estimated"]?.intValue ?? .max
            #expect(estimated + 50 <= 300)
            #expect(try sim.requests().count == 1)
            // Nothing to trim: the fields say so.
            let small = try client.call(
                "generate", params: ["prompt": "hi", "model": "tiny:tiny-window", "fit": "truncate_oldest"]
            )
            #expect(small["trimmed_messages"] == 0)
        }

        @Test func aKeptMessageSurvivesTrimming() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: Self.config)
            let client = try daemon.client()
            let plain = try client.call(
                "generate",
                params: ["messages": Self.conversation(), "model": "tiny:tiny-window", "max_tokens": 50, "fit": "truncate_oldest"]
            )
            let kept = try client.call(
                "generate",
                params: [
                    "messages": Self.conversation(keepSecond: true), "model": "tiny:tiny-window", "max_tokens": 50,
                    "fit": "truncate_oldest",
                ]
            )
            // The kept turn stays, so newer ones go instead: at least as many messages dropped.
            #expect((kept["trimmed_messages"]?.intValue ?? 0) >= (plain["trimmed_messages"]?.intValue ?? 0))
            #expect((kept["prompt_tokens_estimated"]?.intValue ?? .max) + 50 <= 300)
        }

        @Test func errorAnswersWithTheSizesAndSendsNothing() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: Self.config)
            let client = try daemon.client()
            do {
                _ = try client.call(
                    "generate",
                    params: ["messages": Self.conversation(), "model": "tiny:tiny-window", "max_tokens": 50, "fit": "error"]
                )
                Issue.record("a prompt larger than every window was sent")
            } catch let error as RPCClient.ErrorReply {
                #expect(error.code == -32602)
                #expect(error.data?["field"] == "messages")
                #expect(error.message.contains("300 tokens"))
                #expect(error.message.contains("truncate_oldest"))
            }
            #expect(try sim.requests().isEmpty)
            // Unknown fit modes say which there are.
            do {
                _ = try client.call("generate", params: ["prompt": "hi", "model": "tiny:tiny-window", "fit": "squeeze"])
                Issue.record("an unknown fit was accepted")
            } catch let error as RPCClient.ErrorReply {
                #expect(error.code == -32602)
                #expect(error.message.contains("truncate_oldest"))
            }
        }

        @Test func failOverSkipsTheSmallWindowForALargerOne() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: Self.config + "[routes.r]\ntargets = [\"tiny:tiny-window\", \"openai:gpt-4o-mini\"]\n"
            )
            let client = try daemon.client()
            let result = try client.call("generate", params: ["messages": Self.conversation(), "route": "r"])
            #expect(result["provider"] == "openai")
            #expect(result["trimmed_messages"] == nil)
            #expect(try sim.requests().allSatisfy { $0["model"] != "tiny-window" })
        }
    }
}
