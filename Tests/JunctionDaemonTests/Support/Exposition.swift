/// A Prometheus text exposition, parsed for assertions: every sample with its labels, and the HELP and TYPE lines.
struct Exposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var samples: [Sample] = []
    var help: [String: String] = [:]
    var types: [String: String] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                if line.hasPrefix("# HELP ") { self.help[parts[0]] = parts[1] } else { self.types[parts[0]] = parts[1] }
                continue
            }
            guard !line.hasPrefix("#"), let sample = Self.sample(String(line)) else { continue }
            self.samples.append(sample)
        }
    }

    /// The sum of `name`'s samples whose labels include `labels`.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        self.matching(name, labels).map(\.value).reduce(0, +)
    }

    func matching(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        self.samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
    }

    /// Every value `label` takes in `name`'s samples.
    func values(of label: String, in name: String) -> Set<String> {
        Set(self.matching(name).compactMap { $0.labels[label] })
    }

    /// Metric family names: the names in TYPE lines.
    var families: Set<String> { Set(self.types.keys) }

    /// `name{a="x",b="y"} 1.5` (label values here never hold `"`, `,` or `}`).
    private static func sample(_ line: String) -> Sample? {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            return nil
        }
        let head = line[..<space]
        guard let brace = head.firstIndex(of: "{") else { return Sample(name: String(head), labels: [:], value: value) }
        var labels: [String: String] = [:]
        for pair in head[head.index(after: brace)..<head.index(before: head.endIndex)].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
        }
        return Sample(name: String(head[..<brace]), labels: labels, value: value)
    }
}
