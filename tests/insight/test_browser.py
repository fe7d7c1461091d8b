"""The dashboard in headless Chromium: both languages, charts drawn, a drill-down, an export."""

import os
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings

from core.roles import Role
from tests.browser import sign_in

from .conftest import MONTH

DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"

PAINTED = """element => {
  const canvas = element.querySelector("canvas");
  if (!canvas) { return 0; }
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i]) { painted++; } }
  return painted;
}"""


def _tooltip(page, chart):
    element = page.locator(f'[data-chart="{chart}"]')
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    tooltip = page.locator(f'[data-chart="{chart}"] > div:not(:first-child)').last
    tooltip.wait_for(state="visible")
    return tooltip.inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_draws_its_charts_in_both_languages_and_exports(
    page, live_server, shop, world, tmp_path
):
    from django.core.management import call_command

    screenshots = DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    call_command("compile_translations", verbosity=0)
    errors = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "favicon" not in (message.location or {}).get("url", "")
            and errors.append(f"{message.text} {message.location}")
        ),
    )
    page.on("response", lambda response: response.status >= 400 and errors.append(response.url))
    sign_in(page, live_server, world.user(world.a, Role.OWNER))
    page.set_viewport_size({"width": 1280, "height": 900})
    url = f"{live_server.url}/t/tenant-a/insight/?{MONTH}"

    page.goto(url)  # the browser asks for Chinese
    assert page.inner_text("h1") == "经营看板"
    for chart in ("chart-members-trend", "chart-members-tiers", "chart-sales-trend"):
        drawn = page.locator(f'[data-chart="{chart}"][data-drawn="true"]')
        drawn.wait_for()
        assert drawn.evaluate(PAINTED) > 500, chart
    assert "销售额" in _tooltip(page, "chart-sales-trend")
    page.screenshot(path=str(screenshots / "insight-dashboard-zh.png"), full_page=True)

    # The custom range's dates show only for "custom".
    assert not page.locator("[data-field=start]").is_visible()
    page.select_option("select[name=period]", "custom")
    assert page.locator("[data-field=start]").is_visible()

    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page.goto(url)
    assert page.inner_text("h1") == "Dashboard"
    page.locator('[data-chart="chart-sales-trend"][data-drawn="true"]').wait_for()
    assert "Sales (net of refunds)" in _tooltip(page, "chart-sales-trend")
    page.screenshot(path=str(screenshots / "insight-dashboard-en.png"), full_page=True)

    # An export downloads and opens with typed cells.
    with page.expect_download() as download:
        page.click('a[data-export="sales.xlsx"]')
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "sales-2026-11-01-2026-11-30.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.worksheets[0]["A1"].value == "Figure"
    assert book.worksheets[0]["B3"].value == 4  # purchases, a number

    # A figure leads to the members behind it.
    page.click('[data-figure="members.dormant"] a')
    page.wait_for_url("**/insight/members/**")
    assert "Dan" in page.inner_text("table.results")
    page.screenshot(path=str(screenshots / "insight-members-dormant.png"), full_page=True)
    assert not errors, errors
