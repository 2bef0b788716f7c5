import JunctionCore
import Testing

@Suite struct BoundedLabelValuesTests {
    @Test func configuredValuesPassAndOthersAreAdmittedUpToTheCap() {
        var values = BoundedLabelValues(configured: ["a"], cap: 2)
        #expect(
            ["a", "x", "a", "y", "z", "x", "other"].map { values.value(for: $0) } == [
                "a", "x", "a", "y", "other", "x", "other",
            ])
        #expect(values.value(for: "") == "other")
        #expect(values.value(for: String(repeating: "q", count: BoundedLabelValues.maxLength + 1)) == "other")
        #expect(values.observed == ["x", "y"])
    }

    @Test func aReconfigurationKeepsAdmittedValuesWithinTheNewCap() {
        var values = BoundedLabelValues(configured: [], cap: 3)
        for value in ["c", "a", "b"] { _ = values.value(for: value) }
        values.reconfigure(configured: ["b"], cap: 1)
        #expect(values.observed == ["a"])  // "b" is configured now; one admitted value stays
        #expect(values.value(for: "b") == "b")
        #expect(values.value(for: "c") == "other")
        var none = BoundedLabelValues(cap: 0)
        #expect(none.value(for: "x") == "other")
    }
}
