import JunctionShared

/// The server-side scripts of the shared state. Each is atomic (Redis runs one script at a time), reads the time
/// from Redis (`TIME`) so that daemons on hosts with skewed clocks agree on rolling windows, and touches only keys
/// under `SharedKeys.version`: a daemon with different scripts uses different keys, so two versions can run side
/// by side during a rolling upgrade.
enum SharedScripts {
    /// Rolling-minute requests and tokens and rolling-day requests of one provider, against its configured limits,
    /// checked and counted in one step. KEYS: minute hash (fields `r<second>`, `t<second>`), day counter, block
    /// mark. ARGV: rpm, tpm, rpd (0: none), the request's estimated tokens. Returns {1, 0} when admitted, or
    /// {0, ms} when full: room in that many milliseconds.
    static let rateTake = RedisScript(
        name: "rate.take",
        source: """
            local t = redis.call('TIME')
            local now = tonumber(t[1])
            local nowms = now * 1000 + math.floor(tonumber(t[2]) / 1000)
            local rpm, tpm, rpd, tokens = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
            local blocked = redis.call('PTTL', KEYS[3])
            if blocked > 0 then return {0, blocked} end
            if rpd > 0 then
              local day = tonumber(redis.call('GET', KEYS[2]) or '0')
              if day >= rpd then return {0, math.max(redis.call('PTTL', KEYS[2]), 1)} end
            end
            local fields = redis.call('HGETALL', KEYS[1])
            local requests, used, oldest, stale = 0, 0, nil, {}
            for i = 1, #fields, 2 do
              local second = tonumber(string.sub(fields[i], 2))
              local value = tonumber(fields[i + 1])
              if second <= now - 60 then
                stale[#stale + 1] = fields[i]
              elseif string.sub(fields[i], 1, 1) == 'r' then
                requests = requests + value
                if value > 0 and (oldest == nil or second < oldest) then oldest = second end
              else
                used = used + value
              end
            end
            if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end
            local wait = math.max(((oldest or now) + 61) * 1000 - nowms, 1)
            if rpm > 0 and requests >= rpm then return {0, wait} end
            if tpm > 0 and used > 0 and used + tokens > tpm then return {0, wait} end
            redis.call('HINCRBY', KEYS[1], 'r' .. now, 1)
            redis.call('HINCRBY', KEYS[1], 't' .. now, tokens)
            redis.call('PEXPIRE', KEYS[1], 7200000)
            if rpd > 0 then
              if redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], 86400000) end
            end
            return {1, 0}
            """
    )

    /// The provider reported real usage: the estimate counted at admission is corrected in the current second.
    /// KEYS: minute hash. ARGV: tokens to add (negative to give back).
    static let rateCorrect = RedisScript(
        name: "rate.correct",
        source: """
            local now = tonumber(redis.call('TIME')[1])
            redis.call('HINCRBY', KEYS[1], 't' .. now, tonumber(ARGV[1]))
            redis.call('PEXPIRE', KEYS[1], 7200000)
            return 1
            """
    )

    /// All-or-nothing reservation of a request's worst case on every budget that matches it. Per budget four
    /// keys: day hash (`usd`, `tokens`, `requests`), month hash (`usd`), reservations hash (id → "usd tokens
    /// expiry-ms"; expired ones — a daemon that died holding them — are dropped), minute hash (`r<second>`).
    /// ARGV: id, usd, tokens, expiry (ms from now), counts-as-request (1/0), budget count, then per budget:
    /// limited (1/0), daily_usd, monthly_usd, daily_tokens, daily_requests, rpm (-1: none), day ttl ms, month ttl
    /// ms. A reservation under an id already held replaces it (an extension before a retry). Returns {1} when
    /// admitted, else {0, budget index (1-based), limit name, spent, reserved, ms until the rpm window has room}.
    static let budgetReserve = RedisScript(
        name: "budget.reserve",
        source: """
            local t = redis.call('TIME')
            local now = tonumber(t[1])
            local nowms = now * 1000 + math.floor(tonumber(t[2]) / 1000)
            local id, usd, tokens = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
            local expiry, counts, n = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
            local held = {}
            for b = 1, n do
              local reservations = KEYS[(b - 1) * 4 + 3]
              local entries = redis.call('HGETALL', reservations)
              local rusd, rtokens, gone = 0, 0, {}
              for i = 1, #entries, 2 do
                local a, k, e = string.match(entries[i + 1], '(%-?%d+) (%-?%d+) (%d+)')
                if tonumber(e) < nowms then gone[#gone + 1] = entries[i]
                elseif entries[i] ~= id then rusd = rusd + tonumber(a); rtokens = rtokens + tonumber(k) end
              end
              if #gone > 0 then redis.call('HDEL', reservations, unpack(gone)) end
              held[b] = {rusd, rtokens}
            end
            for b = 1, n do
              local base = 6 + (b - 1) * 8
              if tonumber(ARGV[base + 1]) == 1 then
                local day, month, minute = KEYS[(b - 1) * 4 + 1], KEYS[(b - 1) * 4 + 2], KEYS[(b - 1) * 4 + 4]
                local dusd = tonumber(redis.call('HGET', day, 'usd') or '0')
                local dtokens = tonumber(redis.call('HGET', day, 'tokens') or '0')
                local drequests = tonumber(redis.call('HGET', day, 'requests') or '0')
                local musd = tonumber(redis.call('HGET', month, 'usd') or '0')
                local dailyusd, monthlyusd = tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
                local dailytokens, dailyrequests, rpm = tonumber(ARGV[base + 4]), tonumber(ARGV[base + 5]), tonumber(ARGV[base + 6])
                if counts == 1 and rpm >= 0 then
                  local fields = redis.call('HGETALL', minute)
                  local recent, oldest = 0, nil
                  for i = 1, #fields, 2 do
                    local second = tonumber(string.sub(fields[i], 2))
                    if second > now - 60 then
                      recent = recent + tonumber(fields[i + 1])
                      if oldest == nil or second < oldest then oldest = second end
                    end
                  end
                  if recent >= rpm then
                    return {0, b, 'rpm', recent, 0, math.max(((oldest or now) + 61) * 1000 - nowms, 1)}
                  end
                end
                if counts == 1 and dailyrequests >= 0 and drequests + 1 > dailyrequests then
                  return {0, b, 'requests', drequests, 0, 0}
                end
                if dailyusd >= 0 and dusd + held[b][1] + usd > dailyusd then
                  return {0, b, 'daily_usd', dusd, held[b][1], 0}
                end
                if monthlyusd >= 0 and musd + held[b][1] + usd > monthlyusd then
                  return {0, b, 'monthly_usd', musd, held[b][1], 0}
                end
                if dailytokens >= 0 and dtokens + held[b][2] + tokens > dailytokens then
                  return {0, b, 'tokens', dtokens, held[b][2], 0}
                end
              end
            end
            for b = 1, n do
              local base = 6 + (b - 1) * 8
              local day, month = KEYS[(b - 1) * 4 + 1], KEYS[(b - 1) * 4 + 2]
              local reservations, minute = KEYS[(b - 1) * 4 + 3], KEYS[(b - 1) * 4 + 4]
              redis.call('HSET', reservations, id, usd .. ' ' .. tokens .. ' ' .. (nowms + expiry))
              redis.call('PEXPIRE', reservations, expiry + 60000)
              if counts == 1 then
                redis.call('HINCRBY', day, 'requests', 1)
                redis.call('HINCRBY', minute, 'r' .. now, 1)
                redis.call('PEXPIRE', minute, 7200000)
              end
              redis.call('PEXPIRE', day, tonumber(ARGV[base + 7]))
              redis.call('PEXPIRE', month, tonumber(ARGV[base + 8]))
            end
            return {1}
            """
    )

    /// Settlement: the reservation is freed on every budget and the true cost charged to the day and month the
    /// request was admitted in (the keys name them). KEYS: per budget day hash, month hash, reservations hash.
    /// ARGV: id, usd, tokens, budget count, then per budget day ttl ms and month ttl ms. `requests` counts were
    /// charged at admission, except for spend merged after an outage (ARGV[5]: requests to add).
    static let budgetSettle = RedisScript(
        name: "budget.settle",
        source: """
            local id, usd, tokens, n, requests = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
            for b = 1, n do
              local day, month, reservations = KEYS[(b - 1) * 3 + 1], KEYS[(b - 1) * 3 + 2], KEYS[(b - 1) * 3 + 3]
              redis.call('HDEL', reservations, id)
              redis.call('HINCRBY', day, 'usd', usd)
              redis.call('HINCRBY', day, 'tokens', tokens)
              if requests > 0 then redis.call('HINCRBY', day, 'requests', requests) end
              redis.call('HINCRBY', month, 'usd', usd)
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
