extension ContextFitter {
    /// The turns that may be dropped, oldest first, each as the indices of its messages: every turn but the
    /// newest, less those holding a `keep` message (see the type's rules). System messages are in no turn.
    static func droppableTurns(of messages: [ChatMessage]) -> [[Int]] {
        var turns: [(indices: [Int], keep: Bool)] = []
        for (index, message) in messages.enumerated() {
            switch message.role {
            case .system:
                continue
            case .user:
                turns.append(([index], message.keep))
            case .assistant:
                // An answer joins the turn of the user message before it; answers before any user message
                // make up the first turn.
                if turns.isEmpty {
                    turns.append(([index], message.keep))
                } else {
                    turns[turns.count - 1].indices.append(index)
                    turns[turns.count - 1].keep = turns[turns.count - 1].keep || message.keep
                }
            }
        }
        return turns.dropLast().filter { !$0.keep }.map(\.indices)
    }
}
