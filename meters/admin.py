"""Admin for meters, gateways and their tokens, and rollups (read-only)."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReferenceDataAdmin, TenantRelatedFieldListFilter, TenantScopedAdmin
from accounts.models import Role
from energy_platform.errors import ApplicationError

from .gateway_health import gateway_health, gateway_last_seen, gateways_with_health
from .models import (
    Bill,
    CarrierUnit,
    Gateway,
    GatewayToken,
    ImportJob,
    ImportPreset,
    IngestBatch,
    MeasurementUnit,
    Meter,
    MeterRollup,
    ReadingConflict,
    RegisterEvent,
    RejectedRow,
    ReviewStatus,
)
from .models_gateways import GatewayState, GatewayTag, ModbusDevice, ModbusPoint
from .services.gateways import GATEWAY_MANAGE_ROLE
from .services.imports import import_mapping_clean
from .services.mqtt_auth import broker_credentials_sync, gateway_code
from .services.review import register_reset_accept
from .units import units_cache_clear


@admin.register(Meter)
class MeterAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "site", "carrier", "unit", "reading_kind", "level", "role", "parent",
                    "multiplier", "next_calibration", "active_from", "active_to"]
    list_filter = ["carrier", "reading_kind", "level", "role", "site__enterprise", "site"]
    search_fields = ["code", "name", "site__code"]
    list_select_related = ["site", "parent"]
    autocomplete_fields = ["parent"]


class UnitTableAdmin(ReferenceDataAdmin):
    """The unit tables are platform reference data: every staff user reads them, platform superusers change them."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff

    def has_module_permission(self, request):
        return request.user.is_staff

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        units_cache_clear()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        units_cache_clear()


@admin.register(MeasurementUnit)
class MeasurementUnitAdmin(UnitTableAdmin):
    list_display = ["code", "dimension", "base_factor"]
    list_filter = ["dimension"]


@admin.register(CarrierUnit)
class CarrierUnitAdmin(UnitTableAdmin):
    list_display = ["carrier", "unit", "default_max_reading"]
    list_filter = ["carrier"]


class GatewayTokenInline(admin.TabularInline):
    model = GatewayToken
    extra = 0
    fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    # Revoked by the action or the gateways page, which also update the MQTT broker; never un-revoked by an edit.
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # tokens are issued on the UI's gateways page (or the API, provision_gateway), and shown once


class SiteFilter(TenantRelatedFieldListFilter):
    """The tenant-scoped site filter under its translated name (Gateway.site has no verbose name of its own)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("Site")


@admin.register(Gateway)
class GatewayAdmin(TenantScopedAdmin):
    """The gateways page: health over the last hour next to each gateway (meters.gateway_health)."""

    list_display = ["name", "site_label", "mqtt_code", "last_seen", "messages_per_minute", "rejected_share", "session",
                    "created"]
    list_filter = ["site__enterprise", ("site", SiteFilter)]
    search_fields = ["name", "site__code"]
    filter_horizontal = ["allowed_meters"]
    inlines = [GatewayTokenInline]
    readonly_fields = ["token_page"]
    write_role = GATEWAY_MANAGE_ROLE  # the energy manager who saves a gateway may change it and issue its tokens

    @admin.display(description=_("token"))
    def token_page(self, obj):
        if obj is None or obj.pk is None:
            return _("Save the gateway, then issue its token on the gateways page.")
        url = f"{reverse('ui-gateways')}?enterprise={obj.site.enterprise_id}#gateway-{obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Issue or revoke tokens on the gateways page"))

    def get_queryset(self, request):
        return gateways_with_health(super().get_queryset(request), now=timezone.now())

    @admin.display(description=_("Site"), ordering="site")
    def site_label(self, obj):  # the model field has no translated name: labelled here, no migration
        return obj.site

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj):
        return obj.created_at

    @admin.display(description=_("MQTT user / code"))
    def mqtt_code(self, obj):
        return gateway_code(obj)

    @admin.display(description=_("last seen"))
    def last_seen(self, obj):
        return gateway_last_seen(obj)

    @admin.display(description=_("messages / min (1 h)"))
    def messages_per_minute(self, obj):
        return gateway_health(obj)["messages_per_minute"]

    @admin.display(description=_("rejected rows (1 h)"))
    def rejected_share(self, obj):
        share = gateway_health(obj)["rejected_share"]
        return "—" if share is None else f"{share:.1%}"

    @admin.display(description=_("session"))
    def session(self, obj):
        labels = dict(GatewayState.Session.choices)  # the state's label, not its code
        return labels.get(obj.session_state, obj.session_state)


@admin.register(GatewayTag)
class GatewayTagAdmin(TenantScopedAdmin):
    list_display = ["tag", "gateway", "meter", "created_at"]
    list_filter = ["gateway__site"]
    search_fields = ["tag", "gateway__name", "meter__code"]
    list_select_related = ["gateway__site", "meter"]
    autocomplete_fields = ["meter"]
    write_role = Role.ENTERPRISE_ADMIN


@admin.register(ModbusDevice)
class ModbusDeviceAdmin(TenantScopedAdmin):
    list_display = ["name", "site", "host", "port", "unit_id", "interval_seconds", "enabled", "last_polled_at",
                    "last_error"]
    list_filter = ["enabled", "site"]
    search_fields = ["name", "host", "site__code"]
    readonly_fields = ["last_polled_at", "last_error"]


@admin.register(ModbusPoint)
class ModbusPointAdmin(TenantScopedAdmin):
    """The point tables: one row per meter read from a device."""

    list_display = ["device", "register", "function", "data_type", "byte_order", "word_order", "scale", "meter"]
    list_filter = ["device__site", "device"]
    search_fields = ["device__name", "meter__code"]
    list_select_related = ["device", "meter"]
    autocomplete_fields = ["meter"]


@admin.register(GatewayToken)
class GatewayTokenAdmin(TenantScopedAdmin):
    list_display = ["prefix", "gateway", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["gateway__site"]
    readonly_fields = ["prefix", "gateway", "created_at", "last_used_at", "revoked_at"]  # revoke: the action
    actions = ["revoke"]
    write_role = GATEWAY_MANAGE_ROLE

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        n = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        transaction.on_commit(broker_credentials_sync)  # the MQTT broker refuses revoked tokens
        self.message_user(request, f"{n} token(s) revoked.")


@admin.register(MeterRollup)
class MeterRollupAdmin(TenantScopedAdmin):
    list_display = ["meter", "granularity", "bucket_start", "quantity", "received_intervals", "expected_intervals",
                    "estimated_intervals", "computed_at"]
    list_filter = ["granularity", "meter__site"]
    search_fields = ["meter__code"]
    date_hierarchy = "bucket_start"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class _ReadOnlyAdmin(TenantScopedAdmin):
    def has_add_permission(self, request):
        return False


@admin.register(IngestBatch)
class IngestBatchAdmin(_ReadOnlyAdmin):
    list_display = ["id", "received_at", "site", "gateway", "source", "batch_key", "rows", "accepted", "duplicates",
                    "conflicts", "rejected"]
    list_filter = ["source", "site__enterprise", "site", "gateway"]
    search_fields = ["batch_key", "gateway__name"]
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in IngestBatch._meta.fields]
    list_select_related = ["site", "gateway"]


@admin.register(RejectedRow)
class RejectedRowAdmin(_ReadOnlyAdmin):
    list_display = ["batch", "index", "meter_code", "ts_text", "value_text", "code", "detail", "acknowledged_at"]
    list_filter = ["code", "batch__site"]
    search_fields = ["meter_code"]
    readonly_fields = [f.name for f in RejectedRow._meta.fields]
    actions = ["acknowledge"]

    @admin.action(description=_("Acknowledge the selected rejected rows"))
    def acknowledge(self, request, queryset):
        n = queryset.filter(acknowledged_at__isnull=True).update(acknowledged_at=timezone.now())
        self.message_user(request, _("%(n)d row(s) acknowledged.") % {"n": n})


class _ReviewAdmin(_ReadOnlyAdmin):
    list_filter = ["status", "meter__site"]
    search_fields = ["meter__code"]
    date_hierarchy = "ts"
    list_select_related = ["meter"]
    actions = ["acknowledge", "resolve"]

    @admin.action(description=_("Mark as acknowledged"))
    def acknowledge(self, request, queryset):
        n = queryset.filter(status=ReviewStatus.OPEN).update(status=ReviewStatus.ACKNOWLEDGED)
        self.message_user(request, _("%(n)d item(s) acknowledged.") % {"n": n})

    @admin.action(description=_("Mark as resolved"))
    def resolve(self, request, queryset):
        n = queryset.exclude(status=ReviewStatus.RESOLVED).update(status=ReviewStatus.RESOLVED)
        self.message_user(request, _("%(n)d item(s) resolved.") % {"n": n})


@admin.register(ReadingConflict)
class ReadingConflictAdmin(_ReviewAdmin):
    list_display = ["meter", "ts", "stored_value", "offered_value", "batch", "status", "created_at"]
    readonly_fields = ["meter", "ts", "stored_value", "offered_value", "batch", "created_at"]


@admin.register(RegisterEvent)
class RegisterEventAdmin(_ReviewAdmin):
    list_display = ["meter", "ts", "kind", "previous_value", "value", "batch", "status", "created_at"]
    list_filter = ["kind", "status", "meter__site"]
    readonly_fields = ["meter", "ts", "kind", "previous_value", "value", "batch", "created_at"]
    actions = ["acknowledge", "resolve", "accept_reset"]

    @admin.action(description=_("Accept as reset: store the held reading as the new register baseline"))
    def accept_reset(self, request, queryset):
        n = sum(register_reset_accept(event=e) for e in queryset.filter(kind=RegisterEvent.Kind.RESET))
        self.message_user(request, _("%(n)d reading(s) stored.") % {"n": n})


@admin.register(ImportJob)
class ImportJobAdmin(_ReadOnlyAdmin):
    list_display = ["id", "site", "kind", "original_name", "status", "processed_rows", "total_rows", "accepted",
                    "rejected", "created_by", "created_at", "finished_at"]
    list_filter = ["kind", "status", "site"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]


class ImportPresetForm(forms.ModelForm):
    class Meta:
        model = ImportPreset
        fields = ["enterprise", "name", "kind", "mapping"]

    def clean(self):
        data = super().clean() or {}
        try:
            data["mapping"] = import_mapping_clean(mapping=data.get("mapping"), kind=data.get("kind") or "readings")
        except ApplicationError as exc:
            self.add_error("mapping", exc.detail)
        return data


@admin.register(ImportPreset)
class ImportPresetAdmin(TenantScopedAdmin):
    """Named mappings of vendor or utility files (the upload form and the API save them too)."""

    form = ImportPresetForm
    list_display = ["name", "enterprise", "kind", "updated_at"]
    list_filter = ["kind", "enterprise"]
    search_fields = ["name"]


@admin.register(Bill)
class BillAdmin(TenantScopedAdmin):
    list_display = ["meter", "period_start", "period_end", "quantity", "amount_cny", "document_no", "import_job"]
    list_filter = ["meter__carrier", "meter__site"]
    search_fields = ["meter__code", "document_no"]
    date_hierarchy = "period_start"
