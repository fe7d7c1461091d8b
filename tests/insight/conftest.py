"""A small business set up the way its staff would: stores, members and purchases through the
API (with the tenant's API key), tickets through the API; only what the API cannot write (a
ticket filed weeks ago, a delivered message, an expiring lot) comes from factories."""

import datetime
import zoneinfo
from dataclasses import dataclass, field

import pytest

from core import tenancy
from core.models import StaffRole
from core.roles import Role

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NOV = datetime.date(2026, 11, 15)  # the month the tests look at: 2026-11-01 .. 2026-11-30
MONTH = "period=month&date=2026-11-15"


def at(day, hour=12):
    return datetime.datetime(2026, 11, day, hour, tzinfo=SH).isoformat()


@dataclass
class Shop:
    world: object
    api: object
    north: int = 0
    south: int = 0
    members: dict = field(default_factory=dict)

    def report(self, key, query=MONTH):
        response = self.api("get", f"reports/{key}/?{query}")
        assert response.status_code == 200, response.content
        return response.json()

    def figures(self, key, query=MONTH):
        return {f["key"]: f["value"] for f in self.report(key, query)["figures"]}


@pytest.fixture
def api(client, world):
    key = world.api_key(world.a).raw_key
    counter = iter(range(1, 10**6))

    def call(method, path, data=None):
        headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
        if method == "post":
            headers["HTTP_IDEMPOTENCY_KEY"] = f"k-{next(counter)}"
        if method == "get":
            return client.get(f"/api/v1/tenant-a/{path}", **headers)
        return getattr(client, method)(
            f"/api/v1/tenant-a/{path}", data, content_type="application/json", **headers
        )

    return call


@pytest.fixture
def shop(api, world):
    """Two stores; members joined before and during November; purchases in November:

    * Ann (north, joined 2026-01-05): 100.00 on the 3rd and 300.00 on the 20th, 50 points used on
      the 20th (so 50.00 of 400.00 billed was paid with points);
    * Bob (north, joined 2026-11-10): 200.00 on the 12th;
    * Cai (south, joined 2026-02-01): 60.00 at the north store on the 25th;
    * Dan (south, joined 2025-06-01): no purchase since joining: dormant;
    * Eve (south, joined 2026-11-28): no purchase.
    """
    shop = Shop(world, api)
    shop.north = api("post", "stores/", {"name": "North Mall", "code": "north"}).json()["id"]
    shop.south = api("post", "stores/", {"name": "South Street", "code": "south"}).json()["id"]
    for number, (name, store, joined) in enumerate(
        [
            ("Ann", shop.north, "2026-01-05"),
            ("Bob", shop.north, "2026-11-10"),
            ("Cai", shop.south, "2026-02-01"),
            ("Dan", shop.south, "2025-06-01"),
            ("Eve", shop.south, "2026-11-28"),
        ]
    ):
        body = {"name": name, "store": store, "joined_on": joined, "phone": f"1380013800{number}"}
        response = api("post", "members/", body)
        assert response.status_code == 201, response.content
        shop.members[name] = response.json()["id"]

    def buy(who, amount, day, points_used=0, store=None):
        body = {
            "member": shop.members[who],
            "store": store or shop.north,
            "occurred_at": at(day),
            "points_used": points_used,
            "lines": [{"list_amount": amount}],
        }
        response = api("post", "purchases/", body)
        assert response.status_code == 201, response.content
        return response.json()

    buy("Ann", "100.00", 3)
    buy("Ann", "300.00", 20, points_used=50)
    buy("Bob", "200.00", 12)
    buy("Cai", "60.00", 25)
    return shop


@pytest.fixture
def staff(world):
    """Tenant A's staff, with the front desk's home store set by the test."""

    def user(role, store=...):
        person = world.user(world.a, role)
        if store is not ...:
            with tenancy.tenant_context(world.a):
                role = StaffRole.objects.get(user=person)
                role.store_id = store
                role.save()  # through the model, so that the cached role is dropped
        return person

    return user


__all__ = ["NOV", "Role", "at"]
