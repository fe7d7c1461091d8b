"""Repeated failed sign-ins lock the account and the address for a cool-off that ends by itself."""

import datetime

import pytest
import time_machine

from tests.portal.conftest import PASSWORD, make_member, neutral, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

START = datetime.datetime(2026, 5, 1, 10, 0, tzinfo=datetime.UTC)  # 18:00 in Shanghai


def at(minutes):
    return time_machine.travel(START + datetime.timedelta(minutes=minutes), tick=False)


def fail(client, identifier, n=1, **extra):
    for _ in range(n):
        response = sign_in(client, identifier, "wrong-password", **extra)
    return response


def test_five_failures_lock_the_account_for_fifteen_minutes_even_with_the_right_password(
    client, member
):
    with at(0):
        response = fail(client, "13900000001", 4)
        assert "do not match" in response.content.decode()
        response = fail(client, "13900000001")
        body = response.content.decode()
        assert "Too many failed attempts" in body
        assert "Please try again in 15 minutes, after 18:15." in body
    with at(14):
        response = sign_in(client, "13900000001", PASSWORD)
        assert response.status_code == 200
        assert "Please try again in 1 minute, after 18:15." in response.content.decode()
        assert client.get("/m/tenant-a/").status_code == 302
    with at(15):
        assert sign_in(client, "13900000001", PASSWORD)["Location"] == "/m/tenant-a/"


def test_the_account_is_the_number_whatever_way_it_is_typed_and_the_lock_is_not_per_person(
    client, member, world
):
    with at(0):
        for typed in ("13900000001", "139 0000 0001", "+8613900000001", "+86 139-0000-0001"):
            fail(client, typed)
        response = fail(client, "13900000001")
        assert "Too many failed attempts" in response.content.decode()
        # The ID number is another account: the member can still use it.
        response = sign_in(client, "11010119900307123X", PASSWORD)
        assert response["Location"] == "/m/tenant-a/"


def test_a_number_nobody_has_is_locked_the_same_way(client, world):
    """No enumeration: a stranger's number answers exactly like a member's."""
    make_member(world.a, phone="+8613900000001")
    with at(0):
        member_page = fail(client, "13900000001", 5).content.decode()
        stranger_page = fail(client, "13900000077", 5).content.decode()
    assert "Too many failed attempts" in member_page
    assert "Too many failed attempts" in stranger_page
    numbers = ("13900000001", "13900000077")
    assert neutral(member_page, *numbers) == neutral(stranger_page, *numbers)


def test_a_successful_sign_in_clears_the_account_counter(client, member):
    with at(0):
        fail(client, "13900000001", 4)
        assert sign_in(client, "13900000001")["Location"] == "/m/tenant-a/"
        client.post("/m/tenant-a/logout/")
        fail(client, "13900000001", 4)
        assert sign_in(client, "13900000001")["Location"] == "/m/tenant-a/"


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(client, member):
    for n in range(8):
        with at(n * 4):
            fail(client, "13900000001")
    with at(33):
        assert sign_in(client, "13900000001")["Location"] == "/m/tenant-a/"


def test_twenty_failures_from_one_address_lock_the_address_for_every_account(client, world):
    make_member(world.a, phone="+8613900000001")
    here = {"REMOTE_ADDR": "198.51.100.20"}
    with at(0):
        for n in range(20):  # 4 tries on each of 5 numbers: no account is locked
            fail(client, f"1390000010{n // 4}", **here)
        response = sign_in(client, "13900000001", **here)
        assert "Too many failed attempts" in response.content.decode()
        # Another address is not affected, and neither is the account.
        elsewhere = sign_in(client, "13900000001", REMOTE_ADDR="198.51.100.21")
        assert elsewhere["Location"] == "/m/tenant-a/"
    with at(15):
        client.post("/m/tenant-a/logout/")
        assert sign_in(client, "13900000001", **here)["Location"] == "/m/tenant-a/"


def test_forwarded_for_is_ignored_unless_a_trusted_proxy_is_configured(client, world, settings):
    make_member(world.a, phone="+8613900000001")
    with at(0):
        for n in range(20):
            fail(
                client,
                f"1390000010{n // 4}",
                REMOTE_ADDR="10.0.0.2",
                HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
            )
        spoofed = sign_in(
            client, "13900000001", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.99"
        )
        assert "Too many failed attempts" in spoofed.content.decode()
        settings.TRUSTED_PROXY_COUNT = 1
        behind_proxy = sign_in(
            client, "13900000001", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.99"
        )
        assert behind_proxy["Location"] == "/m/tenant-a/"


def test_the_lock_message_is_in_chinese_too(client, member):
    client.cookies["django_language"] = "zh-hans"
    with at(0):
        body = fail(client, "13900000001", 5).content.decode()
    assert "登录失败次数过多" in body
    assert "请于 18:15 后重试，还需等待 15 分钟。" in body  # noqa: RUF001


def test_locks_are_per_tenant(client, member, world):
    make_member(world.b, phone="+8613900000001")
    with at(0):
        fail(client, "13900000001", 5)
        response = sign_in(client, "13900000001", tenant="tenant-b")
        assert response["Location"] == "/m/tenant-b/"
