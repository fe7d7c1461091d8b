"""Atomic rate limits and failure lockouts, shared by every web process.

``take(key, limits)`` checks every window of ``limits`` (``[(count, seconds), ...]``) and counts
the hit in all of them only when every window has room, in one step: on Redis (the production
and test cache) one Lua script reads and writes all the windows, so 50 simultaneous requests
cannot all read "0 so far" and all get in. With any other cache backend (the embedded default is
local memory, one process) a process-wide lock around read-and-write is enough; it is *not* enough
for several processes sharing a non-Redis cache, which is why production runs Redis.

``record_failure`` / ``is_locked`` / ``reset`` keep a failure counter that locks a key for a
cool-off once it reaches its limit; the lock ends by itself, nobody has to lift it.

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

# KEYS[1]: the failure hash (start, count, until). ARGV: now, limit, window, lockout, spare.
_FAIL = """
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local window, lockout = tonumber(ARGV[3]), tonumber(ARGV[4])
local row = redis.call('HMGET', KEYS[1], 'start', 'count', 'until')
local start, count, locked = tonumber(row[1]), tonumber(row[2]), tonumber(row[3]) or 0
if start == nil or count == nil or now >= start + window then
  start, count = now, 0
end
count = count + 1
if count >= limit then
  locked = math.max(locked, now + lockout)
  start, count = now, 0
end
redis.call('HSET', KEYS[1], 'start', tostring(start), 'count', count, 'until', tostring(locked))
redis.call('EXPIRE', KEYS[1], math.ceil(math.max(start + window, locked) - now) + tonumber(ARGV[5]))
return tostring(math.max(0, locked - now))
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
    from django.core.cache.backends.redis import RedisCache

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


def record_failure(key: str, *, limit: int, window: int, lockout: int) -> int:
    """Count one failure on ``key``; the ``limit``-th within ``window`` seconds locks the key for
    ``lockout`` seconds (and starts the count again). Returns the seconds the key is now locked
    for (0 when it is not)."""
    now = _now()
    client = _redis()
    if client is not None:
        full_key = _backend().make_and_validate_key(_fail_key(key))
        wait = _run(client, _FAIL, [full_key], [repr(now), limit, window, lockout, _SPARE])
        return _seconds(wait)
    with _LOCK:
        start, count, locked = _local_get(_fail_key(key), 3)
        locked = locked or 0.0
        if start is None or now >= start + window:
            start, count = now, 0
        count += 1
        if count >= limit:
            locked = max(locked, now + lockout)
            start, count = now, 0
        _local_set(_fail_key(key), (start, count, locked), max(start + window, locked) - now)
    return _seconds(locked - now)


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
