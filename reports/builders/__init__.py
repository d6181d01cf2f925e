"""Report builders: turn the accounting backends' figures into a neutral `Document` (title, sections, tables).

Every number comes from `carbon.kpis` / `carbon.emissions` / `carbon.ledger`; builders only arrange them.
`BUILDERS[kind](enterprise=..., year=...) -> Document`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Column:
    key: str
    label: str
    unit: str = ""


@dataclass
class Table:
    columns: list[Column]
    rows: list[list]


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Document:
    kind: str
    title: str
    meta: dict
    sections: list[Section] = field(default_factory=list)
    factor_versions: list[str] = field(default_factory=list)
    ledger_head: str = ""


def builders() -> dict:
    from .energy import build_energy
    from .footprint import build_footprint
    from .ghg import build_ghg
    from .green_factory import build_green_factory

    return {"energy": build_energy, "ghg": build_ghg, "footprint": build_footprint,
            "green_factory": build_green_factory}


NOT_BUILT: dict = {}
