"""The apps' import graph follows the one-way data flow of README "Layout", and no services module imports a tasks one.

Imports are read with `ast` from every module of every app (function-level imports included, since a lazy import is
still a dependency), so the test needs no database and imports none of the code it checks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Data flows reading -> rollup -> ledger/KPI -> report/screen: an app may import an app of a lower tier, never one of
#: its own tier or a higher one, except for the peer edges listed below.
#: costs (tariffs and cost) reads meters and carbon, and the reports and pages read it: a tier of its own between them.
TIERS = {"plants": 0, "meters": 1, "carbon": 2, "costs": 2.5, "reports": 3, "ui": 3, "insights": 3, "alerts": 3,
         "demo": 4}
#: Infrastructure every app may import. They import no domain app, except: accounts' memberships and jurisdictions
#: belong to enterprises (accounts -> plants), and the project's URL modules route to every app's views.
INFRASTRUCTURE = {"accounts", "energy_platform"}
INFRASTRUCTURE_EDGES = {("accounts", "plants")}
ROUTING_MODULES = {"energy_platform.urls", "energy_platform.api_routes"}
#: Imports between apps of the top tier: the centre's and the alerts' pages reuse the UI's chart selectors, and the UI
#: links report files; insights hands the energy report its energy flow and savings projects (insights.apps).
#: Kept acyclic (checked below).
PEER_EDGES = {("alerts", "ui"), ("insights", "ui"), ("ui", "reports"), ("insights", "reports")}
APPS = sorted(set(TIERS) | INFRASTRUCTURE)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module name `module` imports (relative ones resolved; `from x import y` gives x and x.y)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _app_modules() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                source = path.read_text(encoding="utf-8")
                graph[_module_name(path)] = _imports(source, _module_name(path), is_package=path.name == "__init__.py")
    return graph


def _allowed(importer: str, app: str, imported: str) -> bool:
    if imported == app:
        return True
    if imported == "demo":
        return False  # the demo loads everything; nothing imports it
    if app in INFRASTRUCTURE:
        return (
            imported in INFRASTRUCTURE or (app, imported) in INFRASTRUCTURE_EDGES or importer in ROUTING_MODULES
        )
    if imported in INFRASTRUCTURE:
        return True
    return TIERS[imported] < TIERS[app] or (app, imported) in PEER_EDGES


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    violations = []
    for importer, imported_names in sorted(graph.items()):
        app = importer.split(".")[0]
        for name in sorted(imported_names):
            imported = name.split(".")[0]
            if imported in APPS and not _allowed(importer, app, imported):
                violations.append(f"{importer} imports {name}")
    return sorted(set(violations))


def _is_services(module: str) -> bool:
    return "services" in module.split(".")


def _is_tasks(name: str) -> bool:
    return name.split(".")[0] in APPS and "tasks" in name.split(".")


def services_importing_tasks(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module, names in graph.items() if _is_services(module)
        for name in names if _is_tasks(name)
    )


def test_every_app_imports_only_downstream_of_the_data_flow():
    assert layering_violations(_app_modules()) == []


def test_plants_imports_no_higher_app():
    higher = {"meters", "carbon", "reports", "insights", "alerts", "ui", "demo"}
    graph = _app_modules()
    assert sorted(
        f"{m} imports {n}" for m, names in graph.items() if m.split(".")[0] == "plants"
        for n in names if n.split(".")[0] in higher
    ) == []


def test_no_services_module_imports_a_tasks_module():
    assert services_importing_tasks(_app_modules()) == []


def test_peer_edges_of_the_top_tier_form_no_cycle():
    seen = {(a, b) for a, b in PEER_EDGES}
    assert not any((b, a) in seen for a, b in seen)
    assert not any((a, b) in seen and (b, c) in seen and (c, a) in seen for a, b in seen for c in APPS)


@pytest.mark.parametrize(
    ("importer", "source", "expected"),
    [
        # a lower app reaching a higher one, in each form an import can take
        ("plants.models", "from meters.models import Meter", ["plants.models imports meters.models",
                                                              "plants.models imports meters.models.Meter"]),
        ("meters.rollup", "def f():\n    import carbon.kpis", ["meters.rollup imports carbon.kpis"]),
        ("carbon.kpis", "from reports import builders", ["carbon.kpis imports reports",
                                                         "carbon.kpis imports reports.builders"]),
        ("reports.apis", "import demo.loader", ["reports.apis imports demo.loader"]),
        ("accounts.tenancy", "from meters.models import Meter", ["accounts.tenancy imports meters.models",
                                                                 "accounts.tenancy imports meters.models.Meter"]),
        ("reports.apis", "from alerts.models import Alert", ["reports.apis imports alerts.models",
                                                             "reports.apis imports alerts.models.Alert"]),
        # allowed: downstream, infrastructure, the routing module, a listed peer edge
        ("carbon.kpis", "from meters.models import Meter\nfrom accounts import tenancy", []),
        ("energy_platform.api_routes", "from alerts import apis", []),
        ("alerts.views", "from ui import selectors", []),
        ("demo.loader", "from carbon.models import Target", []),
    ],
)
def test_layering_check_flags_an_upward_import(importer, source, expected):
    assert layering_violations({importer: _imports(source, importer)}) == expected


def test_services_check_flags_a_relative_tasks_import():
    source = "def go():\n    from .. import tasks\n    from ..tasks import run\n"
    graph = {"meters.services.imports": _imports(source, "meters.services.imports")}
    assert services_importing_tasks(graph) == [
        "meters.services.imports imports meters.tasks",
        "meters.services.imports imports meters.tasks.run",
    ]


def test_services_check_ignores_a_tasks_import_outside_services():
    graph = {"meters.apis_imports": _imports("from meters.tasks import run", "meters.apis_imports")}
    assert services_importing_tasks(graph) == []
