"""The tier ladder of a tenant, its qualification rules and benefits, and each member's tier.

* ``Tier`` rows form the ladder (``rank`` ascending); exactly one is the entry tier.
* ``TierRule`` rows qualify a member for a tier; a tier matches when any (or all, ``Tier.match``)
  of its rules *in force* match. The rules in force on a date are the tier's rules with the
  latest ``effective_from`` on or before that date: a changed threshold is a new set of rows
  with a later ``effective_from``, so history stays and a change can start on a chosen date.
* ``TierBenefit`` rows; a tier includes the benefits of the tiers below unless it says not to.
* ``MemberTier`` is the current tier of a member (no row: the entry tier); ``TierChange`` is
  the history of every change with the rule that decided it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.models import TenantOwnedModel, unindexed_tenant
from core.money import MONEY
from membership.models import Member


class UpgradeTiming(models.TextChoices):
    IMMEDIATE = "immediate", _("At once")
    NEXT_CYCLE = "next_cycle", _("At the next settlement cycle")


class Cycle(models.TextChoices):
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")


class TierSettings(TenantOwnedModel):
    """When tier changes take effect. Downgrades always wait for the end of a cycle."""

    upgrade_timing = models.CharField(
        _("upgrades take effect"),
        max_length=20,
        choices=UpgradeTiming.choices,
        default=UpgradeTiming.NEXT_CYCLE,
    )
    cycle = models.CharField(
        _("settlement cycle"), max_length=10, choices=Cycle.choices, default=Cycle.MONTH
    )
    retention_cycles = models.PositiveSmallIntegerField(
        _("retention (cycles)"),
        default=0,
        help_text=_(
            "A member who no longer qualifies keeps the tier for this many cycles before the "
            "downgrade. 0: downgrade at the end of the first cycle without qualifying."
        ),
    )

    class Meta:
        verbose_name = _("tier settings")
        verbose_name_plural = _("tier settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="tier_settings_one_per_tenant")
        ]

    def __str__(self) -> str:
        return str(_("Tier settings"))


class Match(models.TextChoices):
    ANY = "any", _("Any of the rules")
    ALL = "all", _("All of the rules")


class Tier(TenantOwnedModel):
    rank = models.PositiveSmallIntegerField(
        _("rank"), help_text=_("Higher is better; the entry tier has the lowest rank.")
    )
    code = models.SlugField(_("code"), max_length=30)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    is_entry = models.BooleanField(
        _("entry tier"), default=False, help_text=_("New members start here; exactly one.")
    )
    match = models.CharField(
        _("qualifies on"), max_length=3, choices=Match.choices, default=Match.ANY
    )
    validity_months = models.PositiveSmallIntegerField(
        _("validity (months)"),
        null=True,
        blank=True,
        help_text=_("How long a membership at this tier lasts. Empty: lifetime."),
    )
    renewal_price = models.DecimalField(
        _("renewal price"), **MONEY, null=True, blank=True, help_text=_("Empty: free.")
    )
    renewal_discount = models.DecimalField(
        _("renewal price factor"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("0.9 means 10% off the renewal price. Empty: no discount."),
    )
    retention_cycles = models.PositiveSmallIntegerField(
        _("retention (cycles)"),
        null=True,
        blank=True,
        help_text=_("Overrides the tenant's retention for this tier. Empty: the tenant's."),
    )
    inherits_lower_benefits = models.BooleanField(
        _("includes the benefits of lower tiers"), default=True
    )

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="tier_code_unique"),
            models.UniqueConstraint(fields=["tenant", "rank"], name="tier_rank_unique"),
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_entry=True), name="tier_one_entry_per_tenant"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language."""
        if (translation.get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh or self.name_en


class RuleKind(models.TextChoices):
    SPEND = "spend", _("Amount actually paid within a period")
    SINGLE_PURCHASE = "single_purchase", _("One purchase of at least")
    POINTS = "points", _("Points earned")
    REFERRALS = "referrals", _("Members referred")
    PAID_PLAN = "paid_plan", _("A paid plan bought")
    GRANT = "grant", _("A manager's grant")


class Window(models.TextChoices):
    ROLLING_MONTHS = "rolling", _("The last N months")
    CALENDAR_YEAR = "year", _("This calendar year")
    CALENDAR_QUARTER = "quarter", _("This calendar quarter")
    LIFETIME = "lifetime", _("Ever")


class TierRule(TenantOwnedModel):
    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices)
    amount = models.DecimalField(
        _("amount"), **MONEY, null=True, blank=True, help_text=_("For spend and one purchase.")
    )
    count = models.PositiveIntegerField(
        _("count"), null=True, blank=True, help_text=_("Points, or members referred.")
    )
    window = models.CharField(
        _("period"), max_length=10, choices=Window.choices, default=Window.ROLLING_MONTHS
    )
    window_months = models.PositiveSmallIntegerField(_("months"), default=12)
    paying_referrals_only = models.BooleanField(
        _("count only referred members who paid"), default=False
    )
    effective_from = models.DateField(
        _("in force from"),
        default=timezone.localdate,
        help_text=_(
            "The rules of a tier with the latest date on or before a day are the ones in force."
        ),
    )

    class Meta:
        verbose_name = _("qualification rule")
        verbose_name_plural = _("qualification rules")
        ordering = ["tier__rank", "-effective_from", "pk"]
        indexes = [models.Index(fields=["tenant", "tier", "effective_from"], name="tier_rule_tier")]

    def __str__(self) -> str:
        from .rules import describe_rule  # reason: cycle (tiers.rules imports the models)

        return describe_rule(self)


class BenefitKind(models.TextChoices):
    DISCOUNT = "discount", _("Price factor (0.9 = 10% off)")
    POINTS_MULTIPLIER = "points_multiplier", _("Points multiplier")
    BIRTHDAY_OFFER = "birthday_offer", _("Birthday-month offer")
    PRIORITY_DAYS = "priority_days", _("Priority booking (days ahead)")
    FREE_ITEM = "free_item", _("Free item")
    COMPLAINT_DAYS = "complaint_days", _("Complaint answered within (working days)")


class TierBenefit(TenantOwnedModel):
    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="benefits")
    kind = models.CharField(_("kind"), max_length=20, choices=BenefitKind.choices)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=4, null=True, blank=True)
    text = models.CharField(_("text"), max_length=200, blank=True)
    excluded_categories = models.JSONField(
        _("not on goods categories"),
        default=list,
        blank=True,
        help_text=_('For a discount, e.g. ["special_price", "promotion"].'),
    )

    class Meta:
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        ordering = ["tier__rank", "kind", "pk"]
        indexes = [models.Index(fields=["tenant", "tier"], name="tier_benefit_tier")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text or self.value}"


class PaidPlan(TenantOwnedModel):
    """A tier bought for a fee, for a term (e.g. website VIP 2000 yuan a year)."""

    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="plans")
    name = models.CharField(_("name"), max_length=100)
    fee = models.DecimalField(_("fee"), **MONEY)
    term_months = models.PositiveSmallIntegerField(_("term (months)"), default=12)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("paid plan")
        verbose_name_plural = _("paid plans")

    def __str__(self) -> str:
        return self.name


class TierPurchaseStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    ACTIVE = "active", _("Paid and active")
    CANCELLED = "cancelled", _("Cancelled")


class TierPurchase(TenantOwnedModel):
    """A member's purchase of a paid plan; it qualifies from payment until ``ends_on``."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(PaidPlan, on_delete=models.PROTECT, related_name="purchases")
    status = models.CharField(
        _("status"), max_length=10, choices=TierPurchaseStatus.choices, default="pending"
    )
    amount_paid = models.DecimalField(_("amount paid"), **MONEY, default=0)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True, help_text=_("Exclusive."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("paid plan purchase")
        verbose_name_plural = _("paid plan purchases")
        indexes = [models.Index(fields=["tenant", "member", "status"], name="tier_plan_member")]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_status_display()}"


class TierGrant(TenantOwnedModel):
    """A manager's decision that a member qualifies for a tier. It never silently becomes a
    permanent floor: it has an end date, or says explicitly that it lasts until revoked."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="grants")
    reason = models.CharField(_("reason"), max_length=300)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(_("ends on"), null=True, blank=True, help_text=_("Exclusive."))
    until_revoked = models.BooleanField(_("until revoked"), default=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("tier grant")
        verbose_name_plural = _("tier grants")
        indexes = [models.Index(fields=["tenant", "member"], name="tier_grant_member")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(ends_on__isnull=False) & Q(until_revoked=False))
                | (Q(ends_on__isnull=True) & Q(until_revoked=True)),
                name="tier_grant_end_or_until_revoked",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tier} · {self.reason}"


class MemberTier(TenantOwnedModel):
    """The member's current tier. ``missed_cycles`` counts settlement cycles in a row at which
    the member did not qualify for it (for retention)."""

    # Foreign keys without their own index (not even the tenant's): the tenant-led unique
    # constraint and index below serve every lookup, and fewer indexes keep the bulk upsert of a
    # settlement cheap. Member and tier keep their database constraints (a row must never point
    # to a deleted member or tier, even when a deletion races a settlement); the tenant and the
    # deciding rule do not (``db_constraint=False``), because a settlement that moves most
    # members spent a third of its foreign-key checks on them (docs/benchmarks.md, "Tiers"): the
    # tenant id is the active tenant's and tenants are never deleted in SQL; the rule is an
    # explanation, nulled by the ORM (``SET_NULL``) when deleted, and read with
    # ``select_related`` (an outer join: a rule deleted while a settlement was writing reads as
    # no rule rather than failing).
    tenant = unindexed_tenant(db_constraint=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+", db_index=False)
    since = models.DateField(_("since"))
    missed_cycles = models.PositiveSmallIntegerField(_("cycles without qualifying"), default=0)
    rule = models.ForeignKey(
        TierRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("member tier")
        verbose_name_plural = _("member tiers")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "member"], name="tier_one_per_member")
        ]
        indexes = [models.Index(fields=["tenant", "tier"], name="tier_member_by_tier")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.tier}"


class TierChange(TenantOwnedModel):
    """History, written only by ``recalc.recalculate`` in the same transaction as the member's
    ``MemberTier`` row. Its references carry **no database constraint** (``db_constraint=False``):
    at a settlement the per-row foreign-key checks of this table cost more than writing it
    (five checks per change; see docs/benchmarks.md, "Tiers"). Safe because every id written
    here comes from the same decision as the ``MemberTier`` row written beside it, whose
    constraints are checked; the ORM still applies ``on_delete`` (Django's collector cascades,
    protects and nulls), and no code deletes members, tiers, rules or tenants in raw SQL. No
    index per reference either (not even the tenant's): the tenant-led index serves lookups."""

    tenant = unindexed_tenant(db_constraint=False)
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    from_tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    to_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    rule = models.ForeignKey(
        TierRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    effective_on = models.DateField(_("effective on"))
    cycle = models.CharField(_("cycle"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-effective_on", "-pk"]
        indexes = [
            models.Index(fields=["tenant", "member", "effective_on"], name="tier_change_member")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_tier_id} → {self.to_tier_id}"
