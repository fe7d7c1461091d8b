"""The member's language: "following the tenant's default and the member's choice".

``Member.language`` holds the member's choice (empty: the tenant's default). The request
language is chosen by ``core.middleware`` from the language cookie, then the tenant's default;
so applying a member's choice means setting the cookie, on sign-in and whenever they change it.
"""

from django.conf import settings


def apply_member_language(response, member):
    """Set the language cookie to the member's stored choice (none stored: leave it alone)."""
    if member is not None and member.language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            member.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


def forget_language_choice(response):
    """Back to the tenant's default: drop the cookie."""
    response.delete_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
