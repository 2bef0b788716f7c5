/// Control characters, refused before the TOML parser sees them.
extension ConfigLoader {
    /// TOML allows no control character but tab and the line break (LF, CR LF) anywhere in a document, strings and
    /// comments included (a string spells them as escapes). TOMLKit's parser (toml++) asserts on some of them
    /// instead of reporting an error: `[` followed by U+001F aborted junctiond, on start, `--check-config` and
    /// reload alike (found by the fuzz-config target). So they are refused here first, with their line.
    static func controlCharacterProblem(in text: String, file: String) -> ConfigProblem? {
        var line = 1
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A:
                line += 1
            case 0x09, 0x0D:
                continue
            case 0x00...0x1F, 0x7F:
                let code = String(scalar.value, radix: 16, uppercase: true)
                let padded = String(repeating: "0", count: 4 - code.count) + code
                return ConfigProblem(
                    file: file,
                    line: line,
                    keyPath: "",
                    message: "TOML syntax: control character U+\(padded) is not allowed "
                        + "(inside a string, write it as an escape)"
                )
            default:
                continue
            }
        }
        return nil
    }
}
