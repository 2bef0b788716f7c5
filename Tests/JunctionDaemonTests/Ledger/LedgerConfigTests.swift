import Testing

@testable import JunctionDaemon

@Suite("Ledger configuration")
struct LedgerConfigTests {
    private func problems(_ text: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(text: text, file: "test.toml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func defaultsWhenTheTableIsAbsent() throws {
        let ledger = try ConfigLoader.parse(text: "", file: "test.toml").config.ledger
        #expect(ledger == LedgerConfig(enabled: true, path: nil, retain: .seconds(90 * 86_400), queueCapacity: 10_000))
    }

    @Test func readsEveryKey() throws {
        let ledger = try ConfigLoader.parse(
            text: """
                [ledger]
                enabled = false
                path = "/srv/junction/usage.sqlite"
                retain = "30d"
                queue_capacity = 50000
                """,
            file: "test.toml"
        ).config.ledger
        let expected = LedgerConfig(
            enabled: false, path: "/srv/junction/usage.sqlite", retain: .seconds(30 * 86_400), queueCapacity: 50_000
        )
        #expect(ledger == expected)
    }

    @Test func badValuesAreProblemsThatSayWhatToWrite() {
        #expect(self.problems("[ledger]\npath = \"ledger.sqlite\"") == [
            "test.toml:2: ledger.path: must be an absolute path (or leave it out for the default location)"
        ])
        #expect(self.problems("[ledger]\npath = \"/var/lib/junction/\"") == [
            "test.toml:2: ledger.path: must name a file, not a directory (e.g. \"/var/lib/junction/ledger.sqlite\")"
        ])
        #expect(self.problems("[ledger]\nretain = \"10m\"") == [
            "test.toml:2: ledger.retain: must be at least 1h (write e.g. \"90d\")"
        ])
        #expect(self.problems("[ledger]\nretain = \"3 months\"").first?.contains("is not a duration") == true)
        #expect(self.problems("[ledger]\nqueue_capacity = 5").first?.contains("between 100 and 10000000") == true)
        #expect(self.problems("[ledger]\nenabled = \"no\"").first?.contains("must be true or false") == true)
        #expect(self.problems("[ledger]\nretention = \"90d\"") == [
            "test.toml:2: ledger.retention: unknown key (known keys here: enabled, path, queue_capacity, retain)"
        ])
    }

    @Test(arguments: [
        // The configured path wins over everything.
        ("/srv/l.sqlite", ["STATE_DIRECTORY": "/var/lib/junction"], UInt32(0), "/srv/l.sqlite"),
        // systemd's StateDirectory= (the first of several).
        (nil, ["STATE_DIRECTORY": "/var/lib/junction:/var/lib/other"], 997, "/var/lib/junction/ledger.sqlite"),
        (nil, ["XDG_STATE_HOME": "/home/a/.state", "HOME": "/home/a"], 0, "/var/lib/junction/ledger.sqlite"),
        (nil, ["XDG_STATE_HOME": "/home/a/.state", "HOME": "/home/a"], 1000, "/home/a/.state/junction/ledger.sqlite"),
        // A relative XDG_STATE_HOME is invalid by the specification and ignored.
        (nil, ["XDG_STATE_HOME": "state", "HOME": "/home/a"], 1000, "/home/a/.local/state/junction/ledger.sqlite"),
        (nil, ["HOME": "/"], 1000, "/tmp/junction-1000/ledger.sqlite"),
        (nil, [:], 1000, "/tmp/junction-1000/ledger.sqlite"),
    ] as [(String?, [String: String], UInt32, String)])
    func resolvesTheDefaultPath(configured: String?, environment: [String: String], uid: UInt32, expected: String) {
        #expect(LedgerLocation.resolve(configured: configured, environment: environment, uid: uid) == expected)
    }
}
