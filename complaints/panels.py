"""The member page's section listing the member's tickets."""

from django.utils import timezone

from . import selectors


def member_tickets_panel(member) -> dict:
    tickets = list(selectors.member_tickets(member)[:20])
    return {"tickets": tickets, "now": timezone.now()}
