import JunctionCore
import Testing

@testable import JunctionDaemon

@Suite("Configuration: accounting and budgets")
struct ConfigAccountingTests {
    private func problems(_ text: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(text: text, file: "test.toml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func defaultsWithoutTheTables() throws {
        let loaded = try ConfigLoader.parse(text: "", file: "test.toml")
        #expect(loaded.config.accounting == AccountingConfig(timezone: "UTC", unknownPrice: .refuse, budgets: []))
    }

    @Test func readsEveryKey() throws {
        let loaded = try ConfigLoader.parse(
            text: """
                [accounting]
                timezone = "America/New_York"
                unknown_price = "allow"

                [budgets.team-a]
                match = { uid = 1000 }
                daily_usd = 5.0
                monthly_usd = 100
                daily_tokens = 2000000
                daily_requests = 100
                rpm = 60
                max_tokens_per_request = 4096
                alert_at = [1.0, 0.5, 0.8, 0.5]
                exempt_admins = true

                [budgets.batch]
                match = { client = "batch" }
                daily_usd = 0.333333333

                [budgets.staff]
                match = { gid = 100 }
                rpm = 10

                [budgets.everyone]
                monthly_usd = 1000
                """,
            file: "test.toml"
        )
        let accounting = loaded.config.accounting
        #expect(accounting.timezone == "America/New_York")
        #expect(accounting.unknownPrice == .allow)
        // In file order, not the parser's sorted order.
        #expect(accounting.budgets.map(\.name) == ["team-a", "batch", "staff", "everyone"])
        #expect(
            accounting.budgets[0]
                == BudgetRule(
                    name: "team-a", match: .uid(1000), dailyUSD: 5_000_000, monthlyUSD: 100_000_000,
                    dailyTokens: 2_000_000, dailyRequests: 100, rpm: 60, maxTokensPerRequest: 4096,
                    alertAt: [0.5, 0.8, 1.0], exemptAdmins: true
                )
        )
        // Dollars round to the nearest micro-dollar.
        #expect(accounting.budgets[1] == BudgetRule(name: "batch", match: .client("batch"), dailyUSD: 333_333))
        #expect(accounting.budgets[2] == BudgetRule(name: "staff", match: .gid(100), rpm: 10))
        #expect(accounting.budgets[3] == BudgetRule(name: "everyone", match: .global, monthlyUSD: 1_000_000_000))
        #expect(accounting.budgets[3].alertAt == [0.5, 0.8, 1.0])
        #expect(!accounting.budgets[3].exemptAdmins)
    }

    @Test func anUnknownTimeZoneIsNamed() {
        #expect(self.problems("[accounting]\ntimezone = \"Europe/Atlantis\"\n") == [
            "test.toml:2: accounting.timezone: unknown time zone \"Europe/Atlantis\" (write an IANA name such as "
                + "\"UTC\", \"Europe/Berlin\" or \"America/New_York\"; the names are those under /usr/share/zoneinfo)"
        ])
    }

    @Test func accountingKeysAreChecked() {
        #expect(self.problems("[accounting]\nunknown_price = \"ignore\"\ncurrency = \"EUR\"\n") == [
            "test.toml:2: accounting.unknown_price: must be \"refuse\" or \"allow\", got \"ignore\"",
            "test.toml:3: accounting.currency: unknown key (known keys here: timezone, unknown_price)",
        ])
    }

    @Test func matchNamesExactlyOneOfUIDGIDOrClient() {
        #expect(self.problems("[budgets.a]\nmatch = { uid = 1, client = \"x\" }\ndaily_usd = 1\n") == [
            "test.toml:2: budgets.a.match: names uid and client; a budget matches one of uid, gid or client (give "
                + "each its own budget)"
        ])
        #expect(self.problems("[budgets.a]\nmatch = {}\ndaily_usd = 1\n") == [
            "test.toml:2: budgets.a.match: must name one of uid, gid or client (leave match out for a budget of "
                + "every caller)"
        ])
        let wrong = self.problems("[budgets.a]\nmatch = { user = \"alice\", uid = -1 }\ndaily_usd = 1\n")
        #expect(wrong.contains("test.toml:2: budgets.a.match.user: unknown key (known keys here: client, gid, uid)"))
        #expect(wrong.contains("test.toml:2: budgets.a.match.uid: must be between 0 and 4294967295, got -1"))
        #expect(self.problems("[budgets.a]\nmatch = { client = \"\" }\ndaily_usd = 1\n") == [
            "test.toml:2: budgets.a.match.client: must not be empty"
        ])
        // The rest of the table is still read: every mistake in one pass.
        #expect(self.problems("[budgets.a]\nmatch = 1000\ndaily_usd = true\n") == [
            "test.toml:2: budgets.a.match: must be a table, got an integer",
            "test.toml:3: budgets.a.daily_usd: must be an amount of US dollars such as 5 or 0.25, got a boolean",
        ])
    }

    @Test func limitsAreChecked() {
        let found = self.problems(
            """
            [budgets.a]
            daily_usd = "5"
            monthly_usd = -1
            daily_tokens = 0
            rpm = 1.5
            exempt_admins = "yes"
            hourly_usd = 1
            """
        )
        #expect(found == [
            "test.toml:2: budgets.a.daily_usd: must be an amount of US dollars such as 5 or 0.25, got a string",
            "test.toml:3: budgets.a.monthly_usd: must be at least 0.000001 (US dollars); leave the key out for no "
                + "limit",
            "test.toml:4: budgets.a.daily_tokens: must be between 1 and 1000000000000, got 0",
            "test.toml:5: budgets.a.rpm: must be an integer, got a float",
            "test.toml:6: budgets.a.exempt_admins: must be true or false, got a string",
            "test.toml:7: budgets.a.hourly_usd: unknown key (known keys here: alert_at, daily_requests, daily_tokens, "
                + "daily_usd, exempt_admins, match, max_tokens_per_request, monthly_usd, rpm)",
        ])
        #expect(self.problems("[budgets.a]\ndaily_usd = 1e12\n") == [
            "test.toml:2: budgets.a.daily_usd: must be at most 1000000000 (US dollars)"
        ])
        // Neither a huge negative amount nor one below a micro-dollar is a crash or a zero limit.
        #expect(self.problems("[budgets.a]\ndaily_usd = -1e300\nmonthly_usd = 0.0000001\n") == [
            "test.toml:2: budgets.a.daily_usd: must be at least 0.000001 (US dollars); leave the key out for no limit",
            "test.toml:3: budgets.a.monthly_usd: must be at least 0.000001 (US dollars); leave the key out for no "
                + "limit",
        ])
    }

    @Test func aBudgetMustLimitSomething() {
        #expect(self.problems("[budgets.idle]\nmatch = { uid = 1 }\nexempt_admins = true\n") == [
            "test.toml:1: budgets.idle: sets no limit; give at least one of daily_usd, monthly_usd, daily_tokens, "
                + "daily_requests, rpm, max_tokens_per_request"
        ])
        #expect(self.problems("budgets = 3\n") == ["test.toml:1: budgets: must be a table, got an integer"])
    }

    @Test func alertThresholdsAreFractionsOfAUSDLimit() {
        #expect(self.problems("[budgets.a]\ndaily_usd = 1\nalert_at = [0.5, 80, 0, \"high\"]\n") == [
            "test.toml:3: budgets.a.alert_at: element 2 must be a fraction of the limit above 0 and at most 1 (0.8 "
                + "for 80 %), got 80.0",
            "test.toml:3: budgets.a.alert_at: element 3 must be a fraction of the limit above 0 and at most 1 (0.8 "
                + "for 80 %), got 0.0",
            "test.toml:3: budgets.a.alert_at: element 4 must be a number, such as 0.8",
        ])
        #expect(self.problems("[budgets.a]\ndaily_tokens = 1\nalert_at = [0.5]\n") == [
            "test.toml:3: budgets.a.alert_at: applies to daily_usd and monthly_usd, and this budget sets neither"
        ])
        #expect(self.problems("[budgets.a]\ndaily_usd = 1\nalert_at = 0.5\n") == [
            "test.toml:3: budgets.a.alert_at: must be a list of fractions of the limit, such as [0.5, 0.8, 1.0]"
        ])
    }

    @Test func anEmptyAlertListSilencesAlerts() throws {
        let loaded = try ConfigLoader.parse(text: "[budgets.a]\ndaily_usd = 1\nalert_at = []\n", file: "test.toml")
        #expect(loaded.config.accounting.budgets.first?.alertAt == [])
    }
}
