"""The dashboard's reads: aggregate SQL through the ORM, over the active tenant's rows only
(every model here has the tenant-scoped default manager, which raises with no tenant active).

Every function takes the ``Period`` and, where the figure has a store, the ``Store`` or None
for all stores. Definitions are in docs/insight.md.
"""

import datetime

from django.conf import settings
from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.utils import timezone

from complaints.models import OPEN_STATUSES, ReturnVisit, Ticket
from membership.models import Member, MemberStatus
from notifications.models import Message, MessageStatus
from points.models import EntryKind, LedgerEntry, Lot, PointsAccount, PointsSettings, Purchase
from tiers.models import MemberTier

from .periods import Period, as_date

NET_AMOUNT = F("amount_due") - F("refunded_due")


def dormant_days() -> int:
    return settings.INSIGHT_DORMANT_DAYS


def _series(period: Period, rows, key="bucket") -> dict:
    return {as_date(row[key]): row for row in rows}


def _purchases(period: Period):
    start, end = period.bounds()
    return Purchase.objects.filter(occurred_at__gte=start, occurred_at__lt=end)


# --- members ----------------------------------------------------------------------------------


def member_segment(segment: str, period: Period, store=None):
    """The members behind one figure of the members report (a queryset, for drill-downs)."""
    members = Member.objects.all()
    if store is not None:
        members = members.filter(store=store)
    if segment == "total":
        return members.filter(joined_on__lte=period.end).exclude(status=MemberStatus.TERMINATED)
    if segment == "new":
        return members.filter(joined_on__gte=period.start, joined_on__lte=period.end)
    if segment == "active":
        return members.filter(Exists(_purchases(period).filter(member=OuterRef("pk"))))
    if segment == "dormant":
        _start, end = period.bounds()
        since = end - datetime.timedelta(days=dormant_days())
        recent = Purchase.objects.filter(
            member=OuterRef("pk"), occurred_at__gte=since, occurred_at__lt=end
        )
        return (
            members.filter(joined_on__lte=since.date())
            .exclude(status__in=[MemberStatus.TERMINATED, MemberStatus.EXPIRED])
            .exclude(Exists(recent))
        )
    if segment == "lapsed":
        return members.filter(status=MemberStatus.EXPIRED)
    if segment == "terminated":
        return members.filter(status=MemberStatus.TERMINATED)
    raise KeyError(segment)


MEMBER_SEGMENTS = ("total", "new", "active", "dormant", "lapsed", "terminated")


def member_figures(period: Period, store=None) -> dict:
    members = Member.objects.all()
    if store is not None:
        members = members.filter(store=store)
    counts = members.aggregate(
        total=Count("pk", filter=Q(joined_on__lte=period.end) & ~Q(status=MemberStatus.TERMINATED)),
        new=Count("pk", filter=Q(joined_on__gte=period.start, joined_on__lte=period.end)),
        lapsed=Count("pk", filter=Q(status=MemberStatus.EXPIRED)),
        terminated=Count("pk", filter=Q(status=MemberStatus.TERMINATED)),
    )
    purchases = _purchases(period)
    if store is not None:
        purchases = purchases.filter(member__store=store)
    counts["active"] = purchases.aggregate(n=Count("member", distinct=True))["n"]
    counts["dormant"] = member_segment("dormant", period, store).count()
    return counts


def members_by_tier(store=None) -> list[dict]:
    """Current tier of the members whose membership has not ended, best tier first."""
    holders = MemberTier.objects.exclude(member__status=MemberStatus.TERMINATED)
    if store is not None:
        holders = holders.filter(member__store=store)
    return list(
        holders.values("tier__rank", "tier__name_zh", "tier__name_en")
        .annotate(members=Count("pk"))
        .order_by("-tier__rank")
    )


def current_members(store=None) -> int:
    members = Member.objects.exclude(status=MemberStatus.TERMINATED)
    if store is not None:
        members = members.filter(store=store)
    return members.count()


def member_trend(period: Period, store=None) -> list[dict]:
    members = Member.objects.filter(joined_on__gte=period.start, joined_on__lte=period.end)
    purchases = _purchases(period)
    if store is not None:
        members = members.filter(store=store)
        purchases = purchases.filter(member__store=store)
    new = _series(
        period,
        members.annotate(bucket=period.trunc("joined_on")).values("bucket").annotate(n=Count("pk")),
    )
    active = _series(
        period,
        purchases.annotate(bucket=period.trunc("occurred_at"))
        .values("bucket")
        .annotate(n=Count("member", distinct=True)),
    )
    return [
        {
            "bucket": day,
            "new": new.get(day, {}).get("n", 0),
            "active": active.get(day, {}).get("n", 0),
        }
        for day in period.buckets()
    ]


# --- sales ------------------------------------------------------------------------------------

SALES = {
    "amount": Coalesce(Sum(NET_AMOUNT), 0, output_field=Purchase._meta.get_field("amount_due")),
    "purchases": Count("pk"),
    "buyers": Count("member", distinct=True),
    "billed": Coalesce(Sum("amount_due"), 0, output_field=Purchase._meta.get_field("amount_due")),
    "with_points": Coalesce(
        Sum("points_value"), 0, output_field=Purchase._meta.get_field("amount_due")
    ),
}


def _store_purchases(period: Period, store=None):
    purchases = _purchases(period)
    return purchases if store is None else purchases.filter(store=store)


def sales_figures(period: Period, store=None) -> dict:
    purchases = _store_purchases(period, store)
    figures = purchases.aggregate(**SALES)
    figures["repeat_buyers"] = (
        purchases.values("member").annotate(n=Count("pk")).filter(n__gte=2).count()
    )
    return figures


def sales_by_store(period: Period, store=None) -> list[dict]:
    return list(
        _store_purchases(period, store)
        .values("store_id", "store__name")
        .annotate(**SALES)
        .order_by("-amount", "store__name")
    )


def sales_trend(period: Period, store=None) -> list[dict]:
    rows = _series(
        period,
        _store_purchases(period, store)
        .annotate(bucket=period.trunc("occurred_at"))
        .values("bucket")
        .annotate(**SALES),
    )
    empty = {"amount": 0, "purchases": 0}
    return [{**empty, **rows.get(day, {}), "bucket": day} for day in period.buckets()]


def top_spenders(period: Period, store=None, limit: int = 10) -> list[dict]:
    """The ``limit`` members who spent most (net of refunds) at each store in the period, with
    whether a return visit to them was recorded in the period."""
    rows = list(
        _store_purchases(period, store)
        .values("store_id", "store__name", "member_id", "member__card_number", "member__name")
        .annotate(
            amount=Sum(NET_AMOUNT),
            purchases=Count("pk"),
            last_purchase=Max("occurred_at"),
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("store_id")],
                order_by=[Sum(NET_AMOUNT).desc(), F("member_id").asc()],
            ),
        )
        .filter(rank__lte=limit)
        .order_by("store__name", "store_id", "rank")
    )
    start, end = period.bounds()
    visited = set(
        ReturnVisit.objects.filter(
            member_id__in={row["member_id"] for row in rows},
            visited_at__gte=start,
            visited_at__lt=end,
        ).values_list("member_id", flat=True)
    )
    for row in rows:
        row["visited"] = row["member_id"] in visited
    return rows


# --- points -----------------------------------------------------------------------------------

EXPIRY_HORIZONS = (30, 60, 90)


def point_value():
    """The value of one point when paying with points, or None where the tenant set no rate."""
    settings_row = PointsSettings.objects.first()
    return None if settings_row is None else settings_row.point_value


def points_figures() -> dict:
    today = timezone.localdate()
    figures = PointsAccount.objects.aggregate(
        balance=Coalesce(Sum("balance"), 0), debt=Coalesce(Sum("debt"), 0)
    )
    figures.update(
        Lot.objects.filter(remaining__gt=0, expires_at__gt=today).aggregate(
            **{
                f"expiring_{days}": Coalesce(
                    Sum(
                        "remaining",
                        filter=Q(expires_at__lte=today + datetime.timedelta(days=days)),
                    ),
                    0,
                )
                for days in EXPIRY_HORIZONS
            }
        )
    )
    return figures


def points_by_month(period: Period) -> list[dict]:
    """Points earned, redeemed and expired in each month of the period (by the entries' dates).
    Redeemed and expired are given as positive numbers."""
    rows = _series(
        period,
        LedgerEntry.objects.filter(effective_on__gte=period.start, effective_on__lte=period.end)
        .annotate(bucket=TruncMonth("effective_on"))
        .values("bucket")
        .annotate(
            earned=Coalesce(Sum("points", filter=Q(kind=EntryKind.EARN)), 0),
            redeemed=Coalesce(-Sum("points", filter=Q(kind=EntryKind.REDEEM)), 0),
            expired=Coalesce(-Sum("points", filter=Q(kind=EntryKind.EXPIRE)), 0),
        ),
    )
    empty = {"earned": 0, "redeemed": 0, "expired": 0}
    return [{**empty, **rows.get(month, {}), "bucket": month} for month in period.months()]


# --- complaints -------------------------------------------------------------------------------


def _tickets(store=None):
    tickets = Ticket.objects.all()
    return tickets if store is None else tickets.filter(store=store)


TICKETS = {
    "filed": Count("pk"),
    "replied": Count("pk", filter=Q(replied_at__isnull=False)),
    "in_time": Count("pk", filter=Q(replied_at__lte=F("due_at"))),
    "rated": Count("rating"),
    "satisfaction": Avg("rating"),
}


def complaint_figures(period: Period, store=None) -> dict:
    start, end = period.bounds()
    tickets = _tickets(store)
    figures = tickets.filter(created_at__gte=start, created_at__lt=end).aggregate(**TICKETS)
    figures.update(
        tickets.filter(status__in=OPEN_STATUSES).aggregate(
            open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=timezone.now()))
        )
    )
    return figures


def complaints_by_kind(period: Period, store=None) -> list[dict]:
    start, end = period.bounds()
    return list(
        _tickets(store)
        .filter(created_at__gte=start, created_at__lt=end)
        .values("kind")
        .annotate(**TICKETS)
        .order_by("kind")
    )


# --- messages ---------------------------------------------------------------------------------

MESSAGES = {
    "total": Count("pk"),
    "sent": Count("pk", filter=Q(status=MessageStatus.SENT)),
    "failed": Count("pk", filter=Q(status=MessageStatus.FAILED)),
    "skipped": Count("pk", filter=Q(status=MessageStatus.SKIPPED)),
    "waiting": Count("pk", filter=Q(status__in=[MessageStatus.PENDING, MessageStatus.SENDING])),
}


def _messages(period: Period):
    start, end = period.bounds()
    return Message.objects.filter(created_at__gte=start, created_at__lt=end)


def message_figures(period: Period) -> dict:
    return _messages(period).aggregate(**MESSAGES)


def messages_by_template(period: Period) -> list[dict]:
    return list(
        _messages(period)
        .values("template", "channel")
        .annotate(**MESSAGES)
        .order_by("template", "channel")
    )


def skipped_by_reason(period: Period) -> list[dict]:
    return list(
        _messages(period)
        .filter(status=MessageStatus.SKIPPED)
        .values("last_error")
        .annotate(messages=Count("pk"))
        .order_by("-messages", "last_error")
    )
