"""Opening balances imported from another system, with their original dates."""

from membership.models import Member
from membership.selectors import card_lookup, members_by_phone

from ..models import LedgerEntry, Reason
from .awards import do_award_points


def find_member(identifier: str) -> Member | None:
    identifier = (identifier or "").strip()
    card = card_lookup(identifier)
    if card is not None:
        return card.member
    member = Member.objects.filter(card_number=identifier).first()
    return member or members_by_phone(identifier).first()


def do_import_opening_balances(rows: list[dict], *, actor) -> list[LedgerEntry]:
    """Post opening balances (rows from ``forms.parse_opening_balances``) with their original
    earned and expiry dates. Re-importing the same file posts nothing twice."""
    posted = []
    for row in rows:
        posted.append(
            do_award_points(
                row["member"],
                reason=Reason.OPENING_BALANCE,
                points=row["points"],
                idempotency_key=(
                    f"opening:{row['member'].pk}:{row['earned_on']}:{row['expires_at']}:"
                    f"{row['points']}"
                ),
                actor=actor,
                note=row.get("note", ""),
                earned_on=row["earned_on"],
                expires_at=row["expires_at"],
            )
        )
    return posted
