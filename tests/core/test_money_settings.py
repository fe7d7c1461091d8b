"""Money in one place (``core.money``) and per-tenant settings reached one way
(``<app>.selectors.settings()``)."""

import importlib
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.template import Context, Template

from core import tenancy
from core.models import TenantOwnedModel
from core.money import format_money, round_money

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

PENDING: set[str] = set()  # apps whose settings accessor is still to switch (none now)


def _settings_models():
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantOwnedModel) and model.__name__.endswith("Settings")
    ]


def test_there_are_settings_models_to_check():
    names = {model._meta.app_label for model in _settings_models()}
    assert {"membership", "points"} <= names


@pytest.mark.parametrize(
    "model",
    [m for m in _settings_models() if m._meta.app_label not in PENDING],
    ids=lambda m: m._meta.label,
)
def test_every_settings_model_is_reached_through_its_apps_selectors_settings(model, world):
    selectors = importlib.import_module(f"{model._meta.app_label}.selectors")
    with tenancy.tenant_context(world.a):
        mine = selectors.settings()
        assert selectors.settings() == mine  # created once, then read
    with tenancy.tenant_context(world.b):
        theirs = selectors.settings()
    assert isinstance(mine, model) and mine.tenant_id == world.a.pk
    assert theirs.tenant_id == world.b.pk and theirs.pk != mine.pk
    with pytest.raises(tenancy.NoActiveTenant):
        selectors.settings()


def test_decimal_settings_come_back_as_stored(world):
    from points import selectors

    with tenancy.tenant_context(world.a):
        assert isinstance(selectors.settings().currency_per_point, Decimal)


def test_money_rounds_to_cents_half_up_unless_told_down():
    assert round_money(Decimal("0.125")) == Decimal("0.13")
    assert round_money(Decimal("0.135")) == Decimal("0.14")
    assert round_money(Decimal("0.129"), ROUND_DOWN) == Decimal("0.12")
    assert round_money(7) == Decimal("7.00")


def test_money_is_shown_in_the_tenants_currency(world):
    assert format_money(Decimal("1234.5")) == "¥1,234.50"  # outside a tenant: CNY
    assert format_money(Decimal("-3"), "USD") == "-$3.00"
    assert format_money(Decimal("3"), "CHF") == "CHF 3.00"
    assert format_money(None) == ""
    world.a.currency = "HKD"
    with tenancy.tenant_context(world.a):
        rendered = Template("{% load money %}{{ a|money }}").render(Context({"a": Decimal("20")}))
    assert rendered == "HK$20.00"


def test_templates_show_amounts_through_the_money_filter():
    """No template formats an amount by hand (``floatformat:2`` or a hard-coded "yuan")."""
    for path in ROOT.glob("*/templates/**/*.html"):
        text = path.read_text()
        assert 'floatformat:"-2" %}{{ value }} yuan' not in text, path
        assert " yuan{% endblocktranslate %}" not in text, path


def test_no_app_rounds_money_by_hand():
    allowed = {"core/money.py"}
    for app in ["core", "membership", "points", "tiers", "complaints", "portal"]:
        for path in (ROOT / app).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if relative in allowed or "migrations" in path.parts:
                continue
            assert ".quantize(" not in path.read_text(), (
                f"{relative}: round money with core.money.round_money"
            )
