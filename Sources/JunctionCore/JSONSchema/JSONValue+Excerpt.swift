extension JSONValue {
    /// Short compact text for messages: "\"abc\"", "3.5", "{\"a\":1}", cut after `limit` characters with "…"
    /// so that a violation or error never repeats a whole document.
    func excerpt(limit: Int = 40) -> String {
        let text: String
        if case .string(let string) = self, string.unicodeScalars.count > limit {
            // Cut the string before quoting it, so that the excerpt still reads as a (shortened) string.
            var head = ""
            head.unicodeScalars.append(contentsOf: string.unicodeScalars.prefix(limit))
            text = JSONValue.string(head).compactText
            return String(text.dropLast()) + "…\""
        }
        text = self.compactText
        guard text.unicodeScalars.count > limit else { return text }
        var head = ""
        head.unicodeScalars.append(contentsOf: text.unicodeScalars.prefix(limit))
        return head + "…"
    }
}
