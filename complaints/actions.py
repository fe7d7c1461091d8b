"""Every write to a ticket. Each ``do_*`` is atomic and returns the changed object.

``actor`` is whoever acts: a staff user, an API key's user, a ``Member`` (portal), or None for
the system (the escalation sweep); events record it by ``core.actors.actor_of``. Staff steps
are checked against ``core.roles`` here, not only in the views, so that every way in (page, API,
portal) obeys the same table.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import tenancy
from core.actors import actor_of
from core.exceptions import Conflict
from core.models import StaffRole
from core.money import MAX_POINTS
from core.roles import Role, role_has
from core.selectors import staff_role
from membership.models import Member
from membership.selectors import reach
from notifications.outbox import do_enqueue_message
from notifications.selectors import reach as reach_contact
from points import actions as points_actions
from points.models import Reason
from tiers.selectors import effective_benefits

from . import deadlines, workflow
from .attachments import store_attachment
from .models import (
    OPEN_STATUSES,
    Channel,
    Compensation,
    CompensationKind,
    Escalation,
    Kind,
    RecordedVia,
    ReturnVisit,
    Status,
    Ticket,
    TicketEvent,
)

COMPENSATION_KEY = "complaint:{ticket_id}:compensation"


class InvalidTransition(Conflict):
    """The step is not in the workflow table (or the ticket moved on meanwhile)."""

    default_code = "invalid_transition"


class AlreadyRated(Conflict):
    default_code = "already_rated"


# --- actors -----------------------------------------------------------------------------------


def _may(actor, capability: str) -> bool:
    """Staff need the capability; an API key and the system may do every staff step."""
    if actor is None or getattr(actor, "api_key", None) is not None:
        return True
    if isinstance(actor, Member):
        return False
    role = staff_role(actor)
    return role is not None and role_has(role.role, capability)


def _event(ticket: Ticket, type_: str, actor, *, source="", target="", note="") -> TicketEvent:
    who = actor_of(actor)
    return TicketEvent.objects.create(
        ticket=ticket,
        type=type_,
        actor=who.user,
        actor_label=who.label,
        from_status=source,
        to_status=target,
        note=note,
    )


# --- telling people ---------------------------------------------------------------------------


def _tell_member(ticket: Ticket, text: str, dedupe_key: str) -> None:
    """An outbox message to the member (or the walk-in's phone), in the member's language."""
    member = ticket.member
    if member is not None:
        to = reach(member)
    else:
        to = reach_contact(phone=ticket.contact_phone, email="", language="")
    if to is None:
        return
    with translation.override(to.language):
        context = {
            "number": ticket.number,
            "kind": ticket.get_kind_display(),
            "status": ticket.get_status_display(),
            "text": text,
        }
    do_enqueue_message(
        template="complaint_update",
        to=to,
        context=context,
        dedupe_key=dedupe_key,
        member_id=ticket.member_id,
    )


# --- filing -----------------------------------------------------------------------------------


def _set_deadline(ticket: Ticket, *, override: int | None = None) -> None:
    tenant = tenancy.current_tenant()
    if override is None and ticket.member_id:
        # The member's tier may promise a faster answer (a benefit; it only ever shortens).
        override = effective_benefits(ticket.member).complaint_days
    ticket.warn_at, ticket.due_at = deadlines.deadline_for(
        ticket, tzinfo=tenant.tzinfo, override=override
    )


@transaction.atomic
def do_file_ticket(
    *,
    data: dict,
    actor,
    via: str = RecordedVia.STAFF,
    files=(),
    deadline_override: int | None = None,
) -> Ticket:
    """File a ticket. ``data`` holds model fields (kind, channel, member or contact_name and
    contact_phone, store, description, priority, assignee, deadline_days)."""
    if not data.get("member") and not (data.get("contact_name") or "").strip():
        raise ValidationError(
            {"contact_name": _("Choose a member or give the name of the person.")}
        )
    user = actor_of(actor).user
    ticket = Ticket(**data, recorded_by=user, recorded_via=via, created_at=timezone.now())
    _set_deadline(ticket, override=deadline_override)
    ticket.save()
    for upload in files:
        store_attachment(ticket, upload)
    _event(ticket, TicketEvent.Type.FILED, actor, target=Status.NEW)
    _tell_member(
        ticket,
        _("We received it and will answer by %(due)s.")
        % {"due": timezone.localtime(ticket.due_at).strftime("%Y-%m-%d %H:%M")},
        f"complaint:{ticket.pk}:filed",
    )
    return ticket


def do_file_ticket_as_member(
    member: Member,
    *,
    kind: str,
    description: str,
    store=None,
    files=(),
    via: str = RecordedVia.PORTAL,
    deadline_override: int | None = None,
) -> Ticket:
    """The portal's way in: a member files their own ticket (online form)."""

    return do_file_ticket(
        data={
            "kind": kind,
            "channel": Channel.ONLINE,
            "member": member,
            "store": store or member.store,
            "description": description,
        },
        actor=member,
        via=via,
        files=files,
        deadline_override=deadline_override,
    )


@transaction.atomic
def do_add_attachment(ticket: Ticket, upload, *, actor):
    attachment = store_attachment(ticket, upload)
    _event(
        ticket,
        TicketEvent.Type.NOTE,
        actor,
        note=_("Attached %(name)s") % {"name": attachment.original_name},
    )
    return attachment


# --- the workflow -----------------------------------------------------------------------------


def _refuse(ticket: Ticket, target: str) -> InvalidTransition:
    return InvalidTransition(
        _("A ticket that is “%(status)s” cannot become “%(target)s”.")
        % {"status": ticket.get_status_display(), "target": Status(target).label},
        field="status",
    )


@transaction.atomic
def do_transition(ticket: Ticket, target: str, *, actor, note: str = "") -> Ticket:
    """Move ``ticket`` to ``target`` if the workflow allows it and ``actor`` may do it."""
    if target not in Status.values:
        raise _refuse(ticket, Status.NEW) from None
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    source = locked.status
    step = workflow.step(source, target)
    if step is None:
        raise _refuse(locked, target)
    if isinstance(actor, Member):
        if actor.pk != locked.member_id or (source, target) not in workflow.MEMBER:
            raise _refuse(locked, target)
    elif not _may(actor, step.capability):
        raise PermissionDenied(_("Only a manager may do this."))
    note = note.strip()
    if step.needs_note and not note:
        raise ValidationError(
            {"note": _("Say why, or what was done: this step needs a note.")}, code="note"
        )
    now = timezone.now()
    locked.status = target
    if target == Status.ACKNOWLEDGED and locked.acknowledged_at is None:
        locked.acknowledged_at = now
    if target == Status.PROPOSED:
        locked.resolution = note
    if target == Status.REPLIED and locked.replied_at is None:
        locked.replied_at = now
    if target == Status.CLOSED:
        locked.closed_at = now
    if workflow.is_reopen(source, target):
        # A reopened ticket gets a fresh deadline from now and starts unescalated.
        locked.closed_at = None
        locked.escalation = Escalation.NONE
        original = locked.created_at
        locked.created_at = now
        _set_deadline(locked)
        locked.created_at = original
    locked.save()
    _event(locked, TicketEvent.Type.TRANSITION, actor, source=source, target=target, note=note)
    event_key = f"complaint:{locked.pk}:{target}:{locked.events.count()}"
    if target == Status.ACKNOWLEDGED:
        _tell_member(locked, _("We are looking into it."), event_key)
    elif target == Status.REPLIED:
        _tell_member(locked, note, event_key)
    elif target == Status.CLOSED:
        _tell_member(
            locked, _("It is closed. Thank you; you can rate how we handled it."), event_key
        )
    return locked


@transaction.atomic
def do_assign(ticket: Ticket, assignee, *, actor) -> Ticket:
    if assignee is not None and staff_role(assignee) is None:
        raise ValidationError({"assignee": _("Assign to a staff member of this business.")})
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    locked.assignee = assignee
    locked.save(update_fields=["assignee"])
    _event(
        locked,
        TicketEvent.Type.ASSIGNED,
        actor,
        note=(assignee.get_full_name() or assignee.get_username()) if assignee else "",
    )
    return locked


# --- escalation -------------------------------------------------------------------------------

ESCALATION_ROLES = {Escalation.MANAGER: Role.MANAGER, Escalation.OWNER: Role.OWNER}


def escalation_targets(ticket: Ticket, level: int) -> list:
    """Managers of the ticket's store (all managers when it has none of its own), or owners."""
    roles = StaffRole.objects.filter(is_active=True, role=ESCALATION_ROLES[level]).select_related(
        "user"
    )
    if level == Escalation.MANAGER and ticket.store_id:
        local = [r.user for r in roles if r.store_id == ticket.store_id]
        if local:
            return local
    return [r.user for r in roles]


def do_escalate(ticket_id: int, level: int, *, expected: int) -> Ticket | None:
    """Raise one ticket from ``expected`` to ``level``, once: a compare-and-set on the
    escalation column, so two sweeps (or a retried one) never escalate it twice."""
    with transaction.atomic():
        claimed = Ticket.objects.filter(
            pk=ticket_id, escalation=expected, status__in=OPEN_STATUSES
        ).update(escalation=level)
        if not claimed:
            return None
        ticket = Ticket.objects.select_related("store").get(pk=ticket_id)
        targets = escalation_targets(ticket, level)
        names = ", ".join(u.get_full_name() or u.get_username() for u in targets)
        if level == Escalation.MANAGER:
            text = _("Ticket %(number)s is due %(due)s and is still open.")
        else:
            text = _("Ticket %(number)s was due %(due)s and is overdue.")
        text %= {
            "number": ticket.number,
            "due": timezone.localtime(ticket.due_at).strftime("%Y-%m-%d %H:%M"),
        }
        _event(
            ticket,
            TicketEvent.Type.ESCALATED,
            None,
            source=ticket.status,
            target=ticket.status,
            note=f"{Escalation(level).label}: {names or _('no one holds that role')}",
        )
        for user in targets:
            if not user.email:
                continue  # the event and the queue's flag are the in-app record
            do_enqueue_message(
                template="complaint_update",
                to=reach_contact(phone="", email=user.email, language=""),
                context={
                    "number": ticket.number,
                    "kind": ticket.get_kind_display(),
                    "status": ticket.get_status_display(),
                    "text": text,
                },
                dedupe_key=f"complaint:{ticket.pk}:escalation:{level}:{user.pk}",
            )
        return ticket


def do_escalate_due(now: datetime.datetime | None = None) -> list[Ticket]:
    """Escalate every open ticket whose warning time or deadline has passed (set-based
    selection on the ``warn_at`` / ``due_at`` columns, one compare-and-set per ticket)."""
    now = now or timezone.now()
    escalated = []
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
    overdue = open_tickets.filter(due_at__lte=now, escalation__lt=Escalation.OWNER)
    for ticket_id, level in overdue.values_list("pk", "escalation"):
        ticket = do_escalate(ticket_id, Escalation.OWNER, expected=level)
        if ticket is not None:
            escalated.append(ticket)
    near = open_tickets.filter(warn_at__lte=now, due_at__gt=now, escalation=Escalation.NONE)
    for ticket_id in near.values_list("pk", flat=True):
        ticket = do_escalate(ticket_id, Escalation.MANAGER, expected=Escalation.NONE)
        if ticket is not None:
            escalated.append(ticket)
    return escalated


# --- compensation, rating ---------------------------------------------------------------------


def _post_points(ticket: Ticket, points: int, *, actor, is_reward: bool, note: str) -> str:
    """Post ``points`` to the ticket's member through the points ledger (idempotent per ticket);
    returns the ledger entry's id. Refusals (e.g. staff compensating their own member account)
    are ``ValidationError``s and roll the compensation back."""

    user = actor_of(actor).user
    entry = points_actions.do_award_points(
        ticket.member,
        reason=Reason.SUGGESTION if is_reward else Reason.COMPENSATION,
        points=points,
        idempotency_key=COMPENSATION_KEY.format(ticket_id=ticket.pk),
        actor=user,
        note=note,
    )
    return str(entry.pk)


@transaction.atomic
def do_compensate(
    ticket: Ticket, *, kind: str, points: int = 0, description: str = "", actor
) -> Compensation:
    """Record compensation (or an adopted suggestion's reward) and tell the member."""
    if not _may(actor, workflow.WORK):
        raise PermissionDenied
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    is_reward = locked.kind == Kind.SUGGESTION
    if kind == CompensationKind.POINTS:
        if not 0 < points <= MAX_POINTS:
            raise ValidationError(
                {"points": _("Give from 1 to %(max)s points.") % {"max": MAX_POINTS}}
            )
        if locked.member_id is None:
            raise ValidationError({"kind": _("Points need a member; this ticket has none.")})
        if locked.compensations.filter(kind=CompensationKind.POINTS).exists():
            raise ValidationError({"kind": _("This ticket already has points.")})
    else:
        points = 0
        if not description.strip():
            raise ValidationError({"description": _("Say which coupon or gift.")})
    user = actor_of(actor).user
    compensation = Compensation.objects.create(
        ticket=locked,
        kind=kind,
        points=points,
        description=description.strip(),
        is_suggestion_reward=is_reward,
        recorded_by=user,
    )
    if kind == CompensationKind.POINTS:
        # The note is the ticket number, not a translated text: the ledger fingerprints it.
        compensation.ledger_reference = _post_points(
            locked, points, actor=actor, is_reward=is_reward, note=locked.number
        )
        compensation.save(update_fields=["ledger_reference"])
    _event(locked, TicketEvent.Type.COMPENSATION, actor, note=str(compensation))
    if is_reward:
        text = _("Your suggestion was adopted. Thank you: %(what)s.")
    else:
        text = _("We are sorry. As compensation: %(what)s.")
    _tell_member(
        locked, text % {"what": compensation}, f"complaint:{locked.pk}:comp:{compensation.pk}"
    )
    return compensation


@transaction.atomic
def do_rate(ticket: Ticket, *, rating: int, comment: str = "", actor) -> Ticket:
    """The member's 1 to 5 rating and comment, once, after the ticket is closed."""
    if isinstance(actor, Member) and actor.pk != ticket.member_id:
        raise PermissionDenied
    if not 1 <= int(rating) <= 5:
        raise ValidationError({"rating": _("Rate from 1 to 5.")})
    current = Ticket.objects.get(pk=ticket.pk)
    if current.status != Status.CLOSED:
        raise Conflict(
            _("A ticket can be rated once it is closed."), field="rating", code="not_closed"
        )
    rated = Ticket.objects.filter(pk=ticket.pk, rated_at__isnull=True).update(
        rating=int(rating), rating_comment=comment.strip(), rated_at=timezone.now()
    )
    if not rated:
        raise AlreadyRated(_("This ticket has already been rated."), field="rating")
    current.refresh_from_db()
    _event(current, TicketEvent.Type.RATED, actor, note=f"{rating}/5 {comment}".strip())
    return current


# --- return visits ----------------------------------------------------------------------------


@transaction.atomic
def do_record_return_visit(*, data: dict, actor) -> ReturnVisit:
    """Record a follow-up (回访). ``data``: member, ticket (optional), store, channel,
    visited_at, notes, opinion."""
    ticket = data.get("ticket")
    if ticket is not None and ticket.member_id and ticket.member_id != data["member"].pk:
        raise ValidationError({"ticket": _("That ticket belongs to another member.")})
    user = actor_of(actor).user
    visit = ReturnVisit.objects.create(**data, visited_by=user)
    if ticket is not None:
        _event(
            ticket,
            TicketEvent.Type.NOTE,
            actor,
            note=_("Return visit: %(opinion)s") % {"opinion": visit.opinion or visit.notes},
        )
    return visit
