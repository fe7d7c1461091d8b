"""One error body for every API error, and the one place where errors become HTTP:

{"error": {"code": "not_found", "message": "Not found.", "details": {...}}}

* a ``core.exceptions.DomainError`` (every app's refusals): the class's status and code, its
  field messages in ``details``;
* a plain Django ``ValidationError`` (a model's ``full_clean`` inside an action): 400 with its
  field messages;
* DRF's own exceptions (validation, authentication, throttling, parsing) and Django's
  ``Http404`` / ``PermissionDenied``: their status; a serializer's field errors in ``details``;
* anything else is a bug: Django's 500 handler answers, in the same shape.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ..exceptions import DomainError, code_of, details_of


def error_body(code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def json_error(status: int, code: str, message: str, details=None) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=status)


def _domain_response(error: DjangoValidationError) -> Response:
    status = error.status if isinstance(error, DomainError) else 400
    message = " ".join(str(m) for m in error.messages)
    return Response(error_body(code_of(error), message, details_of(error)), status=status)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return _domain_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django's 500 handler answer (also in the JSON shape)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = error_body("invalid", str(_("The request is not valid.")), details)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        body = error_body(code, str(exc.detail))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)
