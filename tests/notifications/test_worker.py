"""End to end: a real Celery worker process, through the real Redis, delivers a message."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from core import tenancy
from notifications.models import Message, MessageStatus
from notifications.outbox import do_enqueue_message
from notifications.selectors import Address
from tests.notifications.factories import NotificationSettingsFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def real_broker():
    from config.celery import app

    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (a real Redis broker)")
    app.conf.task_always_eager = False  # the autouse fixture restores it
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")  # nothing stale from an earlier run
    return app


@pytest.fixture
def worker(real_broker, outbox, tmp_path):
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "NOTIFICATIONS_OUTBOX_DIR": str(outbox),
        "SMS_BACKEND": "notifications.channels.sms.FileSmsBackend",
        "CONN_MAX_AGE": "0",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            "celery",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.send_signal(signal.SIGTERM)  # warm shutdown: finish the task, then exit
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_through_redis_to_the_file_backend(world, worker, outbox, tmp_path):
    with tenancy.tenant_context(world.a):
        NotificationSettingsFactory(rate_per_minute=100)
        with transaction.atomic():
            message = do_enqueue_message(
                template="birthday",
                to=Address("sms", "+8613800000042", "en"),
                context={"name": "Wei"},
                dedupe_key="e2e:1",
                member_id=42,
            )
    target = outbox / "sms" / f"{message.reference}.json"
    status = None
    for _ in range(120):  # at most about a minute
        with tenancy.tenant_context(world.a):
            status = Message.objects.filter(pk=message.pk).values_list("status", flat=True)[0]
        if status == MessageStatus.SENT and target.exists():
            break
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        time.sleep(0.5)
    assert status == MessageStatus.SENT, (tmp_path / "worker.log").read_text()
    written = json.loads(target.read_text())
    assert written["text"] == "Happy birthday, Wei! Best wishes from Tenant A."
    assert written["to"] == "+8613800000042"
