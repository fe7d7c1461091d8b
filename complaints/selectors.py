"""Reads: the staff queue, a member's tickets, the to-visit list and the report figures."""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass, field

from django.db.models import F, Max, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core import tenancy
from core.models import Store
from membership.models import Member
from points.models import Purchase

from .models import OPEN_STATUSES, Kind, ReturnVisit, Status, Ticket, TicketEvent


def ticket_queue(
    *,
    status: str = "",
    kind: str = "",
    store=None,
    overdue: bool = False,
    assignee=None,
    now: datetime.datetime | None = None,
) -> QuerySet[Ticket]:
    tickets = Ticket.objects.select_related("member", "store", "assignee")
    if status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif status:
        tickets = tickets.filter(status=status)
    if kind:
        tickets = tickets.filter(kind=kind)
    if store is not None:
        tickets = tickets.filter(store=store)
    if assignee is not None:
        tickets = tickets.filter(assignee=assignee)
    if overdue:
        tickets = tickets.filter(status__in=OPEN_STATUSES, due_at__lt=now or timezone.now())
    return tickets.order_by("due_at", "pk")


def ticket_detail(pk: int) -> Ticket:
    """Raises Ticket.DoesNotExist for a missing ticket and for another tenant's alike."""
    return Ticket.objects.select_related("member", "store", "assignee", "recorded_by").get(pk=pk)


def ticket_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("actor").order_by("created_at", "pk")


def member_tickets(member: Member) -> QuerySet[Ticket]:
    return Ticket.objects.filter(member=member).select_related("store").order_by("-created_at")


def member_ticket(member: Member, pk: int) -> Ticket:
    """One of ``member``'s own tickets (the portal's access check)."""
    return member_tickets(member).get(pk=pk)


# Events a member may see of their own ticket, and whose notes they may read: the reply sent to
# them, their own confirmation or reopening and rating; not assignments, escalations or staff notes.
MEMBER_VISIBLE_EVENTS = (
    TicketEvent.Type.FILED,
    TicketEvent.Type.TRANSITION,
    TicketEvent.Type.COMPENSATION,
    TicketEvent.Type.RATED,
)
MEMBER_READABLE_NOTES = (Status.REPLIED, Status.CONFIRMED)


def member_visible_events(member: Member, ticket: Ticket) -> list[dict]:
    """The steps of ``member``'s own ``ticket`` as the member may see them (plain data: the
    portal's ticket page and the member's data export). Raises Ticket.DoesNotExist for a ticket
    of anyone else."""
    if ticket.member_id != member.pk:
        raise Ticket.DoesNotExist
    rows = []
    for event in ticket.events.filter(type__in=MEMBER_VISIBLE_EVENTS).order_by("created_at", "pk"):
        readable = event.type in (TicketEvent.Type.COMPENSATION, TicketEvent.Type.RATED) or (
            event.type == TicketEvent.Type.TRANSITION and event.to_status in MEMBER_READABLE_NOTES
        )
        rows.append(
            {
                "at": event.created_at,
                "type": event.get_type_display(),
                "from_status": event.get_from_status_display() if event.from_status else "",
                "to_status": event.get_to_status_display() if event.to_status else "",
                "note": event.note if readable else "",
            }
        )
    return rows


# --- to-visit list ---------------------------------------------------------------------------


@dataclass
class VisitCandidate:
    member: Member
    store: object
    reason: str
    amount: object = None
    last_visit: datetime.datetime | None = None


def to_visit(
    *, days: int = 15, per_store: int = 3, now: datetime.datetime | None = None
) -> list[VisitCandidate]:
    """Whom to visit: each store's top spenders of the last ``days`` days (seed 003: "每半个月…
    前三名客户"), plus members whose ticket closed in
    that time and who have had no return visit since."""

    now = now or timezone.now()
    since = now - datetime.timedelta(days=days)
    candidates: list[VisitCandidate] = []
    seen: set[int] = set()
    for member, store, amount in _top_spenders(since, per_store):
        seen.add(member.pk)
        candidates.append(VisitCandidate(member, store, _("Top spender"), amount))
    closed = (
        Ticket.objects.filter(status=Status.CLOSED, closed_at__gte=since, member__isnull=False)
        .values("member")
        .annotate(last_closed=Max("closed_at"))
    )
    last_visits = dict(
        ReturnVisit.objects.filter(member__in=[row["member"] for row in closed])
        .values("member")
        .annotate(last=Max("visited_at"))
        .values_list("member", "last")
    )
    members = Member.objects.in_bulk([row["member"] for row in closed])
    for row in closed:
        member = members.get(row["member"])
        last = last_visits.get(row["member"])
        if member is None or member.pk in seen or (last and last >= row["last_closed"]):
            continue
        candidates.append(VisitCandidate(member, member.store, _("Ticket closed"), last_visit=last))
    return candidates


def _top_spenders(since, per_store):
    """``(member, store, amount)``: each store's ``per_store`` members who paid the most (net of
    refunds) since ``since``, from the points app's purchases."""
    rows = (
        Purchase.objects.filter(occurred_at__gte=since)
        .values("member", "store")
        .annotate(total=Sum(F("amount_paid") - F("refunded_amount")))
        .filter(total__gt=0)
        .order_by("store", "-total", "member")
    )
    by_store: dict = {}
    for row in rows:
        picked = by_store.setdefault(row["store"], [])
        if len(picked) < per_store:
            picked.append(row)
    chosen = [row for picked in by_store.values() for row in picked]
    members = Member.objects.in_bulk([row["member"] for row in chosen])
    stores = Store.objects.in_bulk(list(by_store))
    return [
        (members[row["member"]], stores.get(row["store"]), row["total"])
        for row in chosen
        if row["member"] in members
    ]


# --- the report -------------------------------------------------------------------------------


@dataclass
class ReportRow:
    label: str
    by_kind: dict = field(default_factory=dict)
    total: int = 0
    median_first_reply: datetime.timedelta | None = None
    median_close: datetime.timedelta | None = None
    closed: int = 0
    closed_in_time: int = 0

    @property
    def kind_counts(self) -> list[int]:
        return [self.by_kind.get(kind.value, 0) for kind in Kind]

    @property
    def share_in_time(self) -> float | None:
        return self.closed_in_time / self.closed if self.closed else None


def _median(values) -> datetime.timedelta | None:
    values = [v.total_seconds() for v in values if v is not None]
    return datetime.timedelta(seconds=statistics.median(values)) if values else None


def report(start: datetime.date, end: datetime.date, *, store=None) -> list[ReportRow]:
    """Tickets filed in ``[start, end]`` (local dates of the tenant), one row per store and a
    total row: counts by kind, median time to first reply and to close, share closed within
    the deadline (of those closed)."""

    tz = tenancy.current_tenant().tzinfo
    lower = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    upper = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    tickets = Ticket.objects.filter(created_at__gte=lower, created_at__lt=upper).select_related(
        "store"
    )
    if store is not None:
        tickets = tickets.filter(store=store)
    rows: dict = {}
    total = ReportRow(_("All stores"))
    facts = tickets.values_list(
        "store_id", "store__name", "kind", "created_at", "replied_at", "closed_at", "due_at"
    )
    replies: dict = {}
    closes: dict = {}
    for store_id, store_name, kind, created, replied, closed, due in facts:
        row = rows.setdefault(store_id, ReportRow(store_name or _("No store")))
        for target in (row, total):
            target.total += 1
            target.by_kind[kind] = target.by_kind.get(kind, 0) + 1
            if closed is not None:
                target.closed += 1
                target.closed_in_time += closed <= due
        for key in (store_id, "*"):
            replies.setdefault(key, []).append(replied - created if replied else None)
            closes.setdefault(key, []).append(closed - created if closed else None)
    for key, row in [*rows.items(), ("*", total)]:
        row.median_first_reply = _median(replies.get(key, []))
        row.median_close = _median(closes.get(key, []))
    ordered = sorted(rows.values(), key=lambda r: str(r.label))
    return [*ordered, total]
