"""The one domain error type: every app's actions refuse with a subclass of ``DomainError``.

As in Zulip's ``zerver/lib/exceptions.py``, the HTTP status and a stable machine-readable
``code`` sit on the class, and one converter maps them: ``core.api.errors.exception_handler``
answers ``{"error": {"code", "message", "details"}}`` with the class's status. A ``DomainError``
is a Django ``ValidationError``, so a form or a page that catches ``ValidationError`` shows it as
it shows any other (its messages are lazy translations: the user's language). Refusals that name
a field (``field="points_used"``) put their message under that field in ``details``, so a client
and a form both know what to correct.

* ``DomainError`` / ``Invalid``, 400: the request is wrong as such (an amount out of range);
* ``Forbidden``, 403: the caller may not do this (their own account, their role);
* ``NotFound``, 404: a row the request names does not exist (in this tenant);
* ``Conflict``, 409: the request is right but the state refuses it (too few points, a status);
* ``Unprocessable``, 422: an idempotency key reused for a different request.

A plain Django ``ValidationError`` raised by an action (a model's ``full_clean``) is a 400 with
its field messages; nothing an action raises on purpose becomes a 500.
"""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    status = 400
    default_code = "invalid"

    def __init__(self, message, code=None, params=None, *, field: str | None = None):
        code = code or self.default_code
        if field is not None:
            super().__init__({field: [ValidationError(message, code=code, params=params)]})
        else:
            super().__init__(message, code=code, params=params)
        self.code = code


class Invalid(DomainError):
    pass


class Forbidden(DomainError):
    status = 403
    default_code = "forbidden"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class Unprocessable(DomainError):
    status = 422
    default_code = "unprocessable"


def details_of(error: ValidationError) -> dict:
    """Field messages of a Django ``ValidationError``; ``{}`` when it names no field."""
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {}


def code_of(error: ValidationError) -> str:
    """The stable code: the error's own, else that of its first message, else ``invalid``."""
    if getattr(error, "code", None):
        return error.code
    inner = (
        [e for errors in error.error_dict.values() for e in errors]
        if hasattr(error, "error_dict")
        else error.error_list
    )
    return next((e.code for e in inner if getattr(e, "code", None)), "invalid")
