"""Reaching a member: one rule for the address and the language of every message, followed by
registration, tier changes and erasure decisions, triggered as staff trigger them."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password

from core import tenancy
from core.roles import Role
from membership import actions as membership_actions
from membership.models import ErasureRequest, Member, MemberChange, MemberCredential
from notifications.models import Message
from notifications.selectors import Address, reach
from tests.membership.factories import MemberFactory
from tests.membership.helpers import resident_id
from tests.notifications.factories import NotificationSettingsFactory
from tests.points.helpers import configure
from tests.tiers.helpers import ladder, settings

pytestmark = pytest.mark.django_db
PASSWORD = "Lantern-river-42"
ENGLISH, CHINESE = "Your membership tier is now", "您的会员等级已变更为"


def test_reach_prefers_the_phone_then_the_e_mail_in_the_members_language(in_a):
    assert reach(phone="+8613800000001", email="a@b.c", language="en") == Address(
        "sms", "+8613800000001", "en"
    )
    assert reach(phone="", email="a@b.c", language="") == Address(
        "email", "a@b.c", in_a.default_language
    )
    assert reach(phone="", email="", language="en") is None


@pytest.mark.parametrize(("language", "expected"), [("en", "Welcome to"), ("zh-hans", "欢迎")])
def test_registration_is_written_in_the_members_language(world, language, expected):
    # The registration form's validated data (the API's serializer has no language field).
    with tenancy.tenant_context(world.a):
        data = {"name": "Li Lei", "phone": "+8613800000001", "language": language}
        data.update(id_type="resident", id_number=resident_id())
        membership_actions.do_register_member(data=data, actor=world.user(world.a))
        message = Message.objects.get(template="registration")
    assert message.language == language
    assert message.body.startswith(expected)


@pytest.mark.parametrize(("language", "expected"), [("en", ENGLISH), ("zh-hans", CHINESE)])
def test_an_upgrade_by_a_purchase_over_the_api_is_told_in_the_members_language(
    client, world, language, expected, django_capture_on_commit_callbacks
):
    with tenancy.tenant_context(world.a):
        NotificationSettingsFactory(tenant=world.a)
        settings(upgrade_timing="immediate")
        configure(currency_per_point=Decimal("10"))
        ladder(("member", []), ("vip", [dict(kind="spend", amount=500)], {"validity_months": 12}))
        person = MemberFactory(phone="+8613800000077", language=language, valid_until=None)
        from tests.factories import StoreFactory

        store = StoreFactory()
    body = {"member": person.pk, "store": store.pk, "lines": [{"list_amount": "800.00"}]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/tenant-a/purchases/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {world.api_key(world.a).raw_key}",
            HTTP_IDEMPOTENCY_KEY=f"buy-{language}",
        )
    assert response.status_code == 201, response.content
    with tenancy.tenant_context(world.a):
        message = Message.objects.get(template="tier_change", member_id=person.pk)
        assert message.language == language
        assert message.subject.startswith(expected)
        assert ("Vip" if language == "en" else "vip") in message.body
        # the upgrade started the tier's validity, recorded in the member's history
        person.refresh_from_db()
        today = world.a.local_now().date()
        assert person.valid_until is not None and person.valid_until > today
        change = MemberChange.objects.get(member=person, field="valid_until")
        assert change.old_value == "" and change.new_value == person.valid_until.isoformat()
        assert change.actor == "tier settlement" and change.user is None


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "we have erased"), ("zh-hans", "已按您的申请删除")]
)
def test_an_erasure_decided_on_the_staff_page_is_told_in_the_members_language(
    client, world, language, expected
):
    with tenancy.tenant_context(world.a):
        NotificationSettingsFactory(tenant=world.a)
        person = MemberFactory(phone="+8613911112222", language=language)
        MemberCredential.objects.create(member=person, password=make_password(PASSWORD))
        request = membership_actions.do_request_erasure(person, password=PASSWORD)
    client.force_login(world.user(world.a, Role.MANAGER))
    client.post(f"/t/tenant-a/members/erasures/{request.pk}/decide/", {"decision": "approve"})
    with tenancy.tenant_context(world.a):
        assert ErasureRequest.objects.get().status == "approved"
        message = Message.objects.get(template="erasure_decision")
        assert Member.objects.get(pk=person.pk).erased_at is not None
    assert message.language == language
    assert expected in message.body


def test_extending_validity_records_old_and_new_and_skips_the_unchanged(in_a):
    same = MemberFactory(valid_until=datetime.date(2027, 1, 1))
    moved = MemberFactory(valid_until=datetime.date(2026, 1, 1))
    changed = membership_actions.do_extend_validity(
        [(same.pk, datetime.date(2027, 1, 1)), (moved.pk, None)], actor="job", note="n"
    )
    assert changed == 1
    moved.refresh_from_db()
    assert moved.valid_until is None
    change = MemberChange.objects.get(member=moved)
    assert (change.old_value, change.new_value, change.actor) == ("2026-01-01", "", "job")
    assert not MemberChange.objects.filter(member=same).exists()
