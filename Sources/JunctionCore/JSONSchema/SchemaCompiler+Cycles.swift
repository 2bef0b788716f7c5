extension SchemaCompiler {
    /// Refuses a cycle of subschemas that apply to the same instance (`$ref`, `allOf`, `anyOf`, `oneOf`, `not`,
    /// `if`/`then`/`else`): validating anything against one would never step into the instance, so it would never
    /// end. A cycle through `properties` or `items` (a recursive type) is fine: each turn goes one level deeper
    /// into a finite value. Depth-first search with an explicit stack.
    func refuseEndlessCycles() throws(JSONSchemaError) {
        // 0: not visited, 1: on the current path, 2: finished.
        var state = [UInt8](repeating: 0, count: self.nodes.count)
        for start in self.nodes.indices where state[start] == 0 {
            var path: [(node: Int, edges: [Int], next: Int)] = [(start, self.sameLocation(start), 0)]
            state[start] = 1
            while let top = path.last {
                guard top.next < top.edges.count else {
                    state[top.node] = 2
                    path.removeLast()
                    continue
                }
                let target = top.edges[top.next]
                path[path.count - 1].next += 1
                switch state[target] {
                case 0:
                    state[target] = 1
                    path.append((target, self.sameLocation(target), 0))
                case 1:
                    let first = path.firstIndex { $0.node == target } ?? 0
                    throw self.cycleError(path[first...].map(\.node) + [target])
                default:
                    break
                }
            }
        }
    }

    private func sameLocation(_ node: Int) -> [Int] {
        self.nodes[node].applicators?.value.sameLocation ?? []
    }

    /// Names the `$ref` that closes the cycle (a cycle needs one: nesting alone is a tree) and lists the cycle.
    private func cycleError(_ cycle: [Int]) -> JSONSchemaError {
        var location = self.locations[cycle[0]]
        for (from, to) in zip(cycle, cycle.dropFirst()) where self.nodes[from].applicators?.value.reference == to {
            location = self.locations[from] + "/$ref"
            break
        }
        var steps = cycle.prefix(6).map { "#" + self.locations[$0] }
        if cycle.count > 6 { steps.append("…") }
        return JSONSchemaError(
            at: location,
            "reference cycle that never descends into the value (\(steps.joined(separator: " → ")))"
        )
    }
}
