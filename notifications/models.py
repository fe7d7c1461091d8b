"""Notifications: the outbox, per-tenant templates and settings, consent and broadcasts.

Members live in a higher app (``membership``); this app may import only ``core``, so a member is
referred to by its id (a plain integer, no foreign key) and the caller passes the address and
language.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TenantOwnedModel

from .hooks import validate_segment
from .templates_default import SPECS, template_choices, validate_template


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class Purpose(models.TextChoices):
    SERVICE = "service", _("Service")
    MARKETING = "marketing", _("Marketing")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Message(TenantOwnedModel):
    """The outbox: one row per message, written in the same transaction as its cause.

    Delivery state machine (see docs/notifications.md):
    PENDING --claim--> SENDING --provider accepted--> SENT
                              --transient error-----> PENDING (due_at = backoff) or FAILED
                              --permanent error-----> FAILED
    PENDING/SENDING --no consent at delivery--> SKIPPED

    ``leased_until`` on a PENDING row means "a delivery task has been queued for it": the sweep
    leaves it alone until then. On a SENDING row it is the claim's expiry: past it, the worker
    that claimed the row is presumed dead and the sweep hands the row to another one.

    The tenant reference has neither an index of its own (the tenant-led unique and indexes
    below serve every lookup) nor a database constraint (``db_constraint=False``): a broadcast
    writes 100,000 rows at once, and their per-row foreign-key checks at commit cost about a
    fifth of its time (docs/benchmarks.md, "Broadcast"). The tenant id always comes from the
    active tenant, tenants are never deleted in SQL, and Django still protects a tenant that
    has messages (``on_delete=PROTECT`` is applied by the ORM).
    """

    tenant = models.ForeignKey(
        "core.Tenant",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("tenant"),
        db_index=False,
        db_constraint=False,
    )
    member_id = models.BigIntegerField(_("member"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.SERVICE
    )
    template = models.CharField(_("template"), max_length=50)
    language = models.CharField(_("language"), max_length=10)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("rendered text"))
    # The text kept after delivery when the message carried a secret (an initial password):
    # ``body`` is replaced by it once the message reaches a final state.
    redacted_body = models.TextField(_("redacted text"), blank=True, editable=False)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    due_at = models.DateTimeField(_("due at"), default=timezone.now)
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    claim_token = models.UUIDField(_("claim token"), null=True, blank=True, editable=False)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    # A marketing SMS that took one of its phone's daily slots: the tenant-local date it counts
    # against (see ``actions.take_cap_slots``). Kept on a retry, so a retry does not count twice.
    cap_date = models.DateField(_("counted against the daily cap of"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dedupe_key"], name="message_dedupe_key_unique_per_tenant"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "member_id", "created_at"], name="message_member_log"),
            models.Index(
                fields=["tenant", "due_at"],
                name="message_open_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            models.Index(
                fields=["tenant", "recipient", "cap_date"],
                name="message_marketing_cap",
                condition=models.Q(cap_date__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient}"

    @property
    def reference(self) -> str:
        """The idempotency key sent to providers: the same for every attempt of this message."""
        return f"t{self.tenant_id}-m{self.pk}"


def _validate_quiet_time(value: datetime.time) -> None:
    if value.second or value.microsecond:
        raise ValidationError(_("Use whole minutes."))


class NotificationSettings(TenantOwnedModel):
    """A tenant's senders, manners and reminder timing. Absent row = the defaults below."""

    sms_sender = models.CharField(
        _("SMS sender id"),
        max_length=20,
        blank=True,
        help_text=_("As registered with the provider."),
    )
    sms_signature = models.CharField(
        _("SMS signature"),
        max_length=20,
        blank=True,
        help_text=_("Prepended to every SMS, e.g. 【Amber】. Required by Chinese carriers."),
    )
    email_from = models.EmailField(_("e-mail from address"), blank=True)
    quiet_start = models.TimeField(
        _("quiet hours start"), default=datetime.time(21, 0), validators=[_validate_quiet_time]
    )
    quiet_end = models.TimeField(
        _("quiet hours end"), default=datetime.time(8, 0), validators=[_validate_quiet_time]
    )
    rate_per_minute = models.PositiveIntegerField(
        _("sending rate limit per minute"),
        default=600,
        validators=[MinValueValidator(1)],
    )
    points_lead_days = models.PositiveSmallIntegerField(
        _("points expiry reminder, days ahead"), default=30, validators=[MaxValueValidator(365)]
    )
    membership_lead_days = models.PositiveSmallIntegerField(
        _("membership expiry reminder, days ahead"), default=30, validators=[MaxValueValidator(365)]
    )
    send_hour = models.PositiveSmallIntegerField(
        _("reminder hour (local time)"), default=10, validators=[MaxValueValidator(23)]
    )
    marketing_start = models.TimeField(
        _("marketing window start"),
        default=datetime.time(8, 0),
        validators=[_validate_quiet_time],
        help_text=_(
            "Marketing messages go out only between start and end (the tenant's time zone), in "
            "addition to quiet hours; one due outside waits for the window. Equal: any time."
        ),
    )
    marketing_end = models.TimeField(
        _("marketing window end"), default=datetime.time(21, 0), validators=[_validate_quiet_time]
    )
    marketing_sms_daily_cap = models.PositiveSmallIntegerField(
        _("marketing SMS per phone per day"),
        default=1,
        help_text=_(
            "More marketing SMS to one phone on one day (the tenant's date) wait for the next "
            "day's window. 0: no cap."
        ),
    )
    sms_opt_out_zh = models.CharField(
        _("SMS opt-out text (Chinese)"),
        max_length=40,
        default="拒收请回复R",
        help_text=_("Appended to every marketing SMS in Chinese."),
    )
    sms_opt_out_en = models.CharField(
        _("SMS opt-out text (English)"),
        max_length=40,
        default="Reply R to opt out",
        help_text=_("Appended to every marketing SMS in English."),
    )

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="notification_settings_one_per_tenant")
        ]

    def __str__(self) -> str:
        return str(_("Notification settings"))

    def opt_out_text(self, language: str) -> str:
        """The opt-out line for a marketing SMS in ``language`` (Chinese or else English)."""
        return self.sms_opt_out_zh if (language or "").startswith("zh") else self.sms_opt_out_en


class MessageTemplate(TenantOwnedModel):
    """A tenant's own text for one template key in one language (else the default is used)."""

    key = models.CharField(_("template"), max_length=50, choices=template_choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject (e-mail)"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["key", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "key", "language"], name="message_template_unique_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"

    def clean(self):
        if self.key not in SPECS:
            raise ValidationError({"key": _("Unknown template.")})
        validate_template(self.key, subject=self.subject, body=self.body)


class Consent(TenantOwnedModel):
    """A member's choice for one channel and purpose. No row: service allowed, marketing not."""

    member_id = models.BigIntegerField(_("member"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "member_id", "channel", "purpose"],
                name="consent_unique_per_member_channel_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.channel}/{self.purpose}: {self.granted}"


class ConsentSource(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    PORTAL = "portal", _("Member portal")
    SMS_REPLY = "sms_reply", _("SMS reply")
    IMPORT = "import", _("Import")
    ERASURE = "erasure", _("Erasure of the member's data")


class ConsentChange(TenantOwnedModel):
    """Insert-only history of consent: one row per choice recorded, whoever recorded it.

    ``actor`` is never a person's name: ``staff #<user id>``, ``member #<id>``, ``api-key:<id>``
    or a system name (``sms gateway``, ``erasure``). ``given_at`` is when the member gave the
    choice (staff may enter an earlier time for a consent given at the counter), ``recorded_at``
    when it was written."""

    member_id = models.BigIntegerField(_("member"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=20, choices=ConsentSource.choices)
    actor = models.CharField(_("recorded by"), max_length=100)
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        indexes = [
            models.Index(
                fields=["tenant", "member_id", "recorded_at"], name="consent_change_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.channel}/{self.purpose}: {self.granted} ({self.source})"


class BroadcastStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Queued")
    FAILED = "failed", _("Failed")


class Broadcast(TenantOwnedModel):
    """A message to a segment at a set time. The minute sweep expands it into outbox rows."""

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING
    )
    subject = models.CharField(_("subject (e-mail)"), max_length=200, blank=True)
    text = models.TextField(_("text"), help_text=_("Inserted as {{ message }} in the template."))
    segment = models.JSONField(
        _("segment"),
        default=dict,
        blank=True,
        help_text=_('e.g. {"tiers": ["gold"], "stores": [3], "birthday_month": 5}; empty: all.'),
    )
    send_at = models.DateTimeField(_("send at"))
    status = models.CharField(
        _("status"), max_length=10, choices=BroadcastStatus.choices, default=BroadcastStatus.DRAFT
    )
    queued_count = models.PositiveIntegerField(_("messages queued"), default=0, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        ordering = ["-send_at"]
        indexes = [models.Index(fields=["tenant", "status", "send_at"], name="broadcast_due")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        validate_segment(self.segment)
