"""Erasure of a member's personal data (the approval of an ``ErasureRequest``).

The member row stays, because the points ledger, purchases, redemptions and complaints refer to
it (accounting and dispute obligations), but everything that identifies the person is cleared:
profile fields, the ID number (all three columns), the portal credential, the link to a staff
user, the current card number; the change history keeps only *that* an erasure happened; the
outbox forgets their addresses and texts; consent is withdrawn.

Higher apps hold personal data of their own (complaints: the member's name in ticket events,
contact fields, free text). ``membership`` may not import them, so they register an *eraser*
(``membership.hooks.erasers``) from their ``AppConfig.ready()``::

    from membership.hooks import erasers
    erasers.register("complaints", erase_member_tickets)

Each eraser is called as ``eraser(member, identity)`` inside the erasure's transaction, before
the member row is cleared; ``identity`` holds the values being erased (to scrub free text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core import tenancy
from core.actors import actor_of
from notifications.actions import do_forget_member, do_set_consent
from notifications.models import Channel, ConsentSource, Purpose

from .hooks import erasers
from .models import (
    Card,
    CardStatus,
    Member,
    MemberChange,
    MemberCredential,
    MemberStatus,
    RequestStatus,
    TerminationRequest,
)

ERASED_MARK = "***"

# Change-history rows whose old/new values are personal data: emptied by the erasure.
PERSONAL_FIELDS = frozenset(
    {
        "registered",  # its new value is the name
        "name",
        "gender",
        "phone",
        "id_type",
        "id_number",
        "email",
        "birthday",
        "wedding_anniversary",
        "employer",
        "address",
        "notes",
        "staff_user",
    }
)


@dataclass(frozen=True)
class Identity:
    """What identified the person, kept in memory only while erasing."""

    member_id: int
    name: str
    phone: str
    email: str
    id_number: str

    def strings(self) -> list[str]:
        """The values to scrub from free text, longest first (a name of one character is too
        common to replace in other people's words and is left)."""
        values = {self.name, self.phone, self.email, self.id_number}
        if self.phone.startswith("+86"):
            values.add(self.phone[3:])  # as people write it in China
        return sorted((v for v in values if len(v) >= 2), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """``text`` with every identifying value replaced by ``***``."""
        if not text:
            return text
        for value in self.strings():
            text = re.sub(re.escape(value), ERASED_MARK, text, flags=re.IGNORECASE)
        return text


def identity_of(member: Member) -> Identity:
    return Identity(
        member_id=member.pk,
        name=member.name,
        phone=str(member.phone) if member.phone else "",
        email=member.email,
        id_number=member.reveal_id_number(),
    )


def placeholder_name(member: Member) -> str:
    """The neutral name an erased member keeps, in the tenant's language: "已删除的会员 #42"."""
    with override(tenancy.current_tenant().default_language):
        return _("Erased member #%(id)s") % {"id": member.pk}


def erase_member(member: Member, *, actor, note: str) -> Member:
    """Anonymise ``member`` (locked by the caller, inside its transaction). Idempotent: a member
    already erased is returned unchanged.

    The membership ends through the status workflow (``actions.do_change_status``: the
    transition table, a status history row with ``note`` as its reason), first, so a status from
    which termination is not allowed refuses the whole erasure (``InvalidTransition``, rolled
    back with the caller's transaction). A member already terminated has no transition to make
    and keeps the history row of their termination."""
    from .actions import do_change_status  # reason: cycle (membership.actions imports this module)

    if member.erased_at is not None:
        return member
    who = actor_of(actor)
    if member.status != MemberStatus.TERMINATED:
        member.status = do_change_status(
            member, MemberStatus.TERMINATED, actor=actor, reason=note
        ).status
    identity = identity_of(member)
    for _key, eraser in erasers.items():
        eraser(member, identity)

    # Messages: pending ones cancelled, addresses and texts of all of them forgotten.
    do_forget_member(member.pk)
    for channel in Channel.values:
        for purpose in Purpose.values:
            do_set_consent(
                member_id=member.pk,
                channel=channel,
                purpose=purpose,
                granted=False,
                source=ConsentSource.ERASURE,
                actor=actor_of(actor or "erasure").label,
            )

    # Signing in: the credential goes; every portal session is bound to it and ends with it.
    MemberCredential.objects.filter(member=member).delete()

    # Cards: numbers are never issued again, so the rows stay, blocked.
    now = timezone.now()
    Card.objects.filter(member=member, status=CardStatus.ACTIVE).update(
        status=CardStatus.BLOCKED, blocked_at=now, reason=_("Personal data erased")
    )

    # Change history: personal values emptied, free text scrubbed; other members' history
    # names this one as their referrer ("name #id").
    MemberChange.objects.filter(member=member, field__in=PERSONAL_FIELDS).update(
        old_value="", new_value=""
    )
    for change in MemberChange.objects.filter(member=member).exclude(field__in=PERSONAL_FIELDS):
        scrub_fields(change, identity, "old_value", "new_value", "note")
    if identity.name:
        as_referrer = f"{identity.name} #{member.pk}"
        for change in MemberChange.objects.filter(field="referrer").filter(
            Q(old_value__contains=as_referrer) | Q(new_value__contains=as_referrer)
        ):
            change.old_value = change.old_value.replace(as_referrer, f"#{member.pk}")
            change.new_value = change.new_value.replace(as_referrer, f"#{member.pk}")
            change.save(update_fields=["old_value", "new_value"])

    # Termination requests: reasons scrubbed; a pending one is closed by the erasure.
    for termination in TerminationRequest.objects.filter(member=member):
        scrub_fields(termination, identity, "reason", "decision_note")
    TerminationRequest.objects.filter(member=member, status=RequestStatus.PENDING).update(
        status=RequestStatus.APPROVED,
        decided_by=who.user,
        decided_at=now,
        decision_note=_("Membership ended by the erasure of personal data."),
    )

    # The member row itself.
    member.name = placeholder_name(member)
    member.gender = ""
    member.phone = ""
    member.set_id_number("", "")
    member.email = ""
    member.birthday = None
    member.wedding_anniversary = None
    member.employer = ""
    member.address = ""
    member.notes = ""
    member.staff_user = None
    member.card_number = ""
    member.erased_at = now
    member.save()
    MemberChange.objects.create(
        member=member,
        user=who.user,
        actor=who.label,
        field="erasure",
        old_value="",
        new_value="",
        note=note,
    )
    return member


def scrub_fields(row, identity: Identity, *fields: str) -> None:
    """Scrub ``fields`` of ``row`` (``Identity.scrub``) and save those that changed; for erasers
    of higher apps too."""
    changed = []
    for field in fields:
        old = getattr(row, field)
        new = identity.scrub(old)
        if new != old:
            setattr(row, field, new)
            changed.append(field)
    if changed:
        row.save(update_fields=changed)
