from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter


class TenantAutoSchema(AutoSchema):
    """Documents the ``Idempotency-Key`` header on every POST."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    description=(
                        "Any unique string (e.g. a UUID). A repeat with the same key returns "
                        "the first response and does nothing again; the same key with a "
                        "different request is refused with 422."
                    ),
                )
            )
        return parameters
