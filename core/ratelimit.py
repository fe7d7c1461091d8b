"""Atomic rate limits and failure lockouts, shared by every web process.

``take(key, limits)`` checks every window of ``limits`` (``[(count, seconds), ...]``) and counts
the hit in all of them only when every window has room, in one step: on Redis (the production
and test cache) one Lua script reads and writes all the windows, so 50 simultaneous requests
cannot all read "0 so far" and all get in. With any other cache backend (the embedded default is
local memory, one process) a process-wide lock around read-and-write is enough; it is *not* enough
for several processes sharing a non-Redis cache, which is why production runs Redis.

``attempt`` / ``release`` / ``is_locked`` / ``reset`` keep failure counters for sign-ins: an
attempt is counted *before* it is checked (a slot in the failure window of every key, in one
step), a locked key refuses without counting, the attempt that takes the last slot locks the key
at once, and a successful attempt gives its slot back (``release``) or forgets the key
(``reset``). So parallel attempts can never get past the limit; the lock ends by itself, nobody
has to lift it. ``core.signin`` builds the sign-in lockout on it.

Windows are fixed and start at the first hit: ``(5, 3600)`` allows 5 hits, then refuses until an
hour after the first of them. Times come from the application clock (passed to the script), so a
test can move time forward; Redis' own expiry only removes keys that are no longer needed.
Keys go through the cache's key function, so they carry the active tenant; callers add what they
count (``portal:signin:account:<digest>``) and must not put personal data in them.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

Limits = list[tuple[int, int]]

_LOCK = threading.Lock()
_SPARE = 60  # seconds a Redis key outlives its window (clock differences between machines)

# KEYS: one hash per window. ARGV: now, then limit and window seconds per key.
# Each hash holds ``start`` (when its window began) and ``count``.
_TAKE = """
local now = tonumber(ARGV[1])
local wait = 0
local starts, counts = {}, {}
for i = 1, #KEYS do
  local limit, window = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local row = redis.call('HMGET', KEYS[i], 'start', 'count')
  local start, count = tonumber(row[1]), tonumber(row[2])
  if start == nil or count == nil or now >= start + window then
    start, count = now, 0
  end
  if count >= limit then
    wait = math.max(wait, start + window - now)
  end
  starts[i], counts[i] = start, count
end
if wait > 0 then
  return {0, tostring(wait)}
end
for i = 1, #KEYS do
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('HSET', KEYS[i], 'start', tostring(starts[i]), 'count', counts[i] + 1)
  redis.call('EXPIRE', KEYS[i], math.ceil(starts[i] + window - now) + tonumber(ARGV[#ARGV]))
end
return {1, '0'}
"""

# KEYS: one failure hash per key (start, count, until). ARGV: now, spare, then limit, window and
# lockout per key. A locked key refuses (nothing is counted anywhere); otherwise the attempt is
# counted on every key, and a key whose count reaches its limit is locked from now on, while the
# attempt that reached it is still being checked. Returns allowed, seconds (refused: until the
# lock ends; allowed: of the lock this attempt started, 0 if none), and each key's window start.
_ATTEMPT = """
local now, spare = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait = 0
local rows = {}
for i = 1, #KEYS do
  local limit, window = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  local lockout = tonumber(ARGV[3 * i + 2])
  local row = redis.call('HMGET', KEYS[i], 'start', 'count', 'until')
  local start, count, locked = tonumber(row[1]), tonumber(row[2]), tonumber(row[3]) or 0
  if locked > now then
    -- at most the lockout: ``now`` is read before the script runs, so a request that read the
    -- clock before the one that locked would otherwise be told to wait a little longer
    wait = math.max(wait, math.min(locked - now, lockout))
  elseif locked > 0 or start == nil or count == nil or now >= start + window then
    start, count, locked = now, 0, 0
  end
  rows[i] = {start, count, locked, limit, window, lockout}
end
if wait > 0 then
  return {0, tostring(wait), {}}
end
local locks, starts = 0, {}
for i = 1, #KEYS do
  local start, count, locked = rows[i][1], rows[i][2] + 1, rows[i][3]
  local limit, window, lockout = rows[i][4], rows[i][5], rows[i][6]
  if count >= limit then
    locked = now + lockout
    locks = math.max(locks, lockout)
  end
  redis.call('HSET', KEYS[i], 'start', tostring(start), 'count', count, 'until', tostring(locked))
  redis.call('EXPIRE', KEYS[i], math.ceil(math.max(start + window, locked) - now) + spare)
  starts[i] = tostring(start)
end
return {1, tostring(locks), starts}
"""

# KEYS: the failure hashes of an allowed attempt. ARGV: the window start the attempt was
# counted in and the limit, per key. Gives the slot back if the window is still the same one,
# and ends the lock the slot may have started.
_RELEASE = """
for i = 1, #KEYS do
  local row = redis.call('HMGET', KEYS[i], 'start', 'count')
  local count = tonumber(row[2])
  if row[1] == ARGV[2 * i - 1] and count ~= nil and count > 0 then
    count = count - 1
    redis.call('HSET', KEYS[i], 'count', count)
    if count < tonumber(ARGV[2 * i]) then
      redis.call('HSET', KEYS[i], 'until', '0')
    end
  end
end
return 1
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until a refused hit could be allowed; 0 when allowed

    def __bool__(self) -> bool:
        return self.allowed


def _now() -> float:
    return time.time()


def _backend():
    return caches["default"]


def _redis():
    """The Redis client of the default cache, or None when the cache is not Redis."""

    backend = _backend()
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None


_scripts: dict[str, object] = {}


def _run(client, source: str, keys: list, args: list):
    """Run a Lua script by its SHA (EVALSHA, loading it once per server) on ``client``."""
    if source not in _scripts:
        _scripts[source] = client.register_script(source)
    return _scripts[source](keys=keys, args=args, client=client)


def _seconds(value) -> int:
    """Whole seconds (rounded up) of a positive duration, else 0."""
    value = float(value.decode() if isinstance(value, bytes) else value or 0)
    return math.ceil(value) if value > 0 else 0


def _window_key(key: str, window: int) -> str:
    return f"rl:{key}:{window}"


def _fail_key(key: str) -> str:
    return f"rl:{key}:failures"


# --- take ---------------------------------------------------------------------------------------


def take(key: str, limits: Limits) -> Decision:
    """Count one hit on ``key`` if every ``(count, seconds)`` window has room; say when to retry
    otherwise. A refused hit is not counted."""
    return take_all([(key, limits)])


def take_all(checks: list[tuple[str, Limits]]) -> Decision:
    """``take`` over several keys at once (e.g. the phone number and the address): the hit is
    counted on every key only when all of them have room, so a refusal by one costs nothing on
    the others."""
    windows = [
        (_window_key(key, window), limit, window)
        for key, limits in checks
        for limit, window in limits
    ]
    if not windows:
        return Decision(True)
    now = _now()
    client = _redis()
    if client is not None:
        args = [repr(now)]
        for _key, limit, window in windows:
            args += [limit, window]
        full_keys = [_backend().make_and_validate_key(key) for key, _limit, _window in windows]
        allowed, wait = _run(client, _TAKE, full_keys, [*args, _SPARE])
        return Decision(bool(allowed), 0 if allowed else max(1, _seconds(wait)))
    with _LOCK:
        rows, wait = [], 0.0
        for short_key, limit, window in windows:
            start, count = _local_get(short_key, 2)
            if start is None or now >= start + window:
                start, count = now, 0
            if count >= limit:
                wait = max(wait, start + window - now)
            rows.append((short_key, start, count, window))
        if wait > 0:
            return Decision(False, max(1, _seconds(wait)))
        for short_key, start, count, window in rows:
            _local_set(short_key, (start, count + 1), start + window - now)
    return Decision(True)


# --- failures and lockout -----------------------------------------------------------------------


@dataclass(frozen=True)
class FailureLimit:
    """``limit`` attempts on ``key`` within ``window`` seconds lock it for ``lockout`` seconds."""

    key: str
    limit: int
    window: int
    lockout: int


@dataclass(frozen=True)
class Attempt:
    """The answer of ``attempt``: refused (``retry_after`` seconds until the lock ends), or
    allowed with a slot reserved on every key; ``locks`` is the lock (seconds) this attempt
    started by taking the last slot, which stands if the attempt turns out to be a failure."""

    allowed: bool
    retry_after: int = 0
    locks: int = 0
    slots: tuple = ()  # (FailureLimit, window start) per key, for release

    def __bool__(self) -> bool:
        return self.allowed


def attempt(limits: list[FailureLimit]) -> Attempt:
    """Count an attempt *before* it is checked (a sign-in before its password): refused, and
    counted nowhere, when any key is locked; otherwise counted on every key at once, and a key
    whose count reaches its limit is locked at once, so that attempts running in parallel cannot
    get past the limit. The reserved slot is a failure unless it is given back with ``release``
    (or the key ``reset``) when the attempt succeeds. Counting restarts when a lock ends."""
    now = _now()
    client = _redis()
    if client is not None:
        args = [repr(now), _SPARE]
        for limit in limits:
            args += [limit.limit, limit.window, limit.lockout]
        keys = [_backend().make_and_validate_key(_fail_key(limit.key)) for limit in limits]
        allowed, seconds, starts = _run(client, _ATTEMPT, keys, args)
        if not allowed:
            return Attempt(False, max(1, _seconds(seconds)))
        starts = [start.decode() if isinstance(start, bytes) else start for start in starts]
        return Attempt(True, 0, _seconds(seconds), tuple(zip(limits, starts, strict=True)))
    with _LOCK:
        rows, wait = [], 0.0
        for limit in limits:
            start, count, locked = _local_get(_fail_key(limit.key), 3)
            locked = locked or 0.0
            if locked > now:
                wait = max(wait, min(locked - now, limit.lockout))
            elif locked > 0 or start is None or now >= start + limit.window:
                start, count, locked = now, 0, 0.0
            rows.append((limit, start, count, locked))
        if wait > 0:
            return Attempt(False, max(1, _seconds(wait)))
        locks, slots = 0, []
        for limit, start, count, locked in rows:
            count += 1
            if count >= limit.limit:
                locked = now + limit.lockout
                locks = max(locks, limit.lockout)
            _local_set(
                _fail_key(limit.key),
                (start, count, locked),
                max(start + limit.window, locked) - now,
            )
            slots.append((limit, start))
    return Attempt(True, 0, locks, tuple(slots))


def release(allowed: Attempt, keys: list[str] | None = None) -> None:
    """Give back the slots ``allowed`` reserved (on ``keys`` only, if given): the attempt
    succeeded, so it is not a failure, and a lock its slot started ends."""
    slots = [(limit, start) for limit, start in allowed.slots if keys is None or limit.key in keys]
    if not slots:
        return
    client = _redis()
    if client is not None:
        full_keys = [_backend().make_and_validate_key(_fail_key(limit.key)) for limit, _ in slots]
        args = []
        for limit, start in slots:
            args += [start, limit.limit]
        _run(client, _RELEASE, full_keys, args)
        return
    with _LOCK:
        for limit, start in slots:
            stored, count, locked = _local_get(_fail_key(limit.key), 3)
            if stored != start or not count:
                continue
            count -= 1
            if count < limit.limit:
                locked = 0.0
            ttl = max(stored + limit.window, locked or 0.0) - _now()
            _local_set(_fail_key(limit.key), (stored, count, locked), ttl)


def is_locked(key: str) -> int:
    """Seconds until ``key``'s lock ends (0: not locked)."""
    client = _redis()
    if client is not None:
        locked = client.hget(_backend().make_and_validate_key(_fail_key(key)), "until")
    else:
        locked = _local_get(_fail_key(key), 3)[2]
    return _seconds(float(locked or 0) - _now())


def reset(key: str) -> None:
    """Forget ``key``'s failures and end its lock (after a successful sign-in or reset)."""
    _backend().delete(_fail_key(key))


# --- the local (one process) store --------------------------------------------------------------


def _local_get(key: str, size: int) -> tuple:
    value = _backend().get(key)
    if not isinstance(value, tuple) or len(value) != size:
        return (None,) * size
    return value


def _local_set(key: str, value: tuple, ttl: float) -> None:
    _backend().set(key, value, timeout=max(1, math.ceil(ttl)) + _SPARE)


# --- who is asking ------------------------------------------------------------------------------


def client_address(request) -> str:
    """The client's IP address: REMOTE_ADDR, or, when ``settings.TRUSTED_PROXY_COUNT`` proxies
    we run sit in front of us, the address the outermost of them saw (counted from the right of
    X-Forwarded-For, so a client cannot choose it by sending the header itself)."""
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "unknown"
