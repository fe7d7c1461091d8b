"""Staff sign-in locks a username after 5 failures and an address after 20, for 15 minutes."""

import datetime

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 5, 1, 10, 0, tzinfo=datetime.UTC)
PASSWORD = "correct-horse-battery"


def at(minutes):
    return time_machine.travel(START + datetime.timedelta(minutes=minutes), tick=False)


def sign_in(client, username, password, address="203.0.113.7"):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
        REMOTE_ADDR=address,
    )


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def test_five_failures_lock_the_username_even_for_the_right_password(client):
    UserFactory(username="clerk")
    with at(0):
        for _ in range(4):
            response = sign_in(client, "clerk", "wrong")
            assert response.status_code == 200
            assert "didn" in response.content.decode()  # "didn't match"
        full_width = "\uff23\uff4c\uff45\uff52\uff4b "  # "Clerk " in full-width letters
        response = sign_in(client, full_width, "wrong")  # the same username, as the form reads it
        assert response.status_code == 429
        assert "Please try again in 15 minutes." in response.content.decode()
    with at(14):
        response = sign_in(client, "clerk", PASSWORD)
        assert response.status_code == 429
        assert "try again in 1 minute." in response.content.decode()
        assert not signed_in(client)
        assert 'value="clerk"' in response.content.decode()
    with at(15):
        assert sign_in(client, "clerk", PASSWORD).status_code == 302
        assert signed_in(client)


def test_a_successful_sign_in_forgets_the_failures(client):
    UserFactory(username="clerk")
    with at(0):
        for _ in range(4):
            sign_in(client, "clerk", "wrong")
        assert sign_in(client, "clerk", PASSWORD).status_code == 302
        client.logout()
        for _ in range(4):
            assert sign_in(client, "clerk", "wrong").status_code == 200
        assert sign_in(client, "clerk", PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_lock_the_address_not_the_others(client):
    UserFactory(username="owner")
    with at(0):
        statuses = [sign_in(client, f"guess{n}", "wrong").status_code for n in range(20)]
        assert statuses == [200] * 19 + [429]
        assert sign_in(client, "owner", PASSWORD).status_code == 429
        assert sign_in(client, "owner", PASSWORD, address="198.51.100.9").status_code == 302


def test_the_lock_message_is_in_chinese_for_a_chinese_browser(client):
    with at(0):
        statuses = []
        for _ in range(5):
            response = client.post(
                "/accounts/login/",
                {"username": "nobody", "password": "wrong"},
                HTTP_ACCEPT_LANGUAGE="zh-hans",
            )
            statuses.append(response.status_code)
    assert statuses == [200] * 4 + [429]
    assert "15 分钟" in response.content.decode()
