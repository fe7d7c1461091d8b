"""The member's pages: each shows the signed-in member's data and nothing of anyone else's."""

import datetime
from decimal import Decimal

import pytest

from complaints import actions as complaint_actions
from complaints.models import Kind
from core import tenancy
from tests.factories import StoreFactory
from tests.points.helpers import award, buy
from tests.tiers.helpers import benefit, ladder

from .conftest import PASSWORD, page, sign_in

pytestmark = pytest.mark.django_db

D = Decimal


def _today(tenant):
    with tenancy.tenant_context(tenant):
        return tenant.local_now().date()


def test_every_page_asks_for_sign_in(client, member):
    for path in (
        "/",
        "/points/",
        "/tier/",
        "/rewards/",
        "/rewards/mine/",
        "/complaints/",
        "/complaints/new/",
        "/profile/",
        "/profile/consent/",
    ):
        response = client.get(f"/m/tenant-a{path}")
        assert response.status_code == 302, path
        assert response["Location"].startswith("/m/tenant-a/login/?next=")


def test_home_shows_balance_next_expiry_and_tier_progress(world, portal, member, other):
    today = _today(world.a)
    soon, later = today + datetime.timedelta(days=40), today + datetime.timedelta(days=400)
    with tenancy.tenant_context(world.a):
        tiers = ladder(("ordinary", []), ("silver", [{"kind": "spend", "amount": D("2000")}]))
        award(member, 120, expires_at=soon)
        award(member, 30, expires_at=soon)
        award(member, 1000, expires_at=later)
        award(other, 98765)
    body = page(portal, "/")
    assert "1,150" in body
    assert "98,765" not in body and "Other Person Secret" not in body
    # the next expiry: both lots of that day, valid through the day before expires_at
    last_day = (soon - datetime.timedelta(days=1)).isoformat()
    assert "150" in body and last_day in body
    assert tiers["ordinary"].name_zh in body
    assert "2,000" in body  # what is missing for silver


def test_home_without_points_says_so_plainly(world, portal):
    body = page(portal, "/")
    assert 'data-test="balance">0<' in body
    assert 'data-test="next-expiry"' not in body


def test_history_lists_the_members_ledger_newest_first_with_store_and_expiry(
    world, portal, member, other
):
    today = _today(world.a)
    with tenancy.tenant_context(world.a):
        store = StoreFactory(name="南京路店")
        buy(member, D("300"), store=store)
        award(member, 50, note="first task")
        buy(other, D("777"), store=StoreFactory(name="Secret Other Store"))
        # an expired lot, swept by the expiry job
        award(
            member,
            40,
            earned_on=today - datetime.timedelta(days=400),
            expires_at=today - datetime.timedelta(days=1),
        )
        from points.expiry import expire_due_lots

        expire_due_lots(today)
    body = page(portal, "/points/")
    assert "南京路店" in body
    assert "Secret Other Store" not in body and "777" not in body
    assert body.index("+50") < body.index("+300")  # newest first
    assert "\u221240" in body  # minus forty
    # the expiry explanation: which lot, earned when
    assert (today - datetime.timedelta(days=400)).isoformat() in body


def test_history_is_paginated(world, portal, member):
    with tenancy.tenant_context(world.a):
        for n in range(25):
            award(member, n + 1)
    first = page(portal, "/points/")
    second = page(portal, "/points/?page=2")
    assert "+25" in first and "+1<" not in first.replace(" ", "")
    assert "+1<" in second.replace(" ", "") and "+25" not in second


def test_the_expiry_schedule_groups_open_points_by_date(world, portal, member):
    today = _today(world.a)
    day = today + datetime.timedelta(days=90)
    with tenancy.tenant_context(world.a):
        award(member, 70, expires_at=day)
        award(member, 5, expires_at=day)
        award(member, 9)
    body = page(portal, "/points/")
    schedule = body[body.index('data-test="schedule"') :]
    assert (day - datetime.timedelta(days=1)).isoformat() in schedule
    assert ">75<" in schedule and ">9<" in schedule


def test_tier_page_shows_tier_progress_benefits_and_the_ladder(world, portal, member, other):
    with tenancy.tenant_context(world.a):
        tiers = ladder(
            ("ordinary", []),
            ("silver", [{"kind": "spend", "amount": D("2000")}]),
            ("gold", [{"kind": "spend", "amount": D("9000")}]),
        )
        benefit(tiers["ordinary"], "discount", "0.95")
        benefit(tiers["ordinary"], "free_item", text="免费停车")
        buy(member, D("500"))
    body = page(portal, "/tier/")
    assert 'data-test="tier">ordinary<' in body
    assert "1,525" in body  # silver needs 2,000 paid; 500 at the 95% member price paid 475
    assert "95%" in body and "免费停车" in body
    assert "silver" in body and "gold" in body and "9000" in body


def test_profile_shows_the_members_own_details_masked(world, portal, member, other):
    body = page(portal, "/profile/")
    assert member.name in body and member.card_number in body
    assert "110101199003074514" not in body
    assert "4514" in body  # masked, last four
    assert "Other Person Secret" not in body and other.card_number not in body


def test_a_member_changes_their_email_and_address_and_the_history_records_it(world, portal, member):
    response = portal.post(
        "/m/tenant-a/profile/contact/",
        {"email": "new@example.com", "address": "上海市徐汇区 1 号", "password": PASSWORD},
    )
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
        assert member.email == "new@example.com"
        change = member.changes.get(field="email")
        assert change.actor == f"member #{member.pk}"
        assert change.user_id is None and change.new_value == "new@example.com"


def test_changing_the_email_takes_the_password_the_address_does_not(world, portal, member):
    before = member.email
    for password in ("", "not-the-password"):
        response = portal.post(
            "/m/tenant-a/profile/contact/",
            {"email": "thief@example.com", "address": "", "password": password},
        )
        assert response.status_code == 400
    kept = portal.post(
        "/m/tenant-a/profile/contact/", {"email": before, "address": "上海市徐汇区 2 号"}
    )
    assert kept.status_code == 302
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
    assert (member.email, member.address) == (before, "上海市徐汇区 2 号")


def test_a_bad_email_is_refused_and_keeps_what_was_typed(world, portal, member):
    before = member.email
    response = portal.post(
        "/m/tenant-a/profile/contact/", {"email": "not-an-email", "address": "上海市某路 9 号"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "not-an-email" in body and "上海市某路 9 号" in body
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
    assert member.email == before


def test_the_phone_cannot_be_changed_from_the_portal(world, portal, member):
    portal.post(
        "/m/tenant-a/profile/contact/",
        {"email": member.email, "address": "", "phone": "+8613911112222"},
    )
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
    assert str(member.phone) == "+8613900000001"


def test_consent_defaults_and_switching_marketing_on_and_off(world, portal, member):
    from notifications.selectors import allowed_members

    body = page(portal, "/profile/consent/")
    assert 'name="sms_service"' in body
    assert 'name="sms_service" id="id_sms_service" checked' in body or (
        "checked" in body.split('name="sms_service"')[1].split(">")[0]
    )
    portal.post("/m/tenant-a/profile/consent/", {"sms_service": "on", "sms_marketing": "on"})
    with tenancy.tenant_context(world.a):
        assert allowed_members([member.pk], "sms", "marketing") == {member.pk}
        assert allowed_members([member.pk], "email", "service") == set()
    portal.post("/m/tenant-a/profile/consent/", {"sms_service": "on"})
    with tenancy.tenant_context(world.a):
        assert allowed_members([member.pk], "sms", "marketing") == set()
        assert allowed_members([member.pk], "sms", "service") == {member.pk}


def test_the_consent_page_keeps_each_change_in_the_history_staff_see(world, client, portal, member):
    """Every switch flipped in the portal is a history row: the member as the actor (by id,
    never by name), the portal as the source; unchanged switches write nothing."""
    portal.post("/m/tenant-a/profile/consent/", {"sms_service": "on", "sms_marketing": "on"})
    portal.post("/m/tenant-a/profile/consent/", {"sms_service": "on", "sms_marketing": "on"})
    portal.post("/m/tenant-a/profile/consent/", {"sms_service": "on"})
    key = world.api_key(world.a)
    response = client.get(
        f"/api/v1/tenant-a/members/{member.pk}/consents/",
        HTTP_AUTHORIZATION=f"Api-Key {key.raw_key}",
    )
    assert response.status_code == 200
    history = response.json()["history"]
    # the first post also switches e-mail service off (its box was not ticked)
    assert [(h["channel"], h["purpose"], h["granted"]) for h in history] == [
        ("sms", "marketing", False),
        ("sms", "marketing", True),
        ("email", "service", False),
    ]
    assert {h["source"] for h in history} == {"portal"}
    assert {h["actor"] for h in history} == {f"member #{member.pk}"}


def test_marketing_switched_off_in_the_portal_stops_a_broadcast(world, portal, member):
    """The broadcast audience reads Consent: a member who switched offers off gets none."""
    from notifications.models import Message
    from notifications.outbox import do_enqueue_message
    from notifications.selectors import reach

    portal.post("/m/tenant-a/profile/consent/", {"sms_service": "on", "sms_marketing": "on"})
    portal.post("/m/tenant-a/profile/consent/", {"sms_service": "on"})
    with tenancy.tenant_context(world.a):
        message = do_enqueue_message(
            template="birthday",
            to=reach(phone=member.phone, email="", language=""),
            context={"tenant": "A", "name": member.name},
            dedupe_key="test:marketing",
            member_id=member.pk,
            purpose="marketing",
        )
        assert Message.objects.get(pk=message.pk).status == "skipped"


def test_my_complaints_lists_only_mine(world, portal, member, other):
    with tenancy.tenant_context(world.a):
        complaint_actions.do_file_ticket_as_member(
            member, kind=Kind.COMPLAINT, description="茶是凉的"
        )
        complaint_actions.do_file_ticket_as_member(
            other, kind=Kind.COMPLAINT, description="Secret other complaint"
        )
    body = page(portal, "/complaints/")
    assert "茶是凉的" in body and "Secret other complaint" not in body


def test_language_stored_from_the_profile_and_applied_at_sign_in(world, client, member):
    sign_in(client, member)
    response = client.post("/m/tenant-a/profile/language/", {"language": "en"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
        assert member.language == "en"
        assert member.changes.filter(field="language").exists()
    # another phone: a fresh client, signed in, gets English
    from django.test import Client

    phone = Client()
    response = sign_in(phone, member)
    assert response.cookies["django_language"].value == "en"
    assert "Available points" in page(phone, "/")


def test_the_header_switch_stores_a_signed_in_members_choice(world, portal, member):
    portal.post("/m/tenant-a/i18n/setlang/", {"language": "en", "next": "/m/tenant-a/"})
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
    assert member.language == "en"


def test_back_to_the_business_default(world, portal, member):
    portal.post("/m/tenant-a/profile/language/", {"language": "en"})
    response = portal.post("/m/tenant-a/profile/language/", {"language": ""})
    assert response.cookies["django_language"].value == ""  # deleted
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
    assert member.language == ""
    assert '<html lang="zh-hans">' in page(portal, "/")  # tenant A's default


def test_the_switch_signed_out_stores_nothing(world, client, member):
    client.post("/m/tenant-a/i18n/setlang/", {"language": "en", "next": "/m/tenant-a/login/"})
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
    assert member.language == ""


def test_an_sms_about_a_complaint_uses_the_members_language(world, portal, member):
    from notifications.models import Message

    portal.post("/m/tenant-a/profile/language/", {"language": "en"})
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
        ticket = complaint_actions.do_file_ticket_as_member(
            member, kind=Kind.COMPLAINT, description="Cold tea"
        )
        assert Message.objects.get(dedupe_key=f"complaint:{ticket.pk}:filed").language == "en"


def test_reminders_and_broadcasts_carry_the_members_language(world, member, other):
    from types import SimpleNamespace

    from membership.reminders import audience, birthday_greetings
    from points.reminders import points_expiring

    today = _today(world.a)
    with tenancy.tenant_context(world.a):
        type(member).objects.filter(pk=member.pk).update(language="en", birthday=today)
        type(other).objects.filter(pk=other.pk).update(birthday=today)
        award(member, 10, expires_at=today + datetime.timedelta(days=7))
        award(other, 10, expires_at=today + datetime.timedelta(days=7))
        greetings = {i.member_id: i.language for i in birthday_greetings(world.a, today, None)}
        expiring = {
            i.member_id: i.language
            for i in points_expiring(world.a, today, SimpleNamespace(points_lead_days=7))
        }
        everyone = {r.member_id: r.language for r in audience(world.a, {})}
    # membership's sources reach the member through notifications.selectors.reach, which
    # fills in the tenant's default; the others leave it empty for the outbox to fill in
    assert greetings == {member.pk: "en", other.pk: world.a.default_language}
    for languages in (expiring, everyone):
        assert languages == {member.pk: "en", other.pk: ""}  # empty: the tenant's default
