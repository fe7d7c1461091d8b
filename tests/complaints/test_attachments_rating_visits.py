"""Attachments checked by content; satisfaction once; compensation records; return visits."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints import actions, attachments
from complaints.models import CompensationKind, Kind, Status, Ticket
from core.roles import Role
from notifications.models import Message
from tests.complaints.factories import PNG, TicketFactory
from tests.membership.factories import MemberFactory


def _jpeg(size=(20, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_picture_is_stored_under_the_tenants_path(world, in_a):
    ticket = TicketFactory()
    item = actions.do_add_attachment(
        ticket, SimpleUploadedFile("shelf.jpg", _jpeg(), "image/jpeg"), actor=world.user(world.a)
    )
    assert item.content_type == "image/jpeg"
    assert item.file.name.startswith(f"complaints/t{world.a.pk}/{ticket.pk}/")
    assert item.file.name.endswith(".jpg")


def test_a_non_image_named_png_is_refused(world, in_a):
    ticket = TicketFactory()
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00 not a picture", "image/png")
    with pytest.raises(ValidationError) as refused:
        actions.do_add_attachment(ticket, fake, actor=world.user(world.a))
    assert refused.value.code == "not_an_image"
    assert not ticket.attachments.exists()


def test_a_picture_over_the_size_limit_is_refused(world, in_a):
    big = SimpleUploadedFile("big.png", PNG + b"\0" * attachments.MAX_BYTES, "image/png")
    with pytest.raises(ValidationError) as refused:
        attachments.check_image(big)
    assert refused.value.code == "too_large"


def test_the_number_of_pictures_is_limited(world, in_a):
    ticket = TicketFactory()
    for n in range(attachments.MAX_PER_TICKET):
        attachments.store_attachment(ticket, SimpleUploadedFile(f"{n}.png", PNG))
    with pytest.raises(ValidationError) as refused:
        attachments.store_attachment(ticket, SimpleUploadedFile("one-more.png", PNG))
    assert refused.value.code == "too_many"


def test_a_closed_ticket_is_rated_once(world, in_a):
    ticket = TicketFactory(status=Status.CLOSED)
    rated = actions.do_rate(ticket, rating=4, comment="quick", actor=ticket.member)
    assert (rated.rating, rated.rating_comment) == (4, "quick")
    with pytest.raises(actions.AlreadyRated):
        actions.do_rate(ticket, rating=1, actor=ticket.member)
    assert Ticket.objects.get(pk=ticket.pk).rating == 4


@pytest.mark.parametrize("rating", [0, 6])
def test_a_rating_is_1_to_5(world, in_a, rating):
    with pytest.raises(ValidationError):
        actions.do_rate(
            TicketFactory(status=Status.CLOSED), rating=rating, actor=world.user(world.a)
        )


def test_an_open_ticket_cannot_be_rated(world, in_a):
    with pytest.raises(ValidationError):
        actions.do_rate(TicketFactory(status=Status.REPLIED), rating=5, actor=world.user(world.a))


def test_another_member_cannot_rate(world, in_a):
    with pytest.raises(PermissionDenied):
        actions.do_rate(TicketFactory(status=Status.CLOSED), rating=5, actor=MemberFactory())


def test_a_gift_is_recorded_and_the_member_told(world, in_a):
    ticket = TicketFactory()
    compensation = actions.do_compensate(
        ticket, kind=CompensationKind.GIFT, description="Fruit basket", actor=world.user(world.a)
    )
    assert not compensation.is_suggestion_reward
    assert ticket.events.filter(type="compensation").exists()
    message = Message.objects.get(dedupe_key=f"complaint:{ticket.pk}:comp:{compensation.pk}")
    assert "Fruit basket" in message.body


def test_a_coupon_needs_a_description_and_front_desk_may_not_compensate(world, in_a):
    ticket = TicketFactory()
    with pytest.raises(ValidationError):
        actions.do_compensate(ticket, kind=CompensationKind.COUPON, actor=world.user(world.a))
    with pytest.raises(PermissionDenied):
        actions.do_compensate(
            ticket,
            kind=CompensationKind.COUPON,
            description="10% off",
            actor=world.user(world.a, Role.FRONT_DESK),
        )


def test_a_suggestions_reward_is_marked_as_such(world, in_a):
    ticket = TicketFactory(kind=Kind.SUGGESTION)
    reward = actions.do_compensate(
        ticket, kind=CompensationKind.GIFT, description="Mug", actor=world.user(world.a)
    )
    assert reward.is_suggestion_reward


def test_a_return_visit_linked_to_a_ticket_is_noted_on_it(world, in_a):
    ticket = TicketFactory(status=Status.CLOSED)
    visit = actions.do_record_return_visit(
        data={"member": ticket.member, "ticket": ticket, "channel": "phone", "opinion": "Happy"},
        actor=world.user(world.a, Role.FRONT_DESK),
    )
    assert visit.visited_by == world.user(world.a, Role.FRONT_DESK)
    assert ticket.events.filter(type="note", note__contains="Happy").exists()


def test_a_return_visit_cannot_link_another_members_ticket(world, in_a):
    with pytest.raises(ValidationError):
        actions.do_record_return_visit(
            data={"member": MemberFactory(), "ticket": TicketFactory(), "channel": "phone"},
            actor=world.user(world.a),
        )
