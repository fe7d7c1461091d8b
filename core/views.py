import math
import unicodedata

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from . import ratelimit, selectors
from .access import tenant_view
from .health import broker_status
from .middleware import tenant_path


@login_required
def staff_home(request):
    tenants = [
        {"tenant": tenant, "url": tenant_path(tenant)}
        for tenant in selectors.tenants_for_user(request.user)
    ]
    return render(request, "core/staff_home.html", {"tenants": tenants})


@tenant_view("tenant.view")
def tenant_home(request):
    return render(
        request,
        "core/tenant_home.html",
        {
            "stores": selectors.stores(),
            "can_admin": request.staff_role.role in ("owner", "manager"),
        },
    )


@never_cache
def healthz(request):
    checks = {"database": _database_status(), "broker": broker_status()}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )


def _database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the message says which
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "vendor": connection.vendor}


# Staff sign-in: the portal's lockout rule (docs/portal.md) for the staff's own passwords.
SIGN_IN_WINDOW = 15 * 60
SIGN_IN_LOCKOUT = 15 * 60
SIGN_IN_ACCOUNT_FAILURES = 5  # failed sign-ins of one username within the window lock it
SIGN_IN_ADDRESS_FAILURES = 20  # failed sign-ins from one address within the window lock it


def _sign_in_keys(request, username: str) -> tuple[str, str]:
    """The counters of a username (a keyed digest of it, lower-cased, whether or not a user
    has it, so the answer never tells) and of the client's address."""
    # as the sign-in form reads it (NFKC: a name in full-width letters signs in as the plain
    # one), so no spelling of a name gets a counter of its own
    name = unicodedata.normalize("NFKC", (username or "").strip()).lower()
    digest = salted_hmac("core.staff-sign-in", name, algorithm="sha256").hexdigest()[:32]
    return (
        f"staff:signin:account:{digest}",
        f"staff:signin:address:{ratelimit.client_address(request)}",
    )


def _locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-ins. Please try again in %(minutes)d minute.",
        "Too many failed sign-ins. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class StaffLoginView(auth_views.LoginView):
    """Django's sign-in with a lockout: 5 failures of one username or 20 from one address
    within 15 minutes lock it for 15 minutes, during which not even the right password is
    checked; a successful sign-in forgets the username's failures."""

    def post(self, request, *args, **kwargs):
        account, address = _sign_in_keys(request, request.POST.get("username", ""))
        wait = max(ratelimit.is_locked(account), ratelimit.is_locked(address))
        if wait:
            return self._locked(request, wait)
        form = self.get_form()
        if form.is_valid():
            ratelimit.reset(account)
            return self.form_valid(form)
        wait = max(
            ratelimit.record_failure(
                account,
                limit=SIGN_IN_ACCOUNT_FAILURES,
                window=SIGN_IN_WINDOW,
                lockout=SIGN_IN_LOCKOUT,
            ),
            ratelimit.record_failure(
                address,
                limit=SIGN_IN_ADDRESS_FAILURES,
                window=SIGN_IN_WINDOW,
                lockout=SIGN_IN_LOCKOUT,
            ),
        )
        if wait:
            return self._locked(request, wait)
        return self.form_invalid(form)

    def _locked(self, request, seconds: int):
        # an unbound form: rendering a bound one would check the password after all
        form = self.get_form_class()(request, initial={"username": request.POST.get("username")})
        context = self.get_context_data(form=form, locked=_locked_message(seconds))
        return self.render_to_response(context, status=429)
