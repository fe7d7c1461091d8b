"""Extension points for higher apps, which this app may not import.

``membership``, ``points`` and ``tiers`` know who has a birthday today or whose points expire;
they register a *reminder source* (and ``membership`` the broadcast *audience*) from their
``AppConfig.ready()`` (the shape is ``core.hooks``)::

    from notifications.hooks import reminder_sources
    reminder_sources.register("points_expiring", points_expiring_reminders)

A source is called once per tenant per local day, inside that tenant, as
``func(tenant, local_date, settings)`` and yields ``ReminderItem``s; it should read with
set-based queries (one query for the day, not one per member). The items' ``dedupe_key`` makes a
repeated run harmless, so include the cause and its date in it, e.g.
``"points_expiring:<member>:<expiry date>"``.
"""

import contextlib
import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.hooks import Hook, Single


@dataclass(frozen=True)
class ReminderItem:
    member_id: int
    channel: str
    recipient: str
    language: str
    template: str
    context: dict
    dedupe_key: str
    purpose: str = "service"


@dataclass(frozen=True)
class Recipient:
    member_id: int
    sms: str = ""
    email: str = ""
    language: str = ""
    extra: dict = field(default_factory=dict)


ReminderSource = Callable[[object, datetime.date, object], Iterable[ReminderItem]]
Audience = Callable[[object, dict], Iterable[Recipient]]

SEGMENT_KEYS = {"tiers": list, "stores": list, "birthday_month": int}

# Daily reminders, by name (membership: birthday, membership expiring; points: points expiring).
reminder_sources = Hook("notifications.reminder_sources")
# The one function that turns a segment into recipients (membership's, wrapped by tiers').
broadcast_audience = Single("notifications.broadcast_audience")
# The active tenant's members with a phone number as an SMS gateway reports it (membership's;
# used for replies such as "退订").
phone_lookup = Single("notifications.phone_lookup")


def members_with_phone(phone: str) -> list[int]:
    lookup = phone_lookup.current()
    return list(lookup(phone)) if lookup else []


@contextlib.contextmanager
def temporarily(*, sources: dict | None = None, audience_func: Audience | None = None):
    """Tests: register sources and an audience for the block only."""
    with reminder_sources.temporarily(sources), broadcast_audience.temporarily(audience_func):
        yield


def validate_segment(segment) -> None:
    if not isinstance(segment, dict):
        raise ValidationError({"segment": _("The segment must be an object.")})
    for key, value in segment.items():
        expected = SEGMENT_KEYS.get(key)
        if expected is None:
            raise ValidationError(
                {
                    "segment": _("Unknown segment key “%(key)s”. Use: %(keys)s.")
                    % {"key": key, "keys": ", ".join(SEGMENT_KEYS)}
                }
            )
        if not isinstance(value, expected) or (key == "birthday_month" and not 1 <= value <= 12):
            raise ValidationError({"segment": _("Bad value for “%(key)s”.") % {"key": key}})
