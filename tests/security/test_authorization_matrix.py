"""Authorization matrix: every URL pattern and every OpenAPI operation, requested as every role, gets the status the
table in expectations.py allows, and no response (list, detail, export, filter, search or error) carries a name or
code of an enterprise the role may not see."""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from urllib.parse import unquote

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse

from plants.models import Site

from .conftest import MARKERS, ROLES
from .endpoints import Endpoint, api_operations, url_endpoints
from .expectations import ADMIN_WRITES, MATRIX, Row, row_for

pytestmark = pytest.mark.django_db

MISSING_ID = 987654321
_TOKEN = re.compile(r"[\w.-]+")


# --- coverage: the matrix has a row for everything the project serves --------------------------------------------

def test_every_endpoint_has_an_expectation():
    endpoints = url_endpoints()
    operations = api_operations()
    assert len(endpoints) > 100 and len(operations) > 40  # the enumeration itself works
    unmatched = sorted({e.label for e in endpoints if row_for(e.label) is None})
    assert unmatched == [], f"URL patterns without a row in tests/security/expectations.py: {unmatched}"
    missing = sorted(op.label for op in operations if op.method not in row_for(op.url_name).methods)
    assert missing == [], f"OpenAPI operations whose method has no expectation: {missing}"


def test_every_admin_model_has_write_expectations():
    """A model registered in the admin fails the suite until ADMIN_WRITES states who may add, change and delete it."""
    registered = {model._meta.label for model in admin.site._registry}
    assert sorted(registered - set(ADMIN_WRITES)) == []
    assert sorted(set(ADMIN_WRITES) - registered) == []


def test_no_row_is_stale():
    labels = [e.label for e in url_endpoints()]
    stale = [row.pattern for row in MATRIX if not any(row.matches(label) for label in labels)]
    assert stale == [], f"rows that match no URL pattern any more: {stale}"


# --- building requests --------------------------------------------------------------------------------------------

def _admin_model(endpoint: Endpoint):
    """The model an admin URL is about, from its name (admin:app_model_action) or its route."""
    for model in admin.site._registry:
        key = f"{model._meta.app_label}_{model._meta.model_name}_"
        route_key = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        if (endpoint.name or "").startswith(f"admin:{key}") or endpoint.route.startswith(route_key):
            return model
    return None


def _admin_object(model, world):
    """An object of `model` belonging to enterprise A (a user of A for users; any row for reference data)."""
    if model is None:
        return None
    if model is get_user_model():
        return world.users["manager"]
    path = getattr(model, "TENANT_PATH", None)
    if path is not None:
        return model._default_manager.filter(**{path or "pk": world.a.enterprise.pk}).order_by("pk").first()
    return model._default_manager.order_by("pk").first()


def _kwargs(endpoint: Endpoint, row: Row, world, missing: bool = False) -> dict:
    obj = None
    if row.target == "admin":
        obj = _admin_object(_admin_model(endpoint), world)
    elif row.target:
        obj = world.a.objects[row.target]
    kwargs = {}
    for arg in endpoint.args:
        if arg in ("pk", "object_id", "id"):
            kwargs[arg] = MISSING_ID if missing else (obj.pk if obj is not None else MISSING_ID)
        elif arg == "code":
            kwargs[arg] = "ZQNONE-S9" if missing else obj.code
        elif arg == "file_id":
            kwargs[arg] = MISSING_ID if missing else world.a.objects["report_file"].pk
        elif arg == "entry_id":
            kwargs[arg] = MISSING_ID if missing else world.a.objects["ledger"].pk
        elif arg == "content_type_id":
            kwargs[arg] = ContentType.objects.get_for_model(type(obj)).pk
        elif arg == "format":
            kwargs[arg] = "json"
        elif arg == "url":
            kwargs[arg] = "no-such-page/"
        elif arg == "app_label":
            kwargs[arg] = "plants"
        elif arg in row.extra:
            kwargs[arg] = row.extra[arg]
        else:
            raise AssertionError(f"{endpoint.label}: no value for URL argument {arg!r}")
    return kwargs


def _url(endpoint: Endpoint, row: Row, world, missing: bool = False) -> str:
    kwargs = _kwargs(endpoint, row, world, missing)
    if endpoint.name:
        url = reverse(endpoint.name, kwargs=kwargs)
    else:
        url = "/" + re.sub(r"<(?:[^>:]+:)?([^>]+)>", lambda m: str(kwargs[m.group(1)]), endpoint.route)
    if row.query:
        url += "?" + row.query.format(enterprise=world.a.enterprise.pk, site=world.a.site.pk)
    return url


def _body_text(response) -> str:
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    return data.decode("utf-8", errors="replace")


def _send(client, method: str, url: str, row: Row, world):
    """One request, rolled back afterwards (and the client's cookies restored), so requests are independent."""
    data = row.body(world) if row.body else {}
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        if method == "PUT" and not data:
            # PUT sends back what the caller reads (nothing when it may not read the object).
            current = client.get(url)
            data = current.json() if current.status_code == 200 else {}
        if method == "GET":
            response = client.get(url)
        elif row.multipart or not url.startswith("/api/"):
            response = getattr(client, method.lower())(url, data)
        else:
            response = getattr(client, method.lower())(url, json.dumps(data), content_type="application/json")
        text = _body_text(response)
        ids_problem = _foreign_ids(text, response, world, client.role)
        transaction.set_rollback(True)
    client.cookies = cookies
    request_text = url + " " + " ".join(_text_of(v) for v in data.values())
    return response, text, request_text, ids_problem


def _text_of(value) -> str:
    if hasattr(value, "read"):
        value.seek(0)
        return value.read().decode(errors="replace")
    return str(value)


# --- leak checks ----------------------------------------------------------------------------------------------------

def _foreign_markers(text: str, request_text: str, world, role: str) -> list[str]:
    """Foreign markers in `text` (each with some context), ignoring words the request itself sent (echoing the
    caller's input leaks nothing)."""
    markers = world.foreign_markers(role)
    text = unquote(text)  # an echo may come back URL-encoded (admin links keep the changelist's filters)
    echoed = sorted({t for t in _TOKEN.findall(request_text) if any(m in t for m in markers)}, key=len, reverse=True)
    for token in echoed:
        # Only whole words: stripping "ZQBRAVO" must not hide "ZQBRAVO-S1".
        text = re.sub(rf"(?<![\w-]){re.escape(token)}(?![\w-])", "", text)
    return [text[max(0, i - 40):i + 40] for m in markers if (i := text.find(m)) >= 0]


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _foreign_ids(text: str, response, world, role: str) -> str | None:
    """In a JSON answer, every `enterprise` id and `site` id must be one the role may see."""
    if role == "superuser" or "json" not in response.get("Content-Type", ""):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    visible = world.visible_enterprise_ids(role)
    for obj in _walk(doc):
        ent = obj.get("enterprise")
        if isinstance(ent, int) and ent not in visible:
            return f"enterprise id {ent} in {obj}"
        site = obj.get("site")
        if isinstance(site, int):
            owner = Site.objects.filter(pk=site).values_list("enterprise_id", flat=True).first()
            if owner is not None and owner not in visible:
                return f"site id {site} in {obj}"
    return None


def _foreign_key(world, role: str) -> str | None:
    """The tenant ("a" or "b") that is foreign to `role`, for the filter and search probes."""
    from .conftest import VISIBLE

    foreign = [k for k in ("a", "b") if k not in VISIBLE[role]]
    return foreign[0] if len(foreign) == 1 else None


# --- the matrix -----------------------------------------------------------------------------------------------------

def _cases():
    for endpoint in url_endpoints():
        row = row_for(endpoint.label)
        if row is not None:
            yield endpoint, row


def test_authorization_matrix(world):
    failures: list[str] = []
    for role in ROLES:
        failures += _matrix_for(world, role)
    assert failures == [], "\n".join(failures)


def _matrix_for(world, role, only: str = "*") -> list[str]:
    client = world.clients[role]
    client.role = role
    failures: list[str] = []
    seen_urls = set()
    for endpoint, row in _cases():
        if not fnmatch.fnmatchcase(endpoint.label, only):
            continue
        url = _url(endpoint, row, world)
        for method, statuses in row.methods.items():
            if (method, url) in seen_urls:
                continue
            seen_urls.add((method, url))
            response, text, request_text, ids_problem = _send(client, method, url, row, world)
            where = f"{method} {url} [{endpoint.label}] as {role}"
            if response.status_code not in statuses[role]:
                failures.append(f"{where}: status {response.status_code}, expected {sorted(statuses[role])}: "
                                f"{text[:200]!r}")
            if leaked := _foreign_markers(text, request_text, world, role):
                failures.append(f"{where}: foreign {leaked} in the answer")
            if ids_problem:
                failures.append(f"{where}: foreign {ids_problem}")
            if response.status_code == 404 and row.target and method == "GET":
                # A foreign object answers exactly like a missing one: no existence oracle.
                missing_url = _url(endpoint, row, world, missing=True)
                other, other_text, _, _ = _send(client, method, missing_url, row, world)
                if other.status_code != 404 or _normalize(other_text) != _normalize(text):
                    failures.append(f"{where}: 404 differs from a missing object's ({other.status_code}): "
                                    f"{text[:120]!r} vs {other_text[:120]!r}")
    return failures


def _normalize(text: str) -> str:
    text = re.sub(r"[\w-]*ZQ(?:ALPHA|BRAVO|NONE)[\w-]*", "<code>", text)
    # The styled error pages carry the layout's forms, whose CSRF token is masked anew for every response.
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', text)
    return re.sub(r"\d+", "<n>", text)


PROBES = ["enterprise={ent}", "site={site}", "search={marker}", "q={marker}", "enterprise={ent}&search={marker}"]


def test_filters_and_search_with_foreign_values_leak_nothing(world):
    """Lists, UI pages and admin changelists asked for the other tenant's enterprise, site or name."""
    failures = []
    for role in ROLES:
        if role not in ("anonymous", "gateway", "superuser"):
            failures += _probes_for(world, role)
    assert failures == [], "\n".join(failures)


def _probes_for(world, role) -> list[str]:
    client = world.clients[role]
    client.role = role
    foreign = getattr(world, _foreign_key(world, role))
    values = {"ent": foreign.enterprise.pk, "site": foreign.site.pk, "marker": MARKERS[foreign.key]}
    failures = []
    for endpoint, row in _cases():
        is_changelist = (endpoint.name or "").endswith("_changelist")
        if not row.lists and not (is_changelist and role == "staff_manager"):
            continue  # only the staff manager gets past the admin login
        base = _url(endpoint, row, world).split("?")[0]
        for probe in PROBES:
            url = f"{base}?{probe.format(**values)}"
            response, text, request_text, ids_problem = _send(client, "GET", url, Row(row.pattern, {}), world)
            if response.status_code not in (200, 302, 400, 403, 404):
                failures.append(f"GET {url} as {role}: {response.status_code}")
            if leaked := _foreign_markers(text, request_text, world, role):
                failures.append(f"GET {url} as {role}: foreign {leaked} in the answer")
            if ids_problem:
                failures.append(f"GET {url} as {role}: foreign {ids_problem}")
    return failures


def _foreign_object_url(endpoint: Endpoint, row: Row, world) -> str:
    """The URL of `row` addressing enterprise B's object of the same kind (admin: the same model)."""
    if row.target == "admin":
        model = _admin_model(endpoint)
        path = getattr(model, "TENANT_PATH", None)
        if path is None:
            return ""
        obj = model._default_manager.filter(**{path or "pk": world.b.enterprise.pk}).order_by("pk").first()
        if obj is None:
            return ""
        kwargs = {arg: obj.pk for arg in endpoint.args}
        if endpoint.name:
            return reverse(endpoint.name, kwargs=kwargs)
        return "/" + re.sub(r"<(?:[^>:]+:)?([^>]+)>", lambda m: str(kwargs[m.group(1)]), endpoint.route)
    swapped = copy.copy(world)
    swapped.a = world.b
    return _url(endpoint, row, swapped)


def test_foreign_objects_answer_like_missing_ones(world):
    """Every method on enterprise B's objects, by users of A, answers exactly as on an id that does not exist: no
    existence oracle, no foreign name in the error."""
    failures = []
    for role in ("viewer", "manager", "regulator_in", "staff_manager"):
        failures += _foreign_objects_for(world, role)
    assert failures == [], "\n".join(failures)


def _foreign_objects_for(world, role) -> list[str]:
    client = world.clients[role]
    client.role = role
    failures = []
    for endpoint, row in _cases():
        if not row.target or (row.target == "admin" and (not endpoint.args or role != "staff_manager")):
            continue  # admin pages: only the staff manager gets past the admin login
        url = _foreign_object_url(endpoint, row, world)
        if not url:
            continue
        missing = _url(endpoint, row, world, missing=True)
        for method in row.methods:
            response, text, request_text, _ = _send(client, method, url, row, world)
            other, other_text, _, _ = _send(client, method, missing, row, world)
            where = f"{method} {url} [{endpoint.label}] as {role}"
            if response.status_code != other.status_code or _normalize(text) != _normalize(other_text):
                failures.append(f"{where}: {response.status_code} {text[:150]!r}, missing object: "
                                f"{other.status_code} {other_text[:150]!r}")
            if leaked := _foreign_markers(text, request_text, world, role):
                failures.append(f"{where}: foreign {leaked} in the answer")
    return failures


def test_admin_writes_as_the_staff_manager(world):
    """The admin's add, change and delete views of every model, as the staff energy manager of A (quicker to rerun
    than the whole matrix; the matrix repeats these requests)."""
    failures = _matrix_for(world, "staff_manager", only="admin:*_add") + \
        _matrix_for(world, "staff_manager", only="admin:*_change") + \
        _matrix_for(world, "staff_manager", only="admin:*_delete")
    assert failures == [], "\n".join(failures)


def test_the_matrix_catches_a_scoping_hole(world, monkeypatch):
    """The checker itself: with the tenancy layer switched off for sites, B's admin sees A's site, and the matrix
    reports both the status and the leaked names."""
    from accounts import tenancy

    real_scope = tenancy.scope
    monkeypatch.setattr(tenancy, "scope", lambda qs, user: qs if qs.model is Site else real_scope(qs, user))
    failures = _matrix_for(world, "other_admin", only="site-*")
    assert any(f.startswith("GET /api/v1/sites/ [site-list]") and "foreign" in f for f in failures), failures
    assert any("[site-detail] as other_admin: status 200, expected [404]" in f for f in failures), failures


def test_a_gateway_cannot_write_or_probe_another_enterprises_meters(world):
    """A's gateway posting B's meter code gets the same row error as for a code that exists nowhere."""
    client = world.clients["gateway"]

    def post(code: str, batch: str):
        body = {"batch_id": batch, "readings": [{"meter": code, "ts": "2025-04-01T00:00:00+08:00", "value": 1}]}
        return client.post("/api/v1/readings/", json.dumps(body), content_type="application/json")

    foreign = post(world.b.objects["meter"].code, "probe-1")
    missing = post("ZQNONE-E1", "probe-2")
    assert foreign.status_code == missing.status_code == 200
    assert foreign.json()["accepted"] == 0
    assert foreign.json()["rejected"][0]["code"] == missing.json()["rejected"][0]["code"] == "unknown_meter"
    assert _normalize(foreign.content.decode()) == _normalize(missing.content.decode())


# --- audit: every write through the API and the UI leaves an event with its enterprise --------------------------

_WRITE_SQL = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
#: Tables whose writes are bookkeeping, not a change of the tenant's data: sessions, sign-in attempts, the audit log
#: itself, the rollup's to-do list.
_BOOKKEEPING_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog",
                       "accounts_auditevent", "meters_dirtymeterday"}
#: Writes recorded elsewhere than the audit log: readings arrive by the million, and each batch is its own record
#: (meters.IngestBatch: gateway, time, counts, rejected rows); signing in and out and choosing a language change only
#: the caller's session.
_AUDIT_EXEMPT = {"readings-ingest", "login", "logout", "set_language"}


def _written_tables(client, method: str, url: str, row: Row, world):
    """Send like `_send`, and return (response, tables written, audit events of A created)."""
    from django.db import connection

    from accounts.models import AuditEvent

    tables: set[str] = set()

    def spy(execute, sql, params, many, context):
        if match := _WRITE_SQL.match(sql):
            tables.add(match.group(1).lower())
        return execute(sql, params, many, context)

    data = row.body(world) if row.body else {}
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if method == "PUT" and not data:
            current = client.get(url)
            data = current.json() if current.status_code == 200 else {}
        with connection.execute_wrapper(spy):
            if row.multipart or not url.startswith("/api/"):
                response = getattr(client, method.lower())(url, data)
            else:
                response = getattr(client, method.lower())(url, json.dumps(data), content_type="application/json")
        events = list(AuditEvent.objects.filter(pk__gt=last).values_list("action", "enterprise_id"))
        transaction.set_rollback(True)
    client.cookies = cookies
    return response, tables - _BOOKKEEPING_TABLES, events


def test_every_write_through_the_api_and_the_ui_is_audited_with_its_enterprise(world):
    """Every write endpoint (each URL pattern's row in the matrix with POST, PUT, PATCH or DELETE; a new endpoint
    has to get a row) is called as the energy manager of A, or as the superuser where the manager may not; when the
    request wrote any table of the tenant's data, an audit event with enterprise A must have been recorded. Every
    pattern is also sent a POST even when its row has none, so a view that writes on POST is not missed."""
    failures = []
    writes = 0
    for endpoint, row in _cases():
        if endpoint.label.startswith("admin") or endpoint.label in _AUDIT_EXEMPT:
            continue  # the admin: tests/accounts/test_admin_roles.py and AuditedAdminMixin on every writing admin
        url = _url(endpoint, row, world)
        for method in sorted(set(row.methods) - {"GET"} | {"POST"}):
            for role in ("manager", "superuser"):
                client = world.clients[role]
                client.role = role
                response, tables, events = _written_tables(client, method, url, row, world)
                if response.status_code < 400:
                    break
            if not tables:
                continue
            writes += 1
            # A new enterprise is audited with itself; everything else the walk writes belongs to A.
            expected = None if endpoint.label == "enterprise-list" else world.a.enterprise.pk
            if not any(enterprise is not None and enterprise == (expected or enterprise) for _, enterprise in events):
                failures.append(f"{method} {url} [{endpoint.label}] as {role}: {response.status_code}, wrote "
                                f"{sorted(tables)}, audit events {events}")
    assert writes > 25  # the walk reached the writes
    assert failures == [], "\n".join(failures)
