import datetime
import zoneinfo
from decimal import Decimal

from core.models import Store
from points.models import PointsAccount
from tests.factories import StoreFactory
from tests.membership.factories import MemberFactory
from tests.points.factories import LedgerEntryFactory, PurchaseFactory
from tests.tiers.factories import TierBenefitFactory, TierFactory, TierRuleFactory
from tiers.models import TierSettings

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
OLD = datetime.date(2020, 1, 1)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def settings(**values) -> TierSettings:
    row, _ = TierSettings.objects.get_or_create()
    for key, value in values.items():
        setattr(row, key, value)
    row.save()
    return row


def ladder(*specs):
    """ladder(("ordinary", []), ("silver", [dict(kind="spend", amount=...)]), ...): the first
    is the entry tier; ranks ascend in order. Returns {code: tier}."""
    tiers = {}
    for rank, (code, rules, *options) in enumerate(specs):
        opts = options[0] if options else {}
        tier = TierFactory(
            code=code, rank=rank, name_zh=code, name_en=code.title(), is_entry=rank == 0, **opts
        )
        for rule in rules:
            TierRuleFactory(tier=tier, **{"effective_from": OLD, **rule})
        tiers[code] = tier
    return tiers


def benefit(tier, kind, value=None, text="", excluded=()):
    return TierBenefitFactory(
        tier=tier,
        kind=kind,
        value=None if value is None else Decimal(str(value)),
        text=text,
        excluded_categories=list(excluded),
    )


def buy(member, amount, day, refunded="0"):
    store = Store.objects.first() or StoreFactory()
    amount = Decimal(str(amount))
    return PurchaseFactory(
        member=member,
        store=store,
        list_amount=amount,
        amount_due=amount,
        amount_paid=amount,
        refunded_amount=Decimal(refunded),
        occurred_at=at(day),
    )


def earn(member, points, day):
    account, _ = PointsAccount.objects.get_or_create(member=member)
    return LedgerEntryFactory(
        account=account, member=member, kind="earn", points=points, effective_on=day
    )


def member(**kwargs):
    return MemberFactory(joined_on=OLD, **kwargs)
