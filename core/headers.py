"""Security headers Django does not set itself (the Content-Security-Policy is Django's own
``ContentSecurityPolicyMiddleware`` with ``settings.SECURE_CSP``; see docs/architecture.md,
"Headers")."""

from django.conf import settings


def permissions_policy(features: dict[str, list[str]]) -> str:
    """``{"camera": [], "fullscreen": ["self"]}`` -> ``camera=(), fullscreen=(self)``."""
    return ", ".join(f"{name}=({' '.join(allow)})" for name, allow in features.items())


class PermissionsPolicyMiddleware:
    """``Permissions-Policy`` on every response (``settings.PERMISSIONS_POLICY``): the pages use
    no camera, microphone, location, payment or other powerful feature, so none is allowed, to
    them or to anything embedded in them. A response that sets its own header keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
