"""core.ratelimit: windows, lockouts, tenants, and atomicity under 50 simultaneous attempts."""

import contextlib
import datetime
import threading
import time

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory, override_settings

from core import ratelimit, tenancy

pytestmark = pytest.mark.django_db

LIMITS = [(1, 60), (5, 3600), (10, 86400)]
START = datetime.datetime(2026, 5, 1, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(params=["redis", "locmem"])
def backend(request, settings):
    """Every behaviour holds on Redis (the Lua scripts) and on the embedded local memory cache."""
    if request.param == "locmem":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "KEY_FUNCTION": "core.tenancy.make_cache_key",
            }
        }
    else:
        assert isinstance(caches["default"], RedisCache), "the tests run against Redis"
    caches["default"].clear()
    return request.param


def at(seconds):
    return time_machine.travel(START + datetime.timedelta(seconds=seconds), tick=False)


def test_every_window_counts_and_refused_hits_do_not(backend, in_a):
    with at(0):
        assert ratelimit.take("phone:1", LIMITS) == ratelimit.Decision(True, 0)
        refused = ratelimit.take("phone:1", LIMITS)
        assert not refused and refused.retry_after == 60
    with at(30):
        assert ratelimit.take("phone:1", LIMITS).retry_after == 30
    for minute in range(1, 5):  # one a minute: hits 2..5 of the hour
        with at(minute * 61):
            assert ratelimit.take("phone:1", LIMITS)
    with at(5 * 61):
        refused = ratelimit.take("phone:1", LIMITS)
        assert not refused
        assert refused.retry_after == 3600 - 5 * 61  # the hour window, the longest wait
    with at(3600):
        assert ratelimit.take("phone:1", LIMITS)


def test_the_day_window_holds_across_hours(backend, in_a):
    allowed = 0
    for hour in range(12):
        for minute in range(6):
            with at(hour * 3600 + minute * 61):
                allowed += bool(ratelimit.take("phone:2", LIMITS))
    assert allowed == 10
    with at(86400):
        assert ratelimit.take("phone:2", LIMITS)


def test_take_all_counts_on_every_key_or_on_none(backend, in_a):
    with at(0):
        assert ratelimit.take("address", [(1, 60)])
        # The phone has room but the address has not: nothing is counted on the phone.
        refused = ratelimit.take_all([("phone:4", [(1, 60)]), ("address", [(1, 60)])])
        assert not refused and refused.retry_after == 60
        assert ratelimit.take("phone:4", [(1, 60)])
        assert not ratelimit.take("phone:4", [(1, 60)])


def fail(key="acct", limit=5, window=900, lockout=900):
    """One attempt that turns out to be a failure (its slot is kept); the lock it started."""
    attempt = ratelimit.attempt([ratelimit.FailureLimit(key, limit, window, lockout)])
    assert attempt, "refused"
    return attempt.locks


def test_keys_carry_the_tenant(backend, world):
    with tenancy.tenant_context(world.a), at(0):
        assert ratelimit.take("phone:3", [(1, 60)])
        assert not ratelimit.take("phone:3", [(1, 60)])
        assert fail(limit=1, window=60, lockout=60) == 60
        assert ratelimit.is_locked("acct") == 60
    with tenancy.tenant_context(world.b), at(0):
        assert ratelimit.take("phone:3", [(1, 60)])
        assert ratelimit.is_locked("acct") == 0


def test_failures_lock_for_a_cool_off_that_ends_by_itself(backend, in_a):
    for n in range(4):
        with at(n):
            assert fail() == 0
            assert ratelimit.is_locked("acct") == 0
    with at(10):
        assert fail() == 900  # the attempt that takes the last slot locks at once
        refused = ratelimit.attempt([ratelimit.FailureLimit("acct", 5, 900, 900)])
        assert not refused and refused.retry_after == 900
    with at(10 + 899):
        assert ratelimit.is_locked("acct") == 1
    with at(10 + 900):
        assert ratelimit.is_locked("acct") == 0
        # The count starts again when the lock ends: one failure more does not lock.
        assert fail() == 0


def test_failures_outside_the_window_are_forgotten(backend, in_a):
    for n in range(4):
        with at(n):
            fail()
    with at(901):
        assert fail() == 0
        assert ratelimit.is_locked("acct") == 0


def test_reset_forgets_failures_and_the_lock(backend, in_a):
    with at(0):
        for _ in range(4):
            fail()
        ratelimit.reset("acct")
        assert fail() == 0
        for _ in range(3):
            fail()
        assert fail() == 900
        assert ratelimit.is_locked("acct") == 900
        ratelimit.reset("acct")
        assert ratelimit.is_locked("acct") == 0


def test_a_refused_attempt_is_counted_on_no_key(backend, in_a):
    address = ratelimit.FailureLimit("address", 20, 900, 900)
    with at(0):
        assert fail("account", limit=1) == 900
        assert not ratelimit.attempt([ratelimit.FailureLimit("account", 1, 900, 900), address])
        for _ in range(19):  # the refusal took nothing from the address: 19 + this one
            assert ratelimit.attempt([address]).locks == 0
        assert ratelimit.attempt([address]).locks == 900


def test_release_gives_the_slot_back_and_ends_the_lock_it_started(backend, in_a):
    limit = ratelimit.FailureLimit("address", 3, 900, 900)
    with at(0):
        fail("address", limit=3)
        fail("address", limit=3)
        last = ratelimit.attempt([limit])
        assert last.locks == 900 and ratelimit.is_locked("address") == 900
        ratelimit.release(last)  # it succeeded after all: no failure, no lock
        assert ratelimit.is_locked("address") == 0
        assert ratelimit.attempt([limit]).locks == 900  # still two failures before it


def test_a_release_from_an_older_window_changes_nothing(backend, in_a):
    limit = ratelimit.FailureLimit("address", 3, 900, 900)
    with at(0):
        old = ratelimit.attempt([limit])
    with at(901):
        fail("address", limit=3)
        fail("address", limit=3)
        ratelimit.release(old)
        assert ratelimit.attempt([limit]).locks == 900


# --- 50 at once --------------------------------------------------------------------------------


def _race(tenant, *, threads=50, limit=5):
    """Release ``threads`` attempts at once on one key; return how many got through."""
    barrier = threading.Barrier(threads)
    results, errors = [], []

    def attempt():
        try:
            with tenancy.tenant_context(tenant):
                barrier.wait(timeout=30)
                results.append(ratelimit.take("race", [(limit, 60), (limit * 10, 3600)]))
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            caches["default"].close()

    workers = [threading.Thread(target=attempt) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors, errors
    assert len(results) == threads
    return sum(1 for decision in results if decision.allowed)


def test_fifty_simultaneous_attempts_let_exactly_the_limit_through(in_a):
    assert isinstance(caches["default"], RedisCache)
    assert _race(in_a, limit=5) == 5
    assert not ratelimit.take("race", [(5, 60)])


def test_the_race_catches_a_naive_get_then_set(in_a, monkeypatch):
    """The same race against a read-then-write without the Lua script (and without the process
    lock that makes it safe inside one process) lets more than the limit through: the test
    above would fail if the script were replaced by it."""
    read = ratelimit._local_get

    def slow_read(*args):
        value = read(*args)
        time.sleep(0.01)  # a request's worth of latency between the read and the write
        return value

    monkeypatch.setattr(ratelimit, "_redis", lambda: None)
    monkeypatch.setattr(ratelimit, "_LOCK", contextlib.nullcontext())
    monkeypatch.setattr(ratelimit, "_local_get", slow_read)
    assert _race(in_a, limit=5) > 5


# --- the client's address ----------------------------------------------------------------------


def _request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_the_address_is_remote_addr_unless_proxies_are_trusted():
    assert ratelimit.client_address(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"
    with override_settings(TRUSTED_PROXY_COUNT=1):
        # A client-sent header is kept by the proxy, which appends what it saw: the last entry.
        request = _request("10.0.0.2", "1.2.3.4, 198.51.100.7")
        assert ratelimit.client_address(request) == "198.51.100.7"
        assert ratelimit.client_address(_request("10.0.0.2")) == "10.0.0.2"
    with override_settings(TRUSTED_PROXY_COUNT=2):
        request = _request("10.0.0.3", "1.2.3.4, 198.51.100.7, 10.0.0.2")
        assert ratelimit.client_address(request) == "198.51.100.7"
    assert ratelimit.client_address(_request("not an address")) == "unknown"
