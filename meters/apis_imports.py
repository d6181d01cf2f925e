"""REST endpoints for gateways (energy managers, enterprise admins), uploads of readings and bills and the named
mappings (import presets) of their files (energy managers)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts import tenancy
from accounts.api import CodeErrorMixin
from accounts.audit import audit_record
from accounts.models import Role
from energy_platform.errors import ApplicationError
from plants.models import Enterprise, Site
from plants.validators import validate_code

from .gateway_health import gateway_health, gateways_with_health
from .models import Gateway, ImportJob, ImportPreset
from .services.gateways import GATEWAY_MANAGE_ROLE, gateway_provision, gateway_token_issue, gateway_tokens_revoke
from .services.imports import import_job_commit, import_job_create, import_job_preview, import_preset_save
from .services.mqtt_auth import gateway_code
from .tasks import import_job_run_task, import_job_validate_task


def _site_for(user, site_id, minimum: str) -> Site:
    site = tenancy.scope(Site.objects.all(), user).filter(pk=site_id).first()
    if site is None:
        raise ApplicationError("not_found", "No such site.", status_code=404)
    if not tenancy.has_role(user, site.enterprise_id, minimum):
        raise ApplicationError("permission_denied", "Your role does not allow this here.", status_code=403)
    return site


class GatewaySerializer(serializers.ModelSerializer):
    # The stubs cannot tell the model of a read-only slug field (many=True makes a ManyRelatedField at run time).
    meters = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        source="allowed_meters", many=True, read_only=True, slug_field="code")
    active_tokens = serializers.SerializerMethodField()
    code = serializers.SerializerMethodField(help_text="MQTT user name and topic segment (docs/ingestion.md).")
    health = serializers.SerializerMethodField()

    class Meta:
        model = Gateway
        fields = ["id", "site", "name", "code", "meters", "created_at", "active_tokens", "health"]

    def get_active_tokens(self, obj) -> int:
        return sum(1 for t in obj.tokens.all() if t.revoked_at is None)

    def get_code(self, obj) -> str:
        return gateway_code(obj)

    @extend_schema_field(inline_serializer("GatewayHealth", {
        "last_seen": serializers.DateTimeField(allow_null=True), "messages_per_minute": serializers.FloatField(),
        "rejected_share": serializers.FloatField(allow_null=True), "session": serializers.CharField(),
        "window_minutes": serializers.IntegerField()}))
    def get_health(self, obj) -> dict:
        return gateway_health(obj)


class GatewayCreateSerializer(CodeErrorMixin, serializers.Serializer):
    site = serializers.IntegerField()
    name = serializers.CharField(max_length=100, validators=[validate_code])
    meters = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)


_token_out = inline_serializer("GatewayToken", {"gateway": GatewaySerializer(), "token": serializers.CharField()})


class GatewayViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Gateways of the sites you can see. Energy managers and enterprise admins create them (the token is returned
    once), issue further tokens and revoke them."""

    serializer_class = GatewaySerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["site"]

    def get_queryset(self):
        qs = tenancy.scope(Gateway.objects.select_related("site").prefetch_related("allowed_meters", "tokens"),
                           self.request.user)
        return gateways_with_health(qs, now=timezone.now())

    def _check_admin(self, gateway: Gateway) -> None:
        if not tenancy.has_role(self.request.user, gateway.site.enterprise_id, GATEWAY_MANAGE_ROLE):
            raise ApplicationError("permission_denied", "Only energy managers and enterprise admins manage gateway "
                                   "tokens.", status_code=403)

    @extend_schema(request=GatewayCreateSerializer, responses={201: _token_out},
                   examples=[OpenApiExample("create", request_only=True,
                                            value={"site": 1, "name": "gw-boiler-house", "meters": ["E-MAIN-1"]})])
    def create(self, request):
        data = GatewayCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = _site_for(request.user, data.validated_data["site"], GATEWAY_MANAGE_ROLE)
        gateway, token = gateway_provision(site=site, name=data.validated_data["name"],
                                           meter_codes=data.validated_data["meters"] or None)
        audit_record(action="gateway.create", obj=gateway, request=request, detail={"via": "api"})
        return Response({"gateway": GatewaySerializer(gateway).data, "token": token}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: inline_serializer("Revoked", {"revoked": serializers.IntegerField()})})
    @action(detail=True, methods=["post"], url_path="revoke-tokens")
    def revoke_tokens(self, request, pk=None):
        gateway = self.get_object()
        self._check_admin(gateway)
        revoked = gateway_tokens_revoke(gateway=gateway)
        audit_record(action="gateway.tokens_revoke", obj=gateway, request=request, detail={"revoked": revoked})
        return Response({"revoked": revoked})

    @extend_schema(request=None, responses={201: _token_out})
    @action(detail=True, methods=["post"], url_path="tokens")
    def new_token(self, request, pk=None):
        """Issue an additional token (e.g. to rotate: issue, reconfigure the gateway, then revoke the old ones)."""
        gateway = self.get_object()
        self._check_admin(gateway)
        token = gateway_token_issue(gateway=gateway)
        audit_record(action="gateway.token_issue", obj=gateway, request=request, detail={"via": "api"})
        return Response({"gateway": GatewaySerializer(gateway).data, "token": token}, status=status.HTTP_201_CREATED)


class ImportJobCreateSerializer(serializers.Serializer):
    site = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices)
    file = serializers.FileField()
    mapping = serializers.JSONField(required=False, binary=True, help_text=(
        "How the file's columns are read, as JSON text (keys in meters/services/imports.py and README "
        "\"Imports\"); omitted: the preset's mapping, or the plain meter,ts,value layout."))
    preset = serializers.IntegerField(required=False, help_text="Id of a saved import preset of the site's "
                                                                "enterprise.")


_import_out = inline_serializer("ImportJobStatus", {
    "id": serializers.IntegerField(), "site": serializers.IntegerField(), "kind": serializers.CharField(),
    "file": serializers.CharField(), "status": serializers.CharField(), "total_rows": serializers.IntegerField(),
    "processed_rows": serializers.IntegerField(), "accepted": serializers.IntegerField(),
    "duplicates": serializers.IntegerField(), "conflicts": serializers.IntegerField(),
    "rejected": serializers.IntegerField(), "error": serializers.CharField(), "preview": serializers.JSONField(),
    "mapping": serializers.JSONField(), "preset": serializers.IntegerField(allow_null=True),
    "refused_rows": serializers.JSONField(),
    "created_at": serializers.DateTimeField(), "finished_at": serializers.DateTimeField(allow_null=True)})


class ImportJobViewSet(viewsets.GenericViewSet):
    """Uploads of readings (`meter,ts,value`) or monthly bills (`meter,period_start,period_end,quantity,amount_cny,
    document_no`) as CSV or XLSX: create, poll the preview, commit, poll the progress."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = ImportJobCreateSerializer
    # list() answers the latest 100 jobs as a plain array: no page envelope, search or ordering to document.
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return tenancy.scope(ImportJob.objects.all(), self.request.user)

    @extend_schema(responses={200: _import_out})
    def list(self, request):
        jobs = self.get_queryset()[:100]
        return Response([import_job_preview(job=j) for j in jobs])

    @extend_schema(request={"multipart/form-data": ImportJobCreateSerializer}, responses={201: _import_out})
    def create(self, request):
        data = ImportJobCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = _site_for(request.user, data.validated_data["site"], Role.ENERGY_MANAGER)
        preset = None
        if (preset_id := data.validated_data.get("preset")) is not None:
            preset = tenancy.scope(ImportPreset.objects.all(), request.user).filter(pk=preset_id).first()
            if preset is None:
                raise ApplicationError("not_found", "No such import preset.", status_code=404)
        job = import_job_create(site=site, kind=data.validated_data["kind"], uploaded_file=data.validated_data["file"],
                                user=request.user, enqueue=import_job_validate_task.delay,
                                mapping=data.validated_data.get("mapping"), preset=preset)
        job.refresh_from_db()
        return Response(import_job_preview(job=job), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: _import_out})
    def retrieve(self, request, pk=None):
        return Response(import_job_preview(job=self.get_object()))

    @extend_schema(request=None, responses={202: _import_out})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        job = self.get_object()
        if not tenancy.has_role(request.user, job.site.enterprise_id, Role.ENERGY_MANAGER):
            raise ApplicationError("permission_denied", "Your role does not allow importing here.", status_code=403)
        job = import_job_commit(job=job, user=request.user, enqueue=import_job_run_task.delay)
        job.refresh_from_db()
        return Response(import_job_preview(job=job), status=status.HTTP_202_ACCEPTED)


class ImportPresetSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportPreset
        fields = ["id", "enterprise", "name", "kind", "mapping", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class ImportPresetCreateSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    # readings, bills, and value added or output files (ui.MonthlyUpload, plants.services.monthly_mapping_clean)
    kind = serializers.ChoiceField(choices=ImportPreset.KINDS, default=ImportJob.Kind.READINGS)
    mapping = serializers.JSONField()


class ImportPresetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Named mappings of vendor or utility files, per enterprise: energy managers save (the same name replaces)
    and delete them; an upload names one by id (`preset`)."""

    serializer_class = ImportPresetSerializer
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    filterset_fields = ["enterprise", "kind"]

    def get_queryset(self):
        return tenancy.scope(ImportPreset.objects.all(), self.request.user)

    def _enterprise(self, pk: int) -> Enterprise:
        enterprise = tenancy.scope(Enterprise.objects.all(), self.request.user).filter(pk=pk).first()
        if enterprise is None:
            raise ApplicationError("not_found", "No such enterprise.", status_code=404)
        if not tenancy.has_role(self.request.user, enterprise.pk, Role.ENERGY_MANAGER):
            raise ApplicationError("permission_denied", "Your role does not allow this here.", status_code=403)
        return enterprise

    @extend_schema(request=ImportPresetCreateSerializer, responses={201: ImportPresetSerializer}, examples=[
        OpenApiExample("day-first, end-labelled, wide", request_only=True, value={
            "enterprise": 1, "name": "Vendor X 15-min export", "kind": "readings",
            "mapping": {"timestamp_column": "Time", "timestamp_format": "%d/%m/%Y %H:%M", "timestamp_label": "end",
                        "timezone": "Asia/Shanghai", "decimal_comma": True,
                        "columns": [{"column": "Main", "meter": "E-MAIN-1", "unit": "kWh"}]}})])
    def create(self, request):
        data = ImportPresetCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        preset = import_preset_save(enterprise=self._enterprise(d["enterprise"]), name=d["name"], kind=d["kind"],
                                    mapping=d["mapping"], user=request.user)
        return Response(ImportPresetSerializer(preset).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        preset = self.get_object()
        self._enterprise(preset.enterprise_id)
        audit_record(action="import_preset.delete", obj=preset, request=request, detail={"name": preset.name})
        preset.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
