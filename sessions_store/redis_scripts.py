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
- ``owner:<key>``         sorted set of one owner's draft ids by last activity.
- ``uploads:<key>``       hash of one owner's draft ids -> bytes of their files (drafts with files).
- ``search``              sorted set of "<search text>|<id>" entries for staff search (ZSCAN).
- ``discarded:<id>``      a discarded draft's record, set aside for DRAFT_RESTORE_SECONDS: out of
                          every index, and brought back by RESTORE. Its tombstone then also holds
                          when it was discarded ("d") and until when it can be restored ("r").
- ``ended:<owner>``       sorted set of one owner's discarded and expired draft ids by when they
                          ended, kept DRAFT_TOMBSTONE_TTL and at most ENDED_MAX entries.
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

# Reads slide the draft's TTL up to SESSION_TTL (never shortening an expiry staff extended) and
# keep the tombstone alive past it. With a third key (the commit lock) it also takes that lock
# (SET NX PX, locks.RedisLock's protocol), only for the draft's owner: someone else's request
# must not block the owner. So a commit costs two round trips: this one and FORGET.
# Also returns the TTL the draft had before this read slid it (how long it lay idle).
# KEYS: draft, tomb[, commit lock]   ARGV: ttl, tomb ttl[, lock token, lock ms, owner key], counts
LOAD = _COUNT + """
local raw = redis.call('GET', KEYS[1])
local tomb = redis.call('GET', KEYS[2])
local ttl = -2
local before = -2
local locked = 0
if raw and KEYS[3] and cjson.decode(raw)['owner'] == ARGV[5] then
  if redis.call('SET', KEYS[3], ARGV[3], 'NX', 'PX', ARGV[4]) then locked = 1 end
end
-- Issue 12: the bytes of the files of every live draft of the owner (uploads:<owner>, read
-- through the tombstone's owner; the prefix is the tombstone key's), for the upload quota.
local uploads = 0
if raw and tomb then
  local fine, t = pcall(cjson.decode, tomb)
  local prefix = string.match(KEYS[2], '^(.*)tomb:[^:]*$')
  if fine and type(t) == 'table' and t['o'] and prefix then
    local entries = redis.call('HGETALL', prefix .. 'uploads:' .. t['o'])
    for i = 1, #entries, 2 do
      if redis.call('EXISTS', prefix .. 'draft:' .. entries[i]) == 1 then uploads = uploads + tonumber(entries[i + 1]) end
    end
  end
end
if raw then
  ttl = redis.call('TTL', KEYS[1])
  before = ttl
  if ttl < tonumber(ARGV[1]) then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  if tomb and redis.call('TTL', KEYS[2]) < ttl + tonumber(ARGV[2]) then
    redis.call('EXPIRE', KEYS[2], ttl + tonumber(ARGV[2]))
  end
end
count_tail()
return {raw, tomb, ttl, locked, uploads, before}
"""

# Compare-and-set on the write counter, then the draft, its tombstone and every index at once.
# The tombstone holds what the indexes need once the draft itself is gone: owner ("o"), step
# ("s"), owner kind ("k") and search entry ("q"). Saving moves the draft between per-owner,
# per-step and per-kind indexes by comparing with it, so every index stays exact. Records of
# schema 1 named the write counter "version".
# KEYS: draft, tomb, index, index:created, index:expiry, owner, step, kind, search
# ARGV: expected writes (-1 = create), payload, ttl, tomb ttl, activity, draft id, tomb json,
#       created, expires, search entry, key prefix, owner key, step, kind, counts (see _COUNT)
_SAVE_BODY = """
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
    if t['o'] and t['o'] ~= ARGV[12] then redis.call('ZREM', ARGV[11] .. 'owner:' .. t['o'], id) end
    if t['s'] and t['s'] ~= ARGV[13] then redis.call('ZREM', ARGV[11] .. 'index:step:' .. t['s'], id) end
    if t['k'] and t['k'] ~= ARGV[14] then redis.call('ZREM', ARGV[11] .. 'index:kind:' .. t['k'], id) end
    if t['q'] and t['q'] ~= ARGV[10] then redis.call('ZREM', KEYS[9], t['q']) end
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[7], 'EX', ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[5], id)
redis.call('ZADD', KEYS[4], ARGV[8], id)
redis.call('ZADD', KEYS[5], ARGV[9], id)
redis.call('ZADD', KEYS[6], ARGV[5], id)
redis.call('EXPIRE', KEYS[6], ARGV[4])
redis.call('ZADD', KEYS[7], ARGV[5], id)
redis.call('ZADD', KEYS[8], ARGV[5], id)
redis.call('ZADD', KEYS[9], 0, ARGV[10])
-- Issue 12: the draft's upload bytes (the tombstone's "b") in its owner's uploads:<owner>.
local fine, new = pcall(cjson.decode, ARGV[7])
local bytes = (fine and type(new) == 'table' and tonumber(new['b'])) or 0
local uploads = ARGV[11] .. 'uploads:' .. ARGV[12]
if old then
  local ok, t = pcall(cjson.decode, old)
  if ok and type(t) == 'table' and t['o'] and t['o'] ~= ARGV[12] then redis.call('HDEL', ARGV[11] .. 'uploads:' .. t['o'], id) end
end
if bytes > 0 then
  redis.call('HSET', uploads, id, bytes)
  redis.call('EXPIRE', uploads, ARGV[4])
else
  redis.call('HDEL', uploads, id)
end
"""
# --- Issue 12: an owner's live drafts are capped when one is created. ARGV[15] (a tail only
# SAVE reads; RESTORE's own ARGV[15] is unrelated): the cap, 0 = none. The owner index can still
# name drafts that expired, so past the cap only records that exist count. -4: at the cap.
_OWNER_CAP = """
local cap = tonumber(ARGV[15] or 0)
if tonumber(ARGV[1]) < 0 and cap > 0 and redis.call('ZCARD', KEYS[6]) >= cap then
  local live = 0
  for _, other in ipairs(redis.call('ZRANGE', KEYS[6], 0, -1)) do
    live = live + redis.call('EXISTS', ARGV[11] .. 'draft:' .. other)
  end
  if live >= cap then return -4 end
end
"""
SAVE = _COUNT + _OWNER_CAP + _SAVE_BODY + "count_tail()\nreturn 1"

# An owner's ended drafts (discarded or expired): newest kept, bounded by age and by count.
# ARGV[2] is the key prefix; the caller passes now, the age kept and the count kept.
_NOTE_ENDED = """
local function note_ended(id, owner, at, now, keep, most)
  local key = ARGV[2] .. 'ended:' .. owner
  redis.call('ZADD', key, at, id)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - keep)
  redis.call('ZREMRANGEBYRANK', key, 0, -(most + 1))
  redis.call('EXPIRE', key, math.max(keep, 1))
end
"""

# Takes a draft out of every index, using its tombstone ``t`` (a table, {} when there is none).
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
if t['q'] then redis.call('ZREM', KEYS[6], t['q']) end
if t['o'] then redis.call('HDEL', ARGV[2] .. 'uploads:' .. t['o'], id) end  -- issue 12
local removed = redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
redis.call('ZREM', KEYS[5], id)
"""

# Removes a draft from every index, using its tombstone. Mode "delete" removes the record, the
# tombstone, a set-aside record and the commit lock; mode "expire" acts only if the record is
# already gone and keeps the tombstone (its owner still gets "expired", not "not found"), noting
# the draft among its owner's ended drafts: when it expired is read from the tombstone's TTL
# (it outlives the record by the tombstone TTL). Returns {removed?, step}.
# KEYS: draft, tomb, index, index:created, index:expiry, search
# ARGV: draft id, key prefix, mode, now, tombstone ttl, ended max, counts (see _COUNT)
FORGET = _COUNT + _NOTE_ENDED + """
if ARGV[3] == 'expire' and redis.call('EXISTS', KEYS[1]) == 1 then return {0, ''} end
""" + _UNINDEX + """
local now, keep = tonumber(ARGV[4]), tonumber(ARGV[5])
if ARGV[3] == 'delete' then
  removed = redis.call('DEL', KEYS[1])
  redis.call('DEL', KEYS[2])
  redis.call('DEL', ARGV[2] .. 'commit:' .. id)
  redis.call('DEL', ARGV[2] .. 'discarded:' .. id)
  if t['o'] then redis.call('ZREM', ARGV[2] .. 'ended:' .. t['o'], id) end
elseif t['o'] and not t['d'] then
  local left = redis.call('PTTL', KEYS[2]) / 1000
  note_ended(id, t['o'], math.min(now, now - keep + left), now, keep, tonumber(ARGV[6]))
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
DISCARD = _COUNT + _NOTE_ENDED + """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
""" + _UNINDEX + """
if not t['o'] then t['o'] = cjson.decode(raw)['owner'] end
t['d'] = tonumber(ARGV[4])
t['r'] = tonumber(ARGV[7])
redis.call('SET', KEYS[7], raw, 'EX', ARGV[3])
redis.call('SET', KEYS[2], cjson.encode(t), 'EX', tonumber(ARGV[3]) + tonumber(ARGV[5]))
redis.call('DEL', KEYS[1])
note_ended(id, t['o'], tonumber(ARGV[4]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
count_tail()
return 1
"""

# Brings a set-aside draft back while its window lasts (the tombstone's "r" against the app's
# clock), written as SAVE writes a new draft (its lifetime restarted), then drops the set-aside
# record and the ended-drafts entry. -1: nothing set aside; -3: the window has passed.
# KEYS: SAVE's, discarded   ARGV: SAVE's (expected -1), now, counts (see _COUNT)
RESTORE = _COUNT + """
if redis.call('EXISTS', KEYS[10]) == 0 then return -1 end
local marked = redis.call('GET', KEYS[2])
local fine, mark = pcall(cjson.decode, marked or '')
if not fine or type(mark) ~= 'table' or not mark['r'] or tonumber(mark['r']) < tonumber(ARGV[15]) then return -3 end
""" + _SAVE_BODY + """
redis.call('DEL', KEYS[10])
redis.call('ZREM', ARGV[11] .. 'ended:' .. ARGV[12], ARGV[6])
count_tail()
return 1
"""

_registered = {}


def script(source):
    """The registered script for ``source`` on the current client (EVALSHA, loading it once)."""
    client = redis()
    registered = _registered.get(source)
    if registered is None or registered.registered_client is not client:
        registered = _registered[source] = client.register_script(source)
    return registered
