"""Extension points for higher apps, which this app may not import.

``membership``, ``points`` and ``tiers`` know who has a birthday today or whose points expire;
they register a *reminder source* (and ``membership`` the broadcast *audience*) from their
``AppConfig.ready()``::

    from notifications.registry import register_reminder_source
    register_reminder_source("points_expiring", points_expiring_reminders)

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

_reminder_sources: dict[str, ReminderSource] = {}
_audience: list[Audience] = []
_phone_lookup: list[Callable[[str], list[int]]] = []

SEGMENT_KEYS = {"tiers": list, "stores": list, "birthday_month": int}


def register_reminder_source(name: str, func: ReminderSource) -> None:
    _reminder_sources[name] = func


def unregister_reminder_source(name: str) -> None:
    _reminder_sources.pop(name, None)


def reminder_sources() -> dict[str, ReminderSource]:
    return dict(_reminder_sources)


def register_audience(func: Audience) -> None:
    """The one function that turns a segment into recipients (``membership`` provides it)."""
    _audience[:] = [func]


def audience() -> Audience | None:
    return _audience[0] if _audience else None


def register_phone_lookup(func: Callable[[str], list[int]]) -> None:
    """The function that finds the active tenant's members with a phone number as an SMS
    gateway reports it (``membership`` provides it; used for replies such as "退订")."""
    _phone_lookup[:] = [func]


def members_with_phone(phone: str) -> list[int]:
    return list(_phone_lookup[0](phone)) if _phone_lookup else []


@contextlib.contextmanager
def temporarily(*, sources: dict | None = None, audience_func: Audience | None = None):
    """Tests: register sources and an audience for the block only."""
    saved_sources, saved_audience = dict(_reminder_sources), list(_audience)
    _reminder_sources.clear()
    _reminder_sources.update(sources or {})
    _audience[:] = [audience_func] if audience_func else []
    try:
        yield
    finally:
        _reminder_sources.clear()
        _reminder_sources.update(saved_sources)
        _audience[:] = saved_audience


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
