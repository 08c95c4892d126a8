"""The Lua scripts of the Redis draft store. Each one is a single round trip and atomic.

Key layout (every key under the ``drafts`` cache alias's prefix, see connection.make_key):

- ``draft:<id>``          the draft record as compact JSON, with a TTL of SESSION_TTL that slides
                          on every read and write.
- ``tomb:<id>``           owner, step, owner kind and search entry, kept SESSION_TTL +
                          DRAFT_TOMBSTONE_TTL: once the draft has expired it tells "expired" (410)
                          from "never existed" (404), and tells cleanup which indexes to clear.
- ``index``               sorted set of draft ids by last activity;
  ``index:created``       ... by creation; ``index:expiry`` ... by expiry as of the last write;
  ``index:step:<step>``   ... by last activity, per current step;
  ``index:kind:<kind>``   ... by last activity, per owner kind (user / anonymous).
- ``owner:<key>``         sorted set of one owner's draft ids by last activity. A draft that expired
                          stays in it (and in uploads:<key>) until the owner's drafts are next
                          listed, which notes it in ended:<key> (EXPIRE_DUE), or the key expires.
- ``uploads:<key>``       hash of one owner's draft ids -> bytes of their files (drafts with files).
- ``search:gens``, ``search:g<n>:buckets``, ``search:g<n>:b:<sha1>``  staff search's token-prefix
                          index in hourly generations (see _SEARCH_INDEX); ``search:buckets`` and
                          ``search:b:<sha1>``: the previous release's, swept by the first cleanup;
  ``search``              an older "<search text>|<id>" set, emptied as drafts are saved or forgotten.
- ``discarded:<id>``      a discarded draft's record, set aside for DRAFT_RESTORE_SECONDS: out of
                          every index, and brought back by RESTORE. Its tombstone then also holds
                          when it was discarded ("d") and until when it can be restored ("r").
- ``owners:over``         sorted set of the owner keys whose owner:<key> held more ids than a listing
                          reads when a draft was last added to it (by when): cleanup writes their
                          owner keys itself (EXPIRE_DUE).
- ``ended:<owner>``       sorted set of one owner's discarded and expired draft ids by when they
                          ended, kept DRAFT_TOMBSTONE_TTL and at most ENDED_MAX entries (a draft
                          pushed out by the count loses its set-aside record and tombstone).
- ``commit:<id>``         a draft's commit lock (locks.RedisLock's protocol).
- ``stats:expired``       hash: expired drafts per step reached; ``stats:cleanup``: the last run.
- ``stats:day:<date>``, ``stats:hour:<date>T<hour>``  hashes of counters (sessions_store.counters),
                          incremented by the count block (_COUNT) of every script below.
- ``stats:errors:<minute>`` server errors (5xx) in that minute (epoch minutes), kept an hour:
                          written only by a request that failed, read by the health check.
"""

from .connection import redis

# --- Counters (sessions_store.counters): one block shared by every script, read from the END of
# ARGV so that a script's own arguments can grow in front of it without renumbering anything.
# Tail: ..., day key, hour key, day ttl, hour ttl, name 1, amount 1, ..., name N, amount N, N
# (just N = 0 when there is nothing to count; a call without any tail counts nothing).
_COUNT = """
local function count_tail()
  local n = tonumber(ARGV[#ARGV])
  if not n or n < 1 or #ARGV < 2 * n + 5 then return end
  local at = #ARGV - 2 * n - 5
  for i = 1, n do
    redis.call('HINCRBY', ARGV[at + 1], ARGV[at + 3 + 2 * i], ARGV[at + 4 + 2 * i])
    redis.call('HINCRBY', ARGV[at + 2], ARGV[at + 3 + 2 * i], ARGV[at + 4 + 2 * i])
  end
  redis.call('EXPIRE', ARGV[at + 1], ARGV[at + 3])
  redis.call('EXPIRE', ARGV[at + 2], ARGV[at + 4])
end
"""

# Issue 12: the bytes of the files of one owner's live drafts (uploads:<owner>: draft id -> bytes;
# an entry counts only while its draft exists), leaving out the draft ``except`` (nil: none).
# LOAD and _OWNER_LIMITS.over_uploads both sum with it.
_UPLOAD_SUM = """
local function upload_sum(prefix, owner, except)
  local total = 0
  local entries = redis.call('HGETALL', prefix .. 'uploads:' .. owner)
  for i = 1, #entries, 2 do
    if entries[i] ~= except and redis.call('EXISTS', prefix .. 'draft:' .. entries[i]) == 1 then
      total = total + tonumber(entries[i + 1])
    end
  end
  return total
end
"""

# The owner's index and uploads hash outlive a tombstone of theirs (``tomb``: its text, which
# lives ``ttl`` seconds more): erasure finds an expired draft through owner:<key> (EXPIRE_DUE leaves
# it there). An hour over, so that one EXPIRE an hour does. LOAD and TRIM_TOMBSTONES; SAVE sets it.
_OWNER_KEYS_OUTLIVE = """
local function owner_keys_outlive(prefix, tomb, ttl)
  local o = prefix and tomb and string.match(tomb, '"o": *"([^"]*)"')  -- json.dumps's or cjson's
  if not o then return end
  for _, key in ipairs({prefix .. 'owner:' .. o, prefix .. 'uploads:' .. o}) do
    local left = redis.call('TTL', key)
    if left >= 0 and left < ttl then redis.call('EXPIRE', key, ttl + 3600) end
  end
end
"""

# Reads slide the draft's TTL up to SESSION_TTL (never shortening an expiry staff extended) and
# keep the tombstone alive past it, and the owner's index and uploads hash past that. With a
# third key (the commit lock) it also takes that lock (SET NX PX, locks.RedisLock's protocol),
# only for the draft's owner: someone else's request must not block the owner. So a commit costs
# two round trips: this one and FORGET.
# Also returns the TTL the draft had before this read slid it (how long it lay idle), and, only
# when the caller asks (ARGV[3] = '1': a step-2 submit or a file attached on its own, which check
# the owner's upload total), the bytes of every live draft's files of the draft's owner, read
# through the tombstone's owner (-1 when not asked: the other reads skip the HGETALL and EXISTS).
# KEYS: draft, tomb[, commit lock]   ARGV: ttl, tomb ttl, count uploads[, lock token, lock ms, owner key], counts
LOAD = _COUNT + _UPLOAD_SUM + _OWNER_KEYS_OUTLIVE + """
local raw = redis.call('GET', KEYS[1])
local tomb = redis.call('GET', KEYS[2])
local ttl = -2
local before = -2
local locked = 0
if raw and KEYS[3] and cjson.decode(raw)['owner'] == ARGV[6] then
  if redis.call('SET', KEYS[3], ARGV[4], 'NX', 'PX', ARGV[5]) then locked = 1 end
end
local uploads = false  -- nil to the caller: not counted
if ARGV[3] == '1' then
  uploads = 0
  local prefix = string.match(KEYS[2], '^(.*)tomb:[^:]*$')
  if raw and tomb and prefix then
    local fine, t = pcall(cjson.decode, tomb)
    if fine and type(t) == 'table' and t['o'] then uploads = upload_sum(prefix, t['o'], nil) end
  end
end
if raw then
  ttl = redis.call('TTL', KEYS[1])
  before = ttl
  if ttl < tonumber(ARGV[1]) then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  local want = ttl + tonumber(ARGV[2])
  if tomb and redis.call('TTL', KEYS[2]) < want then
    redis.call('EXPIRE', KEYS[2], want)
    -- A draft only read for longer than DRAFT_TOMBSTONE_TTL also stays listed and counted.
    owner_keys_outlive(string.match(KEYS[2], '^(.*)tomb:[^:]*$'), tomb, want)
  end
end
count_tail()
return {raw, tomb, ttl, locked, uploads, before}
"""

# --- staff search (issue 14) ---------------------------------------------------------------------
# Walking one generation of the search index (base: search_base's) in byte order, bucket after
# bucket: take(member) for each entry from ``low`` (a member; with ``after``, from the one after
# it) up to the ZRANGEBYLEX bound ``high``, until take answers true (then so does the walk).
# uuid(bin): a 16-byte id as the UUID text the draft keys use.
_SEARCH_WALK = r"""
local function search_base(prefix, gen)
  if gen == nil then return prefix .. 'search:' end
  return prefix .. 'search:g' .. gen .. ':'
end
-- The bucket ``member`` belongs in: the one with the greatest lower bound at or below it.
local function search_bucket(base, member)
  local below = redis.call('ZREVRANGEBYLEX', base .. 'buckets', '[' .. member, '-', 'LIMIT', 0, 1)
  local bound = below[1] or ''
  return base .. 'b:' .. redis.sha1hex(bound), bound
end
local function search_walk(base, low, after, high, take)
  local key, bound = search_bucket(base, low)
  local from = (after and '(' or '[') .. low
  while true do
    for _, member in ipairs(redis.call('ZRANGEBYLEX', key, from, high)) do
      if take(member) then return true end
    end
    bound = redis.call('ZRANGEBYLEX', base .. 'buckets', '(' .. bound, high, 'LIMIT', 0, 1)[1]
    if not bound then return false end
    key = base .. 'b:' .. redis.sha1hex(bound)
  end
end
local UUID = '%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x'
local function uuid(bin)
  if #bin ~= 16 then return bin end
  return string.format(UUID, string.byte(bin, 1, 16))
end
"""

# Token-prefix search in O(log n + k): one entry per word of a draft's search text, "<word>\0<id>",
# and one for the id itself, "\0<id>" (a UUID as its 16 bytes), read with ZRANGEBYLEX. A sorted set
# that big would be a skiplist at ~150 bytes an entry, so the entries live in a B+tree of small
# sorted sets instead: ``search:b:<sha1 of its lower bound>`` holds at most 127 entries (Redis keeps
# a sorted set of up to 128 members of up to 64 bytes in its compact listpack encoding, about the
# entry's length + 4 bytes each), and ``search:buckets`` holds every bucket's lower bound but the
# first one's (""). A full bucket splits in two, bounded by the shortest prefix that separates them.
# The words (the tombstone's "q") are the describer's search text as the store cut it: lowercase,
# space separated, each at most 40 bytes (redis_admin.search_words).
_SEARCH_INDEX = _SEARCH_WALK + r"""
local function search_bin(id)
  local hex = string.gsub(id, '-', '')
  if #hex ~= 32 or string.find(hex, '[^0-9a-f]') then return id end
  -- Four 32-bit numbers to 16 bytes (a function call per byte through gsub cost 2.5x as much).
  local a, b = tonumber(string.sub(hex, 1, 8), 16), tonumber(string.sub(hex, 9, 16), 16)
  local c, d = tonumber(string.sub(hex, 17, 24), 16), tonumber(string.sub(hex, 25, 32), 16)
  local f = math.floor
  return string.char(
    f(a / 16777216), f(a / 65536) % 256, f(a / 256) % 256, a % 256, f(b / 16777216), f(b / 65536) % 256, f(b / 256) % 256, b % 256,
    f(c / 16777216), f(c / 65536) % 256, f(c / 256) % 256, c % 256, f(d / 16777216), f(d / 65536) % 256, f(d / 256) % 256, d % 256)
end
local function search_members(q, id)
  local bin = search_bin(id)
  local members = {['\0' .. bin] = true}
  for word in string.gmatch(q, '%S+') do members[word .. '\0' .. bin] = true end
  return members
end
-- Generations (cleanup's cost, issue 14 goal 4): a draft's entries live in the generation of the
-- hour (DRAFT_SEARCH_GENERATION) its words were last written in, its tombstone's "g" (the hour's
-- first second, so that a change of that setting leaves no generation behind): keys
-- ``search:g<g>:buckets`` and ``search:g<g>:b:<sha1>``, every generation listed in ``search:gens``
-- (scored by that first second).
-- An expiry leaves them there; once no draft written in a generation can still be alive unread,
-- cleanup moves the ones that are (reads slid them) and drops the generation whole
-- (SWEEP_SEARCH): a few microseconds a draft instead of seven lookups and removals. A tombstone
-- without "g" is the release before generations: its entries are in ``search:buckets`` and
-- ``search:b:<sha1>``, the first generation cleanup sweeps. ``base`` below is one generation's
-- key prefix (_SEARCH_WALK's search_base).
local function search_add(base, member)
  local key = search_bucket(base, member)
  redis.call('ZADD', key, 0, member)
  if redis.call('ZCARD', key) < 128 then return end
  local upper = redis.call('ZRANGE', key, 64, -1)
  local last, first, n = redis.call('ZRANGE', key, 63, 63)[1], upper[1], 1
  while n <= #last and string.byte(first, n) == string.byte(last, n) do n = n + 1 end
  local bound = string.sub(first, 1, n)
  local scored = {}
  for i, member in ipairs(upper) do scored[2 * i - 1] = 0; scored[2 * i] = member end
  redis.call('ZREM', key, unpack(upper))
  redis.call('ZADD', base .. 'b:' .. redis.sha1hex(bound), unpack(scored))
  redis.call('ZADD', base .. 'buckets', 0, bound)
end
-- True when this emptied the generation (then it is no longer listed in search:gens).
local function search_remove(base, member)
  local key, bound = search_bucket(base, member)
  if redis.call('ZREM', key, member) == 0 or redis.call('EXISTS', key) == 1 then return false end
  if bound ~= '' then redis.call('ZREM', base .. 'buckets', bound) end
  return redis.call('EXISTS', base .. 'buckets', base .. 'b:' .. redis.sha1hex('')) == 0
end
-- A draft's words from ``old`` (in generation ``old_gen``) to ``new`` (in ``new_gen``): within one
-- generation only the words that changed; across two, every entry moves. nil words: none.
local function search_reindex(prefix, id, old, new, old_gen, new_gen)
  local before = old and search_members(old, id) or {}
  local after = new and search_members(new, id) or {}
  local emptied = false
  if old_gen ~= new_gen then
    local from, to = search_base(prefix, old_gen), search_base(prefix, new_gen)
    for member in pairs(before) do emptied = search_remove(from, member) or emptied end
    for member in pairs(after) do search_add(to, member) end
    if new and new_gen then redis.call('ZADD', prefix .. 'search:gens', new_gen, new_gen) end
  else
    local base = search_base(prefix, new_gen)
    for member in pairs(before) do if not after[member] then emptied = search_remove(base, member) or emptied end end
    for member in pairs(after) do if not before[member] then search_add(base, member) end end
  end
  if emptied and old_gen and (old_gen ~= new_gen or not new) then redis.call('ZREM', prefix .. 'search:gens', old_gen) end
end
"""

# Compare-and-set on the write counter, then the draft, its tombstone and every index at once.
# The tombstone holds what the indexes need once the draft itself is gone: owner ("o"), step
# ("s"), owner kind ("k") and search words ("q"). Saving moves the draft between per-owner,
# per-step and per-kind indexes by comparing with it, so every index stays exact. Records of
# schema 1 named the write counter "version".
# KEYS: draft, tomb, index, index:created, index:expiry, owner, step, kind, search
# ARGV: expected writes (-1 = create), payload, ttl, tomb ttl, activity, draft id, tomb json,
#       created, expires, search words, key prefix, owner key, step, kind, counts (see _COUNT)
_SAVE_BODY = """
local indexed, indexed_gen = nil, nil  -- the search words indexed for this draft so far (nil: none), and their generation
local current = redis.call('GET', KEYS[1])
local expected = tonumber(ARGV[1])
if expected < 0 then
  if current then return -2 end
else
  if not current then return -1 end
  local record = cjson.decode(current)
  local stored = record['writes'] or record['version']
  if tonumber(stored) ~= expected then return 0 end
end
local id = ARGV[6]
local old = redis.call('GET', KEYS[2])
if old then
  local ok, t = pcall(cjson.decode, old)
  if ok and type(t) == 'table' then
    if t['o'] and t['o'] ~= ARGV[12] then  -- moved to another owner (claimed at sign-in)
      redis.call('ZREM', ARGV[11] .. 'owner:' .. t['o'], id)
      redis.call('HDEL', ARGV[11] .. 'uploads:' .. t['o'], id)  -- issue 12
    end
    if t['s'] and t['s'] ~= ARGV[13] then redis.call('ZREM', ARGV[11] .. 'index:step:' .. t['s'], id) end
    if t['k'] and t['k'] ~= ARGV[14] then redis.call('ZREM', ARGV[11] .. 'index:kind:' .. t['k'], id) end
    if t['q'] and string.find(t['q'], '|', 1, true) then redis.call('ZREM', KEYS[9], t['q'])
    elseif expected >= 0 then indexed, indexed_gen = t['q'], t['g'] end
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[7], 'EX', ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[5], id)
redis.call('ZADD', KEYS[4], ARGV[8], id)
redis.call('ZADD', KEYS[5], ARGV[9], id)
redis.call('ZADD', KEYS[6], ARGV[5], id)
-- Never shorter: it must outlive every tombstone of the owner's drafts (LOAD), erasure's way to them.
if redis.call('TTL', KEYS[6]) < tonumber(ARGV[4]) then redis.call('EXPIRE', KEYS[6], ARGV[4]) end
redis.call('ZADD', KEYS[7], ARGV[5], id)
redis.call('ZADD', KEYS[8], ARGV[5], id)
-- Issue 12: the draft's upload bytes (the tombstone's "b") in its owner's uploads:<owner>.
local fine, new = pcall(cjson.decode, ARGV[7])
local bytes = (fine and type(new) == 'table' and tonumber(new['b'])) or 0
local uploads = ARGV[11] .. 'uploads:' .. ARGV[12]
if bytes > 0 then
  redis.call('HSET', uploads, id, bytes)
  -- Never shorter: it must outlive every draft of the owner that has files (one staff extended).
  if redis.call('TTL', uploads) < tonumber(ARGV[4]) then redis.call('EXPIRE', uploads, ARGV[4]) end
else
  redis.call('HDEL', uploads, id)
end
search_reindex(ARGV[11], id, indexed, ARGV[10], indexed_gen, fine and type(new) == 'table' and new['g'] or nil)
"""
# --- Issue 12: an owner's limits. at_cap(cap): the owner has ``cap`` live drafts already, this
# one apart (0 = no cap; the owner index can still name drafts that expired, so past the cap only
# records that exist count). over_uploads(quota): the documents of the draft being written (its
# tombstone's "b", in ARGV[7]) and of the owner's other live drafts take more than ``quota``
# bytes (0 = none).
_OWNER_LIMITS = _UPLOAD_SUM + """
local function at_cap(cap)
  if not cap or cap <= 0 or redis.call('ZCARD', KEYS[6]) < cap then return false end
  local live = 0
  for _, other in ipairs(redis.call('ZRANGE', KEYS[6], 0, -1)) do
    if other ~= ARGV[6] then live = live + redis.call('EXISTS', ARGV[11] .. 'draft:' .. other) end
  end
  return live >= cap
end
local function over_uploads(quota)
  if not quota or quota <= 0 then return false end
  local ok, written = pcall(cjson.decode, ARGV[7])
  local total = (ok and type(written) == 'table' and tonumber(written['b'])) or 0
  if total <= 0 then return false end
  return total + upload_sum(ARGV[11], ARGV[12], ARGV[6]) > quota
end
"""
# A draft new to its owner (created, or moved in from another owner: a browser's drafts claimed at
# sign-in) is held to that owner's cap (ARGV[15]; -4) and upload total (ARGV[16]; -5). The caller
# passes them (a tail only SAVE reads; RESTORE's own ARGV[15..17] are unrelated) only for those
# two writes, 0 otherwise.
# An owner whose index then holds more ids than ``bound`` (passed with the cap; more than a
# listing reads) is noted in owners:over: cleanup makes that owner's writes itself (EXPIRE_DUE),
# so that its index stays bounded. SAVE and RESTORE, after _SAVE_BODY.
_NOTE_OVER = """
local bound = tonumber({bound} or 0)
if bound and bound > 0 and redis.call('ZCARD', KEYS[6]) > bound then
  redis.call('ZADD', ARGV[11] .. 'owners:over', ARGV[5], ARGV[12])
end
"""
SAVE = _COUNT + _SEARCH_INDEX + _OWNER_LIMITS + """
if at_cap(tonumber(ARGV[15] or 0)) then return -4 end
if over_uploads(tonumber(ARGV[16] or 0)) then return -5 end
""" + _SAVE_BODY + _NOTE_OVER.format(bound="ARGV[17]") + """
count_tail()
return 1"""

# The seconds left to the tombstone (``key``) of a draft that just expired, cut back to ``keep``
# when it would outlive that by more than a minute, or for ever: written under a longer
# DRAFT_TOMBSTONE_TTL after cleanup last checked every tombstone (an app server not yet restarted
# when it was lowered, or a TTL raised and lowered again between two runs), which no later run
# reads unless the TTL is lowered again. FORGET and EXPIRE_DUE both cut it back.
_TOMB_LEFT = """
local function expired_tomb_left(key, keep)
  local left = redis.call('PTTL', key) / 1000
  if left >= 0 and left <= keep + 60 then return left end
  if keep > 0 then redis.call('EXPIRE', key, keep) else redis.call('DEL', key) end
  return keep
end
"""

# An owner's ended drafts (discarded or expired): newest kept, bounded by age and by count. Several
# drafts of one owner noted at once end as noting them one by one would: the newest ``most``.
# A draft pushed out by the count ends for good (its set-aside record and its tombstone go): this
# list is how its owner's erasure finds it, so nothing of it may outlive its entry, not even the
# search entries an expiry left in their generation (the tombstone is how they are found).
# ARGV[2] is the key prefix; the caller passes now, the age kept and the count kept. Needs
# _SEARCH_INDEX before it.
_NOTE_ENDED = """
-- redis.call writes every number argument out with "%.17g" (snprintf), ~2,800 instructions each:
-- a tenth of EXPIRE_DUE's time went to the five numbers of each owner's note (callgrind). The
-- same text, made once per number and script run: whole numbers with "%d" (what "%.17g" writes
-- for them), others with "%.17g".
local number_text = {}
local function as_text(n)
  local text = number_text[n]
  if not text then
    if n == math.floor(n) and n > -1e15 and n < 1e15 then text = string.format('%d', n) else text = string.format('%.17g', n) end
    number_text[n] = text
  end
  return text
end
local function note_ended(owner, scored, now, keep, most)  -- scored: {when, id, when, id, ...}
  local key = ARGV[2] .. 'ended:' .. owner
  -- In slices: a call takes at most ~8,000 arguments through unpack, and a cleanup batch can
  -- hold more of one owner's drafts than 4,000.
  for from = 1, #scored, 2000 do redis.call('ZADD', key, unpack(scored, from, math.min(from + 1999, #scored))) end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', as_text(now - keep))
  local over = redis.call('ZRANGE', key, '0', as_text(-(most + 1)))
  for _, old in ipairs(over) do
    if redis.call('EXISTS', ARGV[2] .. 'draft:' .. old) == 0 then
      local fine, t = pcall(cjson.decode, redis.call('GET', ARGV[2] .. 'tomb:' .. old) or '')
      if fine and type(t) == 'table' and type(t['q']) == 'string' and not string.find(t['q'], '|', 1, true) then
        search_reindex(ARGV[2], old, t['q'], nil, t['g'], nil)
      end
      redis.call('DEL', ARGV[2] .. 'discarded:' .. old, ARGV[2] .. 'tomb:' .. old)
    end
  end
  if #over > 0 then redis.call('ZREMRANGEBYRANK', key, '0', as_text(-(most + 1))) end
  redis.call('EXPIRE', key, as_text(math.max(keep, 1)))
end
"""

# Takes a draft out of every index, using its tombstone ``t`` (a table, {} when there is none);
# with ``leave_search`` (an expiry) not out of the search index, whose generation SWEEP_SEARCH
# drops whole.
# KEYS: draft, tomb, index, index:created, index:expiry, search   ARGV: draft id, key prefix, ...
_UNINDEX = """
local id = ARGV[1]
local step = ''
local t = {}
local old = redis.call('GET', KEYS[2])
if old then
  local ok, decoded = pcall(cjson.decode, old)
  if ok and type(decoded) == 'table' then t = decoded end
end
if t['o'] then redis.call('ZREM', ARGV[2] .. 'owner:' .. t['o'], id) end
if t['s'] then redis.call('ZREM', ARGV[2] .. 'index:step:' .. t['s'], id); step = t['s'] end
if t['k'] then redis.call('ZREM', ARGV[2] .. 'index:kind:' .. t['k'], id) end
if t['q'] and string.find(t['q'], '|', 1, true) then redis.call('ZREM', KEYS[6], t['q'])
elseif t['q'] and not leave_search then search_reindex(ARGV[2], id, t['q'], nil, t['g'], nil) end
if t['o'] then redis.call('HDEL', ARGV[2] .. 'uploads:' .. t['o'], id) end  -- issue 12
local removed = redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
redis.call('ZREM', KEYS[5], id)
"""

# Removes a draft from every index, using its tombstone. Mode "delete" removes the record, the
# tombstone, a set-aside record and the commit lock; mode "expire" acts only if the record is
# already gone and keeps the tombstone (its owner still gets "expired", not "not found"), noting
# the draft among its owner's ended drafts: when it expired is read from the tombstone's TTL
# (it outlives the record by the tombstone TTL; one that would outlive it longer is cut back to
# it, _TOMB_LEFT). Returns {removed?, step}.
# KEYS: draft, tomb, index, index:created, index:expiry, search
# ARGV: draft id, key prefix, mode, now, tombstone ttl, ended max, counts (see _COUNT)
FORGET = _COUNT + _SEARCH_INDEX + _NOTE_ENDED + _TOMB_LEFT + """
if ARGV[3] == 'expire' and redis.call('EXISTS', KEYS[1]) == 1 then return {0, ''} end
local leave_search = ARGV[3] == 'expire'
""" + _UNINDEX + """
local now, keep = tonumber(ARGV[4]), tonumber(ARGV[5])
if ARGV[3] == 'delete' then
  removed = redis.call('DEL', KEYS[1])
  redis.call('DEL', KEYS[2])
  redis.call('DEL', ARGV[2] .. 'commit:' .. id)
  redis.call('DEL', ARGV[2] .. 'discarded:' .. id)
  if t['o'] then redis.call('ZREM', ARGV[2] .. 'ended:' .. t['o'], id) end
elseif t['o'] and not t['d'] then
  local left = expired_tomb_left(KEYS[2], keep)
  note_ended(t['o'], {math.floor(math.min(now, now - keep + left)), id}, now, keep, tonumber(ARGV[6]))  -- as EXPIRE_DUE
end
count_tail()
return {removed, step}
"""

# Sets a draft aside: out of every index, its record kept under ``discarded:<id>`` for the
# restore window, its tombstone marked with when it was discarded and until when it can be
# restored (the app's clock), and the draft noted among its owner's ended drafts. 0 if gone.
# KEYS: draft, tomb, index, index:created, index:expiry, search, discarded
# ARGV: draft id, key prefix, restore seconds, now, tombstone ttl, ended max, restorable until,
#       counts (see _COUNT)
DISCARD = _COUNT + _SEARCH_INDEX + _NOTE_ENDED + """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local leave_search = false
""" + _UNINDEX + """
if not t['o'] then t['o'] = cjson.decode(raw)['owner'] end
t['d'] = tonumber(ARGV[4])
t['r'] = tonumber(ARGV[7])
t['q'], t['g'] = nil, nil  -- out of the search index; a restore indexes it again
redis.call('SET', KEYS[7], raw, 'EX', ARGV[3])
redis.call('SET', KEYS[2], cjson.encode(t), 'EX', tonumber(ARGV[3]) + tonumber(ARGV[5]))
redis.call('DEL', KEYS[1])
note_ended(t['o'], {tonumber(ARGV[4]), id}, tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
count_tail()
return 1
"""

# Brings a set-aside draft back while its window lasts (the tombstone's "r" against the app's
# clock), written as SAVE writes a new draft (its lifetime restarted), then drops the set-aside
# record and the ended-drafts entry. -1: nothing set aside; -3: the window has passed.
# Held to the owner's cap as a new draft is (ARGV[16], 0 = none; -4: at the cap): the discarded
# draft is out of the owner index, so discard, start another, restore would otherwise add one
# draft past the cap each round.
# KEYS: SAVE's, discarded   ARGV: SAVE's (expected -1), now, cap, upload total, counts (see _COUNT)
RESTORE = _COUNT + _SEARCH_INDEX + _OWNER_LIMITS + """
if redis.call('EXISTS', KEYS[10]) == 0 then return -1 end
local marked = redis.call('GET', KEYS[2])
local fine, mark = pcall(cjson.decode, marked or '')
if not fine or type(mark) ~= 'table' or not mark['r'] or tonumber(mark['r']) < tonumber(ARGV[15]) then return -3 end
if at_cap(tonumber(ARGV[16] or 0)) then return -4 end
-- ... and to the owner's upload total (ARGV[17]; -5: its documents don't fit): the discard freed
-- their room, which other drafts may have taken since.
if over_uploads(tonumber(ARGV[17] or 0)) then return -5 end
""" + _SAVE_BODY + _NOTE_OVER.format(bound="ARGV[18]") + """
redis.call('DEL', KEYS[10])
redis.call('ZREM', ARGV[11] .. 'ended:' .. ARGV[12], ARGV[6])
count_tail()
return 1
"""

# a < b byte by byte: ids and members in Redis's own order (Lua's ``<`` on strings follows the
# server's locale). Shared by SEARCH (ties by id) and INTERSECT_CHUNK (its place among ties).
_BYTES_BEFORE = """
local function bytes_before(a, b)
  local n = 1
  while n <= #a and string.byte(a, n) == string.byte(b, n) do n = n + 1 end
  return (string.byte(a, n) or -1) < (string.byte(b, n) or -1)
end
"""

# Staff search (issue 14): drafts whose words start with every query word, read from the driver
# word's range (the word whose range spans the fewest buckets) and checked against the other words
# in the draft's tombstone; with an id range, also the drafts whose id lies in it. Stops after
# reading ``most read`` entries or finding ``most found`` drafts. The drafts found are then kept
# only if they are in the sort index and every filter index (ZMSCORE), ordered by their score in
# the sort index (ties by id, in byte order), and only the page's ids go back:
# {cut short?, drafts kept, ids of the page...}.
# KEYS: sort index, filter indexes...
# ARGV: key prefix, most read, most found, id range low, id range high ('' for none),
#       "desc" or "asc", first of the page (from 0), page size, words...
SEARCH = _BYTES_BEFORE + _SEARCH_WALK + r"""
local prefix, most_read, most_found = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local descending, first, size = ARGV[6] == 'desc', tonumber(ARGV[7]), tonumber(ARGV[8])
local read, found, seen, cut = 0, {}, {}, 0
local words = {}
for i = 9, #ARGV do words[#words + 1] = ARGV[i] end
local bases = {search_base(prefix, nil)}  -- every generation, the release before them first
for _, gen in ipairs(redis.call('ZRANGE', prefix .. 'search:gens', 0, -1)) do bases[#bases + 1] = search_base(prefix, gen) end
local function walk(low, high, take)
  local function counted(member)
    if read >= most_read or #found >= most_found then cut = 1; return true end
    read = read + 1
    take(member)
  end
  for _, base in ipairs(bases) do
    if search_walk(base, low, false, high, counted) then return end
  end
end
local driver, fewest = nil, nil
for i, word in ipairs(words) do
  local spans = 0
  for _, base in ipairs(bases) do spans = spans + redis.call('ZLEXCOUNT', base .. 'buckets', '[' .. word, '(' .. word .. '\255') end
  if not fewest or spans < fewest or (spans == fewest and #word > #words[driver]) then driver, fewest = i, spans end
end
-- The tombstone's words: its "q" read straight from the JSON the store wrote when it holds no
-- escape, else decoded.
local function words_of(id)
  local raw = redis.call('GET', prefix .. 'tomb:' .. id)
  if not raw then return nil end
  local q = string.match(raw, '"q": "([^"\\]*)"')
  if q then return q end
  local ok, t = pcall(cjson.decode, raw)
  if ok and type(t) == 'table' and type(t['q']) == 'string' then return t['q'] end
end
local function matches(id)
  if #words < 2 then return true end
  local q = words_of(id)
  if not q then return false end
  q = ' ' .. q
  for i, word in ipairs(words) do
    if i ~= driver and not string.find(q, ' ' .. word, 1, true) then return false end
  end
  return true
end
local function add(bin)
  if seen[bin] then return end
  seen[bin] = true
  local id = uuid(bin)
  if matches(id) then found[#found + 1] = id end
end
if ARGV[4] ~= '' then
  walk('\0' .. ARGV[4], '[\0' .. ARGV[5], function(member) add(string.sub(member, 2)) end)
end
if driver then
  local word = words[driver]
  walk(word, '(' .. word .. '\255', function(member) add(string.sub(member, string.find(member, '%z') + 1)) end)
end
-- Their scores in the sort index; the drafts missing from it or from a filter are left out.
local function scores(key, ids)
  local out = {}
  for from = 1, #ids, 1000 do
    local part = redis.call('ZMSCORE', key, unpack(ids, from, math.min(from + 999, #ids)))
    for i = 1, #part do out[from + i - 1] = part[i] end
  end
  return out
end
local kept, score = {}, {}
if #found > 0 then
  local sorted = scores(KEYS[1], found)
  for i, id in ipairs(found) do
    if sorted[i] then kept[#kept + 1] = id; score[#kept] = tonumber(sorted[i]) end
  end
  for k = 2, #KEYS do
    if #kept == 0 then break end
    local filtered, ids, points = scores(KEYS[k], kept), {}, {}
    for i, id in ipairs(kept) do
      if filtered[i] then ids[#ids + 1] = id; points[#ids] = score[i] end
    end
    kept, score = ids, points
  end
end
-- The page: the scores sorted as plain numbers (no Lua call per comparison), then each score's
-- drafts; drafts sharing a score are ordered by id, byte by byte as Python compares them (Lua's
-- < on strings follows the server's locale). Lowercase UUIDs compare as the number their first
-- 12 hex digits make, sorted as plain numbers too; byte by byte only where that number is shared.
local HEAD = '^(' .. string.rep('[0-9a-f]', 8) .. ')%-(' .. string.rep('[0-9a-f]', 4) .. ')%-'
local function by_id(ids)
  local numbers, with = {}, {}
  for _, id in ipairs(ids) do
    local high, low = string.match(id, HEAD)
    if not high then table.sort(ids, bytes_before); return ids end
    local number = tonumber(high .. low, 16)
    local there = with[number]
    if there == nil then numbers[#numbers + 1] = number; with[number] = {id}
    else there[#there + 1] = id end
  end
  table.sort(numbers)
  local sorted = {}
  for _, number in ipairs(numbers) do
    local same = with[number]
    if #same > 1 then table.sort(same, bytes_before) end
    for _, id in ipairs(same) do sorted[#sorted + 1] = id end
  end
  return sorted
end
local order, at = {}, {}
for i, id in ipairs(kept) do
  local s = score[i]
  local there = at[s]
  if there == nil then order[#order + 1] = s; at[s] = id
  elseif type(there) == 'table' then there[#there + 1] = id
  else at[s] = {there, id} end
end
table.sort(order)
local out, position = {cut, #kept}, 0
local from, to, step = 1, #order, 1
if descending then from, to, step = #order, 1, -1 end
for o = from, to, step do
  if position >= first + size then break end
  local ids = at[order[o]]
  if type(ids) == 'string' then ids = {ids} else ids = by_id(ids) end
  local i, last, by = 1, #ids, 1
  if descending then i, last, by = #ids, 1, -1 end
  for j = i, last, by do
    position = position + 1
    if position > first and position <= first + size then out[#out + 1] = ids[j] end
  end
end
return out
"""

# One batch of cleanup (issue 14), in one round trip: the expiry index's entries due by ``now``
# (at most ``count``). A draft still there (reads slid its TTL) is put back in line; a gone one
# leaves the indexes every draft is in (index, index:created, index:expiry, its step's, its
# kind's), its tombstone cut back as FORGET cuts it (_TOMB_LEFT), the removals grouped per key.
# What is its owner's (owner:<key>, uploads:<key>, ended:<key>) is left to FORGET "expire" when
# the owner's drafts are next listed (RedisDraftStore.list_for_owner), which finds the draft gone:
# those writes were most of a batch's Redis time, and an owner who never comes back needs none of
# them. Meanwhile nothing counts it (an owner's cap and upload total count drafts that exist), and
# erasure finds it in owner:<key>, which lives as long as its drafts' tombstones (SAVE, LOAD).
# An owner in owners:over (SAVE noted that its index held more ids than a listing reads: one who
# never lists their drafts, or keeps hundreds) whose index still holds more than ``bound`` gets
# those writes here, as FORGET would make them, so that the index stays bounded; it leaves once it
# holds no more, or after SESSION_TTL + DRAFT_TOMBSTONE_TTL without a new draft (then its
# expiries go back to the owner's visit until its next new draft notes it again).
# Cleanup then FORGET leave what FORGET alone leaves (tests/test_cleanup_drafts_removal.py). Like
# FORGET "expire", it leaves the drafts' search entries to SWEEP_SEARCH (but those of a draft
# pushed out of its owner's ended list: _NOTE_ENDED).
# Returns {entries seen, rescheduled, id, step, id, step, ...} of the drafts it forgot.
# ARGV: key prefix, now, count, tombstone ttl, ended max, session ttl, bound (none: ended max)
EXPIRE_DUE = "local function expire_due(ARGV, prefix, now, count, keep, most, session_ttl, bound)\n" + _SEARCH_INDEX + _NOTE_ENDED + _TOMB_LEFT + """
-- Light on Lua's allocator and collector (perf on redis-server, 100k and 1M drafts of two per
-- owner: about 30% of the script's time was Lua building and collecting tables): counters instead
-- of ``#``, each key's name built once, the three main indexes' removals straight from ``gone``.
local expiry = prefix .. 'index:expiry'
local draft_prefix, tomb_prefix = prefix .. 'draft:', prefix .. 'tomb:'
local due = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, count)
local out, n_out = {#due, 0}, 2
local gone, n_gone = {}, 0
for _, id in ipairs(due) do
  local pttl = redis.call('PTTL', draft_prefix .. id)
  if pttl ~= -2 then
    redis.call('ZADD', expiry, 'XX', now + (pttl > 0 and pttl / 1000 or session_ttl), id)
    out[2] = out[2] + 1
  else
    n_gone = n_gone + 1
    gone[n_gone] = id
  end
end
if n_gone == 0 then return out end
local listed = redis.call('ZMSCORE', prefix .. 'index', unpack(gone))  -- FORGET reports these only
-- Per shared key (a step's index, a kind's, the older search set), the members to remove, each
-- key listed once in ``order`` as it first comes; per owner, their gone drafts.
local members_of, order, n_order = {}, {}, 0
local function later(key, member)
  local members = members_of[key]
  if members then
    members[#members + 1] = member
  else
    members_of[key] = {member}
    n_order = n_order + 1
    order[n_order] = key
  end
end
local of_owner, owners, n_owners, when_of, files_of = {}, {}, 0, {}, {}
local step_keys, kind_keys = {}, {}
local function key_of(cache, name, value)
  local key = cache[value]
  if not key then key = prefix .. name .. value; cache[value] = key end
  return key
end
local search_key = prefix .. 'search'
for i, id in ipairs(gone) do
  local step, t = '', {}
  local tomb = tomb_prefix .. id
  local old = redis.call('GET', tomb)
  if old then
    local ok, decoded = pcall(cjson.decode, old)
    if ok and type(decoded) == 'table' then t = decoded end
  end
  if t['s'] then later(key_of(step_keys, 'index:step:', t['s']), id); step = t['s'] end
  if t['k'] then later(key_of(kind_keys, 'index:kind:', t['k']), id) end
  -- Its search entries stay in their generation until SWEEP_SEARCH drops it whole.
  if t['q'] and string.find(t['q'], '|', 1, true) then later(search_key, t['q']) end
  local o = t['o']
  if o then
    local ids = of_owner[o]
    if ids then ids[#ids + 1] = id else of_owner[o] = {id}; n_owners = n_owners + 1; owners[n_owners] = o end
    if not t['d'] then when_of[id] = math.floor(math.min(now, now - keep + expired_tomb_left(tomb, keep))) end
    -- Issue 12: no entry to remove when its last save had no files (SAVE removed it then).
    if tonumber(t['b'] or 1) ~= 0 then files_of[id] = true end
  end
  if listed[i] then
    out[n_out + 1], out[n_out + 2] = id, step
    n_out = n_out + 2
  end
end
-- Every gone draft leaves the three main indexes, then the keys above get theirs (in slices:
-- unpack takes at most ~8,000 arguments).
local function remove(command, key, members, n)  -- how many were there
  local removed = 0
  for from = 1, n, 1000 do removed = removed + redis.call(command, key, unpack(members, from, math.min(from + 999, n))) end
  return removed
end
for _, key in ipairs({prefix .. 'index', prefix .. 'index:created', expiry}) do remove('ZREM', key, gone, n_gone) end
for j = 1, n_order do
  local members = members_of[order[j]]
  remove('ZREM', order[j], members, #members)
end
local over = prefix .. 'owners:over'
redis.call('ZREMRANGEBYSCORE', over, '-inf', as_text(math.floor(now - session_ttl - keep - 3600)))
local flagged = n_owners > 0 and redis.call('ZMSCORE', over, unpack(owners)) or {}
for j = 1, n_owners do
  local o = owners[j]
  local owner_key = prefix .. 'owner:' .. o
  local size = flagged[j] and redis.call('ZCARD', owner_key)
  if size and size > bound then
    local ids, files, ended = of_owner[o], {}, {}
    for _, id in ipairs(ids) do
      if files_of[id] then files[#files + 1] = id end
      if when_of[id] then ended[#ended + 1] = as_text(when_of[id]); ended[#ended + 1] = id end
    end
    size = size - remove('ZREM', owner_key, ids, #ids)
    remove('HDEL', prefix .. 'uploads:' .. o, files, #files)
    if #ended > 0 then note_ended(o, ended, now, keep, most) end  -- ended: {when, id, when, id, ...}
  end
  if size and size <= bound then redis.call('ZREM', over, o) end
end
return out
end
return expire_due({'', ARGV[1]}, ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7] or ARGV[5]))
"""

# Cleanup's sweep of one search generation (issue 14 goal 4; see _SEARCH_INDEX), at most
# ``budget`` at a time. Phase "ids" walks the generation's id entries after ``cursor``: a draft
# still alive whose entries are there (its tombstone's "g" is this generation, or it has none)
# gets them again in generation ``into``, and its tombstone says so. A tombstone without "g" in a
# generation's sweep: the release before generations saved the draft during a rolling deploy,
# which leaves the words it did not change where they were.
# Phase "drop" then deletes buckets, and with the last of them the generation.
# Returns: "ids", {entries read, where to go on from ('' when done)}; "drop", 'more' or ''.
# ARGV: key prefix, generation ('' = the release before generations), into, budget, phase, cursor
SWEEP_SEARCH = _SEARCH_INDEX + r"""
local prefix, gen, into, budget = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local base = search_base(prefix, gen ~= '' and gen or nil)
if ARGV[5] == 'drop' then
  local bounds = redis.call('ZRANGE', base .. 'buckets', 0, budget - 1)
  for _, bound in ipairs(bounds) do redis.call('DEL', base .. 'b:' .. redis.sha1hex(bound)) end
  if #bounds > 0 then redis.call('ZREM', base .. 'buckets', unpack(bounds)) end
  if #bounds == budget then return 'more' end
  redis.call('DEL', base .. 'b:' .. redis.sha1hex(''))
  if gen ~= '' then redis.call('ZREM', prefix .. 'search:gens', gen) end
  return ''
end
local target = search_base(prefix, into)
local read, moved, last = 0, 0, ''
local function move(member)
  read, last = read + 1, member
  local id = uuid(string.sub(member, 2))
  if redis.call('EXISTS', prefix .. 'draft:' .. id) == 0 then return read >= budget end
  local key = prefix .. 'tomb:' .. id
  local raw = redis.call('GET', key) or ''
  local ok, t = pcall(cjson.decode, raw)
  if ok and type(t) == 'table' and type(t['q']) == 'string' and not string.find(t['q'], '|', 1, true)
      and (t['g'] == nil or tostring(t['g']) == gen) then
    for entry in pairs(search_members(t['q'], id)) do search_add(target, entry) end
    -- The tombstone as the store wrote it (SEARCH reads its "q" straight from that text), "g" changed.
    local written, n = string.gsub(raw, '"g":%s*%-?%d+', '"g": ' .. into, 1)
    if n == 0 then written = '{"g": ' .. into .. ', ' .. string.sub(raw, 2) end
    redis.call('SET', key, written, 'KEEPTTL')
    moved = moved + 1
  end
  return read >= budget
end
local more = search_walk(base, ARGV[6] ~= '' and ARGV[6] or '\0', ARGV[6] ~= '', '(\1', move)
if moved > 0 then redis.call('ZADD', prefix .. 'search:gens', into, into) end
return {read, more and last or ''}
"""

# A filtered admin page (issue 14): the intersection of the sort index with the filters, built
# chunk by chunk (INTERSECT_CHUNK) and kept ``seconds`` under ``result`` (named after the sort
# and the filters), its size under ``count``, so that paging through it reuses it. Without
# ``count`` (or with a count but no longer its result) the intersection is not there: {-1}. With a third key (``building``, the chunks'
# result) it first takes that as the result. Returns {total, ids of the page...}.
# KEYS: result, count[, building]   ARGV: seconds kept, start, stop, "desc" or "asc"
INTERSECTION_PAGE = """
if KEYS[3] then
  local n = redis.call('ZCARD', KEYS[3])
  if n > 0 then
    redis.call('RENAME', KEYS[3], KEYS[1])
    redis.call('EXPIRE', KEYS[1], ARGV[1])
  else
    redis.call('DEL', KEYS[1])
  end
  redis.call('SET', KEYS[2], n, 'EX', ARGV[1])
end
local total = redis.call('GET', KEYS[2])
-- A count whose result has gone (expired a moment before it, or evicted) is no intersection.
if not total or (tonumber(total) > 0 and redis.call('EXISTS', KEYS[1]) == 0) then return {-1} end
local ids = redis.call(ARGV[4] == 'desc' and 'ZREVRANGE' or 'ZRANGE', KEYS[1], ARGV[2], ARGV[3])
table.insert(ids, 1, tonumber(total))
return ids
"""

# One chunk of a filtered page's intersection (issue 14): ``count`` entries of the driver (the
# smallest filter index) from score ``low`` on, after ``member`` among those at exactly ``low``
# (the last read by the chunk before; members at one score are in byte order); each one in every
# other filter index is added to ``building`` with its score in the sort index. Chunks keep
# Redis's one thread free for the wizard between them (a ZINTERSTORE of a million-draft index
# held it ~1 s). Walking by score rather than rank, a draft saved meanwhile (moved to the end) is
# read again rather than shifting the others; and the place among drafts of one score is found
# again by member (a binary search of their ranks), not by a count that a draft of that score
# saved or deleted meanwhile would shift past one never read. The chunk is then read by rank from
# there (within the script, ranks hold still): O(log n + count) however many drafts share
# ``low``, where ZRANGEBYSCORE's LIMIT offset walked past every one of them again, chunk after
# chunk (at a million drafts of one bulk-written score, a first filtered page took 5-9 s).
# With ``same`` the driver is scored as the sort index is (by last activity): its scores are used.
# Returns {entries read, last score read, last member read}.
# KEYS: building, sort index, driver, other filters...   ARGV: low, member ("" at first), count, seconds, same
INTERSECT_CHUNK = _BYTES_BEFORE + """
local start = redis.call('ZCOUNT', KEYS[3], '-inf', '(' .. ARGV[1])  -- the rank of the first entry at ``low``
if ARGV[2] ~= '' then
  local lo, hi = start, start + redis.call('ZCOUNT', KEYS[3], ARGV[1], ARGV[1])
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if bytes_before(ARGV[2], redis.call('ZRANGE', KEYS[3], mid, mid)[1]) then hi = mid else lo = mid + 1 end
  end
  start = lo
end
local entries = redis.call('ZRANGE', KEYS[3], start, start + tonumber(ARGV[3]) - 1, 'WITHSCORES')
local n = #entries / 2
if n == 0 then return {0, ARGV[1], ARGV[2]} end
local ids, sorted = {}, {}
for i = 1, n do ids[i] = entries[2 * i - 1]; sorted[i] = entries[2 * i] end
if ARGV[5] ~= '1' then sorted = redis.call('ZMSCORE', KEYS[2], unpack(ids)) end
local others = {}
for k = 4, #KEYS do others[#others + 1] = redis.call('ZMSCORE', KEYS[k], unpack(ids)) end
local add = {}
for i, id in ipairs(ids) do
  local keep = sorted[i]
  for _, scores in ipairs(others) do if not scores[i] then keep = false; break end end
  if keep then add[#add + 1] = keep; add[#add + 1] = id end
end
if #add > 0 then
  redis.call('ZADD', KEYS[1], unpack(add))
  redis.call('EXPIRE', KEYS[1], ARGV[4])
end
return {n, entries[2 * n], entries[2 * n - 1]}
"""

# Cleanup's tombstone pass (issue 14), one round trip per batch: tombstones of gone drafts that
# would outlive ``most ttl`` (no expiry, or a longer one) are cut back to the tombstone TTL, or
# removed when that is 0; "dry" only counts them. Returns how many were stale.
# Every tombstone left gets its owner's index and uploads hash kept alive past it, as LOAD and
# SAVE keep them (erasure finds an expired draft through owner:<key>): what a release before them
# wrote may not be (its reads slid tombstones only).
# ARGV: tomb key prefix, draft key prefix, most ttl, tombstone ttl, "dry" or "", tomb keys...
TRIM_TOMBSTONES = _OWNER_KEYS_OUTLIVE + """
local stale = 0
local prefix = string.sub(ARGV[1], 1, #ARGV[1] - #'tomb:')
for i = 6, #ARGV do
  local key = ARGV[i]
  local ttl = redis.call('TTL', key)
  if (ttl == -1 or ttl > tonumber(ARGV[3])) and redis.call('EXISTS', ARGV[2] .. string.sub(key, #ARGV[1] + 1)) == 0 then
    stale = stale + 1
    if ARGV[5] ~= 'dry' then
      if tonumber(ARGV[4]) > 0 then redis.call('EXPIRE', key, ARGV[4]) else redis.call('DEL', key) end
      ttl = tonumber(ARGV[4]) > 0 and tonumber(ARGV[4]) or -2
    end
  end
  if ttl > 0 and ARGV[5] ~= 'dry' then owner_keys_outlive(prefix, redis.call('GET', key), ttl) end
end
return stale
"""

_registered = {}


def script(source):
    """The registered script for ``source`` on the current client (EVALSHA, loading it once)."""
    client = redis()
    registered = _registered.get(source)
    if registered is None or registered.registered_client is not client:
        registered = _registered[source] = client.register_script(source)
    return registered
