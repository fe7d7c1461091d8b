"""Membership's reminder sources and broadcast audience for the notifications app.

Registered from ``MembershipConfig.ready()``; notifications calls them once per tenant and local
day (reminders) or when a broadcast is due (audience). Each reads with one set-based query.
"""

import calendar
import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from notifications.hooks import Recipient, ReminderItem
from notifications.selectors import reach

from .models import Member, MemberStatus

FIELDS = ("pk", "name", "phone", "email", "valid_until", "language")


def _reach(row):
    return reach(phone=row["phone"], email=row["email"], language=row["language"])


def _birthdays_on(day: datetime.date) -> Q:
    same_day = Q(birthday__month=day.month, birthday__day=day.day)
    last_of_feb = day.month == 2 and day.day == 28 and not calendar.isleap(day.year)
    if last_of_feb:  # members born on 29 February are greeted on the 28th in common years
        same_day |= Q(birthday__month=2, birthday__day=29)
    return same_day


def birthday_greetings(tenant, local_date: datetime.date, settings):
    rows = Member.objects.filter(_birthdays_on(local_date), status=MemberStatus.ACTIVE).values(
        *FIELDS
    )
    for row in rows.iterator(chunk_size=2000):
        to = _reach(row)
        if to is None:
            continue
        yield ReminderItem(
            member_id=row["pk"],
            channel=to.channel,
            recipient=to.recipient,
            language=to.language,
            template="birthday",
            context={"tenant": tenant.name, "name": row["name"]},
            dedupe_key=f"birthday:{row['pk']}:{local_date.year}",
            purpose="marketing",
        )


def membership_expiring(tenant, local_date: datetime.date, settings):
    expires_on = local_date + datetime.timedelta(days=settings.membership_lead_days)
    rows = Member.objects.filter(valid_until=expires_on, status=MemberStatus.ACTIVE).values(*FIELDS)
    for row in rows.iterator(chunk_size=2000):
        to = _reach(row)
        if to is None:
            continue
        yield ReminderItem(
            member_id=row["pk"],
            channel=to.channel,
            recipient=to.recipient,
            language=to.language,
            template="membership_expiring",
            context={
                "tenant": tenant.name,
                "name": row["name"],
                "expires_on": row["valid_until"].isoformat(),
            },
            dedupe_key=f"membership_expiring:{row['pk']}:{row['valid_until'].isoformat()}",
        )


def audience(tenant, segment: dict):
    """Active members of a segment: ``stores`` (ids of the store of registration) and
    ``birthday_month``. A ``tiers`` segment needs the tiers app, which registers its own
    audience over this one; here it is refused rather than widened to everyone."""
    if segment.get("tiers"):
        raise ValueError(_("A segment by tier needs the tiers feature."))
    members = Member.objects.filter(status=MemberStatus.ACTIVE)
    if segment.get("stores"):
        members = members.filter(store_id__in=segment["stores"])
    if segment.get("birthday_month"):
        members = members.filter(birthday__month=segment["birthday_month"])
    for row in members.values("pk", "phone", "email", "language").iterator(chunk_size=5000):
        yield Recipient(
            member_id=row["pk"],
            sms=str(row["phone"] or ""),
            email=row["email"],
            language=row["language"],
        )
