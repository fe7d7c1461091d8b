"""The SMS gateway's inbound callback: POST /api/v1/<tenant>/sms/inbound/.

The gateway reports an SMS a member sent to the tenant's number as ``{"from": "+86…", "text":
"…"}``. An opt-out reply ("R", "TD", "T", "退订") withdraws marketing by SMS of the members with
that phone in this tenant; any other text is ignored and not kept.

Authentication: a tenant API key (``Authorization: Api-Key mk_…``), or the gateway's shared
secret ``SMS_HTTP_INBOUND_SECRET`` as ``Authorization: Bearer <secret>`` (platform-wide, like
``SMS_HTTP_API_KEY``; empty = only API keys). Staff sessions may not post replies for members.
"""

import hmac

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import authentication, exceptions, serializers
from rest_framework.response import Response

from core.api.authentication import ApiKeyAuthentication, ApiKeyUser, MachinePrincipal
from core.api.permissions import TenantAccess
from core.api.serializers import Serializer
from core.api.views import TenantAPIView

from . import actions


class SmsGateway(MachinePrincipal):
    """The principal of a request signed with the gateway's shared secret."""

    def __str__(self) -> str:
        return "sms-gateway"


class SmsGatewayAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(self.keyword + " "):
            return None
        secret = settings.SMS_HTTP_INBOUND_SECRET
        given = header[len(self.keyword) + 1 :].strip()
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            raise exceptions.AuthenticationFailed("Unknown gateway secret.")
        return SmsGateway(), None

    def authenticate_header(self, request):
        return self.keyword


class SmsGatewayScheme(OpenApiAuthenticationExtension):
    target_class = "notifications.api.SmsGatewayAuthentication"
    name = "SmsGatewayAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The SMS gateway's shared secret (`SMS_HTTP_INBOUND_SECRET`).",
        }


class InboundAccess(TenantAccess):
    """The gateway (shared secret) or an API key of the tenant; a signed-in staff member is
    refused (after the usual 404 for a user with no role in the tenant)."""

    def has_permission(self, request, view):
        if isinstance(request.user, SmsGateway):
            return True
        return super().has_permission(request, view) and isinstance(request.user, ApiKeyUser)


class InboundSmsSerializer(Serializer):
    """``{"from": "<the member's phone>", "text": "<what they wrote>"}``."""

    text = serializers.CharField(max_length=1000, allow_blank=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField(max_length=32)  # a keyword: declared here
        return fields


class SmsInboundView(TenantAPIView):
    authentication_classes = [
        ApiKeyAuthentication,
        SmsGatewayAuthentication,
        authentication.SessionAuthentication,
    ]
    read_capability = "notifications.manage"
    write_capability = "notifications.manage"

    def dangerously_get_permissions(self):
        """The gateway signs in with a shared secret, as no staff member: ``InboundAccess``."""
        return [InboundAccess()]

    @extend_schema(
        request=InboundSmsSerializer,
        responses=inline_serializer(
            "InboundSmsResult",
            {"opt_out": serializers.BooleanField(), "members": serializers.IntegerField()},
        ),
        summary="An SMS a member sent (the gateway's callback); an opt-out reply withdraws "
        "marketing by SMS",
    )
    def post(self, request):
        serializer = InboundSmsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        text = serializer.validated_data["text"]
        withdrawn = actions.do_receive_sms(phone=serializer.validated_data["from"], text=text)
        return Response({"opt_out": actions.is_opt_out_reply(text), "members": len(withdrawn)})
