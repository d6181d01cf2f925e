"""REST endpoints for enterprises, sites, production units and products; all scoped by the tenancy layer."""

from __future__ import annotations

from rest_framework import serializers

from accounts.api import TenantScopedSerializer, TenantScopedViewSet
from accounts.models import Role

from .filters import ProductFilter, ProductionUnitFilter, SiteFilter
from .models import Enterprise, Product, ProductionUnit, Site


class EnterpriseSerializer(TenantScopedSerializer):
    class Meta:
        model = Enterprise
        fields = ["id", "name", "credit_code", "industry_code", "region_code", "created_at"]
        read_only_fields = ["created_at"]


class SiteSerializer(TenantScopedSerializer):
    class Meta:
        model = Site
        fields = ["id", "enterprise", "code", "name", "kind", "region_code", "timezone", "commissioning_date",
                  "base_station_count"]


class ProductionUnitSerializer(TenantScopedSerializer):
    class Meta:
        model = ProductionUnit
        fields = ["id", "site", "parent", "code", "name", "kind"]


class ProductSerializer(TenantScopedSerializer):
    class Meta:
        model = Product
        fields = ["id", "site", "unit_of_production", "code", "name", "unit", "cn_code"]


class EnterpriseViewSet(TenantScopedViewSet):
    """Enterprises (tenants). Created by platform staff; updated by their enterprise admins."""

    queryset = Enterprise.objects.all()
    serializer_class = EnterpriseSerializer
    write_role = Role.ENTERPRISE_ADMIN
    filterset_fields = {"region_code": ["exact", "startswith"], "industry_code": ["exact", "startswith"]}
    search_fields = ["name", "credit_code"]
    ordering_fields = ["name", "region_code"]


class SiteViewSet(TenantScopedViewSet):
    queryset = Site.objects.select_related("enterprise")
    serializer_class = SiteSerializer
    write_role = Role.ENTERPRISE_ADMIN
    filterset_class = SiteFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class ProductionUnitViewSet(TenantScopedViewSet):
    queryset = ProductionUnit.objects.select_related("site")
    serializer_class = ProductionUnitSerializer
    filterset_class = ProductionUnitFilter
    search_fields = ["code", "name"]


class ProductViewSet(TenantScopedViewSet):
    queryset = Product.objects.select_related("site")
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["code", "name"]


__all__ = ["EnterpriseViewSet", "ProductViewSet", "ProductionUnitViewSet", "SiteViewSet", "serializers"]
