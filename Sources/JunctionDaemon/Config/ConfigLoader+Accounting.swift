import JunctionCore

extension ConfigLoader {
    /// `[accounting]`.
    static func readAccounting(_ table: ConfigTable) -> AccountingConfig {
        var accounting = AccountingConfig()
        if let zone = table.string("timezone") {
            if zone == "UTC" || ZonedPeriodCalendar(identifier: zone) != nil {
                accounting.timezone = zone
            } else {
                table.problem(
                    "timezone",
                    "unknown time zone \"\(zone)\" (write an IANA name such as \"UTC\", \"Europe/Berlin\" or "
                        + "\"America/New_York\"; the names are those under /usr/share/zoneinfo)"
                )
            }
        }
        if let policy = table.string("unknown_price") {
            if let parsed = UnknownPricePolicy(rawValue: policy) {
                accounting.unknownPrice = parsed
            } else {
                let known = UnknownPricePolicy.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
                table.problem("unknown_price", "must be \(known), got \"\(policy)\"")
            }
        }
        table.rejectUnknownKeys(allowed: ["timezone", "unknown_price"])
        return accounting
    }

    /// `[budgets.NAME]`.
    static func readBudget(name: String, _ table: ConfigTable) -> BudgetRule? {
        defer {
            table.rejectUnknownKeys(
                allowed: [
                    "match", "daily_usd", "monthly_usd", "daily_tokens", "daily_requests", "rpm",
                    "max_tokens_per_request", "alert_at", "exempt_admins",
                ]
            )
        }
        var rule = BudgetRule(name: name)
        // A bad match makes the budget unusable, but reading goes on so that every mistake is reported at once.
        var matchIsValid = true
        if table.value("match") != nil {
            if let match = table.table("match").flatMap(Self.readBudgetMatch) {
                rule.match = match
            } else {
                matchIsValid = false
            }
        }
        rule.dailyUSD = table.usd("daily_usd")
        rule.monthlyUSD = table.usd("monthly_usd")
        rule.dailyTokens = table.int("daily_tokens", in: 1...1_000_000_000_000)
        rule.dailyRequests = table.int("daily_requests", in: 1...1_000_000_000)
        rule.rpm = table.int("rpm", in: 1...1_000_000)
        rule.maxTokensPerRequest = table.int("max_tokens_per_request", in: 1...100_000_000)
        rule.exemptAdmins = table.bool("exempt_admins") ?? rule.exemptAdmins
        if table.value("alert_at") != nil {
            rule.alertAt = Self.readAlertThresholds(table) ?? rule.alertAt
            if !rule.limitsUSD {
                table.problem("alert_at", "applies to daily_usd and monthly_usd, and this budget sets neither")
            }
        }
        let limits = ["daily_usd", "monthly_usd", "daily_tokens", "daily_requests", "rpm", "max_tokens_per_request"]
        if !limits.contains(where: { table.value($0) != nil }) {
            table.report.add(
                keyPath: table.path,
                "sets no limit; give at least one of " + limits.joined(separator: ", ")
            )
            return nil
        }
        return matchIsValid ? rule : nil
    }

    /// `match = { uid = 1000 }`, `{ gid = 100 }` or `{ client = "batch" }`: exactly one of them.
    private static func readBudgetMatch(_ table: ConfigTable) -> BudgetMatch? {
        table.rejectUnknownKeys(allowed: ["uid", "gid", "client"])
        let given = ["uid", "gid", "client"].filter { table.value($0) != nil }
        guard given.count == 1 else {
            table.report.add(
                keyPath: table.path,
                given.isEmpty
                    ? "must name one of uid, gid or client (leave match out for a budget of every caller)"
                    : "names \(given.joined(separator: " and ")); a budget matches one of uid, gid or client (give "
                        + "each its own budget)"
            )
            return nil
        }
        switch given[0] {
        case "uid": return table.int("uid", in: 0...Int(UInt32.max)).map { .uid(UInt32($0)) }
        case "gid": return table.int("gid", in: 0...Int(UInt32.max)).map { .gid(UInt32($0)) }
        default:
            guard let client = table.string("client") else { return nil }
            guard !client.isEmpty else {
                table.problem("client", "must not be empty")
                return nil
            }
            return .client(client)
        }
    }

    /// `alert_at = [0.5, 0.8, 1.0]`: fractions in (0, 1], returned sorted without repeats.
    private static func readAlertThresholds(_ table: ConfigTable) -> [Double]? {
        guard case .array(let elements) = table.value("alert_at") else {
            table.problem("alert_at", "must be a list of fractions of the limit, such as [0.5, 0.8, 1.0]")
            return nil
        }
        var thresholds: [Double] = []
        for (index, element) in elements.enumerated() {
            let fraction: Double
            switch element {
            case .double(let number): fraction = number
            case .int(let number): fraction = Double(number)
            default:
                table.problem("alert_at", "element \(index + 1) must be a number, such as 0.8")
                continue
            }
            guard fraction > 0, fraction <= 1 else {
                table.problem(
                    "alert_at",
                    "element \(index + 1) must be a fraction of the limit above 0 and at most 1 (0.8 for 80 %), "
                        + "got \(fraction)"
                )
                continue
            }
            thresholds.append(fraction)
        }
        return Array(Set(thresholds)).sorted()
    }
}

extension ConfigTable {
    /// An amount of US dollars, written as an integer or a float (`5`, `0.25`), in micro-USD; above zero.
    func usd(_ key: String) -> MicroUSD? {
        guard let value = self.value(key) else { return nil }
        let dollars: Double
        switch value {
        case .int(let integer): dollars = Double(integer)
        case .double(let double): dollars = double
        default:
            self.problem(key, "must be an amount of US dollars such as 5 or 0.25, got \(value.typeName)")
            return nil
        }
        guard dollars.isFinite, dollars <= 1_000_000_000 else {
            self.problem(key, "must be at most 1000000000 (US dollars)")
            return nil
        }
        // Checked before converting: a huge negative amount does not fit an Int.
        guard dollars > 0, MicroUSDText.micro(usd: dollars) > 0 else {
            self.problem(key, "must be at least 0.000001 (US dollars); leave the key out for no limit")
            return nil
        }
        return MicroUSDText.micro(usd: dollars)
    }
}
