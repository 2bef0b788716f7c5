/// The orders `junctionctl top` cycles through with `s`: providers (and each provider's targets) by this column.
enum TopSort: String, CaseIterable, Sendable {
    /// Configuration order for providers, model name for targets.
    case name
    case requests
    case latency
    case errors
    case cost

    /// The next order after this one (`s`).
    var next: TopSort {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// What the frame shows besides the snapshot: the terminal's size, the order, and the view's state.
struct TopView: Sendable, Equatable {
    var columns: Int
    var rows: Int
    var sort = TopSort.name
    var paused = false
    var help = false
    /// ANSI colours (only on a terminal, and only when `NO_COLOR` is unset).
    var color = false
    /// Why the last poll failed: the frame says "disconnected, retrying" with it, over the last snapshot seen.
    var disconnected: String?
    /// Print every row (`--once` into a pipe): no height limit.
    var unbounded = false
}
