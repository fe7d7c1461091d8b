import datetime
from decimal import Decimal

import factory

from points.models import (
    AdjustmentRequest,
    Allocation,
    Campaign,
    Coupon,
    LedgerEntry,
    Lot,
    PointsAccount,
    PointsSettings,
    Purchase,
    PurchaseLine,
    Redemption,
    Refund,
    Reward,
)
from tests.factories import StoreFactory, TenantOwnedFactory, factory_for
from tests.membership.factories import MemberFactory

SAME_TENANT = factory.SelfAttribute("..tenant")


@factory_for(PointsSettings)
class PointsSettingsFactory(TenantOwnedFactory):
    class Meta:
        model = PointsSettings
        django_get_or_create = ("tenant",)


@factory_for(Campaign)
class CampaignFactory(TenantOwnedFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Secret campaign {n:04d}")
    starts_on = datetime.date(2026, 1, 1)
    ends_on = datetime.date(2026, 1, 31)
    multiplier = Decimal("2")


@factory_for(PointsAccount)
class PointsAccountFactory(TenantOwnedFactory):
    class Meta:
        model = PointsAccount

    member = factory.SubFactory(MemberFactory, tenant=SAME_TENANT)
    balance = 0


@factory_for(Purchase)
class PurchaseFactory(TenantOwnedFactory):
    class Meta:
        model = Purchase

    member = factory.SubFactory(MemberFactory, tenant=SAME_TENANT)
    store = factory.SubFactory(StoreFactory, tenant=SAME_TENANT)
    list_amount = Decimal("100.00")
    amount_due = Decimal("100.00")
    amount_paid = Decimal("100.00")
    idempotency_key = factory.Sequence(lambda n: f"secret-purchase-{n:05d}")
    fingerprint = "x"


@factory_for(PurchaseLine)
class PurchaseLineFactory(TenantOwnedFactory):
    class Meta:
        model = PurchaseLine

    purchase = factory.SubFactory(PurchaseFactory, tenant=SAME_TENANT)
    description = factory.Sequence(lambda n: f"Secret goods {n:04d}")
    category = "jewellery"
    list_amount = Decimal("100.00")
    amount_due = Decimal("100.00")


@factory_for(Refund)
class RefundFactory(TenantOwnedFactory):
    class Meta:
        model = Refund

    purchase = factory.SubFactory(PurchaseFactory, tenant=SAME_TENANT)
    due_amount = Decimal("10.00")
    cash_amount = Decimal("10.00")
    reason = factory.Sequence(lambda n: f"Secret refund reason {n:04d}")
    idempotency_key = factory.Sequence(lambda n: f"secret-refund-{n:05d}")
    fingerprint = "x"


@factory_for(Reward)
class RewardFactory(TenantOwnedFactory):
    class Meta:
        model = Reward

    name_zh = factory.Sequence(lambda n: f"秘密礼品 {n:04d}")
    name_en = factory.Sequence(lambda n: f"Secret gift {n:04d}")
    points_cost = 100
    stock = 10


@factory_for(Redemption)
class RedemptionFactory(TenantOwnedFactory):
    class Meta:
        model = Redemption

    member = factory.SubFactory(MemberFactory, tenant=SAME_TENANT)
    reward = factory.SubFactory(RewardFactory, tenant=SAME_TENANT)
    points = 100
    idempotency_key = factory.Sequence(lambda n: f"secret-redemption-{n:05d}")
    fingerprint = "x"
    note = factory.Sequence(lambda n: f"Secret note {n:04d}")


@factory_for(Coupon)
class CouponFactory(TenantOwnedFactory):
    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"SECRETCPN{n:05d}")
    redemption = factory.SubFactory(RedemptionFactory, tenant=SAME_TENANT)
    member = factory.SelfAttribute("redemption.member")


@factory_for(AdjustmentRequest)
class AdjustmentRequestFactory(TenantOwnedFactory):
    class Meta:
        model = AdjustmentRequest

    member = factory.SubFactory(MemberFactory, tenant=SAME_TENANT)
    points = 500
    reason = factory.Sequence(lambda n: f"Secret adjustment reason {n:04d}")
    idempotency_key = factory.Sequence(lambda n: f"secret-adjust-{n:05d}")


@factory_for(LedgerEntry)
class LedgerEntryFactory(TenantOwnedFactory):
    class Meta:
        model = LedgerEntry

    account = factory.SubFactory(PointsAccountFactory, tenant=SAME_TENANT)
    member = factory.SelfAttribute("account.member")
    kind = "earn"
    reason = "task"
    points = 0
    note = factory.Sequence(lambda n: f"Secret entry note {n:04d}")
    idempotency_key = factory.Sequence(lambda n: f"secret-entry-{n:05d}")


@factory_for(Lot)
class LotFactory(TenantOwnedFactory):
    class Meta:
        model = Lot

    entry = factory.SubFactory(LedgerEntryFactory, tenant=SAME_TENANT)
    account = factory.SelfAttribute("entry.account")
    points = 0
    remaining = 0
    earned_at = datetime.date(2026, 1, 1)
    source = factory.Sequence(lambda n: f"Secret lot source {n:04d}")


@factory_for(Allocation)
class AllocationFactory(TenantOwnedFactory):
    class Meta:
        model = Allocation

    lot = factory.SubFactory(LotFactory, tenant=SAME_TENANT)
    entry = factory.SelfAttribute("lot.entry")
    points = 0
