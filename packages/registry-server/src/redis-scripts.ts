/**
 * The RedisStore's Lua scripts: each mutation of the index is one script, so Redis runs it
 * atomically (no other command runs in between) and logs its event in the same step. Every
 * script takes the key prefix as ARGV[1] (after the deadline of UNLESS_LATE, for those that
 * open with it) and builds its keys from it (a standalone Redis or a replicated primary; not
 * Redis Cluster, whose keys would have to be declared).
 *
 * Keys, with the prefix P (`kompart:` by default):
 *   P..'cluster'         hash   instance, ticketKey
 *   P..'seq'             string last file sequence number (INCR)
 *   P..'peer:'..id       hash   id, target, token, since, certificate, source (SessionSource.key, '' for none),
 *                               stream and attempt (CLAIM_SESSION)
 *   P..'source:'..key    set    ids of the sessions opened from a source (the per-source limit)
 *   P..'rate:'..source   hash   tokens, at: the source's RegisterPeer bucket (ADMIT), gone once full again
 *   P..'token:'..token   string the session's address
 *   P..'presence'        zset   address, scored by its deadline (ms, Redis TIME)
 *   P..'paths:'..id      hash   path -> seq (the peer's files)
 *   P..'file:'..seq      hash   peer, path, name, lname (lower-case name), sha256, size, psize, proot
 *                               (piece size and root, '' when none)
 *   P..'order'           zset   seq, scored by seq (the listing order, cursors are seqs)
 *   P..'names:'..id      zset   name..'\0'..seq (16 digits), all scored 0: exact-name lookups by range
 *   P..'hashes:'..id     zset   sha256..':'..seq, all scored 0: hash-prefix lookups by range
 *   P..'holders'         zset   sha256..':'..seq of every online file, all scored 0: LocateHolders by range
 *   P..'events'          stream the event log (XADD, trimmed to about LOG_KEEP entries)
 *   P..'swept'           string when a replica last swept (ms, Redis TIME)
 *   P..'offset'          string time not counted for presence (ms): the outages so far, see SWEEP
 *
 * Presence deadlines are on a clock that stops while the registry is away: `vnow()` is
 * Redis TIME minus `offset`, and a deadline is `vnow() + expiry`.
 */

/** Entries the event log keeps (approximately: XADD MAXLEN ~). */
const LOG_KEEP = 100_000;

/**
 * Opens every script that changes what a caller asked to change (sessions, files): its
 * first argument, taken off ARGV before the rest reads it, is the Redis time (ms) after
 * which the replica no longer waits for the answer (0: no limit). Run later than that (a
 * Redis that froze, or a queue that held it), the script changes nothing and fails with
 * KOMPART_LATE, so a call the replica answered as "store unreachable, nothing changed" is
 * never applied afterwards. See RedisStore's `#mutate`.
 */
const UNLESS_LATE = `
local lateAfter = tonumber(table.remove(ARGV, 1))
if lateAfter > 0 then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > lateAfter then
    return redis.error_reply('KOMPART_LATE the registry replica stopped waiting for this command')
  end
end
`;

/** Shared by the scripts: the time, a log entry, removing a peer and all its files. */
const COMMON = `
local P = ARGV[1]
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function vnow()
  return now() - tonumber(redis.call('GET', P .. 'offset') or '0')
end
local function log(...)
  redis.call('XADD', P .. 'events', 'MAXLEN', '~', ${LOG_KEEP}, '*', ...)
end
local function drop(id, token)
  for _, member in ipairs(redis.call('ZRANGE', P .. 'hashes:' .. id, 0, -1)) do
    redis.call('ZREM', P .. 'holders', member)
  end
  local seqs = redis.call('HVALS', P .. 'paths:' .. id)
  for _, seq in ipairs(seqs) do
    redis.call('DEL', P .. 'file:' .. seq)
    redis.call('ZREM', P .. 'order', seq)
  end
  local source = redis.call('HGET', P .. 'peer:' .. id, 'source')
  if source and source ~= '' then redis.call('SREM', P .. 'source:' .. source, id) end
  redis.call('DEL', P .. 'paths:' .. id, P .. 'names:' .. id, P .. 'hashes:' .. id, P .. 'peer:' .. id, P .. 'token:' .. token)
  redis.call('ZREM', P .. 'presence', id)
  return #seqs
end
local function pad(seq)
  return string.format('%016d', tonumber(seq))
end
`;

/**
 * ARGV: prefix, instance, ticketKey, tlsIdentity ('' when this replica needs none).
 * Returns {instance, ticketKey, tlsIdentity}, each the first ever written.
 */
export const IDENTITY = `
local P = ARGV[1]
redis.call('HSETNX', P .. 'cluster', 'instance', ARGV[2])
redis.call('HSETNX', P .. 'cluster', 'ticketKey', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSETNX', P .. 'cluster', 'tlsIdentity', ARGV[4]) end
return redis.call('HMGET', P .. 'cluster', 'instance', 'ticketKey', 'tlsIdentity')
`;

/**
 * ARGV: lateAfter (UNLESS_LATE), prefix, id, target, token, since, expiryMs, origin, maxPeers (0: no limit), certificate,
 * source ('' for none), maxPerSource (0: no limit). Returns 'opened', 'taken' (the address has a
 * session), 'full' (maxPeers are online) or 'source-full' (the source has maxPerSource online).
 */
export const OPEN_SESSION = `${UNLESS_LATE}${COMMON}
local id, source = ARGV[2], ARGV[10]
if redis.call('EXISTS', P .. 'peer:' .. id) == 1 then return 'taken' end
local maxPeers = tonumber(ARGV[8] or '0')
if maxPeers > 0 and redis.call('ZCARD', P .. 'presence') >= maxPeers then return 'full' end
local maxPerSource = tonumber(ARGV[11])
local members = P .. 'source:' .. source
if source ~= '' and maxPerSource > 0 and redis.call('SCARD', members) >= maxPerSource then
  -- At the limit: first let go of ids whose session is gone or is no longer this source's
  -- (ended by a replica of an older version, which does not keep these sets), so a count
  -- never outlives its sessions.
  for _, member in ipairs(redis.call('SMEMBERS', members)) do
    if redis.call('HGET', P .. 'peer:' .. member, 'source') ~= source then redis.call('SREM', members, member) end
  end
  if redis.call('SCARD', members) >= maxPerSource then return 'source-full' end
end
local t = now()
redis.call('HSET', P .. 'peer:' .. id, 'id', id, 'target', ARGV[3], 'token', ARGV[4], 'since', ARGV[5], 'certificate', ARGV[9], 'source', source)
if source ~= '' then redis.call('SADD', members, id) end
redis.call('SET', P .. 'token:' .. ARGV[4], id)
redis.call('ZADD', P .. 'presence', vnow() + tonumber(ARGV[6]), id)
log('type', 'peer-joined', 'peer', id, 'token', ARGV[4], 'origin', ARGV[7], 'at', t)
return 'opened'
`;

/**
 * ARGV: lateAfter (UNLESS_LATE), prefix, token, stream, attempt. Records `stream` as the holder of the token's
 * session; returns its {id, target, token, since, certificate}, or an empty array (no such
 * session, or a stream of a later attempt holds it: see RegistryStore.claimSession).
 */
export const CLAIM_SESSION = `${UNLESS_LATE}
local P = ARGV[1]
local id = redis.call('GET', P .. 'token:' .. ARGV[2])
if not id then return {} end
local attempt = tonumber(ARGV[4])
if attempt > 0 and attempt <= tonumber(redis.call('HGET', P .. 'peer:' .. id, 'attempt') or '0') then return {} end
redis.call('HSET', P .. 'peer:' .. id, 'stream', ARGV[3], 'attempt', ARGV[4])
return redis.call('HMGET', P .. 'peer:' .. id, 'id', 'target', 'token', 'since', 'certificate')
`;

/**
 * ARGV: prefix, source, perMinute. Takes one token of the source's bucket of RegisterPeer
 * calls: `perMinute` of them, refilled evenly over a minute (Redis TIME), shared by every
 * replica. Returns 1, or 0 (taking nothing) when the bucket is empty. The key expires when
 * the bucket would be full again, so only sources that called within the last minute keep
 * one. Not checked with UNLESS_LATE: a token taken late only costs that source one call.
 */
export const ADMIT = `${COMMON}
local key, burst = P .. 'rate:' .. ARGV[2], tonumber(ARGV[3])
local t = now()
local held = redis.call('HMGET', key, 'tokens', 'at')
local tokens = burst
if held[1] then
  tokens = math.min(burst, tonumber(held[1]) + math.max(0, t - tonumber(held[2])) * burst / 60000)
end
if tokens < 1 then return 0 end
redis.call('HSET', key, 'tokens', tostring(tokens - 1), 'at', t)
redis.call('PEXPIRE', key, math.ceil((burst - tokens + 1) * 60000 / burst))
return 1
`;

/** ARGV: prefix, expiryMs, then id and token of each beat. Returns 1 or 0 for each beat (session still online). */
export const BEAT = `${COMMON}
local deadline = vnow() + tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV, 2 do
  if redis.call('HGET', P .. 'peer:' .. ARGV[i], 'token') == ARGV[i + 1] then
    redis.call('ZADD', P .. 'presence', 'GT', deadline, ARGV[i])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

/**
 * ARGV: lateAfter (UNLESS_LATE), prefix, id, token, cause, origin, stream ('' for any). Returns the files removed, or
 * -1 when the token names no session of the address (or another stream holds it).
 */
export const CLOSE_SESSION = `${UNLESS_LATE}${COMMON}
local id, token, stream = ARGV[2], ARGV[3], ARGV[6]
local held = redis.call('HMGET', P .. 'peer:' .. id, 'token', 'stream')
if held[1] ~= token then return -1 end
if stream ~= '' and held[2] ~= stream then return -1 end
local files = drop(id, token)
log('type', 'peer-left', 'peer', id, 'token', token, 'files', files, 'cause', ARGV[4], 'origin', ARGV[5], 'at', now())
return files
`;

/**
 * ARGV: prefix, limit, origin, outageMs, expiryMs. Expires up to `limit` sessions whose
 * deadline has passed; returns how many.
 *
 * The outage rule: every replica sweeps every ~100 ms, so a gap of more than `outageMs` (ten
 * sweeps, 1 s with the defaults) since the last sweep means nobody could reach Redis, every
 * replica was down, or every replica stalled (a loaded machine, a long GC pause). Beats sent
 * meanwhile may have been lost, so presence does not count that time, and grants as much
 * again, at most one expiry period, for the peers to come back and beat: the gap plus
 * min(gap, expiryMs) is added to `offset`, which moves every deadline out by as much at
 * once. Nobody expires for a silence that overlaps an outage; a peer that really is gone
 * expires that much later: about twice a short stall (which is what most gaps on a busy
 * machine are), at most the outage plus one expiry period after a long one. A peer whose
 * replica was down D has, once sweeping resumes, at least D plus half an expiry period of
 * its deadline left to reconnect (its reconnect backoff is 0.5, 1, 2, 4 s…).
 */
export const SWEEP = `${COMMON}
local t = now()
local last = tonumber(redis.call('GET', P .. 'swept') or '0')
redis.call('SET', P .. 'swept', t)
if last > 0 and t - last > tonumber(ARGV[4]) then
  redis.call('INCRBY', P .. 'offset', (t - last) + math.min(t - last, tonumber(ARGV[5])))
end
local due = redis.call('ZRANGEBYSCORE', P .. 'presence', '-inf', vnow(), 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do
  local token = redis.call('HGET', P .. 'peer:' .. id, 'token') or ''
  local files = drop(id, token)
  log('type', 'peer-expired', 'peer', id, 'token', token, 'files', files, 'origin', ARGV[3], 'at', t)
end
return #due
`;

/**
 * ARGV: lateAfter (UNLESS_LATE), prefix, peer, path, name, lower-case name, sha256, size, maxFiles, origin,
 * maxTotalFiles (0: no limit), piece size, pieces root ('' and '' when none). Returns
 * 'added', 'replaced', 'exists', 'no-peer', 'limit' (the peer's limit) or 'full' (the
 * index's).
 */
export const ADD_FILE = `${UNLESS_LATE}${COMMON}
local peer, path, name, lname, sha, size = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local psize, proot = ARGV[11], ARGV[12]
if redis.call('EXISTS', P .. 'peer:' .. peer) == 0 then return 'no-peer' end
local seq = redis.call('HGET', P .. 'paths:' .. peer, path)
if seq then
  local old = redis.call('HMGET', P .. 'file:' .. seq, 'sha256', 'size', 'psize', 'proot')
  if old[1] == sha and old[2] == size and (old[3] or '') == psize and (old[4] or '') == proot then return 'exists' end
  redis.call('ZREM', P .. 'hashes:' .. peer, old[1] .. ':' .. pad(seq))
  redis.call('ZREM', P .. 'holders', old[1] .. ':' .. pad(seq))
  redis.call('HSET', P .. 'file:' .. seq, 'sha256', sha, 'size', size, 'psize', psize, 'proot', proot)
  redis.call('ZADD', P .. 'hashes:' .. peer, 0, sha .. ':' .. pad(seq))
  redis.call('ZADD', P .. 'holders', 0, sha .. ':' .. pad(seq))
  log('type', 'file-registered', 'peer', peer, 'path', path, 'name', name, 'sha256', sha, 'size', size, 'replaced', 1, 'origin', ARGV[9], 'at', now())
  return 'replaced'
end
if redis.call('HLEN', P .. 'paths:' .. peer) >= tonumber(ARGV[8]) then return 'limit' end
local maxTotal = tonumber(ARGV[10] or '0')
if maxTotal > 0 and redis.call('ZCARD', P .. 'order') >= maxTotal then return 'full' end
seq = redis.call('INCR', P .. 'seq')
redis.call('HSET', P .. 'file:' .. seq, 'peer', peer, 'path', path, 'name', name, 'lname', lname, 'sha256', sha, 'size', size, 'psize', psize, 'proot', proot)
redis.call('HSET', P .. 'paths:' .. peer, path, seq)
redis.call('ZADD', P .. 'order', seq, seq)
redis.call('ZADD', P .. 'names:' .. peer, 0, name .. '\\0' .. pad(seq))
redis.call('ZADD', P .. 'hashes:' .. peer, 0, sha .. ':' .. pad(seq))
redis.call('ZADD', P .. 'holders', 0, sha .. ':' .. pad(seq))
log('type', 'file-registered', 'peer', peer, 'path', path, 'name', name, 'sha256', sha, 'size', size, 'replaced', 0, 'origin', ARGV[9], 'at', now())
return 'added'
`;

/**
 * ARGV: lateAfter (UNLESS_LATE), prefix, peer, path, origin. Removes the file from every index (the peer's paths,
 * names and hashes, the listing order) and logs file-unregistered. Returns {seq, peer, path,
 * name, sha256, size} of the entry removed, or an empty array when there was none.
 */
export const REMOVE_FILE = `${UNLESS_LATE}${COMMON}
local peer, path = ARGV[2], ARGV[3]
local seq = redis.call('HGET', P .. 'paths:' .. peer, path)
if not seq then return {} end
local f = redis.call('HMGET', P .. 'file:' .. seq, 'peer', 'path', 'name', 'sha256', 'size')
redis.call('HDEL', P .. 'paths:' .. peer, path)
redis.call('DEL', P .. 'file:' .. seq)
redis.call('ZREM', P .. 'order', seq)
redis.call('ZREM', P .. 'names:' .. peer, f[3] .. '\\0' .. pad(seq))
redis.call('ZREM', P .. 'hashes:' .. peer, f[4] .. ':' .. pad(seq))
redis.call('ZREM', P .. 'holders', f[4] .. ':' .. pad(seq))
log('type', 'file-unregistered', 'peer', peer, 'path', path, 'name', f[3], 'sha256', f[4], 'size', f[5], 'seq', seq, 'origin', ARGV[4], 'at', now())
return {seq, f[1], f[2], f[3], f[4], f[5]}
`;

/** ARGV: prefix, peer, path. Returns {seq, peer, path, name, sha256, size}, or an empty array. */
export const FILE_BY_PATH = `
local P = ARGV[1]
local seq = redis.call('HGET', P .. 'paths:' .. ARGV[2], ARGV[3])
if not seq then return {} end
local f = redis.call('HMGET', P .. 'file:' .. seq, 'peer', 'path', 'name', 'sha256', 'size')
return {seq, f[1], f[2], f[3], f[4], f[5]}
`;

/**
 * ARGV: prefix, index key suffix ('names:' or 'hashes:'), peer, range start, range end.
 * Returns the files of the members in the lexicographic range, six values each, in member order.
 */
export const FILES_IN_RANGE = `
local P = ARGV[1]
local members = redis.call('ZRANGEBYLEX', P .. ARGV[2] .. ARGV[3], ARGV[4], ARGV[5])
local out = {}
for _, member in ipairs(members) do
  local seq = tostring(tonumber(string.sub(member, -16)))
  local f = redis.call('HMGET', P .. 'file:' .. seq, 'peer', 'path', 'name', 'sha256', 'size')
  if f[1] then
    out[#out + 1] = seq
    for i = 1, 5 do out[#out + 1] = f[i] end
  end
end
return out
`;

/**
 * ARGV: prefix, range start, range end, limit. Returns the online files whose members of
 * P..'holders' are in the lexicographic range, eight values each (seq, peer, path, name,
 * sha256, size, psize, proot), in member order, at most `limit`.
 */
export const HOLDERS = `
local P = ARGV[1]
local members = redis.call('ZRANGEBYLEX', P .. 'holders', ARGV[2], ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for _, member in ipairs(members) do
  local seq = tostring(tonumber(string.sub(member, -16)))
  local f = redis.call('HMGET', P .. 'file:' .. seq, 'peer', 'path', 'name', 'sha256', 'size', 'psize', 'proot')
  if f[1] then
    out[#out + 1] = seq
    for i = 1, 7 do out[#out + 1] = f[i] or '' end
  end
end
return out
`;

/**
 * ARGV: prefix, after, limit, scanBudget, name filter (lower case), hash prefix, holder.
 * Returns {last seq looked at, 1 when more entries follow, then six values per file}.
 */
export const LIST = `
local P = ARGV[1]
local limit, budget = tonumber(ARGV[3]), tonumber(ARGV[4])
local needle, prefix, holder = ARGV[5], ARGV[6], ARGV[7]
local seqs = redis.call('ZRANGEBYSCORE', P .. 'order', '(' .. ARGV[2], '+inf', 'LIMIT', 0, budget)
local out = {ARGV[2], 0}
local found = 0
for _, seq in ipairs(seqs) do
  out[1] = seq
  local f = redis.call('HMGET', P .. 'file:' .. seq, 'peer', 'path', 'name', 'sha256', 'size', 'lname')
  if f[1] and (holder == '' or f[1] == holder) and (prefix == '' or string.sub(f[4], 1, #prefix) == prefix)
    and (needle == '' or string.find(f[6], needle, 1, true)) then
    out[#out + 1] = seq
    for i = 1, 5 do out[#out + 1] = f[i] end
    found = found + 1
    if found >= limit then break end
  end
end
if #redis.call('ZRANGEBYSCORE', P .. 'order', '(' .. out[1], '+inf', 'LIMIT', 0, 1) > 0 then out[2] = 1 end
return out
`;

/** ARGV: prefix. Returns {peers, files}. */
export const COUNTS = `
local P = ARGV[1]
return {redis.call('ZCARD', P .. 'presence'), redis.call('ZCARD', P .. 'order')}
`;
