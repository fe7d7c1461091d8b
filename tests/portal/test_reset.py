"""Password reset by a one-time code through the outbox.

GIVEN a member who forgot their password
WHEN they ask for a code with their phone or ID number and enter it with a new password
THEN the password is changed, other sessions end, they are signed in, and the code is gone from
the outbox text once sent.
"""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.test import Client

from core import tenancy
from membership.models import MemberCredential, MemberStatus
from notifications.actions import do_deliver_messages
from notifications.models import Message, MessageStatus
from notifications.selectors import reach
from portal import reset
from portal.models import ResetCode
from tests.portal.conftest import ID_NUMBER, PASSWORD, make_member, neutral, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

FORGOT = "/m/tenant-a/password/forgot/"
CONFIRM = "/m/tenant-a/password/reset/"
NEW = "Copper-kettle-77"
START = datetime.datetime(2026, 5, 1, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Shanghai


def at(minutes):
    return time_machine.travel(START + datetime.timedelta(minutes=minutes), tick=False)


def ask(client, identifier, **extra):
    return client.post(FORGOT, {"identifier": identifier}, **extra)


def confirm(client, code, password=NEW, again=None):
    return client.post(
        CONFIRM, {"code": code, "new_password1": password, "new_password2": again or password}
    )


def messages_of(tenant):
    with tenancy.tenant_context(tenant):
        return list(Message.objects.filter(template="portal_reset_code").order_by("pk"))


def latest_code(tenant) -> str:
    return re.search(r"\b(\d{6})\b", messages_of(tenant)[-1].body).group(1)


def signed_in(client) -> bool:
    return client.get("/m/tenant-a/").status_code == 200


def test_the_sign_in_page_links_to_the_reset(client, world):
    body = client.get("/m/tenant-a/login/").content.decode()
    assert f'href="{FORGOT}"' in body and "Forgot your password?" in body


def test_the_whole_reset_by_phone(client, member, world, outbox):
    other_device = Client()
    with at(0):
        assert sign_in(other_device, "13900000001")["Location"] == "/m/tenant-a/"
        response = ask(client, "139 0000 0001")
        assert response["Location"] == CONFIRM
        page = client.get(CONFIRM).content.decode()
        assert "If this number belongs to a member" in page
        [message] = messages_of(world.a)
        assert (message.channel, message.recipient, message.member_id) == (
            "sms",
            "+8613900000001",
            member.pk,
        )
        code = latest_code(world.a)
        with tenancy.tenant_context(world.a):
            [row] = ResetCode.objects.filter(member=member)
            assert code not in row.code_hash  # stored hashed
            do_deliver_messages([message.pk])
            message.refresh_from_db()
        assert message.status == MessageStatus.SENT
        assert code not in message.body and "******" in message.body  # not kept after sending
        [sms] = (outbox / "sms").glob("*.json")
        assert code in sms.read_text()  # but the member got it
    with at(3):
        response = confirm(client, code)
        assert response["Location"] == "/m/tenant-a/"
        assert signed_in(client)
        assert not signed_in(other_device)  # the password change ended the other session
    with tenancy.tenant_context(world.a):
        assert check_password(NEW, MemberCredential.objects.get(member=member).password)
        assert not ResetCode.objects.exists()
    client.post("/m/tenant-a/logout/")
    assert sign_in(client, "13900000001", NEW)["Location"] == "/m/tenant-a/"


def test_by_id_number_the_code_goes_to_the_phone_on_file(client, member, world):
    with at(0):
        assert ask(client, ID_NUMBER.lower())["Location"] == CONFIRM
    [message] = messages_of(world.a)
    assert message.recipient == "+8613900000001"


def test_without_a_phone_the_code_goes_by_e_mail(client, world):
    make_member(world.a, phone="", email="li.na@example.com", id_number="44030119851212001X")
    with at(0):
        ask(client, "44030119851212001X")
    [message] = messages_of(world.a)
    assert (message.channel, message.recipient) == ("email", "li.na@example.com")
    with at(1):
        assert confirm(client, latest_code(world.a))["Location"] == "/m/tenant-a/"


def test_a_stranger_gets_the_same_answer_and_nothing_is_sent(client, member, world):
    with at(0):
        for_member = ask(client, "13900000001")
        member_page = client.get(CONFIRM).content.decode()
    stranger = Client()
    with at(0):
        for_stranger = ask(stranger, "13900000077")
        stranger_page = stranger.get(CONFIRM).content.decode()
    assert for_member["Location"] == for_stranger["Location"] == CONFIRM
    assert neutral(member_page) == neutral(stranger_page)
    assert len(messages_of(world.a)) == 1
    with at(1):
        response = confirm(stranger, "123456")
    assert "This code is not right" in response.content.decode()


def test_a_terminated_member_gets_no_code(client, world):
    make_member(world.a, phone="+8613900000009", status=MemberStatus.TERMINATED)
    with at(0):
        assert ask(client, "13900000009")["Location"] == CONFIRM
    assert messages_of(world.a) == []


def test_an_expired_code_is_refused(client, member, world):
    with at(0):
        ask(client, "13900000001")
        code = latest_code(world.a)
    with at(9.9):
        assert "This code is not right" in confirm(client, "000000").content.decode()
    with at(10):
        response = confirm(client, code)
        assert "This code is not right, has expired" in response.content.decode()
        assert not signed_in(client)


def test_a_code_works_once(client, member, world):
    with at(0):
        ask(client, "13900000001")
        code = latest_code(world.a)
        assert confirm(client, code)["Location"] == "/m/tenant-a/"
        with tenancy.tenant_context(world.a):
            assert reset.do_reset_password_with_code(member, code, PASSWORD) is None
            assert check_password(NEW, MemberCredential.objects.get(member=member).password)


def test_the_right_code_of_the_live_row_works_directly(member, world):
    """The counterpart of the test above: the same call with an unused code succeeds."""
    with at(0), tenancy.tenant_context(world.a):
        reset.do_issue_reset_code(member)
        code = latest_code(world.a)
        assert reset.do_reset_password_with_code(member, code, PASSWORD) is not None


def test_five_wrong_codes_use_up_the_code(client, member, world):
    with at(0):
        ask(client, "13900000001")
        code = latest_code(world.a)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            assert "This code is not right" in confirm(client, wrong).content.decode()
        assert "This code is not right" in confirm(client, code).content.decode()
        assert not signed_in(client)
    with tenancy.tenant_context(world.a):
        assert ResetCode.objects.get(member=member).tries == 5


def test_a_newer_code_replaces_the_older_one(client, member, world):
    with at(0):
        ask(client, "13900000001")
        first = latest_code(world.a)
    with at(2):
        ask(client, "13900000001")
        second = latest_code(world.a)
        if first != second:
            assert "This code is not right" in confirm(client, first).content.decode()
        assert confirm(client, second)["Location"] == "/m/tenant-a/"
    with tenancy.tenant_context(world.a):
        assert len(messages_of(world.a)) == 2
        assert not ResetCode.objects.exists()


def test_the_new_password_must_pass_the_validators_and_match(client, member, world):
    with at(0):
        ask(client, "13900000001")
        code = latest_code(world.a)
        short = confirm(client, code, password="123").content.decode()
        assert "This password is too short" in short
        differ = confirm(client, code, password=NEW, again=NEW + "x").content.decode()
        assert "The two new passwords differ." in differ
        bad_code = confirm(client, "12ab56").content.decode()
        assert "The code is the 6 digits" in bad_code
        # None of these used up a try.
        assert confirm(client, code)["Location"] == "/m/tenant-a/"


def test_the_code_page_needs_a_request_first(client, world):
    assert client.get(CONFIRM)["Location"] == FORGOT
    assert confirm(client, "123456")["Location"] == FORGOT


def test_a_reset_lifts_the_sign_in_lock(client, member, world):
    with at(0):
        for _ in range(5):
            sign_in(client, "13900000001", "wrong-password")
        assert "Too many failed attempts" in sign_in(client, "13900000001").content.decode()
        ask(client, "13900000001")
        assert confirm(client, latest_code(world.a))["Location"] == "/m/tenant-a/"
        client.post("/m/tenant-a/logout/")
        assert sign_in(client, "13900000001", NEW)["Location"] == "/m/tenant-a/"


# --- limits ------------------------------------------------------------------------------------


def test_one_code_a_minute_five_an_hour_ten_a_day_per_number(client, member, world):
    sent = []
    for minute in (0, 0.5, 1, 2, 3, 4, 5, 6):
        with at(minute):
            response = ask(client, "13900000001", REMOTE_ADDR=f"198.51.100.{int(minute * 2)}")
            sent.append(response.status_code == 302)
    assert sent == [True, False, True, True, True, True, False, False]
    with at(6):
        body = ask(client, "13900000001").content.decode()
    assert "Too many code requests. Please try again in 54 minutes, after 11:00." in body
    for hour in range(1, 6):
        with at(hour * 60):
            sent.append(ask(client, "13900000001", REMOTE_ADDR=f"203.0.113.{hour}").status_code)
    assert sent[-5:] == [302] * 5
    assert len(messages_of(world.a)) == 10
    with at(6 * 60):
        assert ask(client, "13900000001", REMOTE_ADDR="203.0.113.50").status_code == 200
    with at(24 * 60):
        assert ask(client, "13900000001", REMOTE_ADDR="203.0.113.51").status_code == 302


def test_a_refusal_does_not_tell_a_member_from_a_stranger(member, world):
    pages = []
    for number in ("13900000001", "13900000077"):
        client = Client()
        with at(0):
            ask(client, number)
            client.get(CONFIRM)
            pages.append(ask(client, number).content.decode())
    assert "Too many code requests" in pages[0]
    assert neutral(pages[0], "13900000001") == neutral(pages[1], "13900000077")


def test_ten_requests_an_hour_from_one_address(client, world):
    with at(0):
        answers = [ask(client, f"1390000{n:04d}").status_code for n in range(11)]
        assert answers == [302] * 10 + [200]
        assert ask(client, "13900000999", REMOTE_ADDR="198.51.100.9").status_code == 302


def test_the_phone_gets_no_more_codes_when_asked_by_phone_and_by_id_number(client, member, world):
    with at(0):
        assert ask(client, "13900000001").status_code == 302
        assert ask(client, ID_NUMBER).status_code == 302  # the answer stays neutral
    assert len(messages_of(world.a)) == 1


def test_code_entries_are_limited_per_address(client, member, world):
    with at(0):
        ask(client, "13900000001")
        code = latest_code(world.a)
    other = Client()
    with at(1):
        ask(other, "13900000077")
        for _ in range(30):
            other.post(CONFIRM, {"code": "000000", "new_password1": NEW, "new_password2": NEW})
        refused = confirm(client, code).content.decode()
    assert "Too many attempts. Please try again in 15 minutes, after 10:16." in refused
    with at(16):
        ask(client, "13900000001")
        assert confirm(client, latest_code(world.a))["Location"] == "/m/tenant-a/"


def test_a_code_is_not_held_for_quiet_hours_unlike_other_sms(client, member, world, outbox):
    from notifications.models import NotificationSettings
    from notifications.outbox import do_enqueue_message

    with tenancy.tenant_context(world.a):
        NotificationSettings.objects.update(
            quiet_start=datetime.time(21, 0), quiet_end=datetime.time(8, 0)
        )
    late = datetime.datetime(2026, 5, 1, 15, 0, tzinfo=datetime.UTC)  # 23:00 in Shanghai
    with time_machine.travel(late, tick=False):
        ask(client, "13900000001")
        [message] = messages_of(world.a)
        with tenancy.tenant_context(world.a):
            other = do_enqueue_message(
                template="tier_change",
                to=reach(phone="+8613900000001", email="", language=""),
                context={"name": "N", "tier": "Gold", "previous_tier": "Silver"},
                dedupe_key="tier_change:test",
                member_id=member.pk,
            )
            counts = do_deliver_messages([message.pk, other.pk])
            message.refresh_from_db()
            other.refresh_from_db()
    assert message.due_at == late and message.status == MessageStatus.SENT
    assert counts["sent"] == 1  # the other one is not even due
    assert other.status == MessageStatus.PENDING and other.due_at > late
