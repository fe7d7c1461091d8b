import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from core import tenancy
from membership import actions, selectors
from membership.models import (
    STATUS_TRANSITIONS,
    Card,
    CardStatus,
    Member,
    MemberChange,
    MemberCredential,
    MemberStatus,
    PiiAccessLog,
)
from membership.validators import luhn_valid
from notifications.models import Message

from .factories import MemberFactory, MembershipSettingsFactory
from .helpers import resident_id

pytestmark = pytest.mark.django_db


def register(**data):
    data.setdefault("name", "Li Lei")
    return actions.do_register_member(data=data, actor=None)


def test_registration_issues_a_luhn_checked_card_with_the_tenant_prefix(in_a):
    MembershipSettingsFactory(tenant=in_a, card_prefix="62", card_digits=6)
    member = register(phone="+8613800000001")
    assert member.card_number.startswith("62")
    assert len(member.card_number) == 2 + 6 + 1
    assert luhn_valid(member.card_number)
    assert Card.objects.get(member=member).number == member.card_number


def test_card_numbers_come_from_a_counter_and_are_never_reused(in_a):
    first = register(phone="+8613800000001")
    second = register(phone="+8613800000002")
    numbers = {first.card_number, second.card_number}
    # Deleting the newest member must not make its number available again (MAX()+1 would).
    with tenancy.dangerously_all_tenants():
        Member.dangerously_unscoped.filter(pk=second.pk).delete()
    third = register(phone="+8613800000003")
    assert third.card_number not in numbers
    assert len(numbers) == 2


def test_card_sequences_are_per_tenant(world):
    with tenancy.tenant_context(world.a):
        a = register(phone="+8613800000001")
    with tenancy.tenant_context(world.b):
        b = register(phone="+8613800000001")
    assert a.card_number == b.card_number  # both tenants start at 1; numbers are per tenant


def test_the_same_phone_is_refused_in_one_tenant_and_fine_in_another(world):
    with tenancy.tenant_context(world.a):
        register(phone="+8613800000001")
        with pytest.raises(IntegrityError), transaction.atomic():
            register(name="Han Meimei", phone="+8613800000001")
    with tenancy.tenant_context(world.b):
        assert register(phone="+8613800000001").pk


def test_the_same_id_number_is_refused_in_one_tenant_and_fine_in_another(world):
    number = resident_id()
    with tenancy.tenant_context(world.a):
        register(phone="+8613800000001", id_type="resident", id_number=number)
        with pytest.raises(IntegrityError), transaction.atomic():
            register(phone="+8613800000002", id_type="resident", id_number=number)
    with tenancy.tenant_context(world.b):
        assert register(phone="+8613800000001", id_type="resident", id_number=number).pk


def test_the_id_number_is_not_stored_in_clear_but_is_found_by_lookup(in_a):
    number = resident_id()
    member = register(phone="+8613800000001", id_type="resident", id_number=number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM membership_member WHERE id = %s", [member.pk])
        row = cursor.fetchone()
    assert not any(number in str(value) for value in row)
    assert not any(number[:14] in str(value) for value in row)  # not even the birth date part
    assert member.id_number_last4 == number[-4:]
    assert list(selectors.members_by_id_number(number.lower())) == [member]
    assert member.reveal_id_number() == number


def test_the_id_digest_differs_between_tenants(world):
    number = resident_id()
    with tenancy.tenant_context(world.a):
        a = register(phone="+8613800000001", id_type="resident", id_number=number)
    with tenancy.tenant_context(world.b):
        b = register(phone="+8613800000001", id_type="resident", id_number=number)
    assert a.id_number_digest != b.id_number_digest


def test_a_reveal_is_logged_with_who_and_when(in_a, world):
    member = register(phone="+8613800000001", id_type="resident", id_number=resident_id())
    manager = world.user(in_a, "manager")
    assert actions.do_reveal_id_number(member, actor=manager) == resident_id()
    log = PiiAccessLog.objects.get(member=member)
    assert (log.user, log.actor, log.field) == (manager, f"staff #{manager.pk}", "id_number")
    assert log.at is not None


def test_registration_writes_credentials_and_the_outbox_message(in_a):
    member = register(phone="+8613800000001")
    credential = MemberCredential.objects.get(member=member)
    assert credential.must_change
    message = Message.objects.get(dedupe_key=f"registration:{member.pk}")
    assert message.channel == "sms"
    assert message.recipient == "+8613800000001"
    assert member.card_number in message.body
    # The initial password is the only 8-character word from the password alphabet.
    words = [w.strip(",.") for w in message.body.split()]
    candidates = [w for w in words if len(w) == 8 and set(w) <= set(actions.PASSWORD_ALPHABET)]
    assert any(actions.authenticate_member("13800000001", c) == member for c in candidates)


def test_a_member_without_phone_gets_the_message_by_email(in_a):
    member = register(email="lilei@example.com", id_type="passport", id_number="E12345678")
    assert Message.objects.get(member_id=member.pk).channel == "email"


def test_a_member_signs_in_by_phone_or_id_number_and_not_with_a_wrong_password(in_a):
    number = resident_id()
    member = register(phone="+8613800000001", id_type="resident", id_number=number)
    actions.do_set_member_password(member, "new-secret-1")
    assert actions.authenticate_member("138 0000 0001", "new-secret-1") == member
    assert actions.authenticate_member(number, "new-secret-1") == member
    assert actions.authenticate_member(number, "wrong") is None
    assert actions.authenticate_member("13900000000", "new-secret-1") is None
    assert not MemberCredential.objects.get(member=member).must_change


ALL_PAIRS = [(old, new) for old in MemberStatus.values for new in MemberStatus.values if old != new]


@pytest.mark.parametrize(("old", "new"), ALL_PAIRS)
def test_status_transitions_follow_the_table(in_a, old, new):
    member = MemberFactory(tenant=in_a, status=old)
    if new in STATUS_TRANSITIONS[old]:
        assert actions.do_change_status(member, new, actor=None).status == new
        assert MemberChange.objects.filter(member=member, field="status").exists()
    else:
        with pytest.raises(actions.InvalidTransition) as error:
            actions.do_change_status(member, new, actor=None)
        assert error.value.code == "invalid_transition"
        member.refresh_from_db()
        assert member.status == old


def test_the_transition_table_is_what_the_business_expects():
    assert STATUS_TRANSITIONS[MemberStatus.TERMINATED] == frozenset()
    assert MemberStatus.ACTIVE in STATUS_TRANSITIONS[MemberStatus.FROZEN]
    assert MemberStatus.ACTIVE in STATUS_TRANSITIONS[MemberStatus.EXPIRED]
    assert MemberStatus.EXPIRED not in STATUS_TRANSITIONS[MemberStatus.FROZEN]


def test_every_edit_is_recorded_with_who_old_and_new(in_a, world):
    member = register(
        phone="+8613800000001", employer="Old Co", id_type="resident", id_number=resident_id()
    )
    user = world.user(in_a, "front_desk")
    new_id = resident_id(birth="19851120")
    actions.do_update_member(
        member,
        data={"employer": "New Co", "name": "Li Lei", "id_type": "resident", "id_number": new_id},
        actor=user,
    )
    changes = {c.field: c for c in MemberChange.objects.filter(member=member, user=user)}
    assert set(changes) == {"employer", "id_number"}  # the unchanged name is not recorded
    assert (changes["employer"].old_value, changes["employer"].new_value) == ("Old Co", "New Co")
    assert changes["id_number"].old_value == "****" + resident_id()[-4:]
    assert changes["id_number"].new_value == "****" + new_id[-4:]
    assert new_id not in changes["id_number"].new_value
    assert changes["employer"].actor == f"staff #{user.pk}"


def test_reissue_blocks_the_old_card_keeps_history_and_finds_the_member_by_either(in_a):
    member = register(phone="+8613800000001")
    old = member.card_number
    lost = actions.do_report_lost_card(member, actor=None, reason="left on the bus")
    assert lost.status == CardStatus.LOST
    new = actions.do_reissue_card(member, actor=None)
    member.refresh_from_db()
    assert member.card_number == new.number != old
    assert [c.status for c in Card.objects.filter(member=member).order_by("pk")] == [
        CardStatus.LOST,
        CardStatus.ACTIVE,
    ]
    assert selectors.card_lookup(old).member == member
    assert selectors.card_lookup(old).status == CardStatus.LOST
    assert selectors.search_members(new.number) == [member]


def test_reissue_without_a_lost_report_blocks_the_active_card(in_a):
    member = register(phone="+8613800000001")
    old = member.card_number
    actions.do_reissue_card(member, actor=None, reason="worn out")
    assert Card.objects.get(number=old).status == CardStatus.BLOCKED


def test_termination_needs_a_second_person_to_approve(in_a, world):
    member = register(phone="+8613800000001")
    desk, manager = world.user(in_a, "front_desk"), world.user(in_a, "manager")
    request = actions.do_request_termination(
        member, source="business", reason="unpaid fees", actor=desk
    )
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE
    with pytest.raises(ValidationError):
        actions.do_request_termination(member, source="member", reason="again", actor=desk)
    with pytest.raises(ValidationError):
        actions.do_decide_termination(request, approve=True, actor=desk)
    actions.do_decide_termination(request, approve=True, actor=manager, note="ok")
    member.refresh_from_db()
    assert member.status == MemberStatus.TERMINATED


def test_a_members_own_request_is_recorded_and_can_be_rejected(in_a, world):
    member = register(phone="+8613800000001")
    request = actions.do_request_termination(
        member, source="member", reason="moving away", actor=world.user(in_a, "front_desk")
    )
    actions.do_decide_termination(
        request, approve=False, actor=world.user(in_a, "manager"), note="notice period"
    )
    request.refresh_from_db()
    member.refresh_from_db()
    assert (request.source, request.status) == ("member", "rejected")
    assert member.status == MemberStatus.ACTIVE


def test_search_finds_by_phone_card_id_and_name_prefix_in_the_tenant_only(world):
    number = resident_id()
    with tenancy.tenant_context(world.b):
        register(name="王小明", phone="+8613800000009")
    with tenancy.tenant_context(world.a):
        member = register(
            name="王小明", phone="+8613800000001", id_type="resident", id_number=number
        )
        register(name="李雷", phone="+8613800000002")
        assert selectors.search_members("13800000001") == [member]
        assert selectors.search_members(member.card_number) == [member]
        assert selectors.search_members(number) == [member]
        assert selectors.search_members("王") == [member]
        assert selectors.search_members("13800000009") == []


def test_probable_duplicates_are_same_name_and_birthday(in_a):
    member = register(phone="+8613800000001", birthday=datetime.date(1990, 5, 17))
    assert selectors.probable_duplicates("Li Lei", datetime.date(1990, 5, 17)) == [member]
    assert selectors.probable_duplicates("Li Lei", datetime.date(1991, 5, 17)) == []


def test_validity_months_set_valid_until(in_a):
    MembershipSettingsFactory(tenant=in_a, validity_months=24)
    member = register(phone="+8613800000001", joined_on=datetime.date(2024, 2, 29))
    assert member.valid_until == datetime.date(2026, 2, 28)


def test_changing_the_store_is_recorded_even_between_stores_of_the_same_name(in_a):
    from tests.factories import StoreFactory

    first, second = StoreFactory(tenant=in_a, name="Same"), StoreFactory(tenant=in_a, name="Same")
    member = register(phone="+8613800000001", store=first)
    actions.do_update_member(member, data={"store": second}, actor=None)
    member.refresh_from_db()
    assert member.store == second
    assert MemberChange.objects.filter(member=member, field="store").exists()
