import JunctionCore
import Testing

@Suite("Model limits")
struct ModelLimitsTests {
    // MARK: Lookup

    @Test func datedSnapshotsAndAliasesFindTheirFamily() {
        #expect(
            ModelLimits.builtInEntry(for: "claude-sonnet-4-5-20250929", kind: .anthropic)?.model == "claude-sonnet-4-5"
        )
        #expect(ModelLimits.builtInEntry(for: "claude-opus-4-20250514", kind: .anthropic)?.model == "claude-opus-4")
        #expect(ModelLimits.builtInEntry(for: "gpt-4o-2024-08-06", kind: .openai)?.model == "gpt-4o")
        #expect(ModelLimits.builtInEntry(for: "gpt-5-2025-08-07", kind: .openai)?.model == "gpt-5")
        #expect(ModelLimits.builtInEntry(for: "qwen-plus-latest", kind: .qwen)?.model == "qwen-plus")
        #expect(
            ModelLimits.builtIn(for: "claude-haiku-4-5-20251001", kind: .anthropic)
                == ModelLimits(contextWindow: 200_000, maxOutputTokens: 64_000)
        )
    }

    @Test func theLongestPrefixWinsAndAnExactEntryBeatsItsFamily() {
        // gpt-4.1-mini-… also starts with "gpt-4.1-": the longer id must win.
        #expect(ModelLimits.builtInEntry(for: "gpt-4.1-mini-2025-04-14", kind: .openai)?.model == "gpt-4.1-mini")
        #expect(ModelLimits.builtInEntry(for: "claude-opus-4-1-20250805", kind: .anthropic)?.model == "claude-opus-4-1")
        #expect(ModelLimits.builtInEntry(for: "gemini-2.5-flash-lite-preview-09-2025", kind: .gemini)?.model
            == "gemini-2.5-flash-lite")
        // The chat alias is a smaller model than the gpt-5 family it starts like.
        #expect(ModelLimits.builtIn(for: "gpt-5-chat-latest", kind: .openai)?.contextWindow == 128_000)
        #expect(ModelLimits.builtIn(for: "gpt-5-mini", kind: .openai)?.contextWindow == 400_000)
        // The first gpt-4o snapshot answers at most 4,096 tokens; its family 16,384.
        #expect(ModelLimits.builtIn(for: "gpt-4o-2024-05-13", kind: .openai)?.maxOutputTokens == 4_096)
        #expect(ModelLimits.builtIn(for: "gpt-4o-2024-11-20", kind: .openai)?.maxOutputTokens == 16_384)
    }

    @Test func geminiIdsMayComeWithTheModelsPrefix() {
        #expect(ModelLimits.builtInEntry(for: "models/gemini-2.5-pro", kind: .gemini)?.model == "gemini-2.5-pro")
        #expect(ModelLimits.builtIn(for: "models/gpt-4o", kind: .openai) == nil)
    }

    @Test func unknownModelsAndUserServedKindsHaveNoLimits() {
        #expect(ModelLimits.builtIn(for: "mystery-model", kind: .openai) == nil)
        // A prefix counts only when a dash follows it.
        #expect(ModelLimits.builtIn(for: "gpt-4ox", kind: .openai) == nil)
        // Limits are per kind: the server behind Ollama, openai-compatible and cursor is the user's.
        #expect(ModelLimits.builtIn(for: "gpt-4o", kind: .anthropic) == nil)
        for kind in [ProviderKind.ollama, .openaiCompatible, .cursor] {
            #expect(ModelLimits.builtIn(for: "gpt-4o", kind: kind) == nil)
            #expect(ModelLimits.builtInTable[kind] == nil)
        }
    }

    // MARK: The table

    @Test func theCurrentModelsOfEachProviderKindAreListed() {
        let expected: [ProviderKind: [String]] = [
            .openai: [
                "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "gpt-5", "gpt-5-mini",
                "gpt-5-nano", "gpt-5.1", "gpt-5.2", "o3", "o4-mini",
            ],
            .anthropic: [
                "claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1", "claude-sonnet-4",
                "claude-opus-4-6", "claude-sonnet-4-6",
            ],
            .gemini: [
                "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash",
                "gemini-3-pro-preview",
            ],
            .deepseek: ["deepseek-chat", "deepseek-reasoner"],
            .qwen: ["qwen-max", "qwen-plus", "qwen-turbo", "qwen-flash"],
        ]
        for (kind, models) in expected {
            for model in models {
                #expect(ModelLimits.builtInEntry(for: model, kind: kind)?.model == model, "\(kind) \(model)")
            }
        }
    }

    @Test func everyEntryLeavesRoomForAPrompt() {
        for (kind, models) in ModelLimits.builtInTable {
            for (model, limits) in models {
                #expect(limits.maxOutputTokens > 0, "\(kind) \(model)")
                #expect(limits.maxOutputTokens < limits.contextWindow, "\(kind) \(model)")
            }
        }
    }

    @Test func figuresOfEachFamilyAsDocumented() {
        func limits(_ window: Int, _ output: Int) -> ModelLimits {
            ModelLimits(contextWindow: window, maxOutputTokens: output)
        }
        #expect(ModelLimits.builtIn(for: "gpt-4.1", kind: .openai) == limits(1_047_576, 32_768))
        #expect(ModelLimits.builtIn(for: "gpt-5-pro", kind: .openai) == limits(400_000, 272_000))
        #expect(ModelLimits.builtIn(for: "o3", kind: .openai) == limits(200_000, 100_000))
        #expect(ModelLimits.builtIn(for: "claude-opus-4-6", kind: .anthropic) == limits(1_000_000, 128_000))
        #expect(ModelLimits.builtIn(for: "gemini-2.0-flash", kind: .gemini) == limits(1_048_576, 8_192))
        #expect(ModelLimits.builtIn(for: "deepseek-reasoner", kind: .deepseek) == limits(128_000, 65_536))
        #expect(ModelLimits.builtIn(for: "qwen-max", kind: .qwen) == limits(32_768, 8_192))
    }
}
