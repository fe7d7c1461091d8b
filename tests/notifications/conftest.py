import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.notifications.factories import NotificationSettingsFactory


@pytest.fixture
def notify_settings(in_a):
    """Tenant A's settings: no quiet hours, a generous rate limit (tests narrow them)."""
    return NotificationSettingsFactory(tenant=in_a, rate_per_minute=1000)


class FakeGateway(ThreadingHTTPServer):
    """A JSON SMS gateway that, like real ones, deduplicates by client reference."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _GatewayHandler)
        self.calls = []  # every request body received
        self.accepted = {}  # client_reference -> provider id
        self.fail_with = None  # an HTTP status to answer instead, once per call while set
        self.api_key = "test-key"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/messages"


class _GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        gateway = self.server
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        gateway.calls.append({**payload, "idempotency_key": self.headers["Idempotency-Key"]})
        if self.headers["Authorization"] != f"Bearer {gateway.api_key}":
            return self._answer(401, {"error": "bad key"})
        if gateway.fail_with:
            return self._answer(gateway.fail_with, {"error": "injected"})
        reference = payload["client_reference"]
        provider_id = gateway.accepted.setdefault(reference, f"gw-{len(gateway.accepted) + 1}")
        return self._answer(200, {"id": provider_id})

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = FakeGateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.channels.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = server.url
    settings.SMS_HTTP_API_KEY = server.api_key
    settings.SMS_HTTP_TIMEOUT = 5
    yield server
    server.shutdown()
    server.server_close()
