"""Every UI page of the project, found in the URL resolver (not a hand-kept list): pages that other apps add later
are walked too. Routes with an id are filled with an object of the enterprise by the route's segment before the id;
the API, the admin, downloads and write-only endpoints are left out."""

from __future__ import annotations

import re

from django.apps import apps

from tests.security.endpoints import url_endpoints

#: Route prefixes that are not pages of the UI.
NOT_PAGES = ("api/", "admin/", "i18n/", "healthz", "logout/", "static/", "media/")
#: Route words of endpoints that answer files or only accept writes (the security matrix covers them).
NOT_PAGE_WORDS = ("download", "export", "commit", "files/", "uploads/", "revoke", "token", "csv", "xlsx", ".json")

#: The segment before an id → the model whose id it is (app_label.Model), and how it reaches the enterprise.
ID_MODELS = {"sites": ("plants.Site", "enterprise"), "targets": ("carbon.Target", "enterprise"),
             "enterprises": ("plants.Enterprise", None), "meters": ("meters.Meter", "site__enterprise"),
             "gateways": ("meters.Gateway", "enterprise"), "units": ("plants.ProductionUnit", "site__enterprise"),
             "products": ("plants.Product", "enterprise"), "baselines": ("insights.EnergyBaseline", "enterprise"),
             "projects": ("insights.SavingsProject", "enterprise"), "imports": ("meters.ImportJob", "enterprise"),
             "presets": ("meters.ImportPreset", "enterprise")}

_ARG = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def _ids(segment: str, enterprise) -> list[int]:
    if segment not in ID_MODELS:
        return []
    label, path = ID_MODELS[segment]
    try:
        model = apps.get_model(label)
    except LookupError:
        return []
    rows = model.objects.all()
    if path is None:
        rows = rows.filter(pk=enterprise.pk)
    else:
        try:
            rows = rows.filter(**{path: enterprise})
        except Exception:  # noqa: BLE001  (a model that reaches its enterprise otherwise: take any of its rows)
            rows = model.objects.all()
    return list(rows.order_by("pk").values_list("pk", flat=True)[:3])


def page_routes() -> list[str]:
    """Every UI route (with its placeholders), in resolver order."""
    out = []
    for endpoint in url_endpoints():
        route = endpoint.route
        if route.startswith(NOT_PAGES) or "^" in route or any(w in route for w in NOT_PAGE_WORDS):
            continue
        out.append(route)
    return out


def page_urls(enterprise, *, per_route: int = 1) -> tuple[list[str], list[str]]:
    """(URLs of every UI page with its ids filled, routes that could not be filled)."""
    urls, unfilled = [], []
    for route in page_routes():
        args = list(_ARG.finditer(route))
        if not args:
            urls.append("/" + route)
            continue
        if len(args) > 1 or args[0]["conv"] not in ("int", None):
            unfilled.append(route)
            continue
        segment = route[:args[0].start()].rstrip("/").rsplit("/", 1)[-1]
        ids = _ids(segment, enterprise)
        if not ids:
            unfilled.append(route)
            continue
        urls += ["/" + route[:args[0].start()] + str(pk) + route[args[0].end():] for pk in ids[:per_route]]
    return urls, unfilled
