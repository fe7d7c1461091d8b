"""The door of every portal page.

Every view in the portal urlconf is wrapped by ``member_view`` (a signed-in member of the active
tenant; their initial password changed) or marked ``public_in_tenant`` (sign-in, reset); a
meta-test fails for any that is neither. ``request.member`` is the only member a page may show:
portal selectors take it as their first argument and never a member id from the URL.

Every answer of a member page, redirects included, says ``Cache-Control: no-store, private``
(``never_cache``): a shared phone's back button, or a proxy, must not show one member's points to
the next person. The public sign-in and reset pages say the same.
"""

from functools import wraps

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from . import session


def member_view(view=None, *, allow_must_change: bool = False):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = _guarded(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        def _guarded(request, *args, **kwargs):
            member, credential = session.signed_in_member(request)
            if member is None:
                return redirect(
                    reverse("portal:login") + "?" + urlencode({"next": request.get_full_path()})
                )
            request.member = member
            request.member_credential = credential
            if credential.must_change and not allow_must_change:
                return redirect("portal:change_password")
            return view(request, *args, **kwargs)

        wrapper.member_view = True
        return wrapper

    return decorator(view) if view is not None else decorator
