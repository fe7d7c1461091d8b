"""Helpers of the browser tests (headless Chromium against pytest-django's live server)."""

from django.conf import settings
from django.test import Client


def sign_in(page, live_server, user):
    """Give the page's browser context a signed-in session of ``user`` (no sign-in form)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
