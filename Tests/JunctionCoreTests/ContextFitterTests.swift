import JunctionCore
import Testing

/// The planner with a manual counter: every message's size is given, so each boundary is exact.
@Suite("Context fitting")
struct ContextFitterTests {
    private static func user(_ text: String, keep: Bool = false) -> ChatMessage {
        ChatMessage(role: .user, content: text, keep: keep)
    }

    private static func assistant(_ text: String, keep: Bool = false) -> ChatMessage {
        ChatMessage(role: .assistant, content: text, keep: keep)
    }

    private static func system(_ text: String) -> ChatMessage {
        ChatMessage(role: .system, content: text)
    }

    /// Fits `messages` of `sizes` tokens each, with no margin unless given.
    private func fit(
        _ messages: [ChatMessage],
        sizes: [Int],
        system: Int = 0,
        window: Int,
        reserve: Int = 0,
        margin: Int = 0,
        exact: Int? = nil
    ) -> ContextFit {
        let counts = PromptTokenCounts(system: system, messages: sizes)
        return ContextFitter(window: window, reserve: reserve, safetyMarginPercent: margin)
            .fit(messages: messages, counts: counts, exactPromptTokens: exact)
    }

    /// The contents of the messages a fit keeps, or nil when it cannot fit.
    private func kept(_ fit: ContextFit) -> [String]? {
        guard case .fits(let messages, _, _, _) = fit else { return nil }
        return messages.map(\.content)
    }

    private let conversation = [
        Self.user("u1"), Self.assistant("a1"), Self.user("u2"), Self.assistant("a2"), Self.user("u3"),
    ]

    // MARK: Boundaries

    @Test func aPromptThatExactlyFitsIsSentWhole() {
        // 50 of prompt + 20 reserved + 10 of system prompt = the window.
        let fit = self.fit(self.conversation, sizes: [10, 10, 10, 10, 10], system: 10, window: 80, reserve: 20)
        #expect(fit == .fits(self.conversation, trimmed: 0, promptTokens: 60, exact: false))
    }

    @Test func oneTokenOverDropsTheOldestTurn() {
        let fit = self.fit(self.conversation, sizes: [10, 10, 10, 10, 10], system: 10, window: 79, reserve: 20)
        #expect(fit == .fits(Array(self.conversation.dropFirst(2)), trimmed: 2, promptTokens: 40, exact: false))
    }

    @Test func theMarginAppliesToEstimatesOnly() {
        // 100 estimated + 10 % = 110: fits a window of 110, not of 109 (the count reported stays 100).
        let messages = [Self.user("u1"), Self.assistant("a1"), Self.user("u2")]
        #expect(
            self.fit(messages, sizes: [40, 10, 50], window: 110, margin: 10)
                == .fits(messages, trimmed: 0, promptTokens: 100, exact: false)
        )
        #expect(self.kept(self.fit(messages, sizes: [40, 10, 50], window: 109, margin: 10)) == ["u2"])
        // An exact count of 109 needs no margin.
        #expect(
            self.fit(messages, sizes: [40, 10, 50], window: 109, margin: 10, exact: 109)
                == .fits(messages, trimmed: 0, promptTokens: 109, exact: true)
        )
    }

    @Test func anExactTotalScalesWhatIsLeft() {
        // Estimated 100, exact 200: every estimate counts double. Dropping the first turn (50 estimated) leaves
        // 100 exact tokens, which fit 150.
        let fit = self.fit(self.conversation, sizes: [25, 25, 20, 10, 20], window: 150, margin: 10, exact: 200)
        #expect(fit == .fits(Array(self.conversation.dropFirst(2)), trimmed: 2, promptTokens: 100, exact: true))
        // One token less: the second turn goes as well.
        #expect(
            self.fit(self.conversation, sizes: [25, 25, 20, 10, 20], window: 99, margin: 10, exact: 200)
                == .fits([Self.user("u3")], trimmed: 4, promptTokens: 40, exact: true)
        )
    }

    // MARK: Turns

    @Test func turnsAreDroppedWholeOldestFirst() {
        // Dropping u1 alone would fit, but never splits it from its answer.
        let fit = self.fit(self.conversation, sizes: [10, 30, 10, 10, 10], window: 61)
        #expect(fit == .fits(Array(self.conversation.dropFirst(2)), trimmed: 2, promptTokens: 30, exact: false))
    }

    @Test func aKeptTurnInTheMiddleIsSkippedAndNewerTurnsGoInstead() {
        let messages = [
            Self.user("u1"), Self.assistant("a1"), Self.user("u2", keep: true), Self.assistant("a2"),
            Self.user("u3"), Self.assistant("a3"), Self.user("u4"),
        ]
        let fit = self.fit(messages, sizes: [10, 10, 10, 10, 10, 10, 10], window: 30)
        #expect(self.kept(fit) == ["u2", "a2", "u4"])
        guard case .fits(_, let trimmed, let tokens, _) = fit else { return }
        #expect(trimmed == 4 && tokens == 30)
    }

    @Test func aKeptAnswerKeepsItsWholeTurn() {
        let messages = [Self.user("u1"), Self.assistant("a1", keep: true), Self.user("u2"), Self.user("u3")]
        #expect(self.kept(self.fit(messages, sizes: [10, 10, 10, 10], window: 30)) == ["u1", "a1", "u3"])
    }

    @Test func theOnlyTurnIsNeverDropped() {
        let fit = self.fit([Self.user("u1")], sizes: [120], window: 100, reserve: 10)
        #expect(fit == .cannotFit(promptTokens: 120, minimumTokens: 120, window: 100, reserve: 10))
    }

    @Test func theLastUserMessageAndWhatFollowsItStay() {
        // The final assistant message (a prefill) belongs to the last turn.
        let messages = [Self.user("u1"), Self.assistant("a1"), Self.user("u2"), Self.assistant("prefill")]
        let fit = self.fit(messages, sizes: [10, 10, 40, 40], window: 70)
        #expect(fit == .cannotFit(promptTokens: 100, minimumTokens: 80, window: 70, reserve: 0))
        #expect(self.kept(self.fit(messages, sizes: [10, 10, 40, 40], window: 80)) == ["u2", "prefill"])
    }

    @Test func leadingAssistantMessagesAreTheOldestTurn() {
        let messages = [
            Self.assistant("a0"), Self.assistant("a0b"), Self.user("u1"), Self.assistant("a1"), Self.user("u2"),
        ]
        #expect(self.kept(self.fit(messages, sizes: [10, 10, 10, 10, 10], window: 30)) == ["u1", "a1", "u2"])
        #expect(self.kept(self.fit(messages, sizes: [10, 10, 10, 10, 10], window: 29)) == ["u2"])
    }

    @Test func systemMessagesInTheListStayInPlace() {
        let messages = [
            Self.system("s0"), Self.user("u1"), Self.system("s1"), Self.assistant("a1"), Self.user("u2"),
        ]
        let fit = self.fit(messages, sizes: [5, 10, 5, 10, 10], window: 20)
        let left = [Self.system("s0"), Self.system("s1"), Self.user("u2")]
        #expect(fit == .fits(left, trimmed: 2, promptTokens: 20, exact: false))
        // They count toward the minimum, as the separate system prompt does.
        #expect(
            self.fit(messages, sizes: [5, 10, 5, 10, 10], system: 7, window: 26)
                == .cannotFit(promptTokens: 47, minimumTokens: 27, window: 26, reserve: 0)
        )
    }

    @Test func aConversationWithoutUserMessagesKeepsItsNewestTurn() {
        let messages = [Self.assistant("a1"), Self.assistant("a2")]
        #expect(
            self.fit(messages, sizes: [10, 10], window: 15)
                == .cannotFit(promptTokens: 20, minimumTokens: 20, window: 15, reserve: 0)
        )
    }

    // MARK: Whole prompts and reserves

    @Test func measureCountsTheWholePrompt() {
        let fitter = ContextFitter(window: 107, reserve: 10)
        let counts = PromptTokenCounts(system: 20, messages: [40, 30])
        // 90 estimated: 99 with the margin, and 10 reserved, exceed 107.
        #expect(fitter.measure(counts, exactPromptTokens: nil) == (tokens: 90, fits: false))
        #expect(ContextFitter(window: 109, reserve: 10).measure(counts, exactPromptTokens: nil).fits)
        // Exactly 95: fits 107 without a margin, not 104.
        #expect(fitter.measure(counts, exactPromptTokens: 95) == (tokens: 95, fits: true))
        #expect(ContextFitter(window: 104, reserve: 10).measure(counts, exactPromptTokens: 95).fits == false)
    }

    @Test func theReserveIsMaxTokensElseTheModelsMaxOutputCappedToAQuarterOfTheWindow() {
        #expect(ContextFitter.reserve(maxTokens: 90_000, maxOutputTokens: 8_192, window: 128_000) == 90_000)
        #expect(ContextFitter.reserve(maxTokens: nil, maxOutputTokens: 8_192, window: 128_000) == 8_192)
        #expect(ContextFitter.reserve(maxTokens: nil, maxOutputTokens: 64_000, window: 200_000) == 50_000)
        #expect(ContextFitter.reserve(maxTokens: nil, maxOutputTokens: nil, window: 128_000) == 4_096)
        #expect(ContextFitter.reserve(maxTokens: nil, maxOutputTokens: nil, window: 8_000) == 2_000)
    }

    @Test func aChatIsFittedByJunctionsEstimate() {
        let chat = ChatRequest(
            messages: [Self.user(String(repeating: "x", count: 400)), Self.assistant("ok"), Self.user("next")],
            system: "be brief"
        )
        let counts = PromptTokenCounts(estimating: chat)
        #expect(counts == PromptTokenCounts(system: 2, messages: [104, 5, 5]))
        #expect(counts.total == chat.estimatedPromptTokens)
        // 116 estimated, 128 with the margin; without the first turn 7 (8 with the margin).
        #expect(
            ContextFitter(window: 128, reserve: 0).fit(chat)
                == .fits(chat.messages, trimmed: 0, promptTokens: 116, exact: false)
        )
        #expect(
            ContextFitter(window: 127, reserve: 0).fit(chat)
                == .fits([Self.user("next")], trimmed: 2, promptTokens: 7, exact: false)
        )
    }

    @Test func theStructuredOutputInstructionIsCounted() {
        var chat = ChatRequest(messages: [ChatMessage(role: .user, content: "hi")])
        let plain = PromptTokenCounts(estimating: chat).total
        let schema: JSONValue = ["type": "object", "properties": ["answer": ["type": "string", "maxLength": 200]]]
        chat.responseFormat = .jsonSchema(JSONSchemaFormat(name: "s", schema: schema))
        // The instruction and the schema in compact JSON, 4 bytes a token.
        let instruction = chat.responseFormat.systemInstruction ?? ""
        #expect(PromptTokenCounts(estimating: chat).total == plain + 4 + (instruction.utf8.count + 3) / 4)
        #expect(instruction.contains("maxLength"))
    }
}
