"""The points ledger, purchases, rewards and the rules that earn points.

Invariants (checked by ``reconcile_points`` and the property tests):

* ``PointsAccount.balance == sum(Lot.remaining)`` of the account's lots;
* ``PointsAccount.balance - PointsAccount.debt == sum(LedgerEntry.points)`` of the account;
* ``Lot.remaining == Lot.points - sum(Allocation.points)`` of the lot.

Entries are only inserted; a correction is a new entry. ``balance`` and ``debt`` change only in
``points.ledger`` / ``points.expiry``, in the transaction that inserts the entry, under a row
lock of the account.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Store, TenantOwnedModel, unindexed_tenant
from core.money import MONEY
from membership.models import Member


class ExpiryPolicy(models.TextChoices):
    NEVER = "never", _("Points do not expire")
    FIXED_TERM = "fixed_term", _("A fixed number of months after earning")
    MEMBERSHIP_YEAR = "membership_year", _("End of the membership year (card anniversary)")
    CALENDAR_PERIOD = "calendar_period", _("End of a calendar period")


class CalendarPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class ShortfallPolicy(models.TextChoices):
    DEDUCT_FROM_CASH = "deduct_from_cash", _("Deduct their value from the cash refund")
    RECORD_DEBT = "record_debt", _("Record a points debt that later earnings settle first")


def default_excluded_categories() -> list[str]:
    return ["special_price", "promotion", "group", "negotiated"]


class PointsSettings(TenantOwnedModel):
    """A tenant's points rules, edited in the tenant admin."""

    currency_per_point = models.DecimalField(
        _("amount paid per point"),
        **MONEY,
        default=1,
        help_text=_("1 for one point per yuan, 10 for one point per 10 yuan. Rounded down."),
    )
    point_value = models.DecimalField(
        _("value of one point when paying"),
        **MONEY,
        default=1,
        help_text=_("1 when one point pays one yuan."),
    )
    excluded_categories = models.JSONField(
        _("goods categories that earn nothing"),
        default=default_excluded_categories,
        blank=True,
        help_text=_("For example special_price, promotion, group, negotiated."),
    )
    birthday_multiplier = models.DecimalField(
        _("birthday month multiplier"), max_digits=5, decimal_places=2, default=1
    )
    anniversary_multiplier = models.DecimalField(
        _("wedding-anniversary month multiplier"), max_digits=5, decimal_places=2, default=1
    )
    expiry_policy = models.CharField(
        _("expiry policy"), max_length=20, choices=ExpiryPolicy.choices, default=ExpiryPolicy.NEVER
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("months until expiry"),
        default=12,
        help_text=_(
            "For a fixed term; for the membership year, the number of whole years after "
            "the next card anniversary is this divided by 12."
        ),
    )
    expiry_period = models.CharField(
        _("calendar period"),
        max_length=10,
        choices=CalendarPeriod.choices,
        default=CalendarPeriod.YEAR,
    )
    clear_on_lapse = models.BooleanField(
        _("clear all points when a membership lapses"), default=False
    )
    refund_shortfall_policy = models.CharField(
        _("when points to take back were already spent"),
        max_length=20,
        choices=ShortfallPolicy.choices,
        default=ShortfallPolicy.DEDUCT_FROM_CASH,
    )
    referral_bonus_points = models.PositiveIntegerField(
        _("referral bonus (points)"),
        default=0,
        help_text=_("Awarded to the referrer when a referred member first pays. 0 for none."),
    )
    adjustment_approval_threshold = models.PositiveIntegerField(
        _("adjustments above this many points need a manager's approval"), default=100
    )

    class Meta:
        verbose_name = _("points settings")
        verbose_name_plural = _("points settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="points_settings_one_per_tenant"),
            models.CheckConstraint(
                condition=Q(currency_per_point__gt=0), name="points_currency_per_point_positive"
            ),
            models.CheckConstraint(condition=Q(point_value__gt=0), name="points_value_positive"),
        ]

    def __str__(self) -> str:
        return str(_("Points settings"))


class Campaign(TenantOwnedModel):
    """A dated multiplier (e.g. double points over a holiday)."""

    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), help_text=_("Inclusive."))
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=2, default=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["tenant", "starts_on"], name="points_campaign_starts")]

    def __str__(self) -> str:
        return self.name


class PointsAccount(TenantOwnedModel):
    tenant = unindexed_tenant()  # every index of the table leads with the tenant
    # Foreign keys of the ledger tables carry no index of their own where a tenant-led index
    # (or the unique constraint) starts with the same column after the tenant: every extra
    # index is written on every posting and every expired lot.
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("member"),
        db_index=False,
    )
    balance = models.IntegerField(_("balance"), default=0)
    debt = models.IntegerField(_("points debt"), default=0)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "member"], name="points_account_per_member"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative"),
            models.CheckConstraint(condition=Q(debt__gte=0), name="points_debt_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.balance}"

    @property
    def net(self) -> int:
        return self.balance - self.debt


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    EXPIRE = "expire", _("Expired")
    REVERSE = "reverse", _("Reversed")
    ADJUST = "adjust", _("Adjusted")


class Reason(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    TASK = "task", _("Task completed")
    REFERRAL = "referral", _("Referral bonus")
    SUGGESTION = "suggestion", _("Adopted suggestion")
    COMPENSATION = "compensation", _("Complaint compensation")
    OPENING_BALANCE = "opening_balance", _("Opening balance")
    POINTS_PAYMENT = "points_payment", _("Paid with points")
    REWARD = "reward", _("Reward redeemed")
    REWARD_RETURNED = "reward_returned", _("Reward redemption returned")
    REFUND = "refund", _("Refund")
    EXPIRY = "expiry", _("Expiry")
    LAPSE = "lapse", _("Membership lapsed")
    MANUAL = "manual", _("Manual adjustment")


AWARD_REASONS = (
    Reason.TASK,
    Reason.REFERRAL,
    Reason.SUGGESTION,
    Reason.COMPENSATION,
    Reason.OPENING_BALANCE,
)


class PurchaseStatus(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    PARTLY_REFUNDED = "partly_refunded", _("Partly refunded")
    REFUNDED = "refunded", _("Refunded")


class Purchase(TenantOwnedModel):
    """A bill at a store. ``amount_paid`` is what the member actually paid in money (after the
    member discount and the part paid with points); ``refunded_amount`` is the money given back."""

    tenant = unindexed_tenant()  # every index of the table leads with the tenant

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store")
    )
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    list_amount = models.DecimalField(_("list amount"), **MONEY)
    discount_amount = models.DecimalField(_("member discount"), **MONEY, default=0)
    amount_due = models.DecimalField(_("amount due"), **MONEY)
    points_used = models.IntegerField(_("points used"), default=0)
    points_value = models.DecimalField(_("paid with points"), **MONEY, default=0)
    amount_paid = models.DecimalField(_("amount paid"), **MONEY)
    points_earned = models.IntegerField(_("points earned"), default=0)
    refunded_amount = models.DecimalField(_("money refunded"), **MONEY, default=0)
    refunded_due = models.DecimalField(_("bill amount refunded"), **MONEY, default=0)
    points_reversed = models.IntegerField(_("earned points reversed"), default=0)
    points_returned = models.IntegerField(_("spent points returned"), default=0)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PurchaseStatus.choices,
        default=PurchaseStatus.COMPLETED,
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(max_length=64, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="points_purchase_idempotency"
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(points_used__gte=0),
                name="points_purchase_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("amount_paid")),
                name="points_purchase_refund_within_paid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "member", "occurred_at"], name="points_purchase_member"),
            models.Index(fields=["tenant", "occurred_at"], name="points_purchase_occurred"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount_paid}"

    @property
    def net_paid(self):
        return self.amount_paid - self.refunded_amount


class PurchaseLine(TenantOwnedModel):
    tenant = unindexed_tenant()  # every index of the table leads with the tenant
    purchase = models.ForeignKey(
        Purchase, on_delete=models.CASCADE, related_name="lines", verbose_name=_("purchase")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    category = models.CharField(_("goods category"), max_length=50, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    list_amount = models.DecimalField(_("list amount"), **MONEY)
    discount_rate = models.DecimalField(
        _("discount rate"), max_digits=5, decimal_places=4, default=0
    )
    amount_due = models.DecimalField(_("amount due"), **MONEY)
    earns_points = models.BooleanField(_("earns points"), default=True)
    refunded_quantity = models.PositiveIntegerField(_("quantity refunded"), default=0)

    class Meta:
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")
        ordering = ["pk"]
        indexes = [models.Index(fields=["tenant", "purchase"], name="points_line_purchase")]

    def __str__(self) -> str:
        return f"{self.description or self.category} x {self.quantity}"


class Refund(TenantOwnedModel):
    purchase = models.ForeignKey(
        Purchase, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("purchase")
    )
    lines = models.JSONField(_("lines refunded"), default=dict, blank=True)
    due_amount = models.DecimalField(_("bill amount refunded"), **MONEY)
    cash_amount = models.DecimalField(_("money refunded"), **MONEY)
    deducted_amount = models.DecimalField(
        _("deducted for points already spent"), **MONEY, default=0
    )
    points_reversed = models.IntegerField(_("earned points reversed"), default=0)
    points_returned = models.IntegerField(_("spent points returned"), default=0)
    debt_recorded = models.IntegerField(_("points debt recorded"), default=0)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(max_length=64, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="points_refund_idempotency"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "purchase"], name="points_refund_purchase")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.cash_amount}"


class RewardKind(models.TextChoices):
    GIFT = "gift", _("Gift")
    COUPON = "coupon", _("Coupon")


class Reward(TenantOwnedModel):
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=RewardKind.choices, default=RewardKind.GIFT
    )
    points_cost = models.PositiveIntegerField(_("points cost"))
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Empty for unlimited.")
    )
    coupon_value = models.DecimalField(_("coupon value"), **MONEY, default=0)
    requires_approval = models.BooleanField(_("requires approval"), default=False)
    requires_id_check = models.BooleanField(_("requires an ID check"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points_cost", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="points_reward_stock"
            ),
        ]

    def __str__(self) -> str:
        return self.name_zh or self.name_en


class RedemptionStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    FULFILLED = "fulfilled", _("Fulfilled")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class Redemption(TenantOwnedModel):
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("reward")
    )
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RedemptionStatus.choices,
        default=RedemptionStatus.PENDING,
    )
    store = models.ForeignKey(
        Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    id_checked = models.BooleanField(_("ID checked"), default=False)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(max_length=64, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="points_redemption_idempotency"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="points_redemption_status"),
            models.Index(fields=["tenant", "member"], name="points_redemption_member"),
        ]

    def __str__(self) -> str:
        return f"{self.reward} · {self.get_status_display()}"


class Coupon(TenantOwnedModel):
    code = models.CharField(_("code"), max_length=32)
    redemption = models.ForeignKey(
        Redemption, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("redemption")
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("value"), **MONEY, default=0)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_store = models.ForeignKey(
        Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="points_coupon_code"),
        ]

    def __str__(self) -> str:
        return self.code


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved and posted")
    REJECTED = "rejected", _("Rejected")


class AdjustmentRequest(TenantOwnedModel):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    points = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AdjustmentStatus.choices,
        default=AdjustmentStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(max_length=64, editable=False, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("adjustment request")
        verbose_name_plural = _("adjustment requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="points_adjustment_idempotency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} · {self.reason}"


class LedgerEntry(TenantOwnedModel):
    """One posting. ``points`` is the signed change of the account's net position
    (balance - debt). Never updated or deleted."""

    tenant = unindexed_tenant()  # every index of the table leads with the tenant

    account = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("member"), db_index=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    points = models.IntegerField(_("points"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    purchase = models.ForeignKey(
        Purchase, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    redemption = models.ForeignKey(
        Redemption,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # a reversing entry (a refund's, a redemption given back) names the entry it reverses
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    effective_on = models.DateField(_("date"), default=timezone.localdate)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="points_entry_idempotency"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "account", "id"], name="points_entry_account"),
            models.Index(
                fields=["tenant", "member", "kind", "effective_on"], name="points_entry_kind"
            ),
            models.Index(
                fields=["tenant", "purchase"],
                name="points_entry_purchase",
                condition=Q(purchase__isnull=False),
            ),
            models.Index(
                fields=["tenant", "refund"],
                name="points_entry_refund",
                condition=Q(refund__isnull=False),
            ),
            models.Index(
                fields=["tenant", "redemption"],
                name="points_entry_redemption",
                condition=Q(redemption__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"


class Lot(TenantOwnedModel):
    """Points earned by one entry, spent oldest-expiring first. ``expires_at`` is the first
    date (tenant local) on which the points are no longer valid; empty: they never expire."""

    tenant = unindexed_tenant()  # every index of the table leads with the tenant

    # lots are read by account only while they hold points (points_lot_spend_order)
    account = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    entry = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    points = models.IntegerField(_("points"))
    remaining = models.IntegerField(_("remaining"))
    earned_at = models.DateField(_("earned on"))
    expires_at = models.DateField(_("expires on"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("points")),
                name="points_lot_remaining_in_range",
            ),
        ]
        indexes = [
            # spending order: oldest expiry first (no expiry last), then oldest lot
            models.Index(
                F("tenant"),
                F("account"),
                F("expires_at").asc(nulls_last=True),
                F("id"),
                name="points_lot_spend_order",
                condition=Q(remaining__gt=0),
            ),
            # the expiry job's order: a day's due lots account by account (points/expiry.py)
            models.Index(
                fields=["tenant", "expires_at", "account", "id"],
                name="points_lot_due",
                condition=Q(remaining__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.points}"


class Allocation(TenantOwnedModel):
    """Points an entry took from a lot (positive) or gave back to it (negative)."""

    tenant = unindexed_tenant()  # every index of the table leads with the tenant

    entry = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+", db_index=False)
    points = models.IntegerField(_("points"))

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        indexes = [
            models.Index(fields=["tenant", "entry"], name="points_alloc_entry"),
            models.Index(fields=["tenant", "lot"], name="points_alloc_lot"),
        ]

    def __str__(self) -> str:
        return f"{self.points}"
