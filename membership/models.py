import json

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Right
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from core.models import Store, TenantOwnedModel
from core.validators import validate_past_date

from . import pii
from .db import ByteOrder


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class IdType(models.TextChoices):
    RESIDENT = "resident", _("Resident ID (mainland)")
    PASSPORT = "passport", _("Passport")
    OTHER = "other", _("Other")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FROZEN = "frozen", _("Frozen")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


# Which status may follow which. Terminated is final.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    MemberStatus.ACTIVE: frozenset(
        {MemberStatus.FROZEN, MemberStatus.EXPIRED, MemberStatus.TERMINATED}
    ),
    MemberStatus.FROZEN: frozenset({MemberStatus.ACTIVE, MemberStatus.TERMINATED}),
    MemberStatus.EXPIRED: frozenset({MemberStatus.ACTIVE, MemberStatus.TERMINATED}),
    MemberStatus.TERMINATED: frozenset(),
}

# Profile fields a tenant may make required (name is always required).
OPTIONAL_FIELDS = {
    "gender": _("Gender"),
    "phone": _("Phone"),
    "id_number": _("ID number"),
    "email": _("E-mail"),
    "birthday": _("Birthday"),
    "wedding_anniversary": _("Wedding anniversary"),
    "employer": _("Employer"),
    "address": _("Address"),
}


class MembershipSettings(TenantOwnedModel):
    """A tenant's member rules, edited in the tenant admin."""

    card_prefix = models.CharField(
        _("card number prefix"),
        max_length=6,
        default="8",
        help_text=_("Digits printed before the sequence number of every card."),
    )
    card_digits = models.PositiveSmallIntegerField(
        _("sequence digits"), default=8, help_text=_("Sequence numbers are zero-padded to this.")
    )
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)
    validity_months = models.PositiveSmallIntegerField(
        _("membership validity (months)"),
        null=True,
        blank=True,
        help_text=_("Empty for memberships that do not expire."),
    )

    class Meta:
        verbose_name = _("membership settings")
        verbose_name_plural = _("membership settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="membership_settings_one_per_tenant")
        ]

    def __str__(self) -> str:
        return str(_("Membership settings"))


class CardCounter(TenantOwnedModel):
    """The last card sequence number issued in a tenant. Only ``do_next_card_number`` touches it,
    under a row lock, so numbers are never handed out twice (a MAX()+1 would be)."""

    last_value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="card_counter_one_per_tenant")
        ]

    def __str__(self) -> str:
        return str(self.last_value)


class Member(TenantOwnedModel):
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    id_type = models.CharField(_("ID type"), max_length=10, choices=IdType.choices, blank=True)
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_digest = models.CharField(max_length=64, blank=True, editable=False)
    id_number_last4 = models.CharField(max_length=4, blank=True, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    birthday = models.DateField(
        _("birthday"), null=True, blank=True, validators=[validate_past_date]
    )
    wedding_anniversary = models.DateField(
        _("wedding anniversary"), null=True, blank=True, validators=[validate_past_date]
    )
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    notes = models.TextField(
        _("soft profile"),
        max_length=2000,
        blank=True,
        help_text=_("Preferences, family, favourite way to be contacted…"),
    )
    # Foreign keys between tenant-owned rows are indexed behind ``tenant`` (Meta.indexes).
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store of registration"),
        db_index=False,
    )
    referrer = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referrer"),
        db_index=False,
    )
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff user"),
        help_text=_(
            "Set when this member is also one of our staff: they may not post "
            "adjustments or redemptions to their own account."
        ),
    )
    joined_on = models.DateField(_("joined"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    card_number = models.CharField(_("card number"), max_length=32, blank=True, editable=False)
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("For the member portal and messages. Empty: the business's default."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # Set when the member's personal data was erased (an approved ErasureRequest): the row
    # stays for the ledger, purchases and complaints, but identifies nobody any more.
    erased_at = models.DateTimeField(
        _("personal data erased"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "phone"], condition=~Q(phone=""), name="member_phone_unique"
            ),
            models.UniqueConstraint(
                fields=["tenant", "id_number_digest"],
                condition=~Q(id_number_digest=""),
                name="member_id_number_unique",
            ),
        ]
        indexes = [
            models.Index(F("tenant"), ByteOrder("name"), F("id"), name="member_name_prefix"),
            # the counter's search by the first digits and by the last four of the phone
            models.Index(F("tenant"), ByteOrder("phone"), F("id"), name="member_phone_prefix"),
            models.Index(F("tenant"), Right("phone", 4), F("id"), name="member_phone_tail"),
            models.Index(fields=["tenant", "birthday"], name="member_birthday"),
            models.Index(fields=["tenant", "store"], name="member_store"),
            models.Index(fields=["tenant", "referrer"], name="member_referrer"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.card_number})" if self.card_number else self.name

    def set_id_number(self, id_type: str, number: str) -> None:
        """Store ``number`` (already validated and normalised) encrypted, digested and masked."""
        if not number:
            self.id_type = id_type or ""
            self.id_number_encrypted = self.id_number_digest = self.id_number_last4 = ""
            return
        tenant_id = self.tenant_id
        self.id_type = id_type
        self.id_number_encrypted = pii.encrypt(number)
        self.id_number_digest = pii.id_digest(tenant_id, number)
        self.id_number_last4 = number[-4:]

    @property
    def id_number_masked(self) -> str:
        return pii.mask(self.id_number_last4)

    def reveal_id_number(self) -> str:
        """The plain number. Call only through ``actions.do_reveal_id_number`` (it logs)."""
        return pii.decrypt(self.id_number_encrypted) if self.id_number_encrypted else ""


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LOST = "lost", _("Reported lost")
    BLOCKED = "blocked", _("Blocked")


class Card(TenantOwnedModel):
    """Every card number ever issued; a number is never issued twice in a tenant."""

    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="cards",
        verbose_name=_("member"),
        db_index=False,
    )
    number = models.CharField(_("card number"), max_length=32)
    status = models.CharField(
        _("status"), max_length=10, choices=CardStatus.choices, default=CardStatus.ACTIVE
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="card_number_unique"),
            models.UniqueConstraint(
                fields=["tenant", "member"],
                condition=Q(status="active"),
                name="card_one_active_per_member",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "member"], name="card_member")]

    def __str__(self) -> str:
        return self.number


class MemberChange(TenantOwnedModel):
    """One changed field: who, when, old → new. ID numbers appear masked."""

    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("member"),
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor = models.CharField(_("by"), max_length=150)
    at = models.DateTimeField(_("when"), default=timezone.now)
    field = models.CharField(_("field"), max_length=50)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("member change")
        verbose_name_plural = _("member changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["tenant", "member", "at"], name="member_change_log")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"

    @property
    def field_label(self) -> str:
        special = {
            "registered": _("registered"),
            "card": _("card"),
            "id_number": _("ID number"),
            "termination": _("termination"),
            "erasure": _("erasure of personal data"),
        }
        if self.field in special:
            return special[self.field]
        try:
            return Member._meta.get_field(self.field).verbose_name
        except Exception:  # a field since removed: show its name
            return self.field


class TerminationSource(models.TextChoices):
    BUSINESS = "business", _("By the business")
    MEMBER = "member", _("Member's own request")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class TerminationRequest(TenantOwnedModel):
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="termination_requests", db_index=False
    )
    source = models.CharField(_("source"), max_length=10, choices=TerminationSource.choices)
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("termination request")
        verbose_name_plural = _("termination requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "member"],
                condition=Q(status="pending"),
                name="termination_one_pending_per_member",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "requested_at"], name="termination_queue"),
            models.Index(fields=["tenant", "member"], name="termination_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_status_display()}"


class ErasureStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved: personal data erased")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn by the member")


class ErasureRequest(TenantOwnedModel):
    """A member's request to erase their personal data, and the staff decision on it.

    Not a ``TerminationRequest``: a termination keeps the person's data and may be started by the
    business; an erasure is asked for by the member only, is irreversible, and its approval also
    terminates the membership (see docs/members.md, "Erasure of personal data")."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="erasure_requests", db_index=False
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ErasureStatus.choices, default=ErasureStatus.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "member"],
                condition=Q(status="pending"),
                name="erasure_one_pending_per_member",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "requested_at"], name="erasure_queue"),
            models.Index(fields=["tenant", "member"], name="erasure_member"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.get_status_display()}"


class MemberCredential(TenantOwnedModel):
    """A member's portal password (hashed by django.contrib.auth.hashers)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    password = models.CharField(max_length=128)
    must_change = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("member credential")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "member"], name="one_credential_per_member")
        ]

    def __str__(self) -> str:
        return f"credential of member {self.member_id}"


class PiiAccessLog(TenantOwnedModel):
    """Every access to members' full personal data: a revealed ID number (by staff, or by the
    member in their own data download), a bulk export, an API read. Written only through
    ``actions.do_log_pii_access``.

    ``field`` says what was accessed (``id_number``, ``export:members.csv``,
    ``api:members.lookup``, …); ``member`` is empty when the access covered many members, and
    ``rows`` says how many."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", db_index=False, null=True, blank=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor = models.CharField(_("by"), max_length=150)
    field = models.CharField(_("what"), max_length=50)
    rows = models.PositiveIntegerField(_("rows"), default=1)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["tenant", "member", "at"], name="pii_access_log")]

    def __str__(self) -> str:
        return f"{self.actor} · {self.field} · {self.rows} · {self.at:%Y-%m-%d %H:%M}"


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    IMPORTED = "imported", _("Imported")


class MemberImport(TenantOwnedModel):
    """An uploaded member file: its parsed rows, the problems found, and the outcome."""

    file_name = models.CharField(_("file"), max_length=200)
    # The valid rows, waiting for "import": Fernet-encrypted JSON, because they hold ID numbers
    # (emptied once imported). The error report keeps ID numbers masked.
    rows_encrypted = models.TextField(blank=True)
    errors = models.JSONField(default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    imported_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def rows(self) -> list[dict]:
        return json.loads(pii.decrypt(self.rows_encrypted)) if self.rows_encrypted else []

    @rows.setter
    def rows(self, value: list[dict]) -> None:
        self.rows_encrypted = pii.encrypt(json.dumps(value, default=str)) if value else ""
