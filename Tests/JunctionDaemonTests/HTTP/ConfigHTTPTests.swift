import Testing

@testable import JunctionDaemon

@Suite("Configuration: [http]")
struct ConfigHTTPTests {
    private func problems(_ text: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(text: text, file: "t.toml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func offByDefault() throws {
        let config = try ConfigLoader.parse(text: "", file: "t.toml").config
        #expect(config.http == HTTPConfig())
        #expect(!config.http.isEnabled)
        #expect(config.http.maxConnections == 256)
        #expect(config.http.maxHeaderBytes == 16_384)
        #expect(config.http.maxBodyBytes == 1_048_576)
        #expect(config.http.idleTimeout == .seconds(60))
    }

    @Test func readsEveryKey() throws {
        let http = try ConfigLoader.parse(
            text: """
                [http]
                listen = ["127.0.0.1:9470", "[::1]:9471", "localhost:0"]
                listen_unix = "/run/junction/http.sock"
                unix_mode = "0600"
                unix_group = "junction"
                max_connections = 8
                max_header_bytes = 4096
                max_body_bytes = 0
                idle_timeout = "5s"
                """,
            file: "t.toml"
        ).config.http
        #expect(http.listen.map(\.description) == ["127.0.0.1:9470", "[::1]:9471", "127.0.0.1:0"])
        #expect(http.listenUnix == "/run/junction/http.sock")
        #expect(http.unixMode == 0o600)
        #expect(http.unixGroup == "junction")
        #expect(http.maxConnections == 8)
        #expect(http.maxHeaderBytes == 4096)
        #expect(http.maxBodyBytes == 0)
        #expect(http.idleTimeout == .seconds(5))
        #expect(http.isEnabled)
    }

    @Test func aRemoteAddressNeedsAllowRemote() throws {
        #expect(self.problems("[http]\nlisten = [\"0.0.0.0:9470\"]\n") == [
            "t.toml:2: http.listen: 0.0.0.0:9470 is not a loopback address: anyone who can reach it sees the "
                + "dashboard and metrics; set allow_remote = true to bind it anyway, or listen on 127.0.0.1 or [::1]"
        ])
        let allowed = try ConfigLoader.parse(
            text: "[http]\nlisten = [\"0.0.0.0:9470\", \"[::]:9470\"]\nallow_remote = true\n", file: "t.toml"
        ).config.http
        #expect(allowed.listen.count == 2)
        #expect(allowed.allowRemote)
    }

    @Test func loopbackIsAllOf127AndV6Loopback() {
        func loopback(_ text: String) throws -> Bool {
            HTTPAddressParser.isLoopback(try HTTPAddressParser.parse(text).get())
        }
        #expect((try? loopback("127.0.0.1:1")) == true)
        #expect((try? loopback("127.45.6.7:1")) == true)
        #expect((try? loopback("[::1]:1")) == true)
        #expect((try? loopback("[::ffff:127.0.0.1]:1")) == true)
        #expect((try? loopback("10.0.0.1:1")) == false)
        #expect((try? loopback("[::]:1")) == false)
    }

    @Test func badAddressesSayWhatToWrite() {
        let cases: [(String, String)] = [
            ("9470", "no port; write an IP address and a port such as \"127.0.0.1:9470\" or \"[::1]:9470\""),
            ("127.0.0.1:99999", "the port must be a number from 0 to 65535 (0 picks a free port)"),
            ("127.0.0.1:http", "the port must be a number from 0 to 65535 (0 picks a free port)"),
            ("example.com:80", "\"example.com\" is not an IP address (host names are not accepted); write an IP "
                + "address and a port such as \"127.0.0.1:9470\" or \"[::1]:9470\""),
            ("::1:9470", "an IPv6 address needs brackets; write an IP address and a port such as \"127.0.0.1:9470\" "
                + "or \"[::1]:9470\""),
            ("[::1]", "an IPv6 address needs brackets and a port; write an IP address and a port such as "
                + "\"127.0.0.1:9470\" or \"[::1]:9470\""),
        ]
        for (text, message) in cases {
            let expected = ["t.toml:2: http.listen: \"\(text)\": \(message)"]
            #expect(self.problems("[http]\nlisten = [\"\(text)\"]\n") == expected)
        }
        #expect(self.problems("[http]\nlisten = \"127.0.0.1:9470\"\n") == [
            "t.toml:2: http.listen: must be an array of addresses such as [\"127.0.0.1:9470\"], got a string"
        ])
        #expect(self.problems("[http]\nlisten = [\"127.0.0.1:1\", \"127.0.0.1:1\"]\n") == [
            "t.toml:2: http.listen: 127.0.0.1:1 is listed twice"
        ])
    }

    @Test func badValuesAreProblemsNamingTheKey() {
        let found = self.problems(
            """
            [http]
            listen_unix = "relative.sock"
            unix_mode = "999"
            max_connections = 0
            max_header_bytes = 10
            max_body_bytes = -1
            idle_timeout = "1ms"
            allow_remote = "yes"
            port = 9470
            """
        )
        #expect(found == [
            "t.toml:2: http.listen_unix: must be an absolute path such as \"/run/junction/http.sock\"",
            "t.toml:3: http.unix_mode: must be an octal file mode such as \"0660\"",
            "t.toml:4: http.max_connections: must be between 1 and 1000000, got 0",
            "t.toml:5: http.max_header_bytes: must be between 1024 and 1048576, got 10",
            "t.toml:6: http.max_body_bytes: must be between 0 and 1073741824, got -1",
            "t.toml:7: http.idle_timeout: must be at least 100ms (write e.g. \"60s\")",
            "t.toml:8: http.allow_remote: must be true or false, got a string",
            "t.toml:9: http.port: unknown key (known keys here: allow_remote, idle_timeout, listen, listen_unix, "
                + "max_body_bytes, max_connections, max_header_bytes, protect_dashboard, tokens, unix_group, unix_mode)",
        ])
    }
}
