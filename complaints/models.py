"""Complaints, suggestions and return visits (回访).

A ticket's state changes only through ``complaints.actions`` along the table in
``complaints.workflow``; every change writes a ``TicketEvent``. The deadline is a column
(``due_at``, with ``warn_at`` one working day before it) that the escalation sweep compares
with the clock; nothing is scheduled ahead on the broker.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Store, TenantOwnedModel
from core.validators import validate_recorded_time
from membership.models import Member

MAX_DEADLINE_DAYS = 60  # working days: about three months, the longest a reply may take


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    GRIEVANCE = "grievance", _("Grievance")
    SUGGESTION = "suggestion", _("Suggestion")
    INQUIRY = "inquiry", _("Inquiry")


class Channel(models.TextChoices):
    ONLINE = "online", _("Online form")
    PHONE = "phone", pgettext_lazy("channel", "Phone")
    EMAIL = "email", pgettext_lazy("channel", "E-mail")
    ON_SITE = "on_site", pgettext_lazy("channel", "On site")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("ticket status", "Acknowledged")
    INVESTIGATING = "investigating", pgettext_lazy("ticket status", "Investigating")
    PROPOSED = "proposed", pgettext_lazy("ticket status", "Resolution proposed")
    APPROVED = "approved", pgettext_lazy("ticket status", "Resolution approved")
    REPLIED = "replied", pgettext_lazy("ticket status", "Replied")
    CONFIRMED = "confirmed", pgettext_lazy("ticket status", "Confirmed by the member")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


OPEN_STATUSES = frozenset(
    {
        Status.NEW,
        Status.ACKNOWLEDGED,
        Status.INVESTIGATING,
        Status.PROPOSED,
        Status.APPROVED,
    }
)
"""Statuses in which the deadline still runs (it stops once the member has a reply)."""


class Escalation(models.IntegerChoices):
    NONE = 0, _("Not escalated")
    MANAGER = 1, _("Escalated to a manager")
    OWNER = 2, _("Escalated to the owner")


class RecordedVia(models.TextChoices):
    STAFF = "staff", _("Staff")
    PORTAL = "portal", _("Member via portal")
    API = "api", _("API")


class DeadlinePolicy(TenantOwnedModel):
    """A tenant's deadline for one kind of ticket, in working days (mainland calendar)."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    working_days = models.PositiveSmallIntegerField(
        _("working days"), validators=[MinValueValidator(1), MaxValueValidator(MAX_DEADLINE_DAYS)]
    )

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind"], name="complaints_deadline_policy_one_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.working_days}"


class Ticket(TenantOwnedModel):
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member"),
    )
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(
        _("contact phone"),
        max_length=40,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+?[0-9][0-9 ()-]{4,38}$",
                _("Enter a phone number: digits, spaces, brackets or dashes, an optional +."),
                code="invalid_phone",
            )
        ],
    )
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_via = models.CharField(
        _("recorded via"), max_length=10, choices=RecordedVia.choices, default=RecordedVia.STAFF
    )
    description = models.TextField(_("description"), max_length=5000)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    resolution = models.TextField(_("proposed resolution"), max_length=5000, blank=True)
    deadline_days = models.PositiveSmallIntegerField(
        _("deadline (working days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DEADLINE_DAYS)],
        help_text=_("Overrides the tenant's deadline for this kind of ticket."),
    )
    due_at = models.DateTimeField(_("due"))
    warn_at = models.DateTimeField(_("escalate to a manager at"))
    escalation = models.PositiveSmallIntegerField(
        _("escalation"), choices=Escalation.choices, default=Escalation.NONE
    )
    created_at = models.DateTimeField(_("filed"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    replied_at = models.DateTimeField(_("first replied"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    rating_comment = models.TextField(_("satisfaction comment"), max_length=2000, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["tenant", "status", "due_at"], name="complaints_ticket_queue"),
            models.Index(
                fields=["tenant", "member", "created_at"], name="complaints_ticket_member"
            ),
            models.Index(
                fields=["tenant", "warn_at"],
                name="complaints_ticket_escalation",
                condition=Q(escalation__lt=2) & ~Q(status__in=["replied", "confirmed", "closed"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="complaints_ticket_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(member__isnull=True, contact_name=""),
                name="complaints_ticket_has_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def number(self) -> str:
        return f"{self.pk:06d}" if self.pk else ""

    @property
    def who(self) -> str:
        return self.member.name if self.member_id else self.contact_name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now=None) -> bool:
        return self.is_open and (now or timezone.now()) > self.due_at


class TicketEvent(TenantOwnedModel):
    """One step of a ticket: who, when, from which status to which, and why."""

    class Type(models.TextChoices):
        FILED = "filed", _("Filed")
        TRANSITION = "transition", _("Status change")
        ASSIGNED = "assigned", _("Assigned")
        ESCALATED = "escalated", _("Escalated")
        COMPENSATION = "compensation", _("Compensation")
        RATED = "rated", _("Rated")
        NOTE = "note", _("Note")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices, blank=True)
    # a step's note (2,000 typed) or a return visit's opinion (5,000) with its label
    note = models.TextField(_("note"), max_length=5100, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["tenant", "ticket", "created_at"], name="complaints_event_ticket")
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.from_status}→{self.to_status}"


def attachment_path(instance, filename: str) -> str:
    """Per tenant and ticket; the name is random so that nothing can be guessed from it."""

    suffix = PurePath(filename).suffix.lower()[:8]
    tenant_id = instance.tenant_id or instance.ticket.tenant_id
    return f"complaints/t{tenant_id}/{instance.ticket_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(TenantOwnedModel):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size"))
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name or self.file.name


class CompensationKind(models.TextChoices):
    POINTS = "points", _("Points")
    COUPON = "coupon", _("Coupon")
    GIFT = "gift", _("Gift")


class Compensation(TenantOwnedModel):
    """Compensation for a complaint, or the reward for an adopted suggestion.

    Points go through the points ledger with the idempotency key
    ``complaint:<ticket id>:compensation``; so a ticket gets points at most once."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="compensations", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CompensationKind.choices)
    points = models.PositiveIntegerField(_("points"), default=0)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_suggestion_reward = models.BooleanField(_("reward for an adopted suggestion"), default=False)
    ledger_reference = models.CharField(_("ledger entry"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "ticket"],
                condition=Q(kind="points"),
                name="complaints_points_once_per_ticket",
            )
        ]

    def __str__(self) -> str:
        if self.kind == CompensationKind.POINTS:
            return f"{self.points} {self.get_kind_display()}"
        return f"{self.get_kind_display()}: {self.description}"


class VisitChannel(models.TextChoices):
    PHONE = "phone", pgettext_lazy("channel", "Phone")
    HOME = "home", _("Home visit")
    ON_SITE = "on_site", pgettext_lazy("channel", "On site")
    MESSAGE = "message", _("Message")


class ReturnVisit(TenantOwnedModel):
    """A follow-up with a member (回访), after a ticket or on its own."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="return_visits",
        verbose_name=_("ticket"),
    )
    store = models.ForeignKey(
        Store,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=VisitChannel.choices)
    visited_at = models.DateTimeField(
        _("when"), default=timezone.now, validators=[validate_recorded_time]
    )
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    opinion = models.TextField(_("member's opinion and suggestions"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["-visited_at", "-pk"]
        indexes = [
            models.Index(fields=["tenant", "member", "visited_at"], name="complaints_visit_member")
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.visited_at:%Y-%m-%d}"


class CalendarDay(models.Model):
    """A platform-wide correction of the mainland calendar: a day declared a holiday or an
    adjusted working day that the ``chinesecalendar`` package does not know yet (the State
    Council announces each year's schedule in the late autumn before). Not tenant data: one
    national calendar for every tenant, edited by superusers in the platform admin."""

    day = models.DateField(_("day"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"),
        help_text=_("Ticked: an adjusted working day (调休). Unticked: a public holiday."),
    )
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"
