import datetime
from decimal import Decimal

import factory

from tests.factories import TenantOwnedFactory, UserFactory, factory_for
from tests.membership.factories import MemberFactory
from tiers.models import (
    MemberTier,
    PaidPlan,
    Tier,
    TierBenefit,
    TierChange,
    TierGrant,
    TierPurchase,
    TierRule,
    TierSettings,
)

SAME_TENANT = factory.SelfAttribute("..tenant")


@factory_for(TierSettings)
class TierSettingsFactory(TenantOwnedFactory):
    class Meta:
        model = TierSettings
        django_get_or_create = ("tenant",)


@factory_for(Tier)
class TierFactory(TenantOwnedFactory):
    class Meta:
        model = Tier

    rank = factory.Sequence(lambda n: 100 + n)
    code = factory.Sequence(lambda n: f"secret-tier-{n:04d}")
    name_zh = factory.Sequence(lambda n: f"秘密等级 {n:04d}")
    name_en = factory.Sequence(lambda n: f"Secret tier {n:04d}")


@factory_for(TierRule)
class TierRuleFactory(TenantOwnedFactory):
    class Meta:
        model = TierRule

    tier = factory.SubFactory(TierFactory, tenant=SAME_TENANT)
    kind = "spend"
    amount = Decimal("1000.00")
    effective_from = datetime.date(2020, 1, 1)


@factory_for(TierBenefit)
class TierBenefitFactory(TenantOwnedFactory):
    class Meta:
        model = TierBenefit

    tier = factory.SubFactory(TierFactory, tenant=SAME_TENANT)
    kind = "free_item"
    text = factory.Sequence(lambda n: f"Secret free item {n:04d}")


@factory_for(PaidPlan)
class PaidPlanFactory(TenantOwnedFactory):
    class Meta:
        model = PaidPlan

    tier = factory.SubFactory(TierFactory, tenant=SAME_TENANT)
    name = factory.Sequence(lambda n: f"Secret plan {n:04d}")
    fee = Decimal("2000.00")


@factory_for(TierPurchase)
class TierPurchaseFactory(TenantOwnedFactory):
    class Meta:
        model = TierPurchase

    member = factory.SubFactory(MemberFactory, tenant=SAME_TENANT)
    plan = factory.SubFactory(PaidPlanFactory, tenant=SAME_TENANT)


@factory_for(TierGrant)
class TierGrantFactory(TenantOwnedFactory):
    class Meta:
        model = TierGrant

    member = factory.SubFactory(MemberFactory, tenant=SAME_TENANT)
    tier = factory.SubFactory(TierFactory, tenant=SAME_TENANT)
    reason = factory.Sequence(lambda n: f"Secret grant reason {n:04d}")
    approved_by = factory.SubFactory(UserFactory)
    starts_on = datetime.date(2026, 1, 1)
    ends_on = datetime.date(2027, 1, 1)


@factory_for(MemberTier)
class MemberTierFactory(TenantOwnedFactory):
    class Meta:
        model = MemberTier

    member = factory.SubFactory(MemberFactory, tenant=SAME_TENANT)
    tier = factory.SubFactory(TierFactory, tenant=SAME_TENANT)
    since = datetime.date(2026, 1, 1)


@factory_for(TierChange)
class TierChangeFactory(TenantOwnedFactory):
    class Meta:
        model = TierChange

    member = factory.SubFactory(MemberFactory, tenant=SAME_TENANT)
    to_tier = factory.SubFactory(TierFactory, tenant=SAME_TENANT)
    reason = factory.Sequence(lambda n: f"Secret change reason {n:04d}")
    effective_on = datetime.date(2026, 1, 1)
