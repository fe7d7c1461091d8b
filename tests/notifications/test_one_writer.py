"""One outbox write path: one message or many go through the same manners and the same
statement; other apps never build rows; channels are dispatched through a registry."""

import ast
import datetime
import zoneinfo
from pathlib import Path

import pytest
import time_machine

from notifications import outbox, templates_default
from notifications.channels import base
from notifications.channels.base import Outgoing
from notifications.models import Message, MessageTemplate
from notifications.outbox import NewMessage, do_enqueue_message, do_enqueue_messages
from notifications.selectors import Address
from tests.notifications.factories import ConsentFactory, NotificationSettingsFactory

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
COMPARED = ("status", "last_error", "due_at", "leased_until", "body", "redacted_body", "subject")

CASES = [  # (template, channel, purpose, member consent or None, context)
    ("birthday", "sms", "marketing", None, {"name": "A"}),  # marketing without opt-in
    ("birthday", "sms", "marketing", True, {"name": "B"}),  # opted in: held, opt-out line
    ("birthday", "email", "service", False, {"name": "C"}),  # opted out of service
    ("registration", "sms", "service", False, {"card_number": "1", "password": "pw"}),
    ("registration", "sms", "service", None, {"card_number": "2", "password": "pw"}),  # quiet
    ("portal_reset_code", "sms", "service", None, {"code": "123456", "minutes": 10}),
]


def _messages(prefix):
    result = []
    for n, (template, channel, purpose, _consent, context) in enumerate(CASES):
        member_id = 1000 + n
        address = "+8613800000001" if channel == "sms" else "m@example.com"
        result.append(
            NewMessage(
                template=template,
                to=Address(channel, address, "en"),
                context=context,
                dedupe_key=f"{prefix}:{n}",
                member_id=member_id,
                purpose=purpose,
            )
        )
    return result


@time_machine.travel(datetime.datetime(2027, 3, 1, 22, 30, tzinfo=SHANGHAI), tick=False)
def test_one_message_and_many_get_the_same_consent_holds_and_texts(in_a):
    """GIVEN quiet hours (22:30) and the marketing window closed, members who opted in, out or
    never chose; WHEN the same messages are written one by one and as a batch; THEN each pair of
    rows is the same (status, reason, due time, lease, texts)."""
    NotificationSettingsFactory(
        tenant=in_a,
        quiet_start=datetime.time(21),
        quiet_end=datetime.time(8),
        marketing_start=datetime.time(9),
        marketing_end=datetime.time(20),
    )
    for n, (_t, channel, purpose, consent, _c) in enumerate(CASES):
        if consent is not None:
            ConsentFactory(member_id=1000 + n, channel=channel, purpose=purpose, granted=consent)
    for message in _messages("single"):
        do_enqueue_message(
            template=message.template,
            to=message.to,
            context=message.context,
            dedupe_key=message.dedupe_key,
            member_id=message.member_id,
            purpose=message.purpose,
        )
    assert do_enqueue_messages(_messages("bulk")) == len(CASES)
    assert do_enqueue_messages(_messages("bulk")) == 0  # a repeat writes nothing
    for n in range(len(CASES)):
        single = Message.objects.get(dedupe_key=f"single:{n}")
        bulk = Message.objects.get(dedupe_key=f"bulk:{n}")
        assert [getattr(single, f) for f in COMPARED] == [getattr(bulk, f) for f in COMPARED]
    rows = {n: Message.objects.get(dedupe_key=f"bulk:{n}") for n in range(len(CASES))}
    assert rows[0].status == "skipped" and rows[0].last_error == outbox.NO_CONSENT
    assert rows[1].status == "pending" and rows[1].leased_until is None  # held
    assert rows[1].body.endswith("Reply R to opt out")
    assert rows[2].status == "skipped"
    assert rows[3].status == "skipped" and "pw" not in rows[3].body  # the secret is dropped
    assert rows[4].leased_until is None and rows[4].due_at.astimezone(SHANGHAI).hour == 8
    assert rows[1].due_at.astimezone(SHANGHAI).hour == 9  # the marketing window opens
    assert rows[5].leased_until is not None  # the code the member asked for is not held


@pytest.mark.parametrize(
    "source",
    [
        "{{ name }} · {{ tier }}",
        "{{ name|upper }} {{ name }}",
        "{% if name %}{{ name }}{% endif %} {{ tier }}",
        "{% for name in tiers %}{{ name }}{% endfor %}{{ tier }}",
        "  {{ name }}  ",
    ],
)
def test_the_shared_renderer_gives_what_rendering_each_row_gives(in_a, source):
    custom = MessageTemplate(key="tier_change", language="en", subject="{{ tier }}", body=source)
    renderer = templates_default.Renderer("tier_change", language="en", custom=custom)
    for context in (
        {"tenant": "T", "name": "Li", "tier": "Gold", "tiers": ["x"]},
        {"tenant": "T", "name": "  Wang ", "tier": "Gold", "tiers": ["y", "z"]},
        {"tenant": "T", "name": "", "tier": "Silver", "tiers": []},
    ):
        expected = (
            templates_default.render_source("{{ tier }}", context),
            templates_default.render_source(source, context),
            "",
        )
        assert renderer.render(context) == expected


def test_a_channel_is_sent_through_its_registered_transport(monkeypatch):
    sent = []

    class Fake:
        def send(self, outgoing):
            sent.append(outgoing.recipient)
            return "fake-1"

    monkeypatch.setitem(base.TRANSPORTS, "sms", Fake)
    outgoing = Outgoing(1, 1, "t1-m1", "sms", "+8613800000001", "", "hello")
    assert base.send(outgoing) == "fake-1" and sent == ["+8613800000001"]
    with pytest.raises(base.PermanentError):
        base.send(Outgoing(1, 1, "t1-m1", "fax", "1", "", "hello"))


APPS = ("core", "membership", "points", "tiers", "complaints", "portal", "config")


def test_other_apps_never_build_outbox_rows_or_use_notifications_internals():
    """Outside notifications: no import of the Message model, of a private name or of an
    upper-case constant from notifications, and no ``Message(`` built by hand."""
    problems = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "notifications"
                ):
                    for alias in node.names:
                        name = alias.name
                        if name == "Message" or name.startswith("_") or name.isupper():
                            problems.append(f"{path.relative_to(ROOT)}: imports {name}")
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("Message", "OutboxRow")
                ):
                    problems.append(f"{path.relative_to(ROOT)}: builds {node.func.id}")
    assert problems == []
