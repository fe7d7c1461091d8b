import pytest
from django.core.management import call_command

from core import tenancy
from core.models import Tenant
from points.models import PointsAccount
from portal.demo import DEMO_MEMBER_PASSWORD, DEMO_MEMBER_PHONE

pytestmark = pytest.mark.django_db


def test_the_demo_member_signs_in_and_has_points_purchases_and_a_complaint(client):
    call_command("load_demo", verbosity=0)
    response = client.post(
        "/m/shoes/login/", {"identifier": DEMO_MEMBER_PHONE, "password": DEMO_MEMBER_PASSWORD}
    )
    assert response["Location"] == "/m/shoes/"
    shoes = Tenant.objects.get(slug="shoes")
    with tenancy.tenant_context(shoes):
        balance = PointsAccount.objects.get().balance
    assert balance > 0
    assert f"{balance:,}" in client.get("/m/shoes/").content.decode()
    assert "南京路店" in client.get("/m/shoes/points/").content.decode()
    assert "开胶" in client.get("/m/shoes/complaints/").content.decode()
