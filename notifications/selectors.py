"""Reads. Tenant-scoped through the default managers: call inside a tenant."""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from core import tenancy
from core.selectors import tenant_settings

from .models import (
    Channel,
    Consent,
    ConsentChange,
    Message,
    MessageTemplate,
    NotificationSettings,
    Purpose,
)


def settings() -> NotificationSettings:
    """The active tenant's settings, created with the defaults on first use."""
    return tenant_settings(NotificationSettings)


@dataclass(frozen=True, slots=True)
class Address:
    """Where and in which language a message goes: what ``reach`` picks for a member."""

    channel: str
    recipient: str
    language: str


def reach(*, phone, email, language) -> Address | None:
    """The one rule for reaching a member (or a walk-in's contact details): SMS to the phone,
    else e-mail, else nobody (None); in the member's language, else the tenant's default.
    Notifications knows members only by id, so the caller passes their values
    (``membership.selectors.reach(member)`` does it for a member)."""
    language = language or tenancy.current_tenant().default_language
    if phone:
        return Address(Channel.SMS.value, str(phone), language)
    if email:
        return Address(Channel.EMAIL.value, email, language)
    return None


def messages_for_member(member_id: int) -> QuerySet[Message]:
    """The delivery log of one member, newest first (what, when, status)."""
    return Message.objects.filter(member_id=member_id).order_by("-created_at", "-pk")


def consents_for_member(member_id: int) -> QuerySet[Consent]:
    """The member's recorded choices (no row for a channel and purpose: the default applies)."""
    return Consent.objects.filter(member_id=member_id).order_by("channel", "purpose")


def consent_changes_for_member(member_id: int) -> QuerySet[ConsentChange]:
    """The history of the member's choices, newest first (who recorded what, from where)."""
    return ConsentChange.objects.filter(member_id=member_id).order_by("-recorded_at", "-pk")


def custom_templates(keys_languages) -> dict:
    """{(key, language): MessageTemplate} for the given pairs, in one query."""
    keys = {key for key, _ in keys_languages}
    rows = MessageTemplate.objects.filter(key__in=keys)
    return {(row.key, row.language): row for row in rows}


def allowed_members(member_ids, channel: str, purpose: str) -> set[int]:
    """Which of ``member_ids`` may receive ``purpose`` messages on ``channel``: service unless
    opted out, marketing only when opted in. One query for the whole set."""
    member_ids = {m for m in member_ids if m is not None}
    if not member_ids:
        return set()
    # Raw SQL so the ids travel as one array parameter (``= ANY(%s)``) rather than thousands
    # of literals in an IN list; raw SQL bypasses the scoped manager, so the tenant is explicit.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT member_id, granted FROM {Consent._meta.db_table} WHERE tenant_id = %s "
            "AND channel = %s AND purpose = %s AND member_id = ANY(%s::bigint[])",
            [tenancy.current_tenant().pk, channel, purpose, list(member_ids)],
        )
        choices = dict(cursor.fetchall())
    default = purpose == Purpose.SERVICE
    return {m for m in member_ids if choices.get(m, default)}


def quiet_until(notification_settings, tenant, now: datetime.datetime):
    """The end of the tenant's quiet hours if ``now`` falls inside them, else None."""
    start, end = notification_settings.quiet_start, notification_settings.quiet_end
    if start == end:
        return None
    local = now.astimezone(tenant.tzinfo)
    moment = local.time().replace(tzinfo=None)
    if start < end:
        inside, end_date = start <= moment < end, local.date()
    else:  # over midnight, e.g. 21:00-08:00
        inside = moment >= start or moment < end
        end_date = local.date() + datetime.timedelta(days=1) if moment >= start else local.date()
    if not inside:
        return None
    return datetime.datetime.combine(end_date, end, tzinfo=tenant.tzinfo)


def marketing_window_opens(notification_settings, tenant, now: datetime.datetime):
    """When the tenant's marketing window next opens if ``now`` is outside it, else None
    (equal start and end: no window, marketing may go at any time)."""
    start, end = notification_settings.marketing_start, notification_settings.marketing_end
    if start == end:
        return None
    local = now.astimezone(tenant.tzinfo)
    moment = local.time().replace(tzinfo=None)
    # a window over midnight (start > end) is inside from its start or before its end
    inside = start <= moment < end if start < end else moment >= start or moment < end
    if inside:
        return None
    opens = local.date() if moment < start else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(opens, start, tzinfo=tenant.tzinfo)


def hold_until(notification_settings, tenant, now, *, channel: str, purpose: str, on_demand=False):
    """The earliest time at or after ``now`` at which a message may go, or None for now: SMS
    wait out quiet hours (except messages the member asked for just now), marketing waits for
    the marketing window. Both apply; the loop finds a moment that satisfies both (a window
    opening inside quiet hours moves on to their end, and so on)."""
    moment, held = now, False
    for _round in range(4):
        wait = None
        if channel == Channel.SMS and not on_demand:
            wait = quiet_until(notification_settings, tenant, moment)
        if wait is None and purpose == Purpose.MARKETING:
            wait = marketing_window_opens(notification_settings, tenant, moment)
        if wait is None:
            return moment if held else None
        moment, held = wait, True
    return moment  # settings that never allow a moment: try again at the last one found
