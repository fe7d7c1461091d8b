from django.utils.translation import gettext_lazy as _

from core.admin_sites import ReadOnlyTenantAdmin, TenantModelAdmin, register

from .models import (
    AdjustmentRequest,
    Campaign,
    Coupon,
    LedgerEntry,
    Lot,
    PointsSettings,
    Purchase,
    Redemption,
    Refund,
    Reward,
)


@register(PointsSettings)
class PointsSettingsAdmin(TenantModelAdmin):
    list_display = ["__str__", "currency_per_point", "point_value", "expiry_policy"]
    fieldsets = [
        (
            _("Earning"),
            {
                "fields": [
                    "currency_per_point",
                    "excluded_categories",
                    "birthday_multiplier",
                    "anniversary_multiplier",
                    "referral_bonus_points",
                ]
            },
        ),
        (_("Paying and refunds"), {"fields": ["point_value", "refund_shortfall_policy"]}),
        (
            _("Expiry"),
            {"fields": ["expiry_policy", "expiry_months", "expiry_period", "clear_on_lapse"]},
        ),
        (_("Controls"), {"fields": ["adjustment_approval_threshold"]}),
    ]

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request) and not PointsSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@register(Campaign)
class CampaignAdmin(TenantModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "multiplier", "is_active"]


@register(Reward)
class RewardAdmin(TenantModelAdmin):
    list_display = ["name_zh", "name_en", "kind", "points_cost", "stock", "is_active"]
    list_filter = ["kind", "is_active"]


@register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "member", "kind", "reason", "points", "note"]
    list_filter = ["kind", "reason"]


@register(Lot)
class LotAdmin(ReadOnlyTenantAdmin):
    list_display = ["earned_at", "account", "points", "remaining", "expires_at", "source"]


@register(Purchase)
class PurchaseAdmin(ReadOnlyTenantAdmin):
    list_display = ["occurred_at", "member", "store", "amount_paid", "points_earned", "status"]
    list_filter = ["status"]


@register(Refund)
class RefundAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "purchase", "cash_amount", "points_reversed", "points_returned"]


@register(Redemption)
class RedemptionAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "member", "reward", "points", "status"]
    list_filter = ["status"]


@register(Coupon)
class CouponAdmin(ReadOnlyTenantAdmin):
    list_display = ["code", "member", "value", "issued_at", "used_at"]


@register(AdjustmentRequest)
class AdjustmentRequestAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "member", "points", "reason", "status"]
