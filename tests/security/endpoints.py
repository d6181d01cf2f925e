"""Enumerates every URL pattern (from the URL resolver) and every OpenAPI operation (from drf-spectacular), so that a
new endpoint shows up in the authorization matrix without anyone listing it by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver, resolve

_CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


@dataclass(frozen=True)
class Endpoint:
    """One URL pattern: its full route as written, its (namespaced) name and the names of its URL arguments."""

    route: str
    name: str | None
    args: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.name or self.route


def _args_of(route: str) -> tuple[str, ...]:
    return tuple(m.group("name") for m in _CONVERTER.finditer(route)) + tuple(
        m.group("name") for m in _REGEX_GROUP.finditer(route))


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            name = p.name and (f"{namespace}:{p.name}" if namespace else p.name)
            yield Endpoint(route=route, name=name, args=_args_of(route))


def url_endpoints() -> list[Endpoint]:
    """Every URL pattern the project serves (admin, API, UI, schema, i18n, health)."""
    return list(_walk(get_resolver().url_patterns))


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    url_name: str

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@cache
def openapi_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def api_operations() -> list[Operation]:
    """Every operation of the OpenAPI schema, with the URL name its path resolves to."""
    ops = []
    for path, item in openapi_schema()["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        match = resolve(concrete)
        name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append(Operation(method=method.upper(), path=path, operation_id=op["operationId"], url_name=name))
    return ops
