"""Gateway tag maps: which meter each tag / metric name of a gateway measures (tenant-scoped, audited)."""

from __future__ import annotations

from accounts.api import TenantScopedSerializer, TenantScopedViewSet
from accounts.models import Role

from .models_gateways import GatewayTag


class GatewayTagSerializer(TenantScopedSerializer):
    class Meta:
        model = GatewayTag
        fields = ["id", "gateway", "tag", "meter", "created_at"]
        read_only_fields = ["created_at"]


class GatewayTagViewSet(TenantScopedViewSet):
    """Tag -> meter maps of the gateways you can see (`?gateway=`). Enterprise admins change them; the meter must
    be at the gateway's site."""

    queryset = GatewayTag.objects.select_related("gateway", "meter")
    serializer_class = GatewayTagSerializer
    filterset_fields = ["gateway"]
    write_role = Role.ENTERPRISE_ADMIN
