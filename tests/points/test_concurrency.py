"""Real threads against PostgreSQL: each thread has its own connection and transaction."""

import contextlib
import json
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from core import tenancy
from points import actions
from points.models import LedgerEntry, PointsAccount, Purchase, Redemption, Reward
from points.reconcile import mismatches
from tests.factories import ApiKeyFactory, StoreFactory
from tests.points.helpers import award, member


def run_together(count, work):
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def thread(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # collected and asserted by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_redemptions_never_overspend_one_balance(world):
    with tenancy.tenant_context(world.a):
        m = member()
        award(m, 550)
        gift = Reward.objects.create(name_zh="礼品", points_cost=100)

    def redeem(index):
        with tenancy.tenant_context(world.a):
            return actions.do_redeem_reward(m, gift, idempotency_key=f"concurrent-{index}")

    results, errors = run_together(20, redeem)
    assert all(isinstance(e, actions.InsufficientPoints) for e in errors), errors
    assert len([r for r in results if r]) == 5
    with tenancy.tenant_context(world.a):
        assert PointsAccount.objects.get(member=m).balance == 50
        assert Redemption.objects.count() == 5
        assert mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_api_requests_with_one_idempotency_key_post_once(world):
    with tenancy.tenant_context(world.a):
        m = member()
        store = StoreFactory()
    key = ApiKeyFactory(tenant=world.a).raw_key
    body = json.dumps(
        {"member": m.pk, "store": store.pk, "lines": [{"list_amount": "99.90", "category": "x"}]}
    )

    def post(index):
        return Client().post(
            "/api/v1/tenant-a/purchases/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {key}",
            HTTP_IDEMPOTENCY_KEY="same-key-10",
        )

    results, errors = run_together(10, post)
    assert errors == []
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["id"] for r in results}) == 1
    with tenancy.tenant_context(world.a):
        assert Purchase.objects.count() == 1
        assert LedgerEntry.objects.count() == 1
        assert PointsAccount.objects.get(member=m).balance == 99

    other = Client().post(
        "/api/v1/tenant-a/purchases/",
        body.replace("99.90", "10.00"),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
        HTTP_IDEMPOTENCY_KEY="same-key-10",
    )
    assert other.status_code == 422
    with tenancy.tenant_context(world.a):
        assert Purchase.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_purchases_with_one_key_in_the_service_layer_post_once(world):
    with tenancy.tenant_context(world.a):
        m = member()
        store = StoreFactory()

    def buy(index):
        with tenancy.tenant_context(world.a):
            return actions.do_record_purchase(
                member=m,
                store=store,
                lines=[{"list_amount": Decimal("10"), "category": "x"}],
                idempotency_key="one-key",
            ).pk

    results, errors = run_together(10, buy)
    assert errors == []
    assert len(set(results)) == 1
    with tenancy.tenant_context(world.a):
        assert PointsAccount.objects.get(member=m).balance == 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_with_one_key_post_once(world):
    from tests.factories import UserFactory

    with tenancy.tenant_context(world.a):
        m = member()
    clerk = UserFactory()
    reason = "goodwill " + "x" * 400  # longer than the stored 300 characters

    def adjust(index):
        with tenancy.tenant_context(world.a):
            return actions.do_request_adjustment(
                m, points=5, reason=reason, idempotency_key="adjust-once", actor=clerk
            ).pk

    results, errors = run_together(10, adjust)
    assert errors == []
    assert len(set(results)) == 1
    with tenancy.tenant_context(world.a):
        assert PointsAccount.objects.get(member=m).balance == 5
        assert LedgerEntry.objects.filter(member=m).count() == 1
        assert not mismatches()


@pytest.mark.django_db(transaction=True)
def test_two_referral_bonuses_that_lock_each_others_accounts_do_not_deadlock(world, monkeypatch):
    """A referred B and B referred A; both pay for the first time at the same instant. Each
    posting needs both accounts (its own and the referrer's bonus). The threads are held
    together right after each has locked its first account: locking one's own account first
    and the referrer's later deadlocks here; locking both in id order up front does not."""
    from points import ledger
    from tests.points.helpers import configure

    with tenancy.tenant_context(world.a):
        configure(referral_bonus_points=50)
        a = member()
        b = member(referrer=a)
        a.referrer = b
        a.save()
        store = StoreFactory()
    held = threading.Barrier(2, timeout=3)
    first_lock = threading.local()
    original = ledger.lock_account

    def lock_then_wait(who):
        account = original(who)
        if not getattr(first_lock, "done", False):
            first_lock.done = True
            # broken: the other thread is (rightly) waiting for our lock
            with contextlib.suppress(threading.BrokenBarrierError):
                held.wait()
        return account

    monkeypatch.setattr(ledger, "lock_account", lock_then_wait)

    def buy(index):
        who = (a, b)[index]
        with tenancy.tenant_context(world.a):
            return actions.do_record_purchase(
                member=who,
                store=store,
                lines=[{"list_amount": "100", "category": "goods"}],
                idempotency_key=f"first-{index}",
            )

    _results, errors = run_together(2, buy)
    assert errors == []
    with tenancy.tenant_context(world.a):
        bonuses = LedgerEntry.objects.filter(reason="referral")
        assert sorted(e.idempotency_key for e in bonuses) == sorted(
            [f"referral:{a.pk}", f"referral:{b.pk}"]
        )
        assert PointsAccount.objects.get(member=a).balance == 100 + 50
        assert PointsAccount.objects.get(member=b).balance == 100 + 50
        assert mismatches() == []
