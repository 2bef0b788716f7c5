import JunctionShared

/// The server-side scripts of the shared state. Each is atomic (Redis runs one script at a time), reads the time
/// from Redis (`TIME`) so that daemons on hosts with skewed clocks agree on rolling windows, and touches only keys
/// under `SharedKeys.version`: a daemon with different scripts uses different keys, so two versions can run side
/// by side during a rolling upgrade.
///
/// The four scripts of the request path take **items** (`RedisScript.itemWidth`): the client merges every
/// operation queued in one round trip that names the same keys and shared arguments into one call, and the script
/// decides the items in order, each against the totals the ones before it left. Redis then runs one script per
/// provider or budget set and round trip, not one per request: its CPU per request falls with the load. ARGV is
/// `[shared count, shared…, item…, item…]`; the reply has one entry per item.
enum SharedScripts {
    /// Redis' clock (seconds and ms) and the items of a call, for every script of the request path.
    private static let prelude = """
        local function clock()
          local t = redis.call('TIME')
          local now = tonumber(t[1])
          return now, now * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        -- The items after the shared arguments, `width` arguments each: an iterator of their first index.
        local function items(width)
          local first = 2 + tonumber(ARGV[1])
          local i = first - width
          return function()
            i = i + width
            if ARGV[i] then return i end
          end
        end

        """

    /// The rolling minute as per-second buckets with running totals, shared by the scripts below: fields
    /// `r<second>` and `t<second>` (requests and tokens counted in that second), `R` and `T` (their sums over the
    /// window) and `c` (the newest second already taken out). Rolling forward subtracts the seconds that left —
    /// usually none or one — so a call costs a few commands, however busy the window. Returns requests, tokens.
    private static let minuteWindow = """
        local function roll(key, now)
          local state = redis.call('HMGET', key, 'R', 'T', 'c')
          local requests, tokens = tonumber(state[1] or '0'), tonumber(state[2] or '0')
          -- A key without `c` (new, or idle and deleted) has never rolled: look through the whole last minute once.
          local cleared = tonumber(state[3] or tostring(now - 120))
          local horizon = now - 60
          if horizon > cleared then
            if horizon - cleared > 60 then
              redis.call('DEL', key)
              requests, tokens = 0, 0
            else
              for second = cleared + 1, horizon do
                local old = redis.call('HMGET', key, 'r' .. second, 't' .. second)
                if old[1] or old[2] then
                  requests = requests - tonumber(old[1] or '0')
                  tokens = tokens - tonumber(old[2] or '0')
                  redis.call('HDEL', key, 'r' .. second, 't' .. second)
                end
              end
            end
            redis.call('HSET', key, 'R', requests, 'T', tokens, 'c', horizon)
            -- Every key has a TTL, also one this roll created for a call that is then refused. A window in use
            -- rolls every second, so its TTL is renewed here and `count` need not.
            redis.call('PEXPIRE', key, 7200000)
          end
          return requests, tokens
        end
        -- Milliseconds until the oldest request in the window leaves it.
        local function room(key, now, nowms)
          for second = now - 59, now do
            if redis.call('HEXISTS', key, 'r' .. second) == 1 then return math.max((second + 60) * 1000 - nowms, 1) end
          end
          return 1
        end
        local function count(key, now, requests, tokens)
          if requests ~= 0 then
            redis.call('HINCRBY', key, 'r' .. now, requests)
            redis.call('HINCRBY', key, 'R', requests)
          end
          if tokens ~= 0 then
            redis.call('HINCRBY', key, 't' .. now, tokens)
            redis.call('HINCRBY', key, 'T', tokens)
          end
        end

        """

    /// A budget period's keys outlive the period by a day (for late settlements), and at least a second.
    /// `markperiod` sets it once per key: the field `_exp` says it is set (and creates the key if need be).
    private static let periodExpiry = """
        local function expireperiod(key, endms, nowms)
          redis.call('PEXPIREAT', key, math.max(endms + 86400000, nowms + 1000))
        end
        local function markperiod(key, endms, nowms)
          redis.call('HSET', key, '_exp', 1)
          expireperiod(key, endms, nowms)
        end

        """

    /// Holds of one budget: `held` maps id → "usd tokens" with the running sums `_usd` and `_tokens`, `expiry`
    /// scores each id by the ms it expires at. `holds(held, expiry)` reads the sums once; `take(id)` frees a hold
    /// (true when there was one) and `put` adds one, both against those sums; `flush()` writes the sums' change in
    /// two commands.
    private static let holds = """
        local function holds(held, expiry)
          local h = redis.call('HMGET', held, '_usd', '_tokens', '_until')
          local book = {usd = tonumber(h[1] or '0'), tokens = tonumber(h[2] or '0'), dusd = 0, dtokens = 0}
          -- When the held hash expires (Unix ms), as `_until` records it: renewed only when a hold needs longer.
          book.heldexpires = tonumber(h[3] or '0')
          -- The amount `id` holds (0, 0 when none), without freeing it.
          function book.amount(id)
            local amount = redis.call('HGET', held, id)
            if not amount then return 0, 0, false end
            local a, k = string.match(amount, '(%-?%d+) (%-?%d+)')
            return tonumber(a), tonumber(k), true
          end
          function book.take(id)
            local a, k, found = book.amount(id)
            if found then
              book.usd, book.tokens = book.usd - a, book.tokens - k
              book.dusd, book.dtokens = book.dusd - a, book.dtokens - k
              redis.call('HDEL', held, id)
            end
            redis.call('ZREM', expiry, id)
            return found
          end
          function book.put(id, usd, tokens, at)
            redis.call('HSET', held, id, usd .. ' ' .. tokens)
            redis.call('ZADD', expiry, at, id)
            book.usd, book.tokens = book.usd + usd, book.tokens + tokens
            book.dusd, book.dtokens = book.dusd + usd, book.dtokens + tokens
          end
          -- The changes are sums and differences, never negations: Lua prints minus zero as "-0", which HINCRBY
          -- refuses.
          function book.flush()
            if book.dusd ~= 0 then redis.call('HINCRBY', held, '_usd', book.dusd) end
            if book.dtokens ~= 0 then redis.call('HINCRBY', held, '_tokens', book.dtokens) end
            book.dusd, book.dtokens = 0, 0
          end
          return book
        end

        """

    /// Rolling-minute requests and tokens and rolling-day requests of one provider, against its configured limits,
    /// checked and counted in one step. KEYS: minute hash, day counter. Shared: rpm, tpm, rpd (0: none). Item: the
    /// request's estimated tokens. Per item {1, 0} when admitted, or {0, ms} when full: room in that many ms. (A
    /// provider's 429 reaches the other daemons as a mark, adopted into their local windows: not checked here.)
    static let rateTake = RedisScript(
        name: "rate.take",
        source: Self.prelude + Self.minuteWindow + """
            local now, nowms = clock()
            local rpm, tpm, rpd = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
            local day = 0
            if rpd > 0 then day = tonumber(redis.call('GET', KEYS[2]) or '0') end
            local requests, used = roll(KEYS[1], now)
            local admitted, counted, replies, wait = 0, 0, {}, nil
            for i in items(1) do
              local tokens = math.max(0, tonumber(ARGV[i]))
              if rpd > 0 and day >= rpd then
                replies[#replies + 1] = {0, math.max(redis.call('PTTL', KEYS[2]), 1)}
              elseif (rpm > 0 and requests >= rpm) or (tpm > 0 and used > 0 and used + tokens > tpm) then
                wait = wait or room(KEYS[1], now, nowms)
                replies[#replies + 1] = {0, wait}
              else
                requests, used, day = requests + 1, used + tokens, day + 1
                admitted, counted = admitted + 1, counted + tokens
                replies[#replies + 1] = {1, 0}
              end
            end
            if admitted > 0 then
              count(KEYS[1], now, admitted, counted)
              if rpd > 0 and redis.call('INCRBY', KEYS[2], admitted) == admitted then
                redis.call('PEXPIRE', KEYS[2], 86400000)
              end
            end
            return replies
            """,
        itemWidth: 1
    )

    /// The provider reported real usage: the estimate counted at admission is corrected in the current second; or
    /// a counted request was not sent after all. KEYS: minute hash. No shared arguments. Item: tokens to add
    /// (negative to give back), requests to add (-1 to give one back, else 0). Per item 1.
    static let rateCorrect = RedisScript(
        name: "rate.correct",
        source: Self.prelude + Self.minuteWindow + """
            local now = clock()
            local requests, tokens, replies = 0, 0, {}
            for i in items(2) do
              tokens, requests = tokens + tonumber(ARGV[i]), requests + tonumber(ARGV[i + 1])
              replies[#replies + 1] = 1
            end
            roll(KEYS[1], now)
            count(KEYS[1], now, requests, tokens)
            return replies
            """,
        itemWidth: 2
    )

    /// All-or-nothing reservation of a request's worst case on every budget that matches it. Per budget six
    /// keys: day hash (`usd`, `tokens`, `requests`), month hash (`usd`), held hash and expiry set (`holds`), the
    /// expired set (ids whose hold expired unsettled, for an hour: `budget.settle`), minute hash (`rpm`, as
    /// above). Shared: budget count, then per budget: limited (1/0), daily_usd, monthly_usd,
    /// daily_tokens, daily_requests, rpm (-1: none), day end and month end (Unix ms). Item: id, usd, tokens, hold
    /// (ms from now), counts-as-request (1/0). Holds past their expiry are freed first (a daemon that died holding
    /// one does not hold it forever). A reservation under an id already held replaces it (an extension) when
    /// admitted, and leaves it when refused. Per item {1} when admitted, else {0, budget index (1-based), limit
    /// name, spent, reserved, ms until the rpm window has room}.
    static let budgetReserve = RedisScript(
        name: "budget.reserve",
        source: Self.prelude + Self.minuteWindow + Self.periodExpiry + Self.holds + """
            local now, nowms = clock()
            local n = tonumber(ARGV[2])
            local budgets = {}
            for b = 1, n do
              local k, s = (b - 1) * 6, 2 + (b - 1) * 8
              local budget = {
                day = KEYS[k + 1], month = KEYS[k + 2], held = KEYS[k + 3], expiry = KEYS[k + 4], expired = KEYS[k + 5],
                minute = KEYS[k + 6],
                limited = tonumber(ARGV[s + 1]) == 1, dailyusd = tonumber(ARGV[s + 2]),
                monthlyusd = tonumber(ARGV[s + 3]), dailytokens = tonumber(ARGV[s + 4]),
                dailyrequests = tonumber(ARGV[s + 5]), rpm = tonumber(ARGV[s + 6]), dayend = tonumber(ARGV[s + 7]),
                monthend = tonumber(ARGV[s + 8]), requests = 0, longest = 0,
              }
              budget.holds = holds(budget.held, budget.expiry)
              local dead = redis.call('ZRANGEBYSCORE', budget.expiry, '-inf', nowms)
              for _, id in ipairs(dead) do
                budget.holds.take(id)
                -- Its settlement, sent again after a timeout, is still charged (`budget.settle`).
                redis.call('ZADD', budget.expired, nowms, id)
              end
              if #dead > 0 then
                redis.call('ZREMRANGEBYSCORE', budget.expired, '-inf', nowms - 3600000)
                redis.call('PEXPIRE', budget.expired, 7200000)
              end
              local d = redis.call('HMGET', budget.day, 'usd', 'tokens', 'requests', '_exp')
              budget.dusd, budget.dtokens = tonumber(d[1] or '0'), tonumber(d[2] or '0')
              budget.drequests, budget.dayexpires = tonumber(d[3] or '0'), d[4]
              local m = redis.call('HMGET', budget.month, 'usd', '_exp')
              budget.musd, budget.monthexpires = tonumber(m[1] or '0'), m[2]
              budget.recent = 0
              if budget.rpm >= 0 then budget.recent = roll(budget.minute, now) end
              budgets[b] = budget
            end
            local replies = {}
            for i in items(5) do
              local id, usd, tokens = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
              local hold, counts = tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]) == 1
              local refusal = nil
              for b = 1, n do
                local budget = budgets[b]
                if budget.limited then
                  -- An extension (it does not count as a request) is checked as its new amount in place of the old.
                  local ousd, otokens = 0, 0
                  if not counts then ousd, otokens = budget.holds.amount(id) end
                  local rusd, rtokens = budget.holds.usd - ousd, budget.holds.tokens - otokens
                  if counts and budget.rpm >= 0 and budget.recent >= budget.rpm then
                    refusal = {0, b, 'rpm', budget.recent, 0, room(budget.minute, now, nowms)}
                  elseif counts and budget.dailyrequests >= 0 and budget.drequests + 1 > budget.dailyrequests then
                    refusal = {0, b, 'requests', budget.drequests, 0, 0}
                  elseif budget.dailyusd >= 0 and budget.dusd + rusd + usd > budget.dailyusd then
                    refusal = {0, b, 'daily_usd', budget.dusd, rusd, 0}
                  elseif budget.monthlyusd >= 0 and budget.musd + rusd + usd > budget.monthlyusd then
                    refusal = {0, b, 'monthly_usd', budget.musd, rusd, 0}
                  elseif budget.dailytokens >= 0 and budget.dtokens + rtokens + tokens > budget.dailytokens then
                    refusal = {0, b, 'tokens', budget.dtokens, rtokens, 0}
                  end
                  if refusal then break end
                end
              end
              if refusal then
                replies[#replies + 1] = refusal
              else
                for b = 1, n do
                  local budget = budgets[b]
                  if not counts then budget.holds.take(id) end
                  budget.holds.put(id, usd, tokens, nowms + hold)
                  budget.longest = math.max(budget.longest, hold)
                  if counts then
                    budget.requests, budget.drequests = budget.requests + 1, budget.drequests + 1
                    budget.recent = budget.recent + 1
                  end
                end
                replies[#replies + 1] = {1}
              end
            end
            for b = 1, n do
              local budget = budgets[b]
              budget.holds.flush()
              if budget.longest > 0 then
                -- Only ever lengthened: a short request must not cut the TTL under a long one's hold. The held hash
                -- is renewed ten minutes ahead (so about every ten minutes); the expiry set, which an emptied set
                -- loses with its key, whenever it has less left than the longest hold needs.
                local need = nowms + budget.longest + 60000
                if need > budget.holds.heldexpires then
                  redis.call('PEXPIREAT', budget.held, need + 600000)
                  redis.call('HSET', budget.held, '_until', need + 600000)
                end
                if redis.call('PTTL', budget.expiry) < budget.longest + 60000 then
                  redis.call('PEXPIRE', budget.expiry, budget.longest + 60000)
                end
              end
              if budget.requests > 0 then
                redis.call('HINCRBY', budget.day, 'requests', budget.requests)
                if budget.rpm >= 0 then count(budget.minute, now, budget.requests, 0) end
              end
              if budget.requests > 0 or budget.longest > 0 then
                if not budget.dayexpires then markperiod(budget.day, budget.dayend, nowms) end
                if not budget.monthexpires then markperiod(budget.month, budget.monthend, nowms) end
              end
            end
            return replies
            """,
        itemWidth: 5
    )

    /// Settlement: the reservation is freed on every budget and the true cost charged to the day and month the
    /// request was admitted in (the keys name them). KEYS: per budget day hash, month hash, held hash, expiry set,
    /// expired set. Shared: budget count, then per budget day end and month end (Unix ms). Item: id, usd, tokens,
    /// requests to add (1 for a request admitted while Redis was away: the fleet never counted it), again (1: sent
    /// again because the first sending timed out or lost its connection, so it may have landed). A settlement sent
    /// again is charged only if it did not land: its hold is still there, or expired unsettled. Per item 1 when
    /// charged, 0 when it had landed already.
    static let budgetSettle = RedisScript(
        name: "budget.settle",
        source: Self.prelude + Self.periodExpiry + Self.holds + """
            local now, nowms = clock()
            local n = tonumber(ARGV[2])
            local budgets = {}
            for b = 1, n do
              local k = (b - 1) * 5
              budgets[b] = holds(KEYS[k + 3], KEYS[k + 4])
            end
            local usd, tokens, requests, replies = 0, 0, 0, {}
            for i in items(5) do
              local id = ARGV[i]
              local charge = true
              if tonumber(ARGV[i + 4]) == 1 then
                charge = redis.call('HEXISTS', KEYS[3], id) == 1 or redis.call('ZSCORE', KEYS[5], id) ~= false
              end
              if charge then
                for b = 1, n do
                  -- Expired unsettled (or never held): settled now, so a copy sent again is not charged twice.
                  if not budgets[b].take(id) then redis.call('ZREM', KEYS[(b - 1) * 5 + 5], id) end
                end
                usd, tokens = usd + tonumber(ARGV[i + 1]), tokens + tonumber(ARGV[i + 2])
                requests = requests + tonumber(ARGV[i + 3])
                replies[#replies + 1] = 1
              else
                replies[#replies + 1] = 0
              end
            end
            for b = 1, n do
              local k = (b - 1) * 5
              local day, month = KEYS[k + 1], KEYS[k + 2]
              budgets[b].flush()
              if usd ~= 0 then
                redis.call('HINCRBY', day, 'usd', usd)
                redis.call('HINCRBY', month, 'usd', usd)
              end
              if tokens ~= 0 then redis.call('HINCRBY', day, 'tokens', tokens) end
              if requests > 0 then redis.call('HINCRBY', day, 'requests', requests) end
              expireperiod(day, tonumber(ARGV[2 + (b - 1) * 2 + 1]), nowms)
              expireperiod(month, tonumber(ARGV[2 + (b - 1) * 2 + 2]), nowms)
            end
            return replies
            """,
        itemWidth: 5
    )

    /// A cached answer and the milliseconds it has left, in one round trip. KEYS: the entry.
    static let cacheGet = RedisScript(
        name: "cache.get",
        source: """
            local value = redis.call('GET', KEYS[1])
            if not value then return {} end
            return {value, redis.call('PTTL', KEYS[1])}
            """
    )

    static let all = [rateTake, rateCorrect, budgetReserve, budgetSettle, cacheGet]
}
