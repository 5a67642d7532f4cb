"""What a planner takes and gives: options, the plan (files of operations), refusals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dbtool.errors import UsageError
from dbtool.plan.ops import Op

_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_RENAME = re.compile(rf"^(?:(?P<table>{_IDENT}(?:\.{_IDENT})?)\.)?(?P<old>{_IDENT})=(?P<new>{_IDENT})$")
_FILL = re.compile(rf"^(?P<table>{_IDENT}(?:\.{_IDENT})?)\.(?P<column>{_IDENT})=(?P<value>.+)$", re.S)


@dataclass(frozen=True)
class Rename:
    """`--rename old_table=new_table` (table None) or `--rename table.old=new`."""

    old: str
    new: str
    table: str | None = None

    @classmethod
    def parse(cls, text: str) -> Rename:
        match = _RENAME.match(text.strip())
        if match is None:
            raise UsageError(f"--rename {text!r} is not OLD=NEW or TABLE.OLD=NEW",
                             hint="e.g. --rename users.name=full_name or --rename old_table=new_table")
        return cls(match["old"], match["new"], match["table"])

    def __str__(self) -> str:
        return f"{self.table}.{self.old}={self.new}" if self.table else f"{self.old}={self.new}"


@dataclass(frozen=True)
class Fill:
    """`--fill table.column=SQL`: the value existing rows get in a new NOT NULL column
    (or where a column that becomes NOT NULL is NULL)."""

    table: str
    column: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Fill:
        match = _FILL.match(text.strip())
        if match is None or not match["value"].strip():
            raise UsageError(f"--fill {text!r} is not TABLE.COLUMN=SQL",
                             hint="e.g. --fill users.plan=\"'free'\"")
        table, _, column = f"{match['table']}.{match['column']}".rpartition(".")
        return cls(table, column, match["value"].strip())


@dataclass(frozen=True)
class PlanOptions:
    allow_drop: bool = False
    renames: tuple[Rename, ...] = ()
    fills: tuple[Fill, ...] = ()
    lock_safe: bool = True
    lock_timeout: str = "5s"
    desired: str = "the snapshot"  # how messages name the desired state

    def fill(self, table: str, column: str) -> str | None:
        return next((f.value for f in self.fills if f.table == table and f.column == column), None)


@dataclass(frozen=True)
class Refusal:
    """Why a plan cannot be written; `code` is stable for scripts."""

    code: str  # destructive | rename | needs-value | unsupported | invalid | residue | lint | failed
    message: str
    hint: str = ""

    def describe(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "hint": self.hint}


@dataclass(frozen=True)
class PlanFile:
    """One migration file: `part` names it among its siblings ("" for the first)."""

    operations: tuple[Op, ...]
    transactional: bool = True
    part: str = ""


@dataclass
class Plan:
    files: list[PlanFile] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(f.operations for f in self.files)

    @property
    def operations(self) -> list[Op]:
        return [op for f in self.files for op in f.operations]


class PlanRefused(Exception):
    """Raised inside a planner to stop with one refusal (collected by the caller)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal
