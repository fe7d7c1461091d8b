from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from core import tenancy
from core.demo import TENANTS
from core.models import Tenant, TenantOwnedModel


def _counts():
    with tenancy.dangerously_all_tenants():
        counts = {
            m._meta.label: m.objects.count()
            for m in apps.get_models()
            if issubclass(m, TenantOwnedModel)
        }
    counts["tenants"] = Tenant.objects.count()
    counts["users"] = get_user_model().objects.count()
    return counts


def test_load_demo_creates_the_businesses_and_twice_changes_nothing(db):
    call_command("load_demo", verbosity=0)
    first = _counts()
    assert first["tenants"] == len(TENANTS) == 3
    assert first["core.StaffRole"] == 3 * 4
    call_command("load_demo", verbosity=0)
    assert _counts() == first
