"""Beat jobs: the sweep, broadcasts, reminders; period claiming; SKIP LOCKED claiming."""

import datetime
import threading
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction

from core import tenancy
from core.tasks import fan_out
from notifications import hooks
from notifications.actions import do_expand_broadcast, do_sweep, lease_due_messages
from notifications.hooks import Recipient, ReminderItem
from notifications.models import Broadcast, BroadcastStatus, Message, MessageStatus
from notifications.tasks import deliver_messages, run_reminders
from tests.notifications.factories import BroadcastFactory, ConsentFactory, MessageFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_beat_runs_the_sweep_and_reminders_through_the_period_claiming_fan_out():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["notifications-sweep"]["task"] == "core.fan_out"
    assert schedule["notifications-sweep"]["args"] == ("notifications.sweep", "minute")
    assert schedule["notifications-reminders"]["args"] == ("notifications.run_reminders", "hour")


@pytest.mark.django_db
def test_two_beats_in_the_same_minute_sweep_once(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    swept = []
    monkeypatch.setattr("notifications.actions.do_sweep", lambda: swept.append(1) or 0)
    with (
        time_machine.travel(datetime.datetime(2026, 5, 1, 2, 0, 5, tzinfo=datetime.UTC)),
        django_capture_on_commit_callbacks(execute=True),  # a task runs in autocommit
    ):
        assert fan_out.delay("notifications.sweep", "minute").get() == 2
        assert fan_out.delay("notifications.sweep", "minute").get() == 0
    assert len(swept) == 2  # once for each of the two tenants
    with time_machine.travel(datetime.datetime(2026, 5, 1, 2, 1, 5, tzinfo=datetime.UTC)):
        assert fan_out.delay("notifications.sweep", "minute").get() == 2


def audience_of(recipients):
    seen_segments = []

    def audience(tenant, segment):
        seen_segments.append(segment)
        yield from recipients

    audience.seen = seen_segments
    return audience


@pytest.mark.django_db
class TestBroadcast:
    def test_a_due_broadcast_is_expanded_once_into_batched_delivery_tasks(
        self, notify_settings, monkeypatch, django_capture_on_commit_callbacks
    ):
        ConsentFactory(member_id=1, channel="sms", purpose="marketing", granted=True)
        ConsentFactory(member_id=2, channel="sms", purpose="marketing", granted=True)
        audience = audience_of(
            [
                Recipient(member_id=1, sms="+8613800000001", language="en"),
                Recipient(member_id=2, sms="+8613800000002", language="zh-hans"),
                Recipient(member_id=3, sms="+8613800000003", language="en"),  # no opt-in
                Recipient(member_id=4, email="only@example.com"),  # no phone
            ]
        )
        broadcast = BroadcastFactory(segment={"tiers": ["gold"], "birthday_month": 5})
        sent_tasks = []
        monkeypatch.setattr(
            deliver_messages, "apply_async", lambda **kwargs: sent_tasks.append(kwargs)
        )
        with (
            hooks.temporarily(audience_func=audience),
            django_capture_on_commit_callbacks(execute=True),
        ):
            do_sweep()
            broadcast.refresh_from_db()
            assert broadcast.status == BroadcastStatus.DONE and broadcast.queued_count == 3
            # Expanded again (e.g. put back by mistake): nothing new.
            Broadcast.objects.filter(pk=broadcast.pk).update(status=BroadcastStatus.SCHEDULED)
            assert do_expand_broadcast(broadcast.pk) == 0
            broadcast.refresh_from_db()
            assert broadcast.queued_count == 3  # the rows already there still count
        assert audience.seen[0] == {"tiers": ["gold"], "birthday_month": 5}
        rows = {m.member_id: m for m in Message.objects.all()}
        assert set(rows) == {1, 2, 3}
        assert rows[3].status == MessageStatus.SKIPPED
        assert rows[1].dedupe_key == f"broadcast:{broadcast.pk}:1"
        assert rows[1].body == "Tenant A: Double points this weekend Reply R to opt out"
        assert rows[2].language == "zh-hans"
        # One task for the batch, not one per message.
        assert [sorted(t["kwargs"]["message_ids"]) for t in sent_tasks] == [
            sorted([rows[1].pk, rows[2].pk])
        ]

    def test_a_broadcast_follows_the_manners_of_the_outbox(
        self, notify_settings, monkeypatch, django_capture_on_commit_callbacks
    ):
        """Written set-based in SQL, a broadcast still applies consent (a service message goes
        to everyone but who opted out) and quiet hours (SMS held until morning, no task)."""
        notify_settings.quiet_start = datetime.time(21, 0)
        notify_settings.quiet_end = datetime.time(8, 0)
        notify_settings.save()
        ConsentFactory(member_id=2, channel="sms", purpose="service", granted=False)
        ConsentFactory(member_id=3, channel="sms", purpose="service", granted=True)
        audience = audience_of(
            [Recipient(member_id=m, sms=f"+861380000000{m}", language="en") for m in (1, 2, 3)]
        )
        night = datetime.datetime(2026, 11, 21, 23, 30, tzinfo=SHANGHAI)
        sent_tasks = []
        monkeypatch.setattr(
            deliver_messages, "apply_async", lambda **kwargs: sent_tasks.append(kwargs)
        )
        with (
            time_machine.travel(night, tick=False),
            hooks.temporarily(audience_func=audience),
            django_capture_on_commit_callbacks(execute=True),
        ):
            sms = BroadcastFactory(purpose="service", send_at=night)
            assert do_expand_broadcast(sms.pk) == 3
            email = BroadcastFactory(purpose="service", channel="email", send_at=night)
            audience = audience_of([Recipient(member_id=4, email="a@example.com")])
            with hooks.temporarily(audience_func=audience):
                assert do_expand_broadcast(email.pk) == 1
        rows = {m.member_id: m for m in Message.objects.filter(channel="sms")}
        assert rows[2].status == MessageStatus.SKIPPED and rows[2].last_error == "no consent"
        morning = datetime.datetime(2026, 11, 22, 8, 0, tzinfo=SHANGHAI)
        for member_id in (1, 3):
            assert rows[member_id].status == MessageStatus.PENDING
            assert rows[member_id].due_at == morning and rows[member_id].leased_until is None
        mail = Message.objects.get(channel="email")
        assert mail.status == MessageStatus.PENDING and mail.leased_until is not None
        assert mail.due_at == night  # e-mail does not wake anyone: queued at once
        assert [t["kwargs"]["message_ids"] for t in sent_tasks] == [[mail.pk]]

    def test_a_broadcast_is_committed_batch_by_batch_and_resumes_after_a_crash(
        self, notify_settings, monkeypatch, django_capture_on_commit_callbacks
    ):
        monkeypatch.setattr("notifications.actions.WRITE_BATCH", 2)
        for member_id in range(1, 6):
            ConsentFactory(member_id=member_id, channel="sms", purpose="marketing", granted=True)
        everyone = [Recipient(member_id=m, sms=f"+861380000000{m}") for m in range(1, 6)]

        def crashing(tenant, segment):
            yield from everyone[:2]
            raise RuntimeError("the worker died")

        broadcast = BroadcastFactory()
        sent_tasks = []
        monkeypatch.setattr(
            deliver_messages, "apply_async", lambda **kwargs: sent_tasks.append(kwargs)
        )
        with (
            django_capture_on_commit_callbacks(execute=True),
            hooks.temporarily(audience_func=crashing),
            pytest.raises(RuntimeError),
        ):
            do_expand_broadcast(broadcast.pk)
        broadcast.refresh_from_db()
        assert broadcast.status == BroadcastStatus.SCHEDULED  # the sweep will try again
        first = sorted(Message.objects.values_list("pk", flat=True))
        assert len(first) == 2 and [t["kwargs"]["message_ids"] for t in sent_tasks] == [first]
        with (
            django_capture_on_commit_callbacks(execute=True),
            hooks.temporarily(audience_func=audience_of(everyone)),
        ):
            assert do_expand_broadcast(broadcast.pk) == 3  # only the missing rows
        broadcast.refresh_from_db()
        assert broadcast.status == BroadcastStatus.DONE and broadcast.queued_count == 5
        assert sorted(Message.objects.values_list("member_id", flat=True)) == [1, 2, 3, 4, 5]
        queued = [i for t in sent_tasks for i in t["kwargs"]["message_ids"]]
        assert sorted(queued) == sorted(Message.objects.values_list("pk", flat=True))  # once each

    def test_a_broadcast_being_expanded_elsewhere_is_passed_over(self, notify_settings):
        import psycopg

        from notifications.actions import BROADCAST_LOCK

        broadcast = BroadcastFactory()
        db = connection.settings_dict
        other = psycopg.connect(
            host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"],
            dbname=db["NAME"], autocommit=True,
        )  # fmt: skip
        try:
            other.execute("SELECT pg_advisory_lock(%s, %s)", [BROADCAST_LOCK, broadcast.pk])
            with hooks.temporarily(audience_func=audience_of([Recipient(1, sms="+86138")])):
                assert do_expand_broadcast(broadcast.pk) == 0
            broadcast.refresh_from_db()
            assert broadcast.status == BroadcastStatus.SCHEDULED and not Message.objects.exists()
        finally:
            other.close()

    def test_a_broadcast_not_yet_due_waits(self, notify_settings):
        future = BroadcastFactory(send_at=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC))
        with hooks.temporarily(audience_func=audience_of([Recipient(1, sms="+86138")])):
            do_sweep()
        future.refresh_from_db()
        assert future.status == BroadcastStatus.SCHEDULED and not Message.objects.exists()

    def test_without_an_audience_provider_the_broadcast_fails_visibly(self, notify_settings):
        broadcast = BroadcastFactory()
        with hooks.temporarily():
            do_sweep()
        broadcast.refresh_from_db()
        assert broadcast.status == BroadcastStatus.FAILED and broadcast.last_error

    def test_a_bad_segment_is_refused(self, in_a):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            BroadcastFactory.build(tenant=in_a, segment={"tier": "gold"}).full_clean()


@pytest.mark.django_db
class TestReminders:
    @pytest.fixture
    def source(self):
        calls = []

        def birthdays(tenant, local_date, notification_settings):
            calls.append((tenant.pk, local_date, notification_settings.points_lead_days))
            yield ReminderItem(
                member_id=5,
                channel="sms",
                recipient="+8613800000005",
                language="en",
                template="birthday",
                context={"name": "Wei"},
                dedupe_key=f"birthday:5:{local_date.year}",
            )

        with hooks.temporarily(sources={"birthday": birthdays}):
            yield calls

    def test_reminders_run_once_a_day_from_the_send_hour_of_the_tenants_zone(
        self, notify_settings, source, world, outbox
    ):
        notify_settings.send_hour = 4
        notify_settings.points_lead_days = 14
        notify_settings.save()
        # 19:30 UTC on 1 March is 03:30 on 2 March in Shanghai: before the send hour.
        with time_machine.travel(datetime.datetime(2026, 3, 1, 19, 30, tzinfo=datetime.UTC)):
            assert run_reminders.delay(tenant_id=world.a.pk, period="x").get() is None
        assert source == []
        with time_machine.travel(datetime.datetime(2026, 3, 1, 20, 30, tzinfo=datetime.UTC)):
            assert run_reminders.delay(tenant_id=world.a.pk, period="x").get() == 1
            assert run_reminders.delay(tenant_id=world.a.pk, period="y").get() is None
        assert source == [(world.a.pk, datetime.date(2026, 3, 2), 14)]
        message = Message.objects.get()
        assert message.body == "Happy birthday, Wei! Best wishes from Tenant A."
        assert message.dedupe_key == "birthday:5:2026"

    def test_a_failed_run_leaves_the_day_for_the_next_hour(self, notify_settings, world):
        def broken(tenant, local_date, notification_settings):
            raise RuntimeError("source failed")
            yield

        with (
            hooks.temporarily(sources={"broken": broken}),
            time_machine.travel(datetime.datetime(2026, 3, 2, 5, 0, tzinfo=datetime.UTC)),
            pytest.raises(RuntimeError),
        ):
            run_reminders.delay(tenant_id=world.a.pk).get()
        from core.models import PeriodicRun

        assert not PeriodicRun.objects.filter(job="notifications.reminders").exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_take_disjoint_rows(world):
    """SELECT … FOR UPDATE SKIP LOCKED: while one sweep holds its rows, a second one takes
    others at once instead of waiting, and no row is taken twice."""
    with tenancy.tenant_context(world.a):
        for _ in range(10):
            MessageFactory(leased_until=None)
    taken, locked, release, errors = {}, threading.Event(), threading.Event(), []

    def first_sweep():
        try:
            with tenancy.tenant_context(world.a), transaction.atomic():
                taken["first"] = lease_due_messages(5)
                locked.set()
                release.wait()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            locked.set()
        finally:
            connection.close()

    thread = threading.Thread(target=first_sweep)
    thread.start()
    locked.wait()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")  # waiting on a lock would be the bug
        with tenancy.tenant_context(world.a):
            taken["second"] = lease_due_messages(10)
    finally:
        release.set()
        thread.join()
    assert not errors
    assert len(taken["first"]) == 5 and len(taken["second"]) == 5
    assert set(taken["first"]).isdisjoint(taken["second"])
