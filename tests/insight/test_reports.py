"""The figures, read through the API and the dashboard, of a shop set up through the API."""

import datetime

import pytest
from django.utils import timezone

from complaints.models import Status
from core import tenancy
from notifications.actions import NO_CONSENT
from notifications.models import MessageStatus
from points.models import Lot, PointsAccount
from tests.complaints.factories import TicketFactory
from tests.notifications.factories import MessageFactory

from .conftest import MONTH, SH, at

pytestmark = pytest.mark.django_db


def test_it_counts_members_total_new_active_dormant_and_lapsed(shop):
    figures = shop.figures("members")
    # Eve joined on the 28th, Bob on the 10th; Ann, Bob and Cai bought; Dan bought nothing for
    # 90 days (the default INSIGHT_DORMANT_DAYS) before the month's end.
    assert figures == {
        "total": 5,
        "new": 2,
        "active": 3,
        "dormant": 1,
        "lapsed": 0,
        "terminated": 0,
    }


def test_the_store_filter_takes_the_members_home_store(shop):
    figures = shop.figures("members", f"{MONTH}&store={shop.south}")
    # Cai (south) bought at the north store: still an active member of the south store.
    assert (figures["total"], figures["new"], figures["active"], figures["dormant"]) == (3, 1, 1, 1)


def test_the_dormant_threshold_is_a_setting(shop, settings):
    settings.INSIGHT_DORMANT_DAYS = 10
    # No purchase from 21 to 30 November: Ann (last on the 20th), Bob (12th) and Dan; Cai bought
    # on the 25th; Eve joined within the last 10 days.
    assert shop.figures("members")["dormant"] == 3


def test_it_sums_sales_average_repurchase_and_the_share_paid_with_points(shop):
    figures = shop.figures("sales")
    assert figures["amount"] == "660.00"
    assert figures["purchases"] == 4
    assert figures["average"] == "165.00"
    assert figures["buyers"] == 3
    assert figures["repurchase_rate"] == pytest.approx(1 / 3)  # Ann bought twice
    assert figures["points_share"] == pytest.approx(50 / 660)


def test_sales_are_net_of_refunds_and_by_store_of_the_purchase(shop, api):
    purchase = api("get", f"purchases/?member={shop.members['Bob']}").json()["results"][0]
    refund = api("post", f"purchases/{purchase['id']}/refunds/", {"amount": "50.00"})
    assert refund.status_code == 201, refund.content
    assert shop.figures("sales")["amount"] == "610.00"
    assert shop.figures("sales", f"{MONTH}&store={shop.south}")["purchases"] == 0
    stores = shop.report("sales")["tables"][1]["rows"]
    assert [(row["store"], row["purchases"]) for row in stores] == [("North Mall", 4)]


def test_the_trend_has_a_row_per_day_of_a_month_and_per_month_of_a_year(shop):
    month = shop.report("members")["tables"][0]["rows"]
    assert len(month) == 30
    assert month[2] == {"bucket": "2026-11-03", "new": 0, "active": 1}
    assert month[9] == {"bucket": "2026-11-10", "new": 1, "active": 0}
    year = shop.report("sales", "period=year&date=2026-11-15")["tables"][0]["rows"]
    assert [row["bucket"] for row in year][:2] == ["2026-01-01", "2026-02-01"]
    assert year[10] == {"bucket": "2026-11-01", "amount": "660.00", "purchases": 4}


def test_points_liability_values_outstanding_points_and_what_expires(shop, world):
    with tenancy.tenant_context(world.a):
        account = PointsAccount.objects.get(member_id=shop.members["Ann"])
        today = timezone.localdate()
        # Ann's lots: 100 earned on the 3rd (50 of it spent on the 20th), 250 on the 20th (on
        # the 250.00 paid in money). Give them an expiry date, as the points rules would.
        lots = list(Lot.objects.filter(account=account).order_by("pk"))
        Lot.objects.filter(pk=lots[0].pk).update(expires_at=today + datetime.timedelta(days=20))
        Lot.objects.filter(pk=lots[1].pk).update(expires_at=today + datetime.timedelta(days=75))
    figures = shop.figures("points")
    outstanding = 100 - 50 + 250 + 200 + 60  # every yuan paid in money earned a point
    assert figures["outstanding"] == outstanding
    assert figures["value"] == f"{outstanding}.00"  # one point pays one yuan by default
    assert figures["expiring_30"] == 50
    assert figures["expiring_60"] == 50
    assert figures["expiring_90"] == 300
    months = shop.report("points")["tables"][0]["rows"]
    assert months == [{"month": "2026-11-01", "earned": 610, "redeemed": 50, "expired": 0}]


def test_top_spenders_rank_per_store_and_say_who_was_visited(shop, api):
    visit = api(
        "post",
        "return-visits/",
        {"member": shop.members["Bob"], "channel": "phone", "visited_at": at(26)},
    )
    assert visit.status_code == 201, visit.content
    report = shop.report("top_spenders")
    rows = report["tables"][0]["rows"]
    assert [(r["store"], r["rank"], r["name"], r["amount"]) for r in rows] == [
        ("North Mall", 1, "Ann", "400.00"),
        ("North Mall", 2, "Bob", "200.00"),
        ("North Mall", 3, "Cai", "60.00"),
    ]
    assert [r["visited"] for r in rows] == [False, True, False]
    assert {f["key"]: f["value"] for f in report["figures"]}["not_visited"] == 2


def test_complaints_count_open_overdue_answered_in_time_and_satisfaction(shop, world):
    now = timezone.now()
    filed = datetime.datetime(2026, 11, 5, 9, tzinfo=SH)
    day = datetime.timedelta(days=1)
    with tenancy.tenant_context(world.a):
        TicketFactory(
            created_at=filed,
            due_at=filed + 2 * day,
            replied_at=filed + day,
            status=Status.CLOSED,
            rating=4,
        )
        TicketFactory(
            created_at=filed,
            due_at=filed + 2 * day,
            replied_at=filed + 3 * day,
            status=Status.CLOSED,
            rating=2,
        )
        TicketFactory(created_at=filed, due_at=now - day, status=Status.NEW)  # overdue
        TicketFactory(created_at=now, due_at=now + 5 * day, status=Status.NEW)  # open
    figures = shop.figures("complaints")
    assert figures["filed"] == 3
    assert figures["open"] == 2
    assert figures["overdue"] == 1
    assert figures["replied"] == 2
    assert figures["in_time"] == 0.5
    assert figures["rated"] == 2
    assert figures["satisfaction"] == 3.0


def test_messages_count_sent_failed_and_skipped_by_template_and_channel(shop, world):
    when = datetime.datetime(2026, 11, 5, 9, tzinfo=SH)
    with tenancy.tenant_context(world.a):
        for status in (MessageStatus.SENT, MessageStatus.SENT, MessageStatus.FAILED):
            MessageFactory(template="welcome", channel="sms", status=status, created_at=when)
        MessageFactory(
            template="welcome",
            channel="sms",
            status=MessageStatus.SKIPPED,
            last_error=NO_CONSENT,
            created_at=when,
        )
    figures = shop.figures("messages")
    assert (figures["sent"], figures["failed"], figures["skipped"]) == (2, 1, 1)
    tables = shop.report("messages")["tables"]
    assert [(r["sent"], r["failed"], r["skipped"]) for r in tables[0]["rows"]] == [(2, 1, 1)]
    assert tables[1]["rows"][0]["messages"] == 1


def test_a_bad_period_is_a_400_naming_the_field(shop, api):
    response = api("get", "reports/sales/?period=custom&start=2026-11-10")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"end"}
    response = api("get", "reports/sales/?period=custom&start=2026-11-10&end=2026-11-01")
    assert set(response.json()["error"]["details"]) == {"end"}
    response = api("get", "reports/sales/?period=fortnight")
    assert set(response.json()["error"]["details"]) == {"period"}
    response = api("get", "reports/sales/?date=1066-10-14")
    assert set(response.json()["error"]["details"]) == {"date"}


def test_another_tenants_store_is_not_a_choice(shop, api, world):
    with tenancy.tenant_context(world.b):
        from tests.factories import StoreFactory

        theirs = StoreFactory()
    response = api("get", f"reports/sales/?store={theirs.pk}")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"store"}
