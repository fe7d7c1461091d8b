"""What an erasure of personal data does to complaints (registered with
``membership.hooks.erasers`` in ``ComplaintsConfig.ready``).

Tickets, their events and return visits stay (dispute obligations, the report figures), but no
longer identify the person: contact fields are emptied, the member's name is taken out of the
event labels ("会员 李娜" → "会员 ***"), and free text (description, resolution, notes, the rating
comment, return-visit notes) has the person's name, phone, e-mail and ID number replaced by
``***``. Attachments are kept as evidence; see docs/complaints.md for that limit.
"""

from django.db.models import Q

from membership.erasure import scrub_fields

from .models import ReturnVisit, Ticket, TicketEvent


def erase_member_tickets(member, identity) -> None:
    tickets = Ticket.objects.filter(member=member)
    tickets.update(contact_name="", contact_phone="")
    for ticket in tickets:
        scrub_fields(ticket, identity, "description", "resolution", "rating_comment")
    for event in TicketEvent.objects.filter(ticket__member=member):
        scrub_fields(event, identity, "actor_label", "note")
    visits = ReturnVisit.objects.filter(Q(member=member) | Q(ticket__member=member))
    for visit in visits:
        scrub_fields(visit, identity, "notes", "opinion")
