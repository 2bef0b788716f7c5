import JunctionShared

/// The server-side scripts of the shared state. Each is atomic (Redis runs one script at a time), reads the time
/// from Redis (`TIME`) so that daemons on hosts with skewed clocks agree on rolling windows, and touches only keys
/// under `SharedKeys.version`: a daemon with different scripts uses different keys, so two versions can run side
/// by side during a rolling upgrade.
enum SharedScripts {
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
            -- Every key has a TTL, also one this roll created for a call that is then refused.
            if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, 7200000) end
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
          redis.call('PEXPIRE', key, 7200000)
        end

        """

    /// Frees reservation `id` of a budget (its held hash and expiry set), shared by reservation and settlement.
    private static let heldRelease = """
        -- `0 - x`, never `-x`: Lua prints minus zero as "-0", which HINCRBY refuses.
        local function release(held, expiry, id)
          local amount = redis.call('HGET', held, id)
          if amount then
            local a, k = string.match(amount, '(%-?%d+) (%-?%d+)')
            redis.call('HINCRBY', held, '_usd', 0 - tonumber(a))
            redis.call('HINCRBY', held, '_tokens', 0 - tonumber(k))
            redis.call('HDEL', held, id)
          end
          redis.call('ZREM', expiry, id)
        end

        """

    /// Rolling-minute requests and tokens and rolling-day requests of one provider, against its configured limits,
    /// checked and counted in one step. KEYS: minute hash, day counter. ARGV: rpm, tpm, rpd (0: none), the
    /// request's estimated tokens. Returns {1, 0} when admitted, or {0, ms} when full: room in that many ms. (A
    /// provider's 429 reaches the other daemons as a mark, adopted into their local windows: not checked here.)
    static let rateTake = RedisScript(
        name: "rate.take",
        source: Self.minuteWindow + """
            local t = redis.call('TIME')
            local now = tonumber(t[1])
            local nowms = now * 1000 + math.floor(tonumber(t[2]) / 1000)
            local rpm, tpm, rpd, tokens = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
            if rpd > 0 then
              local day = tonumber(redis.call('GET', KEYS[2]) or '0')
              if day >= rpd then return {0, math.max(redis.call('PTTL', KEYS[2]), 1)} end
            end
            local requests, used = roll(KEYS[1], now)
            if rpm > 0 and requests >= rpm then return {0, room(KEYS[1], now, nowms)} end
            if tpm > 0 and used > 0 and used + tokens > tpm then return {0, room(KEYS[1], now, nowms)} end
            count(KEYS[1], now, 1, tokens)
            if rpd > 0 then
              if redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], 86400000) end
            end
            return {1, 0}
            """
    )

    /// The provider reported real usage: the estimate counted at admission is corrected in the current second; or
    /// a counted request was not sent after all. KEYS: minute hash. ARGV: tokens to add (negative to give back),
    /// requests to add (-1 to give one back, else 0).
    static let rateCorrect = RedisScript(
        name: "rate.correct",
        source: Self.minuteWindow + """
            local now = tonumber(redis.call('TIME')[1])
            roll(KEYS[1], now)
            count(KEYS[1], now, tonumber(ARGV[2]), tonumber(ARGV[1]))
            return 1
            """
    )

    /// All-or-nothing reservation of a request's worst case on every budget that matches it. Per budget five
    /// keys: day hash (`usd`, `tokens`, `requests`), month hash (`usd`), held hash (id → "usd tokens", and the
    /// running sums `_usd`, `_tokens`), expiry set (id scored by the ms it expires at: a daemon that died holding
    /// a reservation does not hold it forever), minute hash (`rpm`, as above). ARGV: id, usd, tokens, expiry (ms
    /// from now), counts-as-request (1/0), budget count, then per budget: limited (1/0), daily_usd, monthly_usd,
    /// daily_tokens, daily_requests, rpm (-1: none), day ttl ms, month ttl ms. A reservation under an id already
    /// held replaces it (an extension). Returns {1} when admitted, else {0, budget index (1-based), limit name,
    /// spent, reserved, ms until the rpm window has room}.
    static let budgetReserve = RedisScript(
        name: "budget.reserve",
        source: Self.minuteWindow + Self.heldRelease + """
            local t = redis.call('TIME')
            local now = tonumber(t[1])
            local nowms = now * 1000 + math.floor(tonumber(t[2]) / 1000)
            local id, usd, tokens = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
            local expiry, counts, n = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
            for b = 1, n do
              local held, expiries = KEYS[(b - 1) * 5 + 3], KEYS[(b - 1) * 5 + 4]
              for _, dead in ipairs(redis.call('ZRANGEBYSCORE', expiries, '-inf', nowms)) do
                release(held, expiries, dead)
              end
              -- An extension: the reservation's earlier amount is replaced, not added to.
              release(held, expiries, id)
            end
            for b = 1, n do
              local base = 6 + (b - 1) * 8
              if tonumber(ARGV[base + 1]) == 1 then
                local k = (b - 1) * 5
                local day, month, held, minute = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 5]
                local d = redis.call('HMGET', day, 'usd', 'tokens', 'requests')
                local dusd, dtokens, drequests = tonumber(d[1] or '0'), tonumber(d[2] or '0'), tonumber(d[3] or '0')
                local musd = tonumber(redis.call('HGET', month, 'usd') or '0')
                local h = redis.call('HMGET', held, '_usd', '_tokens')
                local rusd, rtokens = tonumber(h[1] or '0'), tonumber(h[2] or '0')
                local dailyusd, monthlyusd = tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
                local dailytokens = tonumber(ARGV[base + 4])
                local dailyrequests, rpm = tonumber(ARGV[base + 5]), tonumber(ARGV[base + 6])
                if counts == 1 and rpm >= 0 then
                  local recent = roll(minute, now)
                  if recent >= rpm then return {0, b, 'rpm', recent, 0, room(minute, now, nowms)} end
                end
                if counts == 1 and dailyrequests >= 0 and drequests + 1 > dailyrequests then
                  return {0, b, 'requests', drequests, 0, 0}
                end
                if dailyusd >= 0 and dusd + rusd + usd > dailyusd then return {0, b, 'daily_usd', dusd, rusd, 0} end
                if monthlyusd >= 0 and musd + rusd + usd > monthlyusd then
                  return {0, b, 'monthly_usd', musd, rusd, 0}
                end
                if dailytokens >= 0 and dtokens + rtokens + tokens > dailytokens then
                  return {0, b, 'tokens', dtokens, rtokens, 0}
                end
              end
            end
            for b = 1, n do
              local base = 6 + (b - 1) * 8
              local k = (b - 1) * 5
              local day, month, held, expiries, minute = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5]
              redis.call('HSET', held, id, usd .. ' ' .. tokens)
              redis.call('HINCRBY', held, '_usd', usd)
              redis.call('HINCRBY', held, '_tokens', tokens)
              redis.call('ZADD', expiries, nowms + expiry, id)
              -- Only ever lengthened: a short request must not cut the TTL under a long one's hold.
              for _, key in ipairs({held, expiries}) do
                if redis.call('PTTL', key) < expiry + 60000 then redis.call('PEXPIRE', key, expiry + 60000) end
              end
              if counts == 1 then
                redis.call('HINCRBY', day, 'requests', 1)
                if tonumber(ARGV[base + 6]) >= 0 then
                  roll(minute, now)
                  count(minute, now, 1, 0)
                end
              end
              redis.call('PEXPIRE', day, tonumber(ARGV[base + 7]))
              redis.call('PEXPIRE', month, tonumber(ARGV[base + 8]))
            end
            return {1}
            """
    )

    /// Settlement: the reservation is freed on every budget and the true cost charged to the day and month the
    /// request was admitted in (the keys name them). KEYS: per budget day hash, month hash, held hash, expiry set.
    /// ARGV: id, usd, tokens, budget count, requests to add (1 for a request admitted while Redis was away: the
    /// fleet never counted it), then per budget day ttl ms and month ttl ms.
    static let budgetSettle = RedisScript(
        name: "budget.settle",
        source: Self.heldRelease + """
            local id, usd, tokens = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
            local n, requests = tonumber(ARGV[4]), tonumber(ARGV[5])
            for b = 1, n do
              local k = (b - 1) * 4
              local day, month, held, expiries = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
              release(held, expiries, id)
              if usd ~= 0 then
                redis.call('HINCRBY', day, 'usd', usd)
                redis.call('HINCRBY', month, 'usd', usd)
              end
              if tokens ~= 0 then redis.call('HINCRBY', day, 'tokens', tokens) end
              if requests > 0 then redis.call('HINCRBY', day, 'requests', requests) end
              redis.call('PEXPIRE', day, tonumber(ARGV[5 + (b - 1) * 2 + 1]))
              redis.call('PEXPIRE', month, tonumber(ARGV[5 + (b - 1) * 2 + 2]))
            end
            return 1
            """
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
