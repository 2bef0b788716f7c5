// Temporary until the JSONSchema branch merges (it brings JSONValue+Canonical.swift).
extension JSONValue {
    public func writeCanonical(to output: inout [UInt8]) {
        switch self {
        case .object(let object):
            output.append(0x7B)
            for (index, member) in object.members.sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }).enumerated() {
                if index > 0 { output.append(0x2C) }
                JSONValue.string(member.key).write(to: &output)
                output.append(0x3A)
                member.value.writeCanonical(to: &output)
            }
            output.append(0x7D)
        case .array(let elements):
            output.append(0x5B)
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(0x2C) }
                element.writeCanonical(to: &output)
            }
            output.append(0x5D)
        case .number(let text):
            output += Array((Double(text).map { JSONValue.double($0).compactText } ?? text).utf8)
        default:
            self.write(to: &output)
        }
    }
}
