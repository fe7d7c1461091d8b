"""Error pages: 400, 403, 404 and 500 (and the CSRF refusal) in the user's language, in the look
of the part of the product they were in, with a way back.

Each urlconf declares its handlers from one ``ErrorPages`` (the mount knows its base template and
home page; ``core`` does not know the higher apps)::

    handler400, handler403, handler404, handler500 = ErrorPages(
        base="portal/base.html", home="portal:home"
    ).handlers()

Under ``/api/`` every handler answers with the API's JSON error body instead.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template import loader
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils.translation import gettext_lazy

from .api.errors import json_error
from .selectors import staff_role

TEXTS = {
    400: (
        gettext_lazy("The request could not be read"),
        gettext_lazy("Something in what was sent is not valid. Go back, check it and try again."),
        "bad_request",
    ),
    403: (
        gettext_lazy("You may not open this page"),
        gettext_lazy("Your role does not allow this. Ask a manager if you need it."),
        "permission_denied",
    ),
    404: (
        gettext_lazy("Page not found"),
        gettext_lazy("The page does not exist, or it was moved or deleted."),
        "not_found",
    ),
    500: (
        gettext_lazy("Something went wrong on our side"),
        gettext_lazy("Nothing you did caused this. Try again in a moment; it has been logged."),
        "server_error",
    ),
}
# The API's messages (its error body, in English like the rest of the API's codes and texts).
API_MESSAGES = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    500: "Something went wrong on our side.",
}
CSRF_MESSAGE = gettext_lazy(
    "The form had expired (or cookies are off). Go back, reload the page and send it again; "
    "what you typed may need to be entered again."
)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class ErrorPages:
    """``staff_only``: the mount shows itself (the tenant's name, its navigation) only to its
    staff; anyone else gets the root's page, the same as for a business that does not exist."""

    def __init__(
        self, *, base: str = "base.html", home: str | None = None, staff_only: bool = False
    ):
        self.base = base
        self.home = home
        self.staff_only = staff_only

    def handlers(self):
        return self.bad_request, self.permission_denied, self.not_found, self.server_error

    def bad_request(self, request, exception=None):
        return self.render(request, 400)

    def permission_denied(self, request, exception=None):
        detail = str(exception) if isinstance(exception, PermissionDenied) else ""
        return self.render(request, 403, detail=detail)

    def not_found(self, request, exception=None):
        return self.render(request, 404)

    def server_error(self, request):
        # No context processors: what failed may be what they read (the database, the session).
        return self.render(request, 500, with_request=False)

    def render(self, request, status: int, *, detail: str = "", with_request: bool = True):
        title, message, code = TEXTS[status]
        if _is_api(request):
            return json_error(status, code, detail or API_MESSAGES[status])
        if self.staff_only and not _is_staff_here(request):
            return root_pages.render(request, status, with_request=False)
        home = self._home()
        context = {
            "base": self.base,
            "status": status,
            "title": title,
            "message": detail or message,
            "home": home,
            # The language switch returns home: an error page does not echo the path it refused.
            "next_path": home,
        }
        html = loader.render_to_string(
            "errors/page.html", context, request=request if with_request else None
        )
        return HttpResponse(html, status=status)

    def _home(self) -> str:
        try:
            return reverse(self.home) if self.home else "/"
        except NoReverseMatch:
            return "/"


root_pages = ErrorPages()


def _is_staff_here(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and staff_role(user))


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: the 403 page of the mount the form was posted to, saying why."""
    handler = get_resolver(getattr(request, "urlconf", None)).resolve_error_handler(403)
    return handler(request, PermissionDenied(str(CSRF_MESSAGE)))
