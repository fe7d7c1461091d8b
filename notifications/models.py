from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TenantOwnedModel


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
    """The outbox: one row per message, written in the same transaction as its cause."""

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
    dedupe_key = models.CharField(_("dedupe key"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    due_at = models.DateTimeField(_("due at"), default=timezone.now)
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
            models.Index(fields=["tenant", "status", "due_at"], name="message_due"),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient}"
