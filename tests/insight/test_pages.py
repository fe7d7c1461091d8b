"""The dashboard, its exports and drill-downs as staff see them, by role and language."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.http import StreamingHttpResponse

from core import tenancy
from core.roles import Role
from membership.models import PiiAccessLog

from .conftest import MONTH

pytestmark = pytest.mark.django_db

DASHBOARD = "/t/tenant-a/insight/"


def _get(client, user, path, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client.get(path)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_tenant_home_and_the_nav_lead_to_the_dashboard(shop, client, staff):
    page = _get(client, staff(Role.MANAGER), "/t/tenant-a/").content.decode()
    assert page.count(f'href="{DASHBOARD}"') == 2  # the nav and the home's panel
    assert "North Mall" in page  # the stores the front desk needs are still there


def test_the_owner_sees_every_report_with_figures_charts_and_tables(shop, client, staff):
    response = _get(client, staff(Role.OWNER), f"{DASHBOARD}?{MONTH}")
    assert response.status_code == 200
    page = response.content.decode()
    for key in ("members", "sales", "points", "top_spenders", "complaints", "messages"):
        assert f'id="{key}"' in page
        assert f"/t/tenant-a/insight/{key}.xlsx?" in page
    assert 'data-chart="chart-sales-trend"' in page
    assert '<script id="chart-sales-trend" type="application/json">' in page
    assert "660.00" in page  # the month's sales
    # The figure links to the members behind it, for the same period and store.
    assert (
        'href="/t/tenant-a/insight/members/?period=custom&amp;start=2026-11-01&amp;end=2026-11-30'
        '&amp;segment=dormant">1</a>'
    ) in page
    # A top spender's name links to the member.
    assert f'href="/t/tenant-a/members/{shop.members["Ann"]}/">Ann</a>' in page


def test_the_chinese_dashboard_has_no_english(shop, client, staff):
    page = _get(client, staff(Role.OWNER), f"{DASHBOARD}?{MONTH}", "zh-hans").content.decode()
    assert "会员" in page
    for english in (
        "Members",
        "Sales",
        "Points",
        "Dormant",
        "Complaints",
        "Messages",
        "Share",
        "Top spenders",
        "Expiring",
        "All stores",
        "Period",
        "Show",
        "Nothing",
    ):
        assert english not in page, english


def test_the_store_filter_and_the_periods_narrow_the_figures(shop, client, staff):
    user = staff(Role.OWNER)
    south = _get(client, user, f"{DASHBOARD}?{MONTH}&store={shop.south}").content.decode()
    assert 'data-figure="sales.purchases"><dt>Purchases</dt><dd>0</dd>' in south
    day = _get(client, user, f"{DASHBOARD}?period=day&date=2026-11-20").content.decode()
    assert "300.00" in day and "660.00" not in day
    for kind in ("week", "quarter", "year"):
        assert _get(client, user, f"{DASHBOARD}?period={kind}&date=2026-11-20").status_code == 200


def test_a_bad_range_is_a_400_page_naming_the_field(shop, client, staff):
    response = _get(
        client, staff(Role.OWNER), f"{DASHBOARD}?period=custom&start=2026-11-30&end=2026-11-01"
    )
    assert response.status_code == 400
    assert 'data-field="end"' in response.content.decode()
    assert "The end is before the start." in response.content.decode()
    export = _get(
        client, staff(Role.OWNER), "/t/tenant-a/insight/sales.csv?period=custom&start=2026-11-30"
    )
    assert export.status_code == 400
    assert export.content.decode().startswith("end:")


def test_the_front_desk_sees_its_own_stores_counts_only(shop, client, staff):
    user = staff(Role.FRONT_DESK, store=shop.south)
    response = _get(client, user, f"{DASHBOARD}?{MONTH}&store={shop.north}")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="members"' in page and 'id="sales"' in page
    for key in ("points", "top_spenders", "complaints", "messages"):
        assert f'id="{key}"' not in page
    assert "South Street" in page
    # The north store asked for in the URL is ignored: south's figures (Cai bought at north).
    assert 'data-figure="sales.purchases"><dt>Purchases</dt><dd>0</dd>' in page
    assert 'data-figure="members.total"><dt>Members</dt><dd>' in page
    assert _get(client, user, f"/t/tenant-a/insight/points.xlsx?{MONTH}").status_code == 403
    export = _get(client, user, f"/t/tenant-a/insight/members.csv?{MONTH}&store={shop.north}")
    rows = list(csv.reader(io.StringIO(_body(export).decode("utf-8-sig"))))
    assert ["Members", "3"] in rows  # south's three members, not north's two


def test_a_front_desk_without_a_home_store_is_refused(shop, client, staff):
    response = _get(client, staff(Role.FRONT_DESK, store=None), DASHBOARD)
    assert response.status_code == 403
    assert "home store" in response.content.decode()


def test_customer_service_sees_the_complaints_part_only(shop, client, staff):
    user = staff(Role.CUSTOMER_SERVICE)
    page = _get(client, user, f"{DASHBOARD}?{MONTH}").content.decode()
    assert 'id="complaints"' in page
    for key in ("members", "sales", "points", "top_spenders", "messages"):
        assert f'id="{key}"' not in page
    assert _get(client, user, f"/t/tenant-a/insight/complaints.xlsx?{MONTH}").status_code == 200
    assert _get(client, user, f"/t/tenant-a/insight/sales.csv?{MONTH}").status_code == 403
    client.force_login(user)
    assert client.get("/api/v1/tenant-a/reports/complaints/").status_code == 200
    assert client.get("/api/v1/tenant-a/reports/members/").status_code == 403


def test_the_xlsx_has_typed_cells_and_a_header_in_the_users_language(shop, client, staff):
    response = _get(client, staff(Role.OWNER), f"/t/tenant-a/insight/sales.xlsx?{MONTH}", "zh-hans")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"].endswith('sales-2026-11-01-2026-11-30.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(_body(response)))
    summary, trend, stores = book.worksheets
    assert summary.title == "会员销售"
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert figures["购买次数"] == 4
    assert figures["客单价"] == 165
    header = [cell.value for cell in trend[1]]
    assert header[0] == "起始"
    first = trend[2]
    assert isinstance(first[0].value, datetime.datetime) and first[0].number_format == "yyyy-mm-dd"
    assert stores["A2"].value == "North Mall" and stores["B2"].number_format == "#,##0.00"
    share = stores["F2"]
    assert share.value == pytest.approx(50 / 660) and share.number_format == "0.0%"


def test_the_csv_streams_every_table_of_the_report(shop, client, staff):
    response = _get(client, staff(Role.OWNER), f"/t/tenant-a/insight/members.csv?{MONTH}")
    assert isinstance(response, StreamingHttpResponse)
    text = _body(response).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Members"] and rows[1] == ["Figure", "Value"]
    assert ["Dormant (no purchase in 90 days)", "1"] in rows
    assert ["Members by tier"] in rows and ["New and active members"] in rows


def test_exports_of_personal_data_are_logged(shop, client, staff, world):
    user = staff(Role.MANAGER)
    _body(_get(client, user, f"/t/tenant-a/insight/top_spenders.xlsx?{MONTH}"))
    _body(_get(client, user, f"/t/tenant-a/insight/sales.xlsx?{MONTH}"))  # counts only: no log
    _body(_get(client, user, f"/t/tenant-a/insight/members/export.csv?{MONTH}&segment=active"))
    with tenancy.tenant_context(world.a):
        logs = list(
            PiiAccessLog.objects.filter(field__startswith="export:")
            .order_by("pk")
            .values_list("field", "rows", "user")
        )
    assert logs == [
        ("export:insight.top_spenders.xlsx", 3, user.pk),
        ("export:insight.members.csv", 3, user.pk),
    ]


def test_the_members_behind_a_figure_are_listed_and_exported(shop, client, staff):
    user = staff(Role.MANAGER)
    page = _get(client, user, f"/t/tenant-a/insight/members/?{MONTH}&segment=dormant")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Dan" in text and "Ann" not in text
    export = _get(client, user, f"/t/tenant-a/insight/members/export.xlsx?{MONTH}&segment=new")
    sheet = openpyxl.load_workbook(io.BytesIO(_body(export))).worksheets[0]
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["Bob", "Eve"]
    assert isinstance(sheet["D2"].value, datetime.datetime)  # joined, a date cell
    # The front desk may list but not export personal data.
    desk = staff(Role.FRONT_DESK, store=shop.south)
    assert _get(client, desk, "/t/tenant-a/insight/members/?segment=total").status_code == 200
    assert (
        _get(client, desk, "/t/tenant-a/insight/members/export.csv?segment=total").status_code
        == 403
    )
    assert _get(client, user, "/t/tenant-a/insight/members/?segment=everyone").status_code == 400


def test_one_result_feeds_the_page_the_api_and_both_exports(shop, client, staff, api):
    """The shared mechanism: every report's figures are the same in JSON, CSV and XLSX."""
    user = staff(Role.OWNER)
    for key in ("members", "sales", "points", "top_spenders", "complaints", "messages"):
        figures = shop.report(key)["figures"]
        rows = list(
            csv.reader(
                io.StringIO(
                    _body(
                        _get(client, user, f"/t/tenant-a/insight/{key}.csv?{MONTH}", "zh-hans")
                    ).decode("utf-8-sig")
                )
            )
        )
        book = openpyxl.load_workbook(
            io.BytesIO(
                _body(_get(client, user, f"/t/tenant-a/insight/{key}.xlsx?{MONTH}", "zh-hans"))
            )
        )
        sheet = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
        assert len(sheet) == len(figures), key
        for figure, (label, value), csv_row in zip(figures, sheet, rows[2:], strict=False):
            assert label == figure["label"] == csv_row[0], key
            expected = figure["value"]
            if expected is None:
                assert value is None and csv_row[1] == ""
            else:
                assert float(value) == pytest.approx(float(expected)), (key, label)
                assert float(csv_row[1]) == pytest.approx(float(expected), abs=1e-6), (key, label)


def test_customer_service_may_open_the_complaints_report_too(shop, client, staff):
    user = staff(Role.CUSTOMER_SERVICE)
    assert _get(client, user, "/t/tenant-a/complaints/report/").status_code == 200
    assert _get(client, user, "/t/tenant-a/complaints/report.csv").status_code == 200
    assert _get(client, staff(Role.FRONT_DESK), "/t/tenant-a/complaints/report/").status_code == 403
