"""Reads for the member's pages. Every function takes the signed-in member first and returns
only that member's rows (or rows every member may see, like the reward catalog)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Min, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints import selectors as complaint_selectors
from complaints.models import Status, Ticket, TicketEvent
from core import tenancy
from membership.models import Member
from notifications import selectors as notifications_selectors
from notifications.models import Channel, Purpose
from points import selectors as points_selectors
from points.models import Coupon, Redemption, Reward
from tiers import selectors as tier_selectors
from tiers.models import Tier
from tiers.rules import evaluate_tier


def today() -> datetime.date:
    return tenancy.current_tenant().local_now().date()


# --- points -----------------------------------------------------------------------------------


@dataclass
class NextExpiry:
    points: int
    on: datetime.date  # the first day the points are no longer valid

    @property
    def last_day(self) -> datetime.date:
        return self.on - datetime.timedelta(days=1)


def next_expiry(member: Member) -> NextExpiry | None:
    """The points that expire soonest, summed over every lot expiring that day."""
    lots = points_selectors.open_lots(member).filter(expires_at__isnull=False)
    first = lots.aggregate(first=Min("expires_at"))["first"]
    if first is None:
        return None
    total = lots.filter(expires_at=first).aggregate(total=Sum("remaining"))["total"] or 0
    return NextExpiry(points=total, on=first)


def expiry_schedule(member: Member) -> list[dict]:
    """What expires when: open points grouped by expiry date (never-expiring points last)."""
    rows = (
        points_selectors.open_lots(member)
        .order_by()
        .values("expires_at")
        .annotate(points=Sum("remaining"))
    )
    dated = sorted((r for r in rows if r["expires_at"]), key=lambda r: r["expires_at"])
    undated = [r for r in rows if not r["expires_at"]]
    return [
        {
            "points": r["points"],
            "expires_at": r["expires_at"],
            "last_day": r["expires_at"] - datetime.timedelta(days=1) if r["expires_at"] else None,
        }
        for r in dated + undated
    ]


def history_page_explanations(entries) -> dict[int, list[dict]]:
    """Expiry explanations for the expire entries among ``entries`` (one page of history)."""
    ids = [e.pk for e in entries if e.kind == "expire"]
    return points_selectors.expiry_explanations(ids) if ids else {}


def catalog(member: Member) -> list[tuple[Reward, bool]]:
    """The active rewards in stock, each with whether the member has the points for it."""
    balance = points_selectors.balance_of(member)["balance"]
    return [(r, r.points_cost <= balance) for r in points_selectors.active_rewards()]


def reward_for(pk: int) -> Reward:
    """One reward of the tenant's catalog (the same for every member). Whether it can still be
    redeemed (active, in stock) is the redemption's decision, so a repeated tap on a reward
    that just ran out finds the first redemption instead of a 404."""
    return Reward.objects.get(pk=pk)


def member_redemptions(member: Member) -> QuerySet[Redemption]:
    return (
        Redemption.objects.filter(member=member)
        .select_related("reward")
        .order_by("-created_at", "-pk")
    )


def member_coupons(member: Member) -> QuerySet[Coupon]:
    return (
        Coupon.objects.filter(member=member)
        .select_related("redemption__reward")
        .order_by("used_at", "-issued_at", "-pk")
    )


# --- complaints -------------------------------------------------------------------------------

# The member's view of the workflow: the internal steps (a proposal, a manager's approval or
# sending back) are "being looked into" to the member.
MEMBER_STATUS = {
    Status.NEW: pgettext_lazy("member ticket status", "Received"),
    Status.ACKNOWLEDGED: pgettext_lazy("member ticket status", "Acknowledged"),
    Status.INVESTIGATING: pgettext_lazy("member ticket status", "Being looked into"),
    Status.PROPOSED: pgettext_lazy("member ticket status", "Being looked into"),
    Status.APPROVED: pgettext_lazy("member ticket status", "Being looked into"),
    Status.REPLIED: pgettext_lazy("member ticket status", "Replied"),
    Status.CONFIRMED: pgettext_lazy("member ticket status", "Confirmed by you"),
    Status.CLOSED: pgettext_lazy("member ticket status", "Closed"),
}

# Transitions a member sees, by target status; the note is shown only for the reply.
_VISIBLE_TARGETS = {Status.ACKNOWLEDGED, Status.REPLIED, Status.CONFIRMED, Status.CLOSED}


def unfinished_tickets(member: Member) -> int:
    return complaint_selectors.member_tickets(member).exclude(status=Status.CLOSED).count()


def member_status(ticket: Ticket) -> str:
    return str(MEMBER_STATUS.get(ticket.status, ticket.get_status_display()))


@dataclass
class VisibleEvent:
    at: datetime.datetime
    text: str
    note: str = ""


def visible_events(ticket: Ticket) -> list[VisibleEvent]:
    """The ticket's history as the member may see it: filed, acknowledged, reopened, the reply
    (with its text), confirmed, closed, compensation and their own rating. Assignments,
    escalations, internal notes, proposals, approvals and their notes are never shown."""
    shown: list[VisibleEvent] = []
    for event in complaint_selectors.ticket_events(ticket):
        if event.type == TicketEvent.Type.FILED:
            shown.append(VisibleEvent(event.created_at, str(_("You sent it"))))
        elif event.type == TicketEvent.Type.TRANSITION:
            if event.to_status == Status.INVESTIGATING and event.from_status in (
                Status.REPLIED,
                Status.CLOSED,
            ):
                shown.append(VisibleEvent(event.created_at, str(_("Reopened"))))
            elif event.to_status in _VISIBLE_TARGETS:
                note = event.note if event.to_status == Status.REPLIED else ""
                shown.append(
                    VisibleEvent(event.created_at, str(MEMBER_STATUS[event.to_status]), note)
                )
        elif event.type == TicketEvent.Type.COMPENSATION:
            shown.append(VisibleEvent(event.created_at, str(_("Compensation")), event.note))
        elif event.type == TicketEvent.Type.RATED:
            shown.append(VisibleEvent(event.created_at, str(_("You rated it")), event.note))
    return shown


def latest_reply(ticket: Ticket) -> str:
    event = (
        ticket.events.filter(type=TicketEvent.Type.TRANSITION, to_status=Status.REPLIED)
        .order_by("-created_at", "-pk")
        .first()
    )
    return event.note if event else ""


# --- consent ----------------------------------------------------------------------------------

CONSENT_CHOICES = [
    (
        Channel.SMS,
        Purpose.SERVICE,
        _("Service text messages"),
        _(
            "Your points, expiry reminders, membership renewal, replies to your complaints. "
            "We recommend keeping these on."
        ),
    ),
    (
        Channel.EMAIL,
        Purpose.SERVICE,
        _("Service e-mails"),
        _("The same service notices by e-mail, when we have your address."),
    ),
    (
        Channel.SMS,
        Purpose.MARKETING,
        _("Offers by text message"),
        _("Birthday greetings, events, promotions and holiday offers."),
    ),
    (
        Channel.EMAIL,
        Purpose.MARKETING,
        _("Offers by e-mail"),
        _("Birthday greetings, events, promotions and holiday offers by e-mail."),
    ),
]


def consent_state(member: Member) -> dict[tuple[str, str], bool]:
    """Each (channel, purpose) and whether the member agrees; no row means the default
    (service on, marketing off), as notifications decides."""
    rows = {
        (c.channel, c.purpose): c.granted
        for c in notifications_selectors.consents_for_member(member.pk)
    }
    return {
        (channel, purpose): rows.get((channel, purpose), purpose == Purpose.SERVICE)
        for channel, purpose, *_rest in CONSENT_CHOICES
    }


# --- tiers ------------------------------------------------------------------------------------


def qualifies_for_next(member: Member, state: dict) -> bool:
    """Whether the member already meets the next tier's rules (the move waits for the next
    review when the business settles tiers by cycle)."""
    if state["next_tier"] is None:
        return False
    return evaluate_tier(member, state["next_tier"], today()).matched


def tier_page(member: Member) -> dict:
    state = tier_selectors.progress(member)
    benefits = tier_selectors.effective_benefits(member)
    ladder = []
    for tier in Tier.objects.order_by("rank"):
        ladder.append(
            {
                "tier": tier,
                "rules": tier_selectors.rules_for_display(tier),
                "current": state["tier"] is not None and tier.pk == state["tier"].pk,
            }
        )
    percent = (benefits.price_factor * 100).normalize()
    return {
        "state": state,
        "benefits": benefits,
        "price_percent": f"{percent:f}",
        "qualifies": qualifies_for_next(member, state),
        "ladder": ladder,
    }
