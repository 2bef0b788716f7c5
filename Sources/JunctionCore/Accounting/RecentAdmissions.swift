/// The admission times of the last 60 seconds, for `rpm`: a rolling window, exact to the millisecond. Holds at
/// most `rpm` entries, since a request is only recorded when it was admitted with room in the window.
struct RecentAdmissions: Sendable, Equatable {
    static let window: Int64 = 60_000

    /// Ascending; entries before `head` have left the window and wait to be compacted away.
    private var times: [Int64] = []
    private var head = 0

    /// Admissions in the 60 s before `now` (an admission exactly 60 s old has left).
    func count(at now: Int64) -> Int {
        self.times.count - self.firstInWindow(at: now)
    }

    /// When the oldest admission in the window leaves it; nil when the window is empty.
    func nextExpiry(at now: Int64) -> Int64? {
        let first = self.firstInWindow(at: now)
        return first < self.times.count ? self.times[first] + Self.window : nil
    }

    mutating func record(at now: Int64) {
        self.head = self.firstInWindow(at: now)
        // Drop what has left once it is most of the storage: amortised O(1) per admission.
        if self.head > 64, self.head * 2 > self.times.count {
            self.times.removeFirst(self.head)
            self.head = 0
        }
        // Times passed in may step back a little (two clocks read by two threads); keep the list sorted.
        self.times.append(max(now, self.times.last ?? now))
    }

    /// Forgets one admission at `time` (one the fleet refused after this book admitted it); the latest such entry
    /// goes, which keeps the list sorted.
    mutating func remove(at time: Int64) {
        guard let index = self.times[self.head...].lastIndex(where: { $0 <= time }) ?? self.times.indices.last,
            index >= self.head
        else { return }
        self.times.remove(at: index)
    }

    /// Index of the first time still in the window (binary search: the list is sorted).
    private func firstInWindow(at now: Int64) -> Int {
        var low = self.head
        var high = self.times.count
        while low < high {
            let middle = (low + high) / 2
            if self.times[middle] <= now - Self.window { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
