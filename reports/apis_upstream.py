"""API of the footprint's upstream data and the CBAM installation data, each resource by id (writes audited):

- `/api/v1/upstream-factors/[<id>/]` cradle-to-gate factors of purchased materials and precursors (with source,
  supplier-specific or default, provisional flag)
- `/api/v1/material-purchases/[<id>/]` monthly consumption of a material or precursor for a product (or the site)
- `/api/v1/cbam-installations/[<id>/]` an installation's CBAM data (UN/LOCODE, coordinates, production routes)
- `/api/v1/carbon-prices-paid/[<id>/]` carbon price due in the country of origin per good and year
"""

from __future__ import annotations

from accounts.api import TenantScopedSerializer, TenantScopedViewSet

from .models import CarbonPricePaid, CbamInstallation, MaterialPurchase, UpstreamFactor


class UpstreamFactorSerializer(TenantScopedSerializer):
    class Meta:
        model = UpstreamFactor
        fields = ["id", "enterprise", "code", "name", "unit", "value_tco2e_per_unit", "indirect_tco2e_per_unit",
                  "kind", "supplier", "source", "data_year", "provisional", "gwp_basis"]


class MaterialPurchaseSerializer(TenantScopedSerializer):
    class Meta:
        model = MaterialPurchase
        fields = ["id", "site", "product", "factor", "month", "quantity", "role", "cn_code", "country_of_origin",
                  "note"]


class CbamInstallationSerializer(TenantScopedSerializer):
    class Meta:
        model = CbamInstallation
        fields = ["id", "site", "name", "operator_name", "street", "city", "postcode", "country", "unlocode",
                  "latitude", "longitude", "contact_email", "production_routes"]


class CarbonPricePaidSerializer(TenantScopedSerializer):
    class Meta:
        model = CarbonPricePaid
        fields = ["id", "product", "year", "instrument", "price_per_tco2e", "currency", "covered_tco2e_per_unit",
                  "free_allocation_tco2e_per_unit", "source", "provisional"]


class UpstreamFactorViewSet(TenantScopedViewSet):
    queryset = UpstreamFactor.objects.all()
    serializer_class = UpstreamFactorSerializer
    filterset_fields = ["enterprise", "kind", "provisional"]
    search_fields = ["code", "name", "supplier"]


class MaterialPurchaseViewSet(TenantScopedViewSet):
    queryset = MaterialPurchase.objects.select_related("factor")
    serializer_class = MaterialPurchaseSerializer
    filterset_fields = ["site", "product", "factor", "month", "role"]


class CbamInstallationViewSet(TenantScopedViewSet):
    queryset = CbamInstallation.objects.select_related("site")
    serializer_class = CbamInstallationSerializer
    filterset_fields = ["site"]


class CarbonPricePaidViewSet(TenantScopedViewSet):
    queryset = CarbonPricePaid.objects.all()
    serializer_class = CarbonPricePaidSerializer
    filterset_fields = ["product", "year"]
