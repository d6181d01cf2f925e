"""Admin for tariffs, time-of-use calendars, power-factor tables and carrier prices; computed costs read-only."""

from django.contrib import admin, messages

from accounts.admin_base import TenantScopedAdmin
from carbon.admin import ReferenceDataAdmin

from .models import (
    CarrierPrice,
    ElectricityTariff,
    MeterCostMonth,
    PowerFactorStep,
    PowerFactorTable,
    TouCalendar,
    TouHoliday,
    TouPeriod,
)
from .services import costs_recompute


class TouPeriodInline(admin.TabularInline):
    model = TouPeriod
    extra = 0


class TouHolidayInline(admin.TabularInline):
    model = TouHoliday
    extra = 0


@admin.register(TouCalendar)
class TouCalendarAdmin(ReferenceDataAdmin):
    list_display = ["name", "province_code", "valid_from", "valid_to", "enterprise", "provisional", "source"]
    list_filter = ["provisional", "province_code"]
    search_fields = ["name", "source"]
    inlines = [TouPeriodInline, TouHolidayInline]


class PowerFactorStepInline(admin.TabularInline):
    model = PowerFactorStep
    extra = 0


@admin.register(PowerFactorTable)
class PowerFactorTableAdmin(ReferenceDataAdmin):
    list_display = ["name", "standard", "valid_from", "valid_to", "enterprise", "provisional", "source"]
    list_filter = ["provisional", "standard"]
    inlines = [PowerFactorStepInline]


def _recompute(modeladmin, request, queryset) -> None:
    sites = {obj.site_id for obj in queryset}
    from meters.models import Meter

    done = costs_recompute(meter_ids=list(Meter.objects.filter(site_id__in=sites).values_list("pk", flat=True)))
    modeladmin.message_user(request, f"Cost recomputed for {done} meters (frozen months unchanged).",
                            messages.SUCCESS)


_recompute.short_description = "Recompute the cost of these sites' meters"  # type: ignore[attr-defined]


class RecomputeOnSaveMixin:
    """A saved tariff or price recomputes its site's cost from its validity on (after the commit, as a task)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from django.db import transaction

        from .tasks import costs_recompute_task

        site_id, since = obj.site_id, obj.valid_from.isoformat()
        transaction.on_commit(lambda: costs_recompute_task.delay(site_id, since))


@admin.register(ElectricityTariff)
class ElectricityTariffAdmin(RecomputeOnSaveMixin, TenantScopedAdmin):
    list_display = ["name", "site", "meter", "kind", "calendar", "valid_from", "valid_to", "capacity_basis",
                    "provisional"]
    list_filter = ["kind", "capacity_basis", "provisional", "site"]
    search_fields = ["name", "source", "site__code"]
    actions = [_recompute]


@admin.register(CarrierPrice)
class CarrierPriceAdmin(RecomputeOnSaveMixin, TenantScopedAdmin):
    list_display = ["site", "carrier", "price_cny", "valid_from", "valid_to", "provisional", "source"]
    list_filter = ["carrier", "provisional", "site"]
    actions = [_recompute]


@admin.register(MeterCostMonth)
class MeterCostMonthAdmin(TenantScopedAdmin):
    list_display = ["meter", "month", "quantity", "energy_cny", "capacity_cny", "pf_adjustment_cny", "total_cny",
                    "max_demand_kw", "tariff", "frozen_at"]
    list_filter = ["month", "billing"]
    readonly_fields = [f.name for f in MeterCostMonth._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
