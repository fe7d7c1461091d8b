"""The OpenAPI schema of the API (drf-spectacular), served at /api/schema/.

Everything the schema says about every operation is said here, once:

* the ``Api-Key`` security scheme (``ApiKeyScheme``), next to the staff session;
* the ``Idempotency-Key`` header on every POST;
* the error responses each operation can give, with the one error body
  (``{"error": {"code", "message", "details"}}``, ``core.api.errors``);
* integer ``id`` path parameters (the models cannot be read from the tenant-scoped querysets
  while the schema is generated: there is no active tenant then).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_lib_doc_excludes
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .idempotency import IdempotentPostMixin

WRITE_METHODS = {"POST", "PUT", "PATCH"}

# Operations that answer 409 Conflict, by view class and action (the views' own names, so that
# a rename shows up in tests/core/test_api_schema.py, which checks every entry exists).
CONFLICTS = {
    "PurchaseViewSet": {"create", "refunds"},  # not enough points to use or to take back
    # not enough points for the reward; a step the redemption's status does not allow
    "RedemptionViewSet": {"create", "transition"},
    "TicketViewSet": {"transition", "rate"},  # a step the ticket's status does not allow
    # a status change the workflow does not allow; editing an erased member
    "MemberViewSet": {"status", "partial_update"},
    "MemberConsentView": {"post"},  # an erased member
}

# Query filters of list operations, by view class: (name, type, description). The views read
# them in scope_queryset; a value that is not a number is ignored.
LIST_FILTERS = {
    "PurchaseViewSet": [("member", int, "Only this member's purchases.")],
    "TicketViewSet": [
        ("member", int, "Only this member's tickets."),
        ("status", str, "Only tickets in this status (`new`, `acknowledged`, …, `closed`)."),
    ],
    "ReturnVisitViewSet": [("member", int, "Only this member's return visits.")],
}

# GET operations that validate their query parameters (400 on a bad combination).
VALIDATED_QUERIES = {
    "MemberViewSet": {"lookup"},
    "ReportView": {"get"},  # the dashboard's reports: period and store (insight/api.py)
}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Authorization: Api-Key mk_<id>_<secret>`: a key of the tenant in the path, "
                "shown once when it is created (tenant admin). Another tenant's key is unknown "
                "here (401)."
            ),
        }


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: `invalid`, `not_found`, …")
    message = serializers.CharField(help_text="For people, in the request's language.")
    details = serializers.DictField(
        help_text="Validation errors: field name → list of messages; otherwise empty."
    )


class ErrorSerializer(serializers.Serializer):
    """The one error body of the API."""

    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    "400": "The request is not valid (field messages in `error.details`).",
    "401": "No credentials, or an unknown, malformed or revoked API key.",
    "403": "A staff session whose role may not do this (or a missing CSRF token).",
    "404": "No such tenant.",
    "404-list": "No such tenant, or an invalid `cursor`.",
    "404-detail": "No such tenant, or no such object in it.",
    "409": "The request conflicts with the current state (see `error.message`).",
    "422": "This `Idempotency-Key` was already used for a different request.",
}


def lib_doc_excludes():
    """Docstrings of these classes and their bases are not operation descriptions (the mixin's
    would otherwise describe every view that has no docstring of its own)."""

    return [*get_lib_doc_excludes(), IdempotentPostMixin]


class TenantSchemaGenerator(SchemaGenerator):
    """Generates the schema of the API mount (``SERVE_URLCONF``) also when no urlconf is given,
    so ``manage.py spectacular`` writes the schema that /api/schema/ serves."""

    def __init__(self, *args, urlconf=None, **kwargs):
        super().__init__(*args, urlconf=urlconf or spectacular_settings.SERVE_URLCONF, **kwargs)


class TenantAutoSchema(AutoSchema):
    def _action(self) -> str | None:
        return getattr(self.view, "action", None)

    def _is_detail(self) -> bool:
        return "{" in self.path

    def _is_list(self) -> bool:
        return self.method == "GET" and self._is_list_view()

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        model = getattr(self.view, "model", None)
        if model is not None and "{id}" in self.path:
            parameters.append(
                OpenApiParameter(
                    "id",
                    int,
                    OpenApiParameter.PATH,
                    description=f"The {model._meta.verbose_name}'s id.",
                )
            )
        if self.method == "GET" and self._action() == "list":
            for name, type_, description in LIST_FILTERS.get(type(self.view).__name__, ()):
                parameters.append(
                    OpenApiParameter(name, type_, OpenApiParameter.QUERY, description=description)
                )
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    description=(
                        "Any unique string (e.g. a UUID), at most 255 characters. A repeat with "
                        "the same key returns the first response byte for byte (with "
                        "`Idempotent-Replayed: true`) and does nothing again; the same key "
                        "with a different request is refused with 422."
                    ),
                )
            )
        return parameters

    def error_codes(self) -> list[str]:
        """The error statuses this operation can answer with."""
        view = type(self.view).__name__
        codes = []
        validated = VALIDATED_QUERIES.get(view, ())
        if self.method in WRITE_METHODS or (self._action() or self.method.lower()) in validated:
            codes.append("400")
        codes += ["401", "403", "404"]
        if (self._action() or self.method.lower()) in CONFLICTS.get(view, ()):
            codes.append("409")
        if self.method == "POST":
            codes.append("422")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self.error_codes():
            if code in responses:
                continue
            key = code
            if code == "404":
                key = (
                    "404-list"
                    if self._is_list()
                    else "404-detail"
                    if self._is_detail() or self.method == "GET"
                    else code
                )
            response = self._get_response_for_code(ErrorSerializer, code)
            response["description"] = ERROR_DESCRIPTIONS[key]
            responses[code] = response
        return responses
