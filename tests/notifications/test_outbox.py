import datetime
import json
import uuid

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from notifications import actions
from notifications import outbox as outbox_module
from notifications.actions import do_deliver_messages, do_sweep
from notifications.models import Message, MessageStatus
from notifications.outbox import do_enqueue_message
from notifications.selectors import Address, messages_for_member
from notifications.tasks import deliver_messages
from tests.notifications.factories import MessageFactory

pytestmark = pytest.mark.django_db


def enqueue(channel="sms", recipient="+8613800000001", language="en", **overrides):
    arguments = {
        "template": "registration",
        "to": Address(channel, recipient, language),
        "context": {"tenant": "Tenant A", "card_number": "A0001", "password": "s3cret-Pw"},
        "dedupe_key": "registration:1",
        "member_id": 1,
    }
    return do_enqueue_message(**{**arguments, **overrides})


class WorkerDied(BaseException):
    """Stands for the process being killed: not an Exception, nothing catches it."""


def test_a_rolled_back_transaction_leaves_no_message_and_queues_no_task(
    notify_settings, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue()
        raise RuntimeError("the cause failed")
    assert not Message.objects.exists()
    assert callbacks == []

    # The control: a commit queues one task.
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        enqueue()
    assert Message.objects.count() == 1
    assert len(callbacks) == 1


def test_it_delivers_after_commit_and_redacts_the_password(
    notify_settings, outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 1
    written = json.loads((outbox / "sms" / f"{message.reference}.json").read_text())
    assert "s3cret-Pw" in written["text"] and written["to"] == "+8613800000001"
    assert "s3cret-Pw" not in message.body  # kept text no longer holds the initial password
    assert "******" in message.body


def test_the_same_cause_writes_one_message(notify_settings):
    first = enqueue()
    second = enqueue(recipient="+8613800000009")
    assert first.pk == second.pk and Message.objects.count() == 1


def test_the_tenant_template_in_the_members_language_is_used(in_a, notify_settings):
    from tests.notifications.factories import MessageTemplateFactory

    MessageTemplateFactory(key="birthday", language="zh-hans", body="{{ name }} 生日快乐")
    zh = enqueue(
        template="birthday", context={"name": "李娜"}, language="zh-hans", dedupe_key="b:1"
    )
    en = enqueue(template="birthday", context={"name": "Li Na"}, language="en", dedupe_key="b:2")
    assert zh.body == "李娜 生日快乐"
    assert en.body == "Happy birthday, Li Na! Best wishes from Tenant A."


def test_a_worker_dying_after_the_provider_accepted_causes_no_duplicate(
    notify_settings, gateway, monkeypatch, django_capture_on_commit_callbacks
):
    """GIVEN a message claimed by a worker that dies after the gateway accepted it
    WHEN its claim expires and the sweep hands it to another worker
    THEN the gateway sees the same client reference again and the member gets one SMS."""
    message = enqueue()
    real_mark_sent = actions.mark_sent

    def die(*args, **kwargs):
        raise WorkerDied

    monkeypatch.setattr(actions, "mark_sent", die)
    with pytest.raises(WorkerDied):
        do_deliver_messages([message.pk])
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING
    assert len(gateway.accepted) == 1

    monkeypatch.setattr(actions, "mark_sent", real_mark_sent)
    with django_capture_on_commit_callbacks(execute=True):
        assert do_sweep() == 0  # the claim is still live: nobody else may take it
    assert len(gateway.calls) == 1

    later = timezone.now() + actions.CLAIM_TTL + datetime.timedelta(minutes=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert do_sweep() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert [call["client_reference"] for call in gateway.calls] == [message.reference] * 2
    assert len(gateway.accepted) == 1
    assert message.provider_message_id == gateway.accepted[message.reference]


def test_a_slow_worker_that_lost_its_claim_cannot_overwrite_the_new_one(notify_settings):
    message = enqueue()
    token = uuid.uuid4()
    stale = actions._claim([message.pk], token, timezone.now())[0]
    Message.objects.filter(pk=message.pk).update(claim_token=None, status=MessageStatus.PENDING)
    assert actions.mark_sent([(stale, "late")], token) == 0


def test_a_transient_gateway_error_retries_later_with_backoff(notify_settings, gateway):
    message = enqueue()
    gateway.fail_with = 503
    assert do_deliver_messages([message.pk])["retry"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING and message.attempts == 1
    assert message.due_at >= timezone.now() + datetime.timedelta(seconds=actions.BACKOFF_BASE - 1)
    assert "503" in message.last_error

    assert do_deliver_messages([message.pk]) == dict.fromkeys(
        ["sent", "failed", "retry", "skipped", "held"], 0
    )  # not due yet: a repeated task does nothing

    gateway.fail_with = None
    with time_machine.travel(message.due_at + datetime.timedelta(seconds=1), tick=False):
        assert do_deliver_messages([message.pk])["sent"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2


def test_a_permanent_gateway_error_fails_the_message_at_once(notify_settings, gateway):
    message = enqueue()
    gateway.fail_with = 400
    assert do_deliver_messages([message.pk])["failed"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "400" in message.last_error
    assert "s3cret-Pw" not in message.body


def test_transient_errors_give_up_after_max_attempts(notify_settings, gateway):
    message = enqueue()
    gateway.fail_with = 500
    for _ in range(actions.MAX_ATTEMPTS):
        message.refresh_from_db()
        with time_machine.travel(max(message.due_at, timezone.now()), tick=False):
            do_deliver_messages([message.pk])
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == actions.MAX_ATTEMPTS
    assert len(gateway.calls) == actions.MAX_ATTEMPTS


def test_the_gateway_gets_key_sender_and_reference(notify_settings, gateway):
    notify_settings.sms_sender = "AMBER"
    notify_settings.sms_signature = "【Amber】"
    notify_settings.save()
    message = enqueue()
    do_deliver_messages([message.pk])
    (call,) = gateway.calls
    assert call["from"] == "AMBER" and call["text"].startswith("【Amber】Welcome")
    assert call["client_reference"] == call["idempotency_key"] == message.reference


def test_a_never_queued_message_is_picked_up_by_the_sweep(
    notify_settings, outbox, django_capture_on_commit_callbacks
):
    """A crash right after commit (or a broker outage) lost the task: the lease runs out and
    the sweep queues the message."""
    message = enqueue()  # on-commit task never runs here
    with django_capture_on_commit_callbacks(execute=True):
        assert do_sweep() == 0  # leased to the (lost) task for a while
    later = timezone.now() + outbox_module.QUEUE_LEASE + datetime.timedelta(seconds=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert do_sweep() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert (outbox / "sms" / f"{message.reference}.json").exists()


def test_e_mail_goes_through_the_mailer_with_one_file_per_message(notify_settings, outbox):
    message = enqueue(channel="email", recipient="li@example.com")
    do_deliver_messages([message.pk])
    files = list((outbox / "email").glob("*.eml"))
    assert len(files) == 1 and message.reference in files[0].name
    text = files[0].read_text()
    assert "Subject: Welcome to Tenant A" in text and "li@example.com" in text
    assert f"Message-ID: <{message.reference}@" in text
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_the_delivery_log_of_a_member(in_a, world):
    from core import tenancy

    older = MessageFactory(member_id=7, created_at=timezone.now() - datetime.timedelta(days=1))
    newer = MessageFactory(member_id=7)
    MessageFactory(member_id=8)
    with tenancy.tenant_context(world.b):
        MessageFactory(member_id=7)
    assert list(messages_for_member(7)) == [newer, older]


def test_the_delivery_task_takes_ids_and_a_tenant(notify_settings, outbox, world):
    message = enqueue()
    result = deliver_messages.delay(tenant_id=world.a.pk, message_ids=[message.pk]).get()
    assert result["sent"] == 1
    # Tenant B's task does not see tenant A's row.
    assert deliver_messages.delay(tenant_id=world.b.pk, message_ids=[message.pk]).get()["sent"] == 0


def test_an_unreachable_gateway_is_a_transient_error(notify_settings, settings):
    import socket

    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.channels.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{port}/messages"
    settings.SMS_HTTP_TIMEOUT = 2
    message = enqueue()
    assert do_deliver_messages([message.pk])["retry"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING and "network" in message.last_error
