"""The portal's privacy page: download my data (JSON, zip of CSVs) and ask for erasure."""

import csv
import io
import json
import zipfile

import pytest
from django.contrib.auth.hashers import make_password

from complaints import actions as complaint_actions
from complaints.models import Kind, Status, TicketEvent
from core import tenancy
from core.roles import Role
from membership import actions as member_actions
from membership.models import ErasureRequest, ErasureStatus, MemberCredential, PiiAccessLog
from notifications import actions as notification_actions
from notifications.outbox import do_enqueue_message
from notifications.selectors import reach
from points import actions as point_actions
from tests.membership.factories import CardFactory, MemberFactory
from tests.notifications.factories import NotificationSettingsFactory
from tests.points.factories import RewardFactory
from tests.points.helpers import award, buy

pytestmark = pytest.mark.django_db

PASSWORD = "Lantern-river-42"
ID_NUMBER = "11010519491231002X"


def _member(name, phone, **extra):
    member = MemberFactory(name=name, phone=phone, **extra)
    MemberCredential.objects.create(
        member=member, password=make_password(PASSWORD), must_change=False
    )
    return member


@pytest.fixture
def people(world):
    """Li Na (signed in below) with a full history, and Wang Fang, whose data must never show."""
    with tenancy.tenant_context(world.a):
        NotificationSettingsFactory(tenant=world.a, rate_per_minute=1000)
        li = _member("李娜", "+8613900000001", id_number=ID_NUMBER, address="光明路 8 号")
        wang = _member("王芳", "+8613900000002", address="Wang's secret street")
        CardFactory(member=li, number="8000000011")
        CardFactory(member=wang, number="8000000029")
        staff = world.user(world.a, Role.MANAGER)
        for who, amount in ((li, 88), (wang, 777)):
            buy(who, amount)
            award(who, 500)
        point_actions.do_redeem_reward(
            li, RewardFactory(name_zh="保温杯", points_cost=100), idempotency_key="li-cup"
        )
        point_actions.do_redeem_reward(
            wang, RewardFactory(name_zh="王的秘密礼品", points_cost=100), idempotency_key="wang"
        )
        ticket = complaint_actions.do_file_ticket_as_member(
            li, kind=Kind.COMPLAINT, description="奶茶太凉了"
        )
        complaint_actions.do_transition(ticket, Status.ACKNOWLEDGED, actor=staff)
        complaint_actions.do_transition(ticket, Status.INVESTIGATING, actor=staff)
        TicketEvent.objects.create(
            ticket=ticket, type=TicketEvent.Type.NOTE, note="Internal: staff-only remark"
        )
        complaint_actions.do_file_ticket_as_member(
            wang, kind=Kind.COMPLAINT, description="Wang's private grievance"
        )
        notification_actions.do_set_consent(
            member_id=li.pk,
            channel="sms",
            purpose="marketing",
            granted=True,
            source="portal",
            actor=f"member #{li.pk}",
        )
        do_enqueue_message(
            template="registration",
            to=reach(phone=li.phone, email="", language=""),
            context={"card_number": li.card_number, "password": "k7Qm2x9P"},
            dedupe_key=f"registration:{li.pk}",
            member_id=li.pk,
        )
    return li, wang


@pytest.fixture
def signed_in(client, people):
    response = client.post(
        "/m/tenant-a/login/", {"identifier": "13900000001", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_the_privacy_pages_need_a_signed_in_member(client, people):
    for path in ("privacy/", "privacy/my-data.json", "privacy/my-data.zip", "privacy/erasure/"):
        response = client.get(f"/m/tenant-a/{path}")
        assert response.status_code == 302
        assert response["Location"].startswith("/m/tenant-a/login/")


def test_the_privacy_page_offers_both_downloads(signed_in):
    page = signed_in.get("/m/tenant-a/privacy/").content.decode()
    assert "/m/tenant-a/privacy/my-data.json" in page
    assert "/m/tenant-a/privacy/my-data.zip" in page
    assert "/m/tenant-a/privacy/erasure/" in page


def _download(client, kind="json", password=PASSWORD, full_id=False, tenant="tenant-a"):
    """The download as the member asks for it: the password again, and the full ID number
    only when ticked."""
    data = {"password": password}
    if full_id:
        data["full_id_number"] = "on"
    return client.post(f"/m/{tenant}/privacy/my-data.{kind}", data)


def _json(client, **options):
    response = _download(client, **options)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response, b"".join(response.streaming_content).decode()


def test_the_json_download_holds_the_members_data_and_nobody_elses(world, signed_in, people):
    _li, _wang = people
    response, text = _json(signed_in)
    assert response["Content-Disposition"].startswith('attachment; filename="tenant-a-my-data-')
    assert response["Content-Disposition"].endswith('.json"')
    data = json.loads(text)["sections"]
    profile = data["profile"]["data"]
    assert profile["name"] == "李娜"
    assert profile["phone"] == "+8613900000001"
    assert profile["id_number"] == "****002X"  # masked unless the member chose the full number
    assert profile["address"] == "光明路 8 号"
    assert [c["number"] for c in data["cards"]["data"]] == ["8000000011"]
    assert data["points"]["data"] == {"balance": 88 + 500 - 100, "debt": 0}
    ledger_points = sorted(e["points"] for e in data["points_ledger"]["data"])
    assert ledger_points == [-100, 88, 500]
    assert sum(lot["points"] for lot in data["points_lots"]["data"]) == 588
    assert [p["amount_paid"] for p in data["purchases"]["data"]] == ["88.00"]
    assert len(data["purchase_lines"]["data"]) == 1
    assert [r["reward"] for r in data["redemptions"]["data"]] == ["保温杯"]
    assert [t["description"] for t in data["complaints"]["data"]] == ["奶茶太凉了"]
    events = data["complaint_events"]["data"]
    assert len(events) == 3  # filed, acknowledged, investigating; not the staff note
    assert "Internal" not in text
    consents = data["consents"]["data"]
    assert [(c["granted"]) for c in consents] == [True]
    messages = data["messages"]["data"]
    assert messages and all(m["recipient"] == "+8613900000001" for m in messages)
    assert "k7Qm2x9P" not in text  # the initial password is a secret, even before sending
    # Wang Fang's data never appears
    for secret in ("王芳", "13900000002", "Wang", "777", "王的秘密礼品", "8000000029"):
        assert secret not in text, secret
    # nothing was revealed, so nothing is logged
    with tenancy.tenant_context(world.a):
        assert not PiiAccessLog.objects.exists()


def test_no_reveal_is_logged_for_a_member_without_an_id_number(world, client, people):
    _li, wang = people
    client.post("/m/tenant-a/login/", {"identifier": "13900000002", "password": PASSWORD})
    text = b"".join(_download(client, full_id=True).streaming_content).decode()
    assert json.loads(text)["sections"]["profile"]["data"]["id_number"] == ""
    with tenancy.tenant_context(world.a):
        assert not PiiAccessLog.objects.filter(member=wang).exists()


def test_the_json_download_follows_the_members_language(signed_in):
    signed_in.post("/i18n/setlang/", {"language": "en"})
    _response, text = _json(signed_in)
    data = json.loads(text)
    assert data["sections"]["profile"]["title"] == "Personal profile"
    assert data["sections"]["points_ledger"]["data"][0]["kind"] in ("Earned", "Redeemed")
    signed_in.post("/i18n/setlang/", {"language": "zh-hans"})
    data = json.loads(_json(signed_in)[1])
    assert data["sections"]["profile"]["title"] == "个人资料"


def test_the_csv_download_is_a_zip_of_csvs_excel_reads(signed_in, people):
    response = _download(signed_in, "zip", full_id=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="tenant-a-my-data-' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert names[0] == "01-profile.csv" and "06-purchases.csv" in names
    everything = ""
    for name in names:
        raw = archive.read(name)
        assert raw.startswith(b"\xef\xbb\xbf"), name  # the BOM Excel needs for UTF-8
        everything += raw.decode("utf-8-sig")
    profile = list(csv.reader(io.StringIO(archive.read("01-profile.csv").decode("utf-8-sig"))))
    assert profile[0][0] == "姓名"  # the tenant's language (Chinese) for headers
    assert profile[1][0] == "李娜" and ID_NUMBER in profile[1]
    ledger = list(csv.reader(io.StringIO(archive.read("04-points_ledger.csv").decode("utf-8-sig"))))
    assert len(ledger) == 1 + 3
    for secret in ("王芳", "13900000002", "Wang", "王的秘密礼品"):
        assert secret not in everything, secret


def test_another_tenants_member_with_the_same_phone_sees_only_their_own(world, client, people):
    with tenancy.tenant_context(world.b):
        _member("Tenant B person", "+8613900000001")
    client.post("/m/tenant-b/login/", {"identifier": "13900000001", "password": PASSWORD})
    text = b"".join(_download(client, tenant="tenant-b").streaming_content).decode()
    data = json.loads(text)["sections"]
    assert data["profile"]["data"]["name"] == "Tenant B person"
    assert "李娜" not in text and "奶茶" not in text
    assert data["purchases"]["data"] == []


# --- the password step and the full ID number ------------------------------------------------


def _signed_in_client(identifier="13900000001"):
    from django.test import Client

    client = Client()
    response = client.post("/m/tenant-a/login/", {"identifier": identifier, "password": PASSWORD})
    return client, response


def test_the_download_asks_for_the_password_again(world, signed_in, people):
    page = signed_in.get("/m/tenant-a/privacy/").content.decode()
    assert 'type="password"' in page and 'name="full_id_number"' in page
    for kind in ("json", "zip"):
        # the old links give no file: they lead to the page with the password step
        response = signed_in.get(f"/m/tenant-a/privacy/my-data.{kind}")
        assert response.status_code == 302 and response["Location"] == "/m/tenant-a/privacy/"
        response = signed_in.post(f"/m/tenant-a/privacy/my-data.{kind}", {})
        assert response.status_code == 400 and "Content-Disposition" not in response
        response = _download(signed_in, kind, password="not-my-password", full_id=True)
        assert response.status_code == 400 and "Content-Disposition" not in response
        assert "密码不正确" in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        response = _download(signed_in, kind)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
    with tenancy.tenant_context(world.a):
        assert not PiiAccessLog.objects.exists()


def test_wrong_passwords_at_the_download_count_towards_the_sign_in_lockout(world, people):
    client, _response = _signed_in_client()
    for attempt in range(1, 5):
        response = _download(client, password=f"guess-{attempt}")
        assert response.status_code == 400, attempt
        assert "密码不正确" in response.content.decode()
    response = _download(client, password="guess-5")  # the 5th failure of the account
    assert response.status_code == 429
    assert "密码错误次数过多" in response.content.decode()
    # now locked: the right password is refused too, here and on the sign-in page, whether the
    # member signs in by phone or by ID number (each of their accounts was counted)
    response = _download(client)
    assert response.status_code == 429 and "Content-Disposition" not in response
    for identifier in ("13900000001", ID_NUMBER):
        _other, response = _signed_in_client(identifier)
        assert response.status_code == 200
        assert "登录失败次数过多" in response.content.decode(), identifier
    # another member is not locked
    _other, response = _signed_in_client("13900000002")
    assert response.status_code == 302


def test_a_right_password_clears_the_failures_as_a_sign_in_does(world, people):
    client, _response = _signed_in_client()
    for attempt in range(4):
        assert _download(client, password=f"guess-{attempt}").status_code == 400
    assert _download(client).status_code == 200
    for attempt in range(4):
        assert _download(client, password=f"again-{attempt}").status_code == 400
    assert _download(client).status_code == 200


def test_the_full_id_number_is_a_second_choice_logged_like_a_staff_reveal(world, signed_in, people):
    li, _wang = people
    _response, text = _json(signed_in, full_id=True)
    assert json.loads(text)["sections"]["profile"]["data"]["id_number"] == ID_NUMBER
    response = _download(signed_in, "zip", full_id=True)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert ID_NUMBER in archive.read("01-profile.csv").decode("utf-8-sig")
    # a wrong password with the choice reveals nothing and logs nothing
    assert _download(signed_in, full_id=True, password="nope").status_code == 400
    with tenancy.tenant_context(world.a):
        logs = list(PiiAccessLog.objects.order_by("pk"))
    assert [(log.member_id, log.field, log.actor, log.user_id) for log in logs] == [
        (li.pk, "id_number", f"member #{li.pk}", None)
    ] * 2


# --- erasure ----------------------------------------------------------------------------------


def test_asking_for_erasure_needs_the_tick_and_the_password(world, signed_in, people):
    li, _wang = people
    page = signed_in.get("/m/tenant-a/privacy/erasure/")
    assert page.status_code == 200
    response = signed_in.post("/m/tenant-a/privacy/erasure/", {"password": PASSWORD})
    assert response.status_code == 200
    assert "勾选" in response.content.decode()  # "tick this box" in Chinese
    response = signed_in.post(
        "/m/tenant-a/privacy/erasure/", {"password": "wrong", "understood": "on"}
    )
    assert response.status_code == 200
    assert "密码不正确" in response.content.decode()
    with tenancy.tenant_context(world.a):
        assert not ErasureRequest.objects.exists()
    response = signed_in.post(
        "/m/tenant-a/privacy/erasure/", {"password": PASSWORD, "understood": "on"}
    )
    assert response["Location"] == "/m/tenant-a/privacy/"
    with tenancy.tenant_context(world.a):
        request = ErasureRequest.objects.get()
        assert request.member == li and request.status == ErasureStatus.PENDING
    page = signed_in.get("/m/tenant-a/privacy/").content.decode()
    # The pending request, with the button to withdraw it ("撤回申请").
    assert "撤回申请" in page and 'action="/m/tenant-a/privacy/erasure/withdraw/"' in page


def test_a_member_withdraws_and_sees_a_refusal_with_its_reason(world, signed_in, people):
    signed_in.post("/m/tenant-a/privacy/erasure/", {"password": PASSWORD, "understood": "on"})
    signed_in.post("/m/tenant-a/privacy/erasure/withdraw/")
    with tenancy.tenant_context(world.a):
        assert ErasureRequest.objects.get().status == ErasureStatus.WITHDRAWN
    signed_in.post("/m/tenant-a/privacy/erasure/", {"password": PASSWORD, "understood": "on"})
    with tenancy.tenant_context(world.a):
        request = ErasureRequest.objects.get(status=ErasureStatus.PENDING)
        member_actions.do_decide_erasure(
            request,
            approve=False,
            reason="投诉尚未结案",
            actor=world.user(world.a, Role.MANAGER),
        )
    page = signed_in.get("/m/tenant-a/privacy/").content.decode()
    assert "投诉尚未结案" in page


def test_an_approved_erasure_ends_the_members_session(world, signed_in, people):
    signed_in.post("/m/tenant-a/privacy/erasure/", {"password": PASSWORD, "understood": "on"})
    with tenancy.tenant_context(world.a):
        member_actions.do_decide_erasure(
            ErasureRequest.objects.get(), approve=True, actor=world.user(world.a, Role.MANAGER)
        )
    response = signed_in.get("/m/tenant-a/privacy/")
    assert response.status_code == 302
    assert response["Location"].startswith("/m/tenant-a/login/")
    response = signed_in.post(
        "/m/tenant-a/login/", {"identifier": "13900000001", "password": PASSWORD}
    )
    assert response.status_code == 200  # nobody by that phone any more
