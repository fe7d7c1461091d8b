"""The counter's search by part of a phone number: its first digits ("138") and its last four
(手机尾号), with phones shown grouped and masked in the result lists."""

import pytest

from .test_views import FORM, login, url

pytestmark = pytest.mark.django_db


def _register(client, tenant, name, phone):
    response = client.post(
        url(tenant, "membership:register"), {**FORM, "name": name, "phone": phone}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return int(response["Location"].rstrip("/").rsplit("/", 1)[-1])


@pytest.fixture
def desks(client, world):
    login(client, world, tenant=world.a)
    ids = {
        "wang": _register(client, world.a, "王芳", "139 3713 6233"),
        "li": _register(client, world.a, "李娜", "13812345678"),
        "zhao": _register(client, world.a, "赵敏", "13800006233"),
    }
    login(client, world, tenant=world.b)
    _register(client, world.b, "别家", "13937136233")
    login(client, world, tenant=world.a)
    return ids


def _found(client, world, query):
    data = client.get(url(world.a, "membership:search_json"), {"q": query}).json()
    return [(r["id"], r["phone"]) for r in data["results"]]


def test_the_first_digits_find_the_phones_that_start_with_them(client, world, desks):
    assert [i for i, _ in _found(client, world, "138")] == [desks["zhao"], desks["li"]]
    assert [i for i, _ in _found(client, world, "1393")] == [desks["wang"]]
    assert _found(client, world, "137") == []


def test_the_last_four_digits_find_the_members_newest_first(client, world, desks):
    assert [i for i, _ in _found(client, world, "6233")] == [desks["zhao"], desks["wang"]]
    assert _found(client, world, "0000") == []


def test_results_show_the_phone_grouped_and_masked_the_member_page_in_full(client, world, desks):
    assert _found(client, world, "13937136233") == [(desks["wang"], "139 **** 6233")]
    page = client.get(url(world.a, "membership:search"), {"q": "6233"}).content.decode()
    assert "139 **** 6233" in page and "138 **** 6233" in page
    assert "13937136233" not in page and "3713" not in page
    detail = client.get(url(world.a, "membership:detail", desks["wang"])).content.decode()
    assert "139 3713 6233" in detail
