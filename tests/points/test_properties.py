"""Random sequences of earn / spend / refund / expire keep the ledger consistent."""

import datetime
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from points import actions, expiry
from points.models import PointsAccount, Purchase
from points.reconcile import mismatches
from tests.factories import StoreFactory
from tests.points.helpers import D, configure, member

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
_keys = itertools.count()

operation = st.one_of(
    st.tuples(st.just("buy"), st.integers(1, 500), st.integers(0, 100)),
    st.tuples(st.just("award"), st.integers(1, 300), st.one_of(st.none(), st.integers(1, 400))),
    st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 100)),
    st.tuples(st.just("expire"), st.integers(0, 400), st.just(0)),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=st.lists(st.tuples(st.integers(0, 1), operation), min_size=1, max_size=25),
    policy=st.sampled_from(["deduct_from_cash", "record_debt"]),
)
def test_random_postings_keep_balances_entries_and_lots_consistent(in_a, ops, policy):
    configure(refund_shortfall_policy=policy)
    members = [member(), member()]
    store = StoreFactory()
    purchases: list[Purchase] = []
    for who, (kind, a, b) in ops:
        m = members[who]
        key = f"prop-{next(_keys)}"
        try:
            if kind == "buy":
                account = PointsAccount.objects.filter(member=m).first()
                available = account.balance if account else 0
                use = min(available, a) * b // 100
                purchases.append(
                    actions.do_record_purchase(
                        member=m,
                        store=store,
                        lines=[{"list_amount": D(a), "category": "goods"}],
                        points_used=use,
                        idempotency_key=key,
                    )
                )
            elif kind == "award":
                expires = TODAY + datetime.timedelta(days=b) if b is not None else None
                actions.do_award_points(
                    m, reason="task", points=a, idempotency_key=key, expires_at=expires
                )
            elif kind == "refund" and purchases:
                purchase = purchases[a % len(purchases)]
                purchase.refresh_from_db()
                left = purchase.amount_due - purchase.refunded_due
                if left > 0:
                    amount = max(D("0.01"), (left * b / 100).quantize(D("0.01")))
                    actions.do_refund(purchase, amount=min(amount, left), idempotency_key=key)
            elif kind == "expire":
                expiry.expire_due_lots(TODAY + datetime.timedelta(days=a))
        except actions.InsufficientPoints:
            pass  # points due to expire today are no longer spendable: a refusal is fine
        for account in PointsAccount.objects.filter(member__in=members):
            assert account.balance >= 0
            assert account.debt >= 0
            if policy == "deduct_from_cash":
                # cash covers what was spent unless the cash refund itself runs out
                assert account.debt <= sum(p.points_earned for p in purchases)
        assert mismatches() == []
