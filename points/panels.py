"""The points section of the member page."""

from . import ledger, selectors


def member_panel(member) -> dict:
    today = ledger.local_today()
    balance = selectors.balance_of(member)
    return {
        "member": member,
        "balance": balance["balance"],
        "debt": balance["debt"],
        "expiring_30": selectors.expiring_within(member, today, 30),
        "expiring_90": selectors.expiring_within(member, today, 90),
        "recent": list(selectors.history(member)[:5]),
    }
