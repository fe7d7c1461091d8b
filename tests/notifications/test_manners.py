"""Consent, quiet hours and the per-tenant rate limit."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from notifications import actions
from notifications.actions import do_deliver_messages, do_set_consent, do_sweep
from notifications.models import Message, MessageStatus
from notifications.outbox import do_enqueue_message
from notifications.selectors import Address

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def set_consent(**kwargs):
    return do_set_consent(**kwargs, source="counter", actor="staff #1")


def enqueue(n=1, *, purpose="service", channel="sms", member_id=None):
    return do_enqueue_message(
        template="birthday",
        to=Address(channel, "+8613800000001" if channel == "sms" else "m@example.com", "en"),
        context={"name": f"M{n}"},
        dedupe_key=f"t:{n}:{purpose}:{channel}",
        member_id=member_id or n,
        purpose=purpose,
    )


class TestConsent:
    def test_service_messages_go_unless_the_member_opted_out(self, notify_settings):
        set_consent(member_id=2, channel="sms", purpose="service", granted=False)
        allowed, refused = enqueue(1), enqueue(2)
        assert allowed.status == MessageStatus.PENDING
        assert refused.status == MessageStatus.SKIPPED and refused.last_error == "no consent"

    def test_marketing_needs_an_opt_in(self, notify_settings):
        set_consent(member_id=2, channel="sms", purpose="marketing", granted=True)
        assert enqueue(1, purpose="marketing").status == MessageStatus.SKIPPED
        assert enqueue(2, purpose="marketing").status == MessageStatus.PENDING

    def test_consent_is_per_channel(self, notify_settings):
        set_consent(member_id=1, channel="sms", purpose="service", granted=False)
        assert enqueue(1, channel="sms").status == MessageStatus.SKIPPED
        assert enqueue(1, channel="email").status == MessageStatus.PENDING

    def test_an_opt_out_after_the_message_was_written_is_honoured_at_delivery(
        self, notify_settings, outbox
    ):
        message = enqueue(1)
        set_consent(member_id=1, channel="sms", purpose="service", granted=False)
        assert do_deliver_messages([message.pk])["skipped"] == 1
        message.refresh_from_db()
        assert message.status == MessageStatus.SKIPPED
        assert not (outbox / "sms").exists()


class TestQuietHours:
    @pytest.fixture
    def quiet(self, notify_settings):
        notify_settings.quiet_start = datetime.time(21, 0)
        notify_settings.quiet_end = datetime.time(8, 0)
        notify_settings.save()

    def test_an_sms_written_at_night_is_held_until_morning_in_the_tenant_zone(
        self, quiet, outbox, django_capture_on_commit_callbacks
    ):
        night = datetime.datetime(2026, 11, 21, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC
        with (
            time_machine.travel(night, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            message = enqueue(1)
            email = enqueue(1, channel="email")
            assert do_sweep() == 0
        message.refresh_from_db()
        email.refresh_from_db()
        assert message.status == MessageStatus.PENDING
        assert message.due_at == datetime.datetime(2026, 11, 22, 8, 0, tzinfo=SHANGHAI)
        assert email.status == MessageStatus.SENT  # e-mail does not wake anyone
        morning = datetime.datetime(2026, 11, 22, 8, 1, tzinfo=SHANGHAI)
        with (
            time_machine.travel(morning, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert do_sweep() == 1
        message.refresh_from_db()
        assert message.status == MessageStatus.SENT

    def test_an_sms_already_queued_is_held_at_delivery_when_quiet_hours_begin(self, quiet):
        evening = datetime.datetime(2026, 11, 21, 20, 59, tzinfo=SHANGHAI)
        with time_machine.travel(evening, tick=False):
            message = enqueue(1)
        with time_machine.travel(evening + datetime.timedelta(minutes=2), tick=False):
            assert do_deliver_messages([message.pk])["held"] == 1
        message.refresh_from_db()
        assert message.status == MessageStatus.PENDING and message.attempts == 0
        assert message.due_at == datetime.datetime(2026, 11, 22, 8, 0, tzinfo=SHANGHAI)

    def test_quiet_hours_within_one_day(self, notify_settings):
        notify_settings.quiet_start = datetime.time(12, 0)
        notify_settings.quiet_end = datetime.time(14, 0)
        notify_settings.save()
        with time_machine.travel(datetime.datetime(2026, 5, 1, 13, 0, tzinfo=SHANGHAI)):
            message = enqueue(1)
        assert message.due_at == datetime.datetime(2026, 5, 1, 14, 0, tzinfo=SHANGHAI)


class TestRateLimit:
    def test_over_the_limit_messages_wait_for_the_next_minute_and_are_not_dropped(
        self, notify_settings, outbox, django_capture_on_commit_callbacks
    ):
        notify_settings.rate_per_minute = 3
        notify_settings.save()
        start = datetime.datetime(2026, 5, 1, 10, 0, 10, tzinfo=SHANGHAI)
        with time_machine.travel(start, tick=False):
            ids = [enqueue(n).pk for n in range(5)]
            counts = do_deliver_messages(ids)
        assert counts["sent"] == 3 and counts["held"] == 2
        waiting = Message.objects.filter(status=MessageStatus.PENDING)
        assert waiting.count() == 2
        assert {m.due_at for m in waiting} == {
            start.replace(second=0) + datetime.timedelta(minutes=1)
        }
        assert {m.attempts for m in waiting} == {0}
        with (
            time_machine.travel(start + datetime.timedelta(minutes=1), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert do_sweep() == 2
        assert Message.objects.filter(status=MessageStatus.SENT).count() == 5
        assert len(list((outbox / "sms").glob("*.json"))) == 5

    def test_the_limit_is_shared_by_every_worker_of_the_tenant(self, notify_settings):
        now = timezone.now()
        assert actions.take_rate_slots(notify_settings.tenant_id, 10, 6, now) == 6
        assert actions.take_rate_slots(notify_settings.tenant_id, 10, 6, now) == 4
        assert actions.take_rate_slots(notify_settings.tenant_id, 10, 6, now) == 0
        other_tenant = notify_settings.tenant_id + 1000
        assert actions.take_rate_slots(other_tenant, 10, 6, now) == 6
