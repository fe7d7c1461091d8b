"""Erasure of personal data: the member's request, the staff decision, the anonymisation."""

import datetime

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError

from complaints import actions as complaint_actions
from complaints.models import Kind, Ticket, TicketEvent
from core import tenancy
from core.roles import Role
from membership import actions, selectors
from membership.models import (
    Card,
    CardStatus,
    ErasureRequest,
    ErasureStatus,
    Member,
    MemberChange,
    MemberCredential,
    MemberStatus,
    PiiAccessLog,
    RequestStatus,
    TerminationRequest,
)
from notifications import actions as notification_actions
from notifications.models import Consent, Message, MessageStatus
from notifications.outbox import do_enqueue_message
from notifications.selectors import reach
from points.models import LedgerEntry, Purchase
from tests.membership.factories import CardFactory, MemberFactory
from tests.notifications.factories import NotificationSettingsFactory
from tests.points.helpers import buy

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
PASSWORD = "Lantern-river-42"


@pytest.fixture
def person(world):
    with tenancy.tenant_context(world.a):
        return _person(world)


def _person(world):
    """A member with a history: a card, a purchase, a complaint, messages."""
    NotificationSettingsFactory(tenant=world.a, rate_per_minute=1000)
    member = MemberFactory(
        name="Zhang Wenjing",
        phone="+8613911112222",
        email="wenjing@example.com",
        address="88 Secret Road",
        employer="Hidden Works",
        notes="Prefers calls after six",
        birthday=datetime.date(1985, 4, 3),
        wedding_anniversary=datetime.date(2010, 10, 1),
        id_number=ID_NUMBER,
    )
    MemberCredential.objects.create(member=member, password=make_password(PASSWORD))
    CardFactory(member=member, number="8000000011")
    Member.objects.filter(pk=member.pk).update(card_number="8000000011")
    member.refresh_from_db()
    actions.do_update_member(
        member, data={"address": "99 Old Secret Lane"}, actor=world.user(world.a)
    )
    buy(member, 120)
    complaint_actions.do_file_ticket_as_member(
        member, kind=Kind.COMPLAINT, description="Call me on 13911112222, Zhang Wenjing"
    )
    do_enqueue_message(
        template="broadcast",
        to=reach(phone=member.phone, email="", language=""),
        context={"message": "Dear Zhang Wenjing"},
        dedupe_key=f"test:{member.pk}",
        member_id=member.pk,
    )
    return member


def _request(member):
    return actions.do_request_erasure(member, password=PASSWORD)


def _manager(world):
    return world.user(world.a, Role.MANAGER)


# --- the request ------------------------------------------------------------------------------


def test_the_request_needs_the_members_password(world, in_a, person):
    with pytest.raises(ValidationError) as error:
        actions.do_request_erasure(person, password="not-it")
    assert "password" in error.value.message_dict
    assert not ErasureRequest.objects.exists()
    request = _request(person)
    assert request.status == ErasureStatus.PENDING


def test_one_request_waits_at_a_time_and_can_be_withdrawn(world, in_a, person):
    request = _request(person)
    with pytest.raises(ValidationError, match="正在等待处理"):
        _request(person)
    actions.do_withdraw_erasure(request, member=person)
    request.refresh_from_db()
    assert request.status == ErasureStatus.WITHDRAWN
    assert _request(person).status == ErasureStatus.PENDING


# --- the decision -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CUSTOMER_SERVICE])
def test_only_owners_and_managers_decide(world, in_a, person, role):
    request = _request(person)
    with pytest.raises(ValidationError, match="只有店主或经理"):
        actions.do_decide_erasure(request, approve=True, actor=world.user(world.a, role))
    person.refresh_from_db()
    assert person.name == "Zhang Wenjing"
    assert ErasureRequest.objects.get().status == ErasureStatus.PENDING


def test_a_refusal_needs_a_reason_keeps_the_data_and_tells_the_member(world, in_a, person):
    request = _request(person)
    with pytest.raises(ValidationError) as error:
        actions.do_decide_erasure(request, approve=False, reason="  ", actor=_manager(world))
    assert "reason" in error.value.message_dict
    actions.do_decide_erasure(
        request, approve=False, reason="Your complaint is still open", actor=_manager(world)
    )
    request.refresh_from_db()
    assert request.status == ErasureStatus.REFUSED
    assert request.decided_by == _manager(world)
    person.refresh_from_db()
    assert person.name == "Zhang Wenjing" and person.erased_at is None
    assert person.status == MemberStatus.ACTIVE
    message = Message.objects.get(dedupe_key=f"erasure:{request.pk}:decision")
    assert message.recipient == "+8613911112222"
    assert message.member_id == person.pk
    assert "Your complaint is still open" in message.body
    with pytest.raises(ValidationError, match="已处理"):
        actions.do_decide_erasure(request, approve=True, actor=_manager(world))


def test_approval_anonymises_the_member(world, in_a, person):
    request = _request(person)
    TerminationRequest.objects.create(
        member=person, source="business", reason="Zhang Wenjing moved away"
    )
    actions.do_decide_erasure(request, approve=True, actor=_manager(world))

    person.refresh_from_db()
    assert person.name == f"已删除的会员 #{person.pk}"  # tenant A's default language
    for field in ("phone", "email", "address", "employer", "notes", "gender", "card_number"):
        assert getattr(person, field) == "", field
    assert person.birthday is None and person.wedding_anniversary is None
    assert (person.id_number_encrypted, person.id_number_digest, person.id_number_last4) == (
        "",
        "",
        "",
    )
    assert person.status == MemberStatus.TERMINATED
    assert person.erased_at is not None
    assert not MemberCredential.objects.filter(member=person).exists()
    assert Card.objects.get(number="8000000011").status == CardStatus.BLOCKED
    termination = TerminationRequest.objects.get(member=person)
    assert termination.status == RequestStatus.APPROVED
    assert "Zhang Wenjing" not in termination.reason

    # consent withdrawn on every channel and purpose
    assert Consent.objects.filter(member_id=person.pk, granted=False).count() == 4
    assert not Consent.objects.filter(member_id=person.pk, granted=True).exists()

    # the member's messages: the waiting one cancelled, every address and text forgotten
    theirs = Message.objects.filter(member_id=person.pk)
    assert theirs.exists()
    assert not theirs.filter(status=MessageStatus.PENDING).exists()
    assert set(theirs.values_list("recipient", flat=True)) == {""}
    assert set(theirs.values_list("body", flat=True)) == {""}
    # ... the decision goes to the address still known, filed under no member
    decision = Message.objects.get(dedupe_key=f"erasure:{request.pk}:decision")
    assert decision.member_id is None
    assert decision.recipient == "+8613911112222"
    assert decision.status == MessageStatus.PENDING
    assert "Zhang" not in decision.body

    # accounting and dispute records stay, attached to the anonymous row
    assert Purchase.objects.filter(member=person).count() == 1
    assert LedgerEntry.objects.filter(member=person).exists()
    ticket = Ticket.objects.get(member=person)
    assert "Zhang Wenjing" not in ticket.description
    assert "13911112222" not in ticket.description
    assert ticket.description.startswith("Call me on ***")
    labels = TicketEvent.objects.filter(ticket=ticket).values_list("actor_label", flat=True)
    assert labels and not any("Zhang" in label for label in labels)

    # the change history says an erasure happened and keeps no old value
    erasure_rows = MemberChange.objects.filter(member=person, field="erasure")
    assert erasure_rows.count() == 2  # requested, erased
    for change in MemberChange.objects.all():
        text = f"{change.old_value} {change.new_value} {change.note} {change.actor}"
        for secret in ("Zhang", "13911112222", "wenjing@", "Secret Road", "Old Secret Lane"):
            assert secret not in text, (change.field, text)


def test_nothing_of_the_erased_person_remains_searchable(world, in_a, person):
    actions.do_decide_erasure(_request(person), approve=True, actor=_manager(world))
    for query in ("Zhang Wenjing", "Zhang", "13911112222", "+86 139 1111 2222", ID_NUMBER):
        assert selectors.search_members(query) == [], query
    assert not selectors.members_by_phone("13911112222").exists()
    assert not selectors.members_by_id_number(ID_NUMBER).exists()
    assert actions.authenticate_member("13911112222", PASSWORD) is None
    # the number and phone are free for a new registration of the same person
    assert selectors.phone_taken("+8613911112222") is None
    assert selectors.id_number_taken(ID_NUMBER) is None


def test_a_repeated_approval_changes_nothing(world, in_a, person):
    request = _request(person)
    actions.do_decide_erasure(request, approve=True, actor=_manager(world))
    person.refresh_from_db()
    erased_at, changes, messages = (
        person.erased_at,
        MemberChange.objects.count(),
        Message.objects.count(),
    )
    again = actions.do_decide_erasure(request, approve=True, actor=world.user(world.a))
    assert again.status == ErasureStatus.APPROVED
    assert again.decided_by == _manager(world)
    person.refresh_from_db()
    assert person.erased_at == erased_at
    assert MemberChange.objects.count() == changes
    assert Message.objects.count() == messages
    with pytest.raises(ValidationError, match="已处理"):
        actions.do_decide_erasure(request, approve=False, reason="x", actor=_manager(world))


def test_an_erased_member_cannot_be_edited_back(world, in_a, person):
    actions.do_decide_erasure(_request(person), approve=True, actor=_manager(world))
    with pytest.raises(ValidationError, match="个人信息已删除"):
        actions.do_update_member(person, data={"name": "Zhang Wenjing"}, actor=_manager(world))


def test_the_decision_message_forgets_its_address_once_sent(world, in_a, person, settings):
    request = _request(person)
    actions.do_decide_erasure(request, approve=True, actor=_manager(world))
    decision = Message.objects.get(dedupe_key=f"erasure:{request.pk}:decision")
    counts = notification_actions.do_deliver_messages([decision.pk])
    assert counts["sent"] == 1
    decision.refresh_from_db()
    assert decision.status == MessageStatus.SENT
    assert decision.recipient == ""
    sent = list((settings.NOTIFICATIONS_OUTBOX_DIR).rglob("*"))
    assert any("13911112222" in p.read_text() for p in sent if p.is_file())


def test_a_rolled_back_approval_erases_nothing(world, in_a, person, monkeypatch):
    from membership.hooks import erasers

    def broken(member, identity):
        raise RuntimeError("eraser failed")

    erasers.register("zz-broken", broken)
    try:
        request = _request(person)
        with pytest.raises(RuntimeError):
            actions.do_decide_erasure(request, approve=True, actor=_manager(world))
    finally:
        erasers.unregister("zz-broken")
    person.refresh_from_db()
    assert person.name == "Zhang Wenjing" and person.erased_at is None
    assert ErasureRequest.objects.get().status == ErasureStatus.PENDING
    assert MemberCredential.objects.filter(member=person).exists()


def test_an_erasure_leaves_other_members_alone(world, in_a, person):
    other = MemberFactory(name="Zhang Wenjingli", phone="+8613911113333")
    actions.do_decide_erasure(_request(person), approve=True, actor=_manager(world))
    other.refresh_from_db()
    assert other.name == "Zhang Wenjingli" and other.erased_at is None
    assert selectors.search_members("13911113333") == [other]


def test_the_referrer_history_of_others_stops_naming_the_erased_member(world, in_a, person):
    referred = MemberFactory()
    actions.do_update_member(referred, data={"referrer": person}, actor=_manager(world))
    assert MemberChange.objects.filter(new_value=f"Zhang Wenjing #{person.pk}").exists()
    actions.do_decide_erasure(_request(person), approve=True, actor=_manager(world))
    change = MemberChange.objects.get(member=referred, field="referrer")
    assert change.new_value == f"#{person.pk}"
    referred.refresh_from_db()
    assert referred.referrer_id == person.pk  # the referral itself still counts


def test_the_pii_access_log_names_a_member_by_id(world, in_a, person):
    actions.do_reveal_id_number(person, actor=person)
    log = PiiAccessLog.objects.get(member=person)
    assert log.actor == f"member #{person.pk}" and log.user is None


def test_staff_pages_queue_and_decide(world, person, client):
    with tenancy.tenant_context(world.a):
        request = _request(person)
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    assert client.get("/t/tenant-a/members/erasures/").status_code == 403
    client.force_login(_manager(world))
    page = client.get("/t/tenant-a/members/erasures/").content.decode()
    assert "Zhang Wenjing" in page
    url = f"/t/tenant-a/members/erasures/{request.pk}/decide/"
    response = client.post(url, {"decision": "refuse"}, follow=True)
    assert "请说明拒绝的理由" in response.content.decode()
    with tenancy.tenant_context(world.a):
        assert ErasureRequest.objects.get().status == ErasureStatus.PENDING
    client.post(url, {"decision": "approve"})
    with tenancy.tenant_context(world.a):
        assert ErasureRequest.objects.get().status == ErasureStatus.APPROVED
        assert Member.objects.get(pk=person.pk).erased_at is not None
    assert "Zhang Wenjing" not in client.get("/t/tenant-a/members/erasures/").content.decode()
    detail = client.get(f"/t/tenant-a/members/{person.pk}/").content.decode()
    assert "Zhang Wenjing" not in detail
    assert "13911112222" not in detail


# --- the status workflow ----------------------------------------------------------------------


def _member_with_password(name, phone):
    member = MemberFactory(name=name, phone=phone)
    MemberCredential.objects.create(member=member, password=make_password(PASSWORD))
    return member


def _decide_on_the_page(client, world, request, decision="approve"):
    client.force_login(_manager(world))
    return client.post(
        f"/t/tenant-a/members/erasures/{request.pk}/decide/", {"decision": decision}, follow=True
    )


def _status_rows(member):
    return list(
        MemberChange.objects.filter(member=member, field="status")
        .order_by("pk")
        .values_list("old_value", "new_value", "note")
    )


def test_an_approval_ends_the_membership_through_the_status_workflow(world, person, client):
    """Frozen → terminated is a transition of the table: it is made by ``do_change_status``,
    with its history row. A member terminated while the request waited has no transition left
    to make: the erasure goes ahead and their termination stays the only status row."""
    with tenancy.tenant_context(world.a):
        ended = _member_with_password("Qian Duoduo", "+8613911115555")
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    client.post(
        f"/t/tenant-a/members/{person.pk}/status/", {"status": "frozen", "reason": "abroad"}
    )
    with tenancy.tenant_context(world.a):
        first, second = _request(person), _request(ended)
    client.post(
        f"/t/tenant-a/members/{ended.pk}/terminate/",
        {"source": "member", "reason": "Moving away"},
    )
    client.force_login(_manager(world))
    with tenancy.tenant_context(world.a):
        termination = TerminationRequest.objects.get(member=ended)
    client.post(
        f"/t/tenant-a/members/terminations/{termination.pk}/decide/", {"decision": "approve"}
    )

    for request in (first, second):
        page = _decide_on_the_page(client, world, request).content.decode()
        assert "个人信息已删除" in page, page  # "The personal data was erased …"

    with tenancy.tenant_context(world.a):
        person.refresh_from_db()
        ended.refresh_from_db()
        assert person.status == ended.status == MemberStatus.TERMINATED
        assert person.erased_at is not None and ended.erased_at is not None
        assert _status_rows(person) == [
            ("正常", "冻结", "abroad"),
            ("冻结", "已终止", f"已按会员申请 #{first.pk} 删除个人信息。"),
        ]
        assert _status_rows(ended) == [("正常", "已终止", "Moving away")]


def test_an_erasure_the_status_workflow_forbids_is_refused_and_erases_nothing(
    world, person, client, monkeypatch
):
    """The erasure asks the transition table, not around it: were frozen → terminated not
    allowed, approving is refused with the workflow's message and nothing is erased."""
    from membership.models import STATUS_TRANSITIONS

    client.force_login(world.user(world.a, Role.FRONT_DESK))
    client.post(f"/t/tenant-a/members/{person.pk}/status/", {"status": "frozen", "reason": "x"})
    with tenancy.tenant_context(world.a):
        request = _request(person)
    monkeypatch.setitem(STATUS_TRANSITIONS, MemberStatus.FROZEN, frozenset({MemberStatus.ACTIVE}))
    page = _decide_on_the_page(client, world, request).content.decode()
    assert "会员状态为“冻结”时不能变更为“已终止”。" in page
    with tenancy.tenant_context(world.a):
        person.refresh_from_db()
        assert person.name == "Zhang Wenjing" and person.erased_at is None
        assert person.status == MemberStatus.FROZEN
        assert ErasureRequest.objects.get().status == ErasureStatus.PENDING
        assert MemberCredential.objects.filter(member=person).exists()
        assert not Message.objects.filter(dedupe_key=f"erasure:{request.pk}:decision").exists()
