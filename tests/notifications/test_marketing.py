"""Marketing messages under China's SMS rules: the opt-out line, the marketing window, the
per-phone daily cap, replies that withdraw consent, and consent recorded by staff, each with
its history. Rules are configured as the tenant's staff do (the tenant admin, the member page,
the API) and checked where members and staff meet them (the outbox, the pages, the API)."""

import datetime
import json
import threading
import zoneinfo

import pytest
import time_machine
from django.db import connection

from core import tenancy
from notifications.actions import do_deliver_messages, do_sweep
from notifications.models import ConsentChange, Message, MessageStatus
from notifications.outbox import do_enqueue_message
from notifications.selectors import Address
from tests.membership.factories import MemberFactory

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
SETTINGS_URL = "/t/tenant-a/admin/notifications/notificationsettings/"
INBOUND = "/api/v1/tenant-a/sms/inbound/"

DEFAULTS = {
    "sms_sender": "",
    "sms_signature": "【Amber】",
    "email_from": "",
    "quiet_start": "00:00",
    "quiet_end": "00:00",
    "rate_per_minute": "1000",
    "points_lead_days": "30",
    "membership_lead_days": "30",
    "send_hour": "10",
    "marketing_start": "08:00",
    "marketing_end": "21:00",
    "marketing_sms_daily_cap": "1",
    "sms_opt_out_zh": "拒收请回复R",
    "sms_opt_out_en": "Reply R to opt out",
}


def configure(client, **changes):
    """Save tenant A's notification settings through the tenant admin, as its owner does."""
    from notifications.models import NotificationSettings

    with tenancy.dangerously_all_tenants():
        row = NotificationSettings.objects.filter(tenant__slug="tenant-a").first()
    url = f"{SETTINGS_URL}{row.pk}/change/" if row else f"{SETTINGS_URL}add/"
    response = client.post(url, {**DEFAULTS, **changes})
    assert response.status_code == 302, response.content.decode()[:3000]


def api(key):
    return {"HTTP_AUTHORIZATION": f"Api-Key {key.raw_key}"}


def grant_at_counter(client, member, *, channel="sms", purpose="marketing", granted="yes"):
    """Front desk records the member's consent on the member page."""
    response = client.post(
        f"/t/tenant-a/members/{member.pk}/consent/",
        {"channel": channel, "purpose": purpose, "granted": granted, "source": "counter"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]


def marketing(member, n=1, *, channel="sms", language="en", purpose="marketing"):
    with tenancy.tenant_context(member.tenant):
        return do_enqueue_message(
            template="broadcast",
            to=Address(channel, str(member.phone) if channel == "sms" else member.email, language),
            context={"message": f"Offer {n}"},
            dedupe_key=f"offer:{member.pk}:{n}:{channel}:{purpose}",
            member_id=member.pk,
            purpose=purpose,
        )


def deliver(*messages):
    with tenancy.tenant_context(messages[0].tenant):
        counts = do_deliver_messages([m.pk for m in messages])
        for m in messages:
            m.refresh_from_db()
        return counts


def sent_texts(outbox):
    return sorted(
        json.loads(path.read_text(encoding="utf-8"))["text"]
        for path in (outbox / "sms").glob("*.json")
    )


@pytest.fixture
def staff(client, world):
    client.force_login(world.user(world.a, "owner"))
    return client


@pytest.fixture
def li(world):
    with tenancy.tenant_context(world.a):
        return MemberFactory(tenant=world.a, phone="+8613800000001", language="en")


# --- the opt-out line --------------------------------------------------------------------------


class TestOptOutLine:
    def test_the_admin_offers_the_defaults_in_both_languages(self, staff):
        page = staff.get(f"{SETTINGS_URL}add/").content.decode()
        assert "拒收请回复R" in page and "Reply R to opt out" in page

    def test_a_marketing_sms_carries_it_once_a_service_sms_and_an_e_mail_do_not(
        self, staff, world, li, outbox
    ):
        configure(staff, marketing_start="00:00", marketing_end="00:00")
        grant_at_counter(staff, li)
        grant_at_counter(staff, li, channel="email")
        offer, mail = marketing(li), marketing(li, channel="email")
        service = marketing(li, purpose="service")
        assert offer.body == "Tenant A: Offer 1 Reply R to opt out"
        assert service.body == mail.body == "Tenant A: Offer 1"
        deliver(offer, service)
        assert sent_texts(outbox) == [
            "【Amber】Tenant A: Offer 1",
            "【Amber】Tenant A: Offer 1 Reply R to opt out",
        ]

    def test_the_tenant_edits_it_and_chinese_members_get_the_chinese_line(self, staff, li):
        configure(
            staff,
            marketing_start="00:00",
            marketing_end="00:00",
            sms_opt_out_zh="回T退订",
            sms_opt_out_en="Reply T to stop",
        )
        grant_at_counter(staff, li)
        assert marketing(li, 1, language="zh-hans").body.endswith(" 回T退订")
        assert marketing(li, 2).body.endswith("Offer 2 Reply T to stop")

    def test_a_tenant_template_that_already_ends_with_it_is_not_given_it_twice(self, staff, li):
        configure(staff, marketing_start="00:00", marketing_end="00:00")
        response = staff.post(
            "/t/tenant-a/admin/notifications/messagetemplate/add/",
            {"key": "broadcast", "language": "en", "body": "{{ message }}. Reply R to opt out"},
        )
        assert response.status_code == 302
        grant_at_counter(staff, li)
        assert marketing(li).body == "Offer 1. Reply R to opt out"
        # the default (Chinese) template has no line of its own: it gets one
        assert marketing(li, 2, language="zh-hans").body.endswith("拒收请回复R")

    def test_a_marketing_broadcast_by_sms_carries_it(self, staff, world, li):
        configure(staff, marketing_start="00:00", marketing_end="00:00")
        grant_at_counter(staff, li)
        response = staff.post(
            "/t/tenant-a/admin/notifications/broadcast/add/",
            {
                "name": "Autumn",
                "channel": "sms",
                "purpose": "marketing",
                "subject": "",
                "text": "Double points",
                "segment": "{}",
                "send_at_0": "2020-01-01",
                "send_at_1": "10:00",
                "status": "scheduled",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        with tenancy.tenant_context(world.a):
            do_sweep()
            row = Message.objects.get(template="broadcast", member_id=li.pk)
        assert row.body == "Tenant A: Double points Reply R to opt out"


# --- the marketing window ----------------------------------------------------------------------


class TestMarketingWindow:
    def test_the_defaults_are_8_to_21(self, staff):
        page = staff.get(f"{SETTINGS_URL}add/").content.decode()
        assert 'name="marketing_start" value="08:00' in page
        assert 'name="marketing_end" value="21:00' in page

    def test_an_offer_written_in_the_evening_waits_for_the_morning_and_then_goes(
        self, staff, world, li, outbox, django_capture_on_commit_callbacks
    ):
        configure(staff)  # 08:00-21:00, no quiet hours
        grant_at_counter(staff, li)
        grant_at_counter(staff, li, channel="email")
        evening = datetime.datetime(2026, 11, 21, 21, 30, tzinfo=SHANGHAI)
        with (
            time_machine.travel(evening, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            offer, mail = marketing(li), marketing(li, channel="email")
            service = marketing(li, purpose="service")
        for m in (offer, mail, service):
            m.refresh_from_db()
        assert service.status == MessageStatus.SENT  # the window is for marketing only
        assert offer.status == mail.status == MessageStatus.PENDING
        morning = datetime.datetime(2026, 11, 22, 8, 0, tzinfo=SHANGHAI)
        assert offer.due_at == mail.due_at == morning
        with (
            time_machine.travel(morning + datetime.timedelta(minutes=1), tick=False),
            django_capture_on_commit_callbacks(execute=True),
            tenancy.tenant_context(world.a),
        ):
            assert do_sweep() == 2
        offer.refresh_from_db()
        mail.refresh_from_db()
        assert offer.status == mail.status == MessageStatus.SENT

    def test_an_offer_due_when_the_window_closes_is_held_at_delivery_not_dropped(self, staff, li):
        configure(staff)
        grant_at_counter(staff, li)
        before = datetime.datetime(2026, 11, 21, 20, 59, tzinfo=SHANGHAI)
        with time_machine.travel(before, tick=False):
            offer = marketing(li)
        with time_machine.travel(before + datetime.timedelta(minutes=2), tick=False):
            assert deliver(offer)["held"] == 1
        assert offer.status == MessageStatus.PENDING and offer.attempts == 0
        assert offer.last_error == "held for the marketing window"
        assert offer.due_at == datetime.datetime(2026, 11, 22, 8, 0, tzinfo=SHANGHAI)

    def test_quiet_hours_still_apply_on_top_of_the_window(self, staff, li):
        configure(staff, quiet_start="07:00", quiet_end="09:00")
        grant_at_counter(staff, li)
        with time_machine.travel(datetime.datetime(2026, 11, 21, 6, 0, tzinfo=SHANGHAI)):
            offer = marketing(li, 1)
        # not quiet at 06:00, but the window opens at 08:00, inside quiet hours: the offer goes
        # when both allow it
        assert offer.due_at == datetime.datetime(2026, 11, 21, 9, 0, tzinfo=SHANGHAI)
        configure(staff, quiet_start="22:00", quiet_end="07:30")
        with time_machine.travel(datetime.datetime(2026, 11, 21, 7, 0, tzinfo=SHANGHAI)):
            offer = marketing(li, 2)
        # quiet hours end at 07:30, the window opens at 08:00
        assert offer.due_at == datetime.datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI)


# --- the daily cap per phone -------------------------------------------------------------------


class TestDailyCap:
    def test_the_second_offer_of_the_day_to_a_phone_waits_for_the_next_day(
        self, staff, world, li, outbox, django_capture_on_commit_callbacks
    ):
        configure(staff, marketing_sms_daily_cap="1")
        grant_at_counter(staff, li)
        noon = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=SHANGHAI)
        with time_machine.travel(noon, tick=False):
            first, second = marketing(li, 1), marketing(li, 2)
            service = marketing(li, 3, purpose="service")
            counts = deliver(first, second, service)
        assert counts["sent"] == 2 and counts["held"] == 1
        assert first.status == service.status == MessageStatus.SENT
        assert second.status == MessageStatus.PENDING and second.attempts == 0
        assert second.last_error == "frequency cap"
        assert second.due_at == datetime.datetime(2026, 11, 22, 8, 0, tzinfo=SHANGHAI)
        with (
            time_machine.travel(second.due_at + datetime.timedelta(minutes=1), tick=False),
            django_capture_on_commit_callbacks(execute=True),
            tenancy.tenant_context(world.a),
        ):
            assert do_sweep() == 1
        second.refresh_from_db()
        assert second.status == MessageStatus.SENT
        assert len(sent_texts(outbox)) == 3

    def test_the_cap_is_per_phone_and_the_tenant_sets_it(self, staff, world, li):
        configure(staff, marketing_sms_daily_cap="2")
        with tenancy.tenant_context(world.a):
            wang = MemberFactory(tenant=world.a, phone="+8613800000002")
        grant_at_counter(staff, li)
        grant_at_counter(staff, wang)
        with time_machine.travel(datetime.datetime(2026, 11, 21, 12, 0, tzinfo=SHANGHAI)):
            rows = [marketing(li, 1), marketing(li, 2), marketing(li, 3), marketing(wang, 1)]
            counts = deliver(*rows)
        assert counts["sent"] == 3 and counts["held"] == 1
        assert [r.status for r in rows] == ["sent", "sent", "pending", "sent"]

    def test_a_retry_keeps_its_slot_and_is_not_counted_twice(self, staff, world, li, gateway):
        configure(staff, marketing_sms_daily_cap="1")
        grant_at_counter(staff, li)
        noon = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=SHANGHAI)
        gateway.fail_with = 503
        with time_machine.travel(noon, tick=False):
            offer = marketing(li)
            assert deliver(offer)["retry"] == 1
        gateway.fail_with = None
        with time_machine.travel(noon + datetime.timedelta(minutes=5), tick=False):
            assert deliver(offer)["sent"] == 1
            assert offer.status == MessageStatus.SENT
            # the retried offer took the day's one slot: the next one waits
            later = marketing(li, 2)
            assert deliver(later)["held"] == 1
        assert later.last_error == "frequency cap"


@pytest.mark.django_db(transaction=True)
def test_the_cap_holds_across_workers_delivering_at_once(client, world, monkeypatch):
    """Six workers each deliver an offer to the same phone at the same moment: exactly the cap
    goes, the others wait for tomorrow."""
    from notifications.tasks import deliver_messages

    monkeypatch.setattr(deliver_messages, "apply_async", lambda **kwargs: None)  # workers below
    client.force_login(world.user(world.a, "owner"))
    configure(client, marketing_start="00:00", marketing_end="00:00", marketing_sms_daily_cap="1")
    with tenancy.tenant_context(world.a):
        li = MemberFactory(tenant=world.a, phone="+8613800000001")
    grant_at_counter(client, li)
    offers = [marketing(li, n) for n in range(6)]
    start, results, errors = threading.Barrier(len(offers)), [], []

    def worker(message):
        try:
            start.wait()
            with tenancy.tenant_context(world.a):
                results.append(do_deliver_messages([message.pk]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(m,)) for m in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r["sent"] for r in results) == 1
    assert sum(r["held"] for r in results) == 5
    with tenancy.tenant_context(world.a):
        held = Message.objects.filter(status=MessageStatus.PENDING)
        assert {m.last_error for m in held} == {"frequency cap"}


# --- replies to marketing SMS ------------------------------------------------------------------


class TestReplies:
    @pytest.fixture
    def twins(self, world, li, staff):
        """Li in tenant A and a member with the same phone in tenant B, both opted in."""
        configure(staff, marketing_start="00:00", marketing_end="00:00")
        grant_at_counter(staff, li)
        with tenancy.tenant_context(world.b):
            from notifications.actions import do_set_consent

            other = MemberFactory(tenant=world.b, phone="+8613800000001")
            do_set_consent(
                member_id=other.pk,
                channel="sms",
                purpose="marketing",
                granted=True,
                source="counter",
                actor="staff #1",
            )
        return li, other

    def consent(self, client, key, member):
        response = client.get(f"/api/v1/tenant-a/members/{member.pk}/consents/", **api(key))
        assert response.status_code == 200
        return response.json()

    @pytest.mark.parametrize(
        "reply", ["R", "td", " TD ", "t", "退订", "\uff34\uff24", "\uff52", "退订。"]
    )
    def test_an_opt_out_reply_withdraws_marketing_by_sms(self, client, world, twins, reply):
        li, other = twins
        key = world.api_key(world.a)
        response = client.post(
            INBOUND,
            {"from": "13800000001", "text": reply},
            content_type="application/json",
            **api(key),
        )
        assert response.status_code == 200, response.content
        assert response.json() == {"opt_out": True, "members": 1}
        state = self.consent(client, key, li)
        assert {
            "channel": "sms",
            "purpose": "marketing",
            "granted": False,
        }.items() <= state["consents"][0].items()
        assert state["history"][0]["source"] == "sms_reply"
        assert state["history"][0]["actor"] == "sms gateway"
        assert marketing(li).status == MessageStatus.SKIPPED  # the next offer is not sent
        with tenancy.tenant_context(world.b):
            from notifications.selectors import allowed_members

            assert allowed_members([other.pk], "sms", "marketing") == {other.pk}

    @pytest.mark.parametrize("text", ["Thanks!", "RT", "", "退订了吗"])
    def test_any_other_text_is_ignored(self, client, world, twins, text):
        li, _other = twins
        key = world.api_key(world.a)
        response = client.post(
            INBOUND,
            {"from": "+8613800000001", "text": text},
            content_type="application/json",
            **api(key),
        )
        assert response.status_code == 200 and response.json()["opt_out"] is False
        assert self.consent(client, key, li)["consents"][0]["granted"] is True

    def test_the_gateway_may_sign_with_its_shared_secret(self, client, world, twins, settings):
        settings.SMS_HTTP_INBOUND_SECRET = "gateway-secret-123"
        body = {"from": "8613800000001", "text": "R"}
        wrong = client.post(
            INBOUND, body, content_type="application/json", HTTP_AUTHORIZATION="Bearer nope"
        )
        assert wrong.status_code == 401
        assert client.post(INBOUND, body, content_type="application/json").status_code in (
            401,
            403,
        )
        response = client.post(
            INBOUND,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION="Bearer gateway-secret-123",
        )
        assert response.status_code == 200 and response.json()["members"] == 1

    def test_without_a_configured_secret_a_bearer_token_is_refused(self, client, twins):
        response = client.post(
            INBOUND,
            {"from": "13800000001", "text": "R"},
            content_type="application/json",
            HTTP_AUTHORIZATION="Bearer ",
        )
        assert response.status_code == 401

    def test_a_staff_session_cannot_post_a_reply_for_a_member(self, staff, twins):
        response = staff.post(
            INBOUND, {"from": "13800000001", "text": "R"}, content_type="application/json"
        )
        assert response.status_code == 403


# --- consent recorded by staff, and its history ------------------------------------------------


class TestConsentRecordedByStaff:
    def test_front_desk_records_a_counter_consent_on_the_member_page(self, client, world, li):
        desk = world.user(world.a, "front_desk")
        client.force_login(desk)
        assert marketing(li, 1).status == MessageStatus.SKIPPED  # opt-in needed
        response = client.post(
            f"/t/tenant-a/members/{li.pk}/consent/",
            {
                "channel": "sms",
                "purpose": "marketing",
                "granted": "yes",
                "source": "counter",
                "given_at": "2026-11-20T15:30",
            },
        )
        assert response.status_code == 302
        page = client.get(f"/t/tenant-a/members/{li.pk}/").content.decode()
        # stored by id (core.actors), shown by the name the user has now
        with tenancy.tenant_context(world.a):
            assert ConsentChange.objects.filter(actor=f"staff #{desk.pk}").exists()
        consent = page.split('id="consent"')[1].split("</section>")[0]
        assert "2026-11-20 15:30" in consent and desk.get_full_name() in consent
        assert marketing(li, 2).status == MessageStatus.PENDING

    def test_a_consent_given_in_the_future_is_refused(self, staff, li):
        response = staff.post(
            f"/t/tenant-a/members/{li.pk}/consent/",
            {
                "channel": "sms",
                "purpose": "marketing",
                "granted": "yes",
                "source": "counter",
                "given_at": "2099-01-01T10:00",
            },
        )
        assert response.status_code == 400
        assert marketing(li).status == MessageStatus.SKIPPED

    def test_the_api_records_it_with_its_time_source_and_recorder(self, client, world, li):
        key = world.api_key(world.a)
        url = f"/api/v1/tenant-a/members/{li.pk}/consents/"
        response = client.post(
            url,
            {
                "channel": "sms",
                "purpose": "marketing",
                "granted": True,
                "source": "import",
                "given_at": "2026-11-01T10:00:00+08:00",
            },
            content_type="application/json",
            **api(key),
        )
        assert response.status_code == 201, response.content
        change = response.json()["history"][0]
        assert change["source"] == "import" and change["actor"] == f"api-key:{key.key_id}"
        assert change["given_at"] == "2026-11-01T02:00:00Z"  # 10:00 in Shanghai
        # a choice given earlier than the one on record goes into the history only
        older = client.post(
            url,
            {
                "channel": "sms",
                "purpose": "marketing",
                "granted": False,
                "given_at": "2026-10-01T10:00:00+08:00",
            },
            content_type="application/json",
            **api(key),
        )
        assert older.status_code == 201
        assert older.json()["consents"][0]["granted"] is True
        assert len(older.json()["history"]) == 2
        assert marketing(li).status == MessageStatus.PENDING

    def test_the_api_does_not_let_a_client_claim_the_portal_or_an_sms_reply(
        self, client, world, li
    ):
        key = world.api_key(world.a)
        for source in ("portal", "sms_reply", "erasure"):
            response = client.post(
                f"/api/v1/tenant-a/members/{li.pk}/consents/",
                {"channel": "sms", "purpose": "marketing", "granted": True, "source": source},
                content_type="application/json",
                **api(key),
            )
            assert response.status_code == 400

    def test_the_history_is_read_only_in_the_tenant_admin(self, staff, world, li):
        grant_at_counter(staff, li)
        listing = staff.get("/t/tenant-a/admin/notifications/consentchange/")
        assert listing.status_code == 200 and f"staff #{world.user(world.a, 'owner').pk}" in (
            listing.content.decode()
        )
        assert staff.get("/t/tenant-a/admin/notifications/consentchange/add/").status_code == 403
        assert staff.get("/t/tenant-a/admin/notifications/consent/add/").status_code == 403
