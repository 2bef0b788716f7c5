/// Credentials written into a URL (`https://user:secret@host/`): kept out of everything the daemon shows.
public enum URLCredentials {
    /// The `user:password` part of `url`, if it has one.
    public static func userInfo(of url: String) -> Substring? {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { (character: Character) -> Bool in
            character == "/" || character == "?" || character == "#"
        } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return nil }
        return authority[..<at]
    }

    /// `url` with its user information replaced by `***`: `https://***@host/v1`.
    public static func masked(_ url: String) -> String {
        guard let info = Self.userInfo(of: url) else { return url }
        return String(url[..<info.startIndex]) + "***" + String(url[info.endIndex...])
    }

    /// The secret parts of `url`'s user information (the password, and the whole `user:password`), for the
    /// redactor.
    public static func secrets(in url: String) -> [String] {
        guard let info = Self.userInfo(of: url), !info.isEmpty else { return [] }
        var secrets = [String(info)]
        if let colon = info.firstIndex(of: ":") { secrets.append(String(info[info.index(after: colon)...])) }
        return secrets.filter { !$0.isEmpty }
    }
}
