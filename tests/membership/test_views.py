import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from core import tenancy
from membership import actions
from membership.models import Card, Member, MemberChange, PiiAccessLog, TerminationRequest

from .factories import MemberFactory, MembershipSettingsFactory
from .helpers import resident_id

pytestmark = pytest.mark.django_db


def url(tenant, name, *args):
    """A tenant URL (reverse inside the mount gives the path without the tenant prefix)."""
    from django.urls import reverse as _reverse

    path = _reverse(name, urlconf="config.tenant_urls", args=args)
    return f"/t/{tenant.slug}{path}"


def login(client, world, role="front_desk", tenant=None):
    client.force_login(world.user(tenant or world.a, role))
    return client


FORM = {
    "name": "韩梅梅",
    "phone": "13912345678",
    "id_type": "resident",
    "id_number": "",
    "gender": "female",
    "birthday": "1992-03-04",
    "joined_on": "2026-01-05",
}


def test_the_register_page_has_sensible_defaults(client, world):
    login(client, world)
    response = client.get(url(world.a, "membership:register"))
    assert response.status_code == 200
    form = response.context["form"]
    role = response.wsgi_request.staff_role
    assert form["store"].value() == role.store_id
    assert form["joined_on"].value() == datetime.date.today() or form["joined_on"].value()
    assert b"autofocus" in response.content


def test_registering_creates_the_member_and_shows_their_page(client, world):
    login(client, world)
    response = client.post(
        url(world.a, "membership:register"), {**FORM, "id_number": resident_id()}
    )
    with tenancy.tenant_context(world.a):
        member = Member.objects.get(name="韩梅梅")
        assert member.phone == "+8613912345678"
        assert member.card_number
    assert response.status_code == 302
    assert response["Location"].endswith(f"/members/{member.pk}/")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "valid phone"),
        ("id_number", "110105199005171230", "check digit"),
        ("id_number", "110105199013321231", "birth date"),
        ("birthday", "1992-13-40", "valid date"),
    ],
)
def test_bad_input_is_reported_on_its_field_and_nothing_typed_is_lost(
    client, world, field, value, message
):
    login(client, world)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = {**FORM, "employer": "Typed Employer", "address": "Typed Address", field: value}
    response = client.post(url(world.a, "membership:register"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field]).lower() or message in str(form.errors[field])
    content = response.content.decode()
    for typed in ("韩梅梅", "Typed Employer", "Typed Address", value):
        assert typed in content
    with tenancy.tenant_context(world.a):
        assert not Member.objects.exists()


def test_errors_are_shown_in_chinese_for_a_chinese_tenant(client, world, settings):
    from django.core.management import call_command

    call_command("compile_translations", verbosity=0)
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)  # drops Django's cached catalogues
    login(client, world)
    response = client.post(url(world.a, "membership:register"), {**FORM, "phone": "12345"})
    assert "请输入有效的手机号码" in response.content.decode()


def test_a_probable_duplicate_must_be_confirmed(client, world):
    with tenancy.tenant_context(world.a):
        existing = MemberFactory(tenant=world.a, name="韩梅梅", birthday=datetime.date(1992, 3, 4))
    login(client, world)
    response = client.post(url(world.a, "membership:register"), FORM)
    assert response.status_code == 200
    assert response.context["duplicates"] == [existing]
    assert existing.card_number in response.content.decode()
    response = client.post(url(world.a, "membership:register"), {**FORM, "confirm_duplicate": "on"})
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        assert Member.objects.filter(name="韩梅梅").count() == 2


def test_a_taken_phone_is_an_error_on_the_phone_field(client, world):
    with tenancy.tenant_context(world.a):
        MemberFactory(tenant=world.a, phone="+8613912345678")
    login(client, world)
    response = client.post(url(world.a, "membership:register"), FORM)
    assert "phone" in response.context["form"].errors


def test_required_fields_are_chosen_per_tenant(client, world):
    MembershipSettingsFactory(tenant=world.a, required_fields=["email", "address"])
    login(client, world)
    response = client.post(url(world.a, "membership:register"), FORM)
    errors = response.context["form"].errors
    assert set(errors) == {"email", "address"}
    login(client, world, tenant=world.b)
    client.force_login(world.user(world.b, "front_desk"))
    response = client.post(url(world.b, "membership:register"), FORM)
    assert response.status_code == 302


def test_search_page_and_json_find_by_phone_and_work_without_javascript(client, world):
    with tenancy.tenant_context(world.a):
        member = MemberFactory(tenant=world.a, name="李雷", phone="+8613900000001")
    with tenancy.tenant_context(world.b):
        MemberFactory(tenant=world.b, name="李雷B", phone="+8613900000002")
    login(client, world)
    page = client.get(url(world.a, "membership:search"), {"q": "李"})
    assert list(page.context["results"]) == [member]
    data = client.get(url(world.a, "membership:search_json"), {"q": "139 0000 0001"}).json()
    assert [r["id"] for r in data["results"]] == [member.pk]
    data = client.get(url(world.a, "membership:search_json"), {"q": "13900000002"}).json()
    assert data["results"] == []


def test_the_member_page_masks_the_id_number_and_a_manager_reveal_is_logged(client, world):
    number = resident_id()
    with tenancy.tenant_context(world.a):
        member = MemberFactory(tenant=world.a, id_number=number)
    login(client, world, "front_desk")
    page = client.get(url(world.a, "membership:detail", member.pk)).content.decode()
    assert number not in page
    assert "****" + number[-4:] in page
    assert client.post(url(world.a, "membership:reveal", member.pk)).status_code == 403
    login(client, world, "manager")
    revealed = client.post(url(world.a, "membership:reveal", member.pk))
    assert number in revealed.content.decode()
    assert revealed["Cache-Control"] == "no-store"
    with tenancy.tenant_context(world.a):
        log = PiiAccessLog.objects.get()
        assert log.user == world.user(world.a, "manager")


def test_editing_records_history_and_keeps_the_id_number_when_left_empty(client, world):
    number = resident_id()
    with tenancy.tenant_context(world.a):
        member = actions.do_register_member(
            data={
                "name": "李雷",
                "phone": "+8613900000001",
                "id_type": "resident",
                "id_number": number,
            },
            actor=None,
        )
    login(client, world)
    edit = client.get(url(world.a, "membership:edit", member.pk))
    assert number not in edit.content.decode()
    response = client.post(
        url(world.a, "membership:edit", member.pk),
        {
            "name": "李雷",
            "phone": "13900000001",
            "id_type": "resident",
            "id_number": "",
            "employer": "Acme",
            "joined_on": member.joined_on.isoformat(),
        },
    )
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
        assert member.reveal_id_number() == number
        change = MemberChange.objects.get(member=member, field="employer")
        assert (change.old_value, change.new_value) == ("", "Acme")
        assert change.user == world.user(world.a, "front_desk")


def test_lost_card_reissue_freeze_and_unfreeze_from_the_member_page(client, world):
    with tenancy.tenant_context(world.a):
        member = actions.do_register_member(
            data={"name": "李雷", "phone": "+8613900000001"}, actor=None
        )
    login(client, world)
    old = member.card_number
    client.post(url(world.a, "membership:card_lost", member.pk), {"reason": "lost"})
    client.post(url(world.a, "membership:card_reissue", member.pk), {"reason": ""})
    client.post(url(world.a, "membership:status", member.pk), {"status": "frozen"})
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
        assert member.card_number != old
        assert Card.objects.get(number=old).status == "lost"
        assert member.status == "frozen"
    client.post(url(world.a, "membership:status", member.pk), {"status": "active"})
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
        assert member.status == "active"


def test_termination_is_requested_at_the_desk_and_approved_by_a_manager(client, world):
    with tenancy.tenant_context(world.a):
        member = MemberFactory(tenant=world.a)
    login(client, world, "front_desk")
    client.post(
        url(world.a, "membership:terminate", member.pk),
        {"source": "business", "reason": "violations"},
    )
    assert client.get(url(world.a, "membership:terminations")).status_code == 403
    with tenancy.tenant_context(world.a):
        request = TerminationRequest.objects.get()
    login(client, world, "manager")
    queue = client.get(url(world.a, "membership:terminations"))
    assert "violations" in queue.content.decode()
    client.post(url(world.a, "membership:termination_decide", request.pk), {"decision": "approve"})
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
        assert member.status == "terminated"


def test_another_tenants_member_is_a_404(client, world):
    with tenancy.tenant_context(world.b):
        member = MemberFactory(tenant=world.b)
    login(client, world, "owner")
    for name in ("membership:detail", "membership:edit"):
        assert client.get(url(world.a, name, member.pk)).status_code == 404
    assert client.post(url(world.a, "membership:reveal", member.pk)).status_code == 404


def test_the_nav_links_to_members(client, world):
    login(client, world)
    page = client.get(url(world.a, "tenant_home"))
    assert url(world.a, "membership:search") in page.content.decode()


def test_export_streams_csv_and_xlsx_with_masked_ids(client, world):
    import io

    from openpyxl import load_workbook

    number = resident_id()
    with tenancy.tenant_context(world.a):
        MemberFactory(tenant=world.a, name="李雷", id_number=number)
    login(client, world, "front_desk")
    assert client.get(url(world.a, "membership:export_csv")).status_code == 403
    login(client, world, "manager")
    response = client.get(url(world.a, "membership:export_csv"))
    body = b"".join(response.streaming_content).decode()
    assert "李雷" in body and number not in body and "****" + number[-4:] in body
    response = client.get(url(world.a, "membership:export_xlsx"))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[1][1] == "李雷"


def test_every_export_is_logged_with_who_what_and_how_many_rows(client, world):
    """Logged before the first row leaves; the file holds exactly the rows logged, even when a
    member is registered while the export streams."""
    import io

    from openpyxl import load_workbook

    with tenancy.tenant_context(world.a):
        for name in ("李雷", "韩梅梅", "王芳"):
            MemberFactory(tenant=world.a, name=name)
    with tenancy.tenant_context(world.b):
        MemberFactory(tenant=world.b, name="B 的会员")
    login(client, world, "front_desk")
    assert client.get(url(world.a, "membership:export_csv")).status_code == 403
    manager = world.user(world.a, "manager")
    login(client, world, "manager")

    response = client.get(url(world.a, "membership:export_csv"))
    with tenancy.tenant_context(world.a):
        log = PiiAccessLog.objects.get()
        assert (log.field, log.rows, log.member, log.user) == (
            "export:members.csv",
            3,
            None,
            manager,
        )
        assert log.actor == f"staff #{manager.pk}"
        MemberFactory(tenant=world.a, name="迟到的会员")  # registered while the file streams
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 + 3 and "迟到的会员" not in "".join(lines)

    response = client.get(url(world.a, "membership:export_xlsx"))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert len(list(workbook.active.iter_rows(values_only=True))) == 1 + 4
    with tenancy.tenant_context(world.a):
        log = PiiAccessLog.objects.order_by("-pk").first()
        assert (log.field, log.rows, log.user) == ("export:members.xlsx", 4, manager)
    with tenancy.tenant_context(world.b):
        assert not PiiAccessLog.objects.exists()
    # owners and managers read the log in the tenant admin
    page = client.get("/t/tenant-a/admin/membership/piiaccesslog/").content.decode()
    assert "export:members.csv" in page and "export:members.xlsx" in page


def test_reverse_inside_the_mount_needs_no_slug():
    assert reverse("membership:search", urlconf="config.tenant_urls") == "/members/"


def test_a_manager_chooses_required_fields_in_the_tenant_admin(client, world):
    from membership.models import MembershipSettings

    login(client, world, "manager")
    page = client.get("/t/tenant-a/admin/membership/membershipsettings/add/")
    assert page.status_code == 200
    response = client.post(
        "/t/tenant-a/admin/membership/membershipsettings/add/",
        {
            "card_prefix": "66",
            "card_digits": "7",
            "required_fields": ["email", "birthday"],
            "validity_months": "24",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenancy.tenant_context(world.a):
        saved = MembershipSettings.objects.get()
    assert (saved.card_prefix, saved.required_fields) == ("66", ["email", "birthday"])
    bad = client.post(
        f"/t/tenant-a/admin/membership/membershipsettings/{saved.pk}/change/",
        {"card_prefix": "AB", "card_digits": "7"},
    )
    assert bad.status_code == 200 and "card_prefix" in bad.context["adminform"].form.errors


def test_searching_an_old_card_number_finds_the_member_and_says_the_card_is_blocked(client, world):
    with tenancy.tenant_context(world.a):
        member = actions.do_register_member(
            data={"name": "李雷", "phone": "+8613900000001"}, actor=None
        )
        old = member.card_number
        actions.do_report_lost_card(member, actor=None)
        actions.do_reissue_card(member, actor=None)
    login(client, world)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = client.get(url(world.a, "membership:search_json"), {"q": old}).json()
    assert [r["id"] for r in data["results"]] == [member.pk]
    assert data["results"][0]["note"] == f"Card {old} is Reported lost."
    page = client.get(url(world.a, "membership:search"), {"q": old}).content.decode()
    assert f"Card {old} is Reported lost." in page


def test_changing_the_id_type_needs_the_number_again(client, world):
    with tenancy.tenant_context(world.a):
        member = actions.do_register_member(
            data={
                "name": "李雷",
                "phone": "+8613900000001",
                "id_type": "resident",
                "id_number": resident_id(),
            },
            actor=None,
        )
    login(client, world)
    response = client.post(
        url(world.a, "membership:edit", member.pk),
        {
            "name": "李雷",
            "phone": "13900000001",
            "id_type": "passport",
            "id_number": "",
            "joined_on": member.joined_on.isoformat(),
        },
    )
    assert response.status_code == 200
    assert "id_number" in response.context["form"].errors
