import JunctionCore

extension ConfigLoader {
    /// `[routes.NAME]`.
    static func readRoute(name: String, _ table: ConfigTable, providers: Set<String>) -> RouteConfig? {
        defer { table.rejectUnknownKeys(allowed: ["targets"]) }
        guard let value = table.value("targets") else {
            table.problem("targets", "is required (a list of \"provider:model\")")
            return nil
        }
        guard case .array(let array) = value else {
            table.problem("targets", "must be a list of \"provider:model\" strings")
            return nil
        }
        var targets: [TargetRef] = []
        for index in 0..<array.count {
            guard case .string(let text) = array[index], let target = TargetRef(text) else {
                table.problem("targets", "element \(index + 1) must be a \"provider:model\" string")
                continue
            }
            guard providers.contains(target.provider) else {
                table.problem("targets", "\"\(text)\" names provider \"\(target.provider)\", which is not configured")
                continue
            }
            targets.append(target)
        }
        if targets.isEmpty, array.count == 0 { table.problem("targets", "must not be empty") }
        return RouteConfig(name: name, targets: targets)
    }
}
