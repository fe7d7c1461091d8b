"""Reads. Every function works in the active tenant (the scoped default managers do it)."""

from __future__ import annotations

import re

import phonenumbers
from django.db.models import Count, Max, QuerySet
from django.db.models.functions import Right

from core import tenancy
from core.selectors import tenant_settings
from notifications import selectors as notifications

from . import pii
from .db import ByteOrder
from .models import (
    Card,
    CardStatus,
    ErasureRequest,
    ErasureStatus,
    Member,
    MemberChange,
    MembershipSettings,
    RequestStatus,
    TerminationRequest,
)
from .validators import luhn_valid

_DIGITS = re.compile(r"\D+")
_SEPARATORS = re.compile(r"[\s\-]+")


def settings() -> MembershipSettings:
    """The active tenant's membership settings (``core.selectors.tenant_settings``)."""
    return tenant_settings(MembershipSettings)


def member_name(pk: int) -> str | None:
    """``core.hooks.actor_names["member"]``: how ``member #<pk>`` reads now (an erased member's
    placeholder name, or None when there is no such member in the active tenant)."""
    return Member.objects.filter(pk=pk).values_list("name", flat=True).first()


def reach(member) -> notifications.Address | None:
    """Where and in which language a message to ``member`` goes (notifications' one rule, given
    the member's values): SMS to the phone, else e-mail, in their language."""
    return notifications.reach(phone=member.phone, email=member.email, language=member.language)


def normalise_phone(value: str, region: str | None = None) -> str | None:
    """E.164 form of ``value`` read in the tenant's region, or None when it is not a number."""
    region = region or tenancy.current_tenant().phone_region
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def members_by_phone(value: str) -> QuerySet[Member]:
    phone = normalise_phone(value)
    if phone is None:
        return Member.objects.none()
    return Member.objects.filter(phone=phone)


def member_ids_with_phone(value: str) -> list[int]:
    """Members with this phone as an SMS gateway reports it: "+8613800000001", "13800000001", or
    "8613800000001" (the country code without "+")."""
    ids = list(members_by_phone(value).values_list("pk", flat=True))
    digits = _DIGITS.sub("", value or "")
    if not ids and digits and not value.strip().startswith("+"):
        ids = list(members_by_phone(f"+{digits}").values_list("pk", flat=True))
    return ids


def cards_by_number(value: str) -> QuerySet[Card]:
    number = _DIGITS.sub("", value)
    if not number:
        return Card.objects.none()
    return Card.objects.filter(number=number).select_related("member").order_by()


def members_by_id_number(value: str) -> QuerySet[Member]:
    if not pii.normalise_id_number(value):
        return Member.objects.none()
    digest = pii.id_digest(tenancy.current_tenant().pk, value)
    return Member.objects.filter(id_number_digest=digest)


def members_by_phone_prefix(digits: str) -> QuerySet[Member]:
    """The first digits of a phone number as staff type it ("138", "1380013"), read in the
    tenant's region. Served by the ``member_phone_prefix`` index: (tenant, phone COLLATE "C",
    id)."""
    region = tenancy.current_tenant().phone_region
    country = phonenumbers.country_code_for_region(region) if region else 0
    if not digits.isdigit() or not country:
        return Member.objects.none()
    trunk = phonenumbers.PhoneMetadata.metadata_for_region(region).national_prefix or ""
    national = digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits
    return (
        Member.objects.alias(phone_bytes=ByteOrder("phone"))
        .filter(phone_bytes__startswith=f"+{country}{national}")
        .order_by("phone_bytes", "id")
    )


def members_by_phone_tail(digits: str) -> QuerySet[Member]:
    """The last four digits of the phone (手机尾号), newest member first. Served by the
    ``member_phone_tail`` index: (tenant, right(phone, 4), id), read backwards."""
    if len(digits) != 4 or not digits.isdigit():
        return Member.objects.none()
    return Member.objects.alias(tail=Right("phone", 4)).filter(tail=digits).order_by("-id")


def members_by_name_prefix(prefix: str) -> QuerySet[Member]:
    """Served by the ``member_name_prefix`` index: (tenant, name COLLATE "C", id)."""
    prefix = prefix.strip()
    return (
        Member.objects.alias(name_bytes=ByteOrder("name"))
        .filter(name_bytes__startswith=prefix)
        .order_by("name_bytes", "id")
    )


# Digits typed that may be the start of a phone number (an 11-digit one is a whole number).
PHONE_PREFIX_DIGITS = (3, 10)

# What a search result shows (search page, JSON endpoint); loading less keeps searches fast.
RESULT_FIELDS = ("id", "tenant_id", "name", "phone", "card_number", "status")


def search_members(query: str, *, limit: int = 20) -> list[Member]:
    """The front desk's one search box: a card number, phone number (whole, its first digits or
    its last four), ID number or name prefix.

    The shape of the query decides which index lookups run (each one a single index probe):
    digits passing the card check digit try the card table first, a possible phone number the
    phone index; four digits the phone's last four (then phones starting with them), three to
    ten digits the phones starting with them; something as long as an ID document the digest
    index; anything else is a name prefix. Exact hits come first."""
    query = (query or "").strip()
    if not query:
        return []
    compact = _SEPARATORS.sub("", query)
    found: dict[int, Member] = {}
    if compact.isdigit():
        if luhn_valid(compact):
            cards = cards_by_number(compact).only(
                "id",
                "tenant_id",
                "member_id",
                "number",
                "status",
                *(f"member__{f}" for f in RESULT_FIELDS),
            )
            for card in cards:
                if card.status != CardStatus.ACTIVE:
                    # Found by an old number: the page says the card is lost / blocked.
                    card.member.matched_card = card
                found.setdefault(card.member_id, card.member)
        if not found:
            for member in members_by_phone(query).only(*RESULT_FIELDS).order_by():
                found.setdefault(member.pk, member)
        if not found:
            partial = []
            if len(compact) == 4:
                partial.append(members_by_phone_tail(compact))
            if PHONE_PREFIX_DIGITS[0] <= len(compact) <= PHONE_PREFIX_DIGITS[1]:
                partial.append(members_by_phone_prefix(compact))
            for queryset in partial:
                for member in queryset.only(*RESULT_FIELDS)[:limit]:
                    found.setdefault(member.pk, member)
    if not found and _could_be_id_number(compact):
        for member in members_by_id_number(compact).only(*RESULT_FIELDS).order_by():
            found.setdefault(member.pk, member)
    if not found and not compact.isdigit():
        for member in members_by_name_prefix(query).only(*RESULT_FIELDS)[:limit]:
            found.setdefault(member.pk, member)
    return list(found.values())[:limit]


def _could_be_id_number(compact: str) -> bool:
    """Resident IDs have 15 or 18 characters; passports and others mix letters and digits."""
    if compact.isdigit() or compact[:-1].isdigit():
        return len(compact) in (15, 18)
    return len(compact) >= 5 and compact.isalnum() and any(c.isdigit() for c in compact)


def card_lookup(number: str) -> Card | None:
    """Any card ever issued under ``number`` (also a blocked one: the caller says so)."""
    return cards_by_number(number).first()


def probable_duplicates(name: str, birthday, *, exclude_pk: int | None = None) -> list[Member]:
    if not name or not birthday:
        return []
    queryset = Member.objects.filter(name=name.strip(), birthday=birthday)
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    return list(queryset[:10])


def phone_taken(phone: str, *, exclude_pk: int | None = None) -> Member | None:
    if not phone:
        return None
    queryset = Member.objects.filter(phone=phone)
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.first()


def id_number_taken(number: str, *, exclude_pk: int | None = None) -> Member | None:
    if not number:
        return None
    queryset = members_by_id_number(number)
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.first()


def member_history(member: Member) -> QuerySet[MemberChange]:
    return MemberChange.objects.filter(member=member).select_related("user")


def member_cards(member: Member) -> QuerySet[Card]:
    return Card.objects.filter(member=member)


def pending_terminations() -> QuerySet[TerminationRequest]:
    return TerminationRequest.objects.filter(status=RequestStatus.PENDING).select_related(
        "member", "requested_by"
    )


def pending_erasures() -> QuerySet[ErasureRequest]:
    return ErasureRequest.objects.filter(status=ErasureStatus.PENDING).select_related("member")


def erasure_requests_of(member: Member) -> QuerySet[ErasureRequest]:
    return ErasureRequest.objects.filter(member=member).order_by("-requested_at", "-pk")


def export_extent() -> tuple[int, int]:
    """(how many members, the highest primary key) at this moment: an export reads up to that
    key, so the number of rows its access log records is the number the file holds."""
    extent = Member.objects.aggregate(rows=Count("pk"), last=Max("pk"))
    return extent["rows"], extent["last"] or 0


def export_chunk(*, after: int = 0, upto: int | None = None, size: int = 2000) -> list[Member]:
    """The next ``size`` members after primary key ``after`` (keyset pagination for exports),
    none beyond ``upto``."""
    members = Member.objects.filter(pk__gt=after)
    if upto is not None:
        members = members.filter(pk__lte=upto)
    return list(members.select_related("store").order_by("pk")[:size])
