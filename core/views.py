from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import selectors, signin
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


class StaffLoginView(auth_views.LoginView):
    """Django's sign-in under the shared lockout (``core.signin.STAFF``): 5 failures of one
    username or 20 from one address within 15 minutes lock it for 15 minutes, during which not
    even the right password is checked; a successful sign-in forgets the username's failures."""

    authentication_form = signin.StaffAuthenticationForm

    def form_invalid(self, form):
        if form.locked:
            context = self.get_context_data(form=form, locked=form.locked)
            return self.render_to_response(context, status=429)
        return super().form_invalid(form)
