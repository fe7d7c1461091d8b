"""The portal's own rows."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TenantOwnedModel
from membership.models import Member


class ResetCode(TenantOwnedModel):
    """The live one-time code for resetting a member's portal password: one per member (a newer
    code replaces the older one), deleted when used. Only a keyed hash of the code is kept; the
    code itself travels in the outbox message and is removed from it once sent."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("password reset code")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "member"], name="one_reset_code_per_member")
        ]

    def __str__(self) -> str:
        return f"reset code of member {self.member_id}"
