import datetime
from decimal import Decimal

from points import actions
from points.models import PointsAccount, PointsSettings
from points.reconcile import mismatches
from points.selectors import forget_rules
from tests.factories import StoreFactory
from tests.membership.factories import MemberFactory

D = Decimal


def configure(**fields) -> PointsSettings:
    settings, _ = PointsSettings.objects.get_or_create()
    for name, value in fields.items():
        setattr(settings, name, value)
    settings.save()
    forget_rules()
    return settings


def member(**fields):
    fields.setdefault("joined_on", datetime.date(2024, 3, 15))
    fields.setdefault("birthday", datetime.date(1990, 11, 17))
    return MemberFactory(**fields)


_seq = iter(range(1, 10**9))


def buy(who, *lines, points_used=0, store=None, key=None, actor=None, when=None):
    """lines: (amount, category) pairs or plain amounts."""
    parsed = []
    for line in lines or [D("100")]:
        amount, category = line if isinstance(line, tuple) else (line, "goods")
        parsed.append({"list_amount": D(str(amount)), "category": category})
    return actions.do_record_purchase(
        member=who,
        store=store or StoreFactory(),
        lines=parsed,
        points_used=points_used,
        occurred_at=when,
        idempotency_key=key or f"buy-{next(_seq)}",
        actor=actor,
    )


def award(who, points, *, key=None, reason="task", **kw):
    return actions.do_award_points(
        who, reason=reason, points=points, idempotency_key=key or f"award-{next(_seq)}", **kw
    )


def balance(who) -> int:
    account = PointsAccount.objects.filter(member=who).first()
    return account.balance if account else 0


def debt(who) -> int:
    account = PointsAccount.objects.filter(member=who).first()
    return account.debt if account else 0


def assert_reconciled():
    assert mismatches() == []
