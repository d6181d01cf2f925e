"""Configuration admin of quotas, allowances, alert rules and (read-only) alerts, through the tenancy layer."""

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import TenantScopedAdmin

from .models import Alert, AlertRule, CarbonAllowance, EnergyQuota
from .services import alert_rule_evaluate


@admin.register(EnergyQuota)
class EnergyQuotaAdmin(TenantScopedAdmin):
    list_display = ["enterprise", "site", "year", "energy_tce", "source"]
    list_filter = ["year"]
    search_fields = ["enterprise__name", "site__code", "source"]


@admin.register(CarbonAllowance)
class CarbonAllowanceAdmin(TenantScopedAdmin):
    list_display = ["enterprise", "site", "year", "allowance_tco2", "source"]
    list_filter = ["year"]
    search_fields = ["enterprise__name", "site__code", "source"]


@admin.register(AlertRule)
class AlertRuleAdmin(TenantScopedAdmin):
    list_display = ["name", "enterprise", "site", "meter", "kind", "enabled", "last_evaluated_at", "last_error"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "enterprise__name", "site__code", "meter__code"]
    readonly_fields = ["created_by", "created_at", "last_evaluated_at", "last_error"]
    actions = ["evaluate_now"]

    @admin.action(description=_("Evaluate the selected rules now"))
    def evaluate_now(self, request, queryset):
        raised = sum(alert_rule_evaluate(rule=rule)[0] for rule in queryset)
        self.message_user(request, gettext("%(n)s alert(s) raised.") % {"n": raised})


@admin.register(Alert)
class AlertAdmin(TenantScopedAdmin):
    list_display = ["raised_at", "rule", "enterprise", "site", "meter", "status", "value", "limit", "unit",
                    "emailed_at"]
    list_filter = ["status"]
    search_fields = ["rule__name", "condition_key", "site__code", "meter__code"]
    readonly_fields = ["rule", "enterprise", "site", "meter", "condition_key", "status", "detail", "value", "limit",
                       "unit", "raised_at", "last_seen_at", "acknowledged_at", "acknowledged_by",
                       "acknowledgement_note", "resolved_at", "emailed_at", "emailed_to"]

    def has_add_permission(self, request):
        return False
