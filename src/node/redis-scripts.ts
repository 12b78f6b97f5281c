/**
 * Lua run inside Redis: each operation is one round trip and atomic across every gateway
 * process. The limiter reads Redis's own clock (TIME), so replicas with skewed clocks agree.
 */

/** KEYS: one per charge. ARGV: intervalMs, burst for each. Returns allowed, remaining, retryAfterMs, resetAfterMs per charge. */
export const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
local tats = {}
local all = true
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local newTat = tat + interval
  local allowAt = newTat - interval * burst
  if now < allowAt then
    all = false
    out[#out + 1] = 0
    out[#out + 1] = 0
    out[#out + 1] = math.ceil(allowAt - now)
    out[#out + 1] = math.ceil(tat - now)
  else
    out[#out + 1] = 1
    out[#out + 1] = math.floor((now - allowAt) / interval)
    out[#out + 1] = 0
    out[#out + 1] = math.ceil(newTat - now)
  end
  tats[i] = newTat
end
if all then
  for i, key in ipairs(KEYS) do
    redis.call('SET', key, string.format('%.3f', tats[i]), 'PX', math.max(1, math.ceil(tats[i] - now)))
  end
end
return out
`;

/** KEYS: one per charge. ARGV: intervalMs for each. */
export const REFUND = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key))
  if tat then
    local back = tat - tonumber(ARGV[i])
    if back <= now then redis.call('DEL', key)
    else redis.call('SET', key, string.format('%.3f', back), 'PX', math.max(1, math.ceil(back - now))) end
  end
end
return 1
`;

/** KEYS[1]: the idempotency key. ARGV: fingerprint, inFlightMs. Returns the stored record (JSON) or "" when claimed now. */
export const BEGIN = `
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], cjson.encode({ fingerprint = ARGV[1], state = 'in-flight' }), 'PX', tonumber(ARGV[2]))
return ''
`;

/** KEYS[1]: the key. ARGV: fingerprint, record JSON ("" releases), ttlMs. Only the claim's owner may complete it. */
export const COMPLETE = `
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).fingerprint ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) return 1 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', tonumber(ARGV[3]))
return 1
`;

/** KEYS[1]: the pod's history. ARGV: now, forgetAfterMs. Returns count, since, last (recordBlock in Lua). */
export const RECORD_BLOCK = `
local now = tonumber(ARGV[1])
local forget = tonumber(ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'count', 'since', 'last')
local count, since, last = tonumber(h[1]), tonumber(h[2]), tonumber(h[3])
if (not count) or now - last > forget then
  count, since = 1, now
else
  count = count + 1
end
redis.call('HSET', KEYS[1], 'count', count, 'since', since, 'last', now)
redis.call('PEXPIRE', KEYS[1], forget)
return { count, since, now }
`;

/** KEYS[1]: the operation, KEYS[2]: the set of active ids. ARGV: the stored JSON, ttlMs, "1" when active, the id. */
export const SAVE_OPERATION = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
if ARGV[3] == '1' then redis.call('SADD', KEYS[2], ARGV[4]) else redis.call('SREM', KEYS[2], ARGV[4]) end
return 1
`;

/** KEYS[1]: the operation, KEYS[2]: its cancel flag. ARGV: ttlMs. 0 when there is no such operation. */
export const CANCEL_OPERATION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[1]))
return 1
`;

/** KEYS[1]: the lease. ARGV: holder, ttlMs. Takes or renews it for holder; 0 while another holds it. */
export const LEASE_OPERATION = `
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1
`;

/** KEYS[1]: the lease. ARGV: holder. Deletes it only if holder has it. */
export const RELEASE_OPERATION = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;
