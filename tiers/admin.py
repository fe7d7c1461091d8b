"""The ladder in the tenant admin: tiers with their rules and benefits inline, tier settings,
paid plans, grants; and the dry run. "Preview" on a tier's form saves the change inside a
transaction, runs the set-based recalculation read-only with the rules as posted, rolls
everything back and shows how many members would move up and down, with a button that
submits the same form for real."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from core import tenancy
from core.admin_sites import (
    PreviewBeforeSaveMixin,
    ReadOnlyTenantAdmin,
    TenantInline,
    TenantModelAdmin,
    register,
)
from membership.models import Member

from . import cycles, recalc, selectors
from .models import (
    MemberTier,
    PaidPlan,
    Tier,
    TierBenefit,
    TierChange,
    TierGrant,
    TierPurchase,
    TierRule,
    TierSettings,
)


class TierRuleInline(TenantInline):
    model = TierRule
    fields = [
        "kind",
        "amount",
        "count",
        "window",
        "window_months",
        "paying_referrals_only",
        "effective_from",
    ]


class TierBenefitInline(TenantInline):
    model = TierBenefit
    fields = ["kind", "value", "text", "excluded_categories"]


class _Rollback(Exception):
    pass


@register(Tier)
class TierAdmin(PreviewBeforeSaveMixin, TenantModelAdmin):
    list_display = ["rank", "code", "name_zh", "name_en", "is_entry", "match", "validity_months"]
    list_display_links = ["code"]
    ordering = ["rank"]
    inlines = [TierRuleInline, TierBenefitInline]
    change_form_template = "tiers/admin/tier_change_form.html"

    def preview(self, request, object_id, form_url, extra_context):
        """Save inside a transaction, dry-run, roll back, show the counts."""
        result = {}
        try:
            with transaction.atomic():
                response = self.changeform_as_usual(request, object_id, form_url, extra_context)
                if response.status_code != 302:
                    result["response"] = response
                    raise _Rollback
                today = tenancy.current_tenant().local_now().date()
                tier_ids = [object_id] if object_id else []
                dates = list(
                    TierRule.objects.filter(tier_id__in=tier_ids).values_list(
                        "effective_from", flat=True
                    )
                )
                rules_on = max([today, *dates])
                settings = selectors.settings()
                boundary = cycles.next_boundary(today, settings.cycle)
                run = recalc.dry_run(
                    recalc.Plan(as_of=today, effective_on=boundary, rules_on=rules_on)
                )
                names = dict(
                    Member.objects.filter(pk__in=run.sample_up + run.sample_down).values_list(
                        "pk", "name"
                    )
                )
                result.update(run=run, rules_on=rules_on, names=names)
                raise _Rollback
        except _Rollback:
            pass
        for _message in messages.get_messages(request):
            pass  # the "saved" message of the rolled-back save is not true
        if "response" in result:
            return result["response"]
        run = result["run"]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Preview of the change"),
            "run": run,
            "rules_on": result["rules_on"],
            "sample_up": [(pk, result["names"].get(pk, "")) for pk in run.sample_up],
            "sample_down": [(pk, result["names"].get(pk, "")) for pk in run.sample_down],
            "preview_fields": self.preview_fields(request),
            "save_label": _("Save the change"),
        }
        return render(request, "tiers/admin/preview.html", context)


@register(TierSettings)
class TierSettingsAdmin(TenantModelAdmin):
    list_display = ["__str__", "upgrade_timing", "cycle", "retention_cycles"]


@register(PaidPlan)
class PaidPlanAdmin(TenantModelAdmin):
    list_display = ["name", "tier", "fee", "term_months", "is_active"]


@register(TierGrant)
class TierGrantAdmin(TenantModelAdmin):
    list_display = ["member", "tier", "reason", "starts_on", "ends_on", "until_revoked"]
    raw_id_fields = ["member"]
    readonly_fields = ["approved_by", "revoked_at", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.approved_by = request.user
        super().save_model(request, obj, form, change)


@register(TierPurchase)
class TierPurchaseAdmin(TenantModelAdmin):
    list_display = ["member", "plan", "status", "amount_paid", "starts_on", "ends_on"]
    raw_id_fields = ["member"]


@register(TierChange)
class TierChangeAdmin(ReadOnlyTenantAdmin):
    list_display = ["member", "from_tier", "to_tier", "rule", "effective_on", "cycle"]
    list_filter = ["effective_on"]


@register(MemberTier)
class MemberTierAdmin(ReadOnlyTenantAdmin):
    list_display = ["member", "tier", "since", "missed_cycles"]
