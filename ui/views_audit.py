"""The audit log page: an enterprise admin's view of who changed or downloaded what (accounts.AuditEvent)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.audit import audit_events_for
from accounts.models import Role
from accounts.tenancy import has_role, is_regulator, visible_enterprises

from . import selectors


@login_required
def audit_page(request):
    enterprise = selectors.current_enterprise(request)
    if not has_role(request.user, enterprise, Role.ENTERPRISE_ADMIN):
        raise PermissionDenied
    events = audit_events_for(request.user).filter(enterprise=enterprise)
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    actions = (audit_events_for(request.user).filter(enterprise=enterprise).order_by("action")
               .values_list("action", flat=True).distinct())
    return render(request, "ui/audit.html", {
        "enterprise": enterprise, "enterprises": visible_enterprises(request.user).order_by("name"),
        "can_edit": selectors.can_edit(request.user, enterprise), "regulator": is_regulator(request.user),
        "page": page, "action": action, "actions": list(actions)})
