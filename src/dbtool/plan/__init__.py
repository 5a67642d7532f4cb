"""Migration planning: typed changes -> ordered operations -> SQL, per dialect.

`make_plan` applies the declared renames, diffs the two schemas with
`dbtool.diff`, and hands the changes to the dialect's planner; `render_plan`
turns the plan's operations into statements with the dialect's renderer.
Dialects plug in through `DIALECTS` (planner and renderer classes), so a
dialect difference lives in its planner or renderer, never in an if-chain.
This package imports SQLAlchemy and Alembic: only `dbtool diff` loads it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from dbtool.model import Schema
from dbtool.plan.types import Fill, Plan, PlanFile, PlanOptions, Refusal, Rename

# dialect -> (planner "module:Class", renderer "module:Class")
DIALECTS: dict[str, tuple[str, str]] = {
    "sqlite": ("dbtool.plan.sqlite:SqlitePlanner", "dbtool.plan.render.sqlite:SqliteRenderer"),
    "d1": ("dbtool.plan.sqlite:D1Planner", "dbtool.plan.render.sqlite:SqliteRenderer"),
    "postgres": ("dbtool.plan.postgres:PostgresPlanner", "dbtool.plan.render.postgres:PostgresRenderer"),
}


def _load(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass
class RenderedStatement:
    sql: str
    operation: int  # index into the file's operations
    ignores: list[tuple[str, str]] = field(default_factory=list)  # (lint code, reason)


@dataclass
class RenderedFile:
    plan: PlanFile
    statements: list[RenderedStatement]


@dataclass
class Planned:
    """A plan with what it was made from: `current` has the declared renames done."""

    plan: Plan
    changes: list  # list[dbtool.diff.Change]
    current: Schema
    desired: Schema
    dialect: str


def make_plan(current: Schema, desired: Schema, options: PlanOptions, dialect: str) -> Planned:
    """The plan from `current` to `desired`, and the typed changes it answers."""
    from dbtool.diff import diff
    from dbtool.plan.renames import apply_renames

    renamed, rename_ops = apply_renames(current, desired, options.renames)
    changes = diff(desired, renamed)
    planner = _load(DIALECTS[dialect][0])(renamed, desired, options, rename_ops)
    return Planned(planner.plan(changes), changes, renamed, desired, dialect)


def render_plan(planned: Planned) -> list[RenderedFile]:
    renderer = _load(DIALECTS[planned.dialect][1])(planned.current, planned.desired)
    out = []
    for planned_file in planned.plan.files:
        statements = [RenderedStatement(sql, index)
                      for index, op in enumerate(planned_file.operations) for sql in renderer.render(op)]
        out.append(RenderedFile(planned_file, statements))
    return out


__all__ = [
    "DIALECTS",
    "Fill",
    "Plan",
    "PlanFile",
    "PlanOptions",
    "Planned",
    "Refusal",
    "Rename",
    "RenderedFile",
    "RenderedStatement",
    "make_plan",
    "render_plan",
]
