"""History written by other tools, read so dbtool can recognise and adopt it.

Three foreign histories exist in the field:

* wrangler's `d1_migrations` (shared with dbtool): rows dbtool never recorded
  a checksum for. They arrive through `Engine.history()` with `checksum=None`.
* Supabase's `supabase_migrations.schema_migrations(version, name, statements)`:
  `version` is the file's timestamp prefix, `statements` what the CLI ran.
* dbmate's `schema_migrations(version)`: the file's version prefix only.

Readers here only read and match; nothing is ever invented: a foreign row
without a file is reported, never turned into a history row. The one write is
`rollback`'s: it deletes the rows of the files it undoes (`forget_*`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dbtool.migrations.files import MigrationFile, decode
from dbtool.migrations.history import AppliedMigration

SOURCES = ("wrangler", "supabase", "dbmate")
SUPABASE_TABLE = "supabase_migrations.schema_migrations"
DBMATE_TABLE = "schema_migrations"

Rows = Callable[[str, Sequence[Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class ForeignRow:
    """One row of another tool's history, as that tool recorded it."""

    source: str  # wrangler | supabase | dbmate
    version: str  # the identity the tool keeps: a file name (wrangler) or a version prefix
    label: str | None = None  # Supabase's `name` column
    applied_at: str | None = None
    statements: tuple[str, ...] | None = None  # Supabase's `statements` column

    @property
    def display(self) -> str:
        """How the row is named in messages: the version plus the label when known."""
        return f"{self.version}_{self.label}" if self.label else self.version


@dataclass(frozen=True)
class ForeignMatch:
    """A foreign row and the migration file it stands for (None: no such file)."""

    row: ForeignRow
    file: MigrationFile | None
    problem: str | None = None


# -- readers --------------------------------------------------------------------------
def read_sqlite(rows: Rows, tables: set[str]) -> list[ForeignRow]:
    """dbmate's history on a SQLite/D1 database (`tables`: names present, from the catalog)."""
    if DBMATE_TABLE not in tables:
        return []
    found = rows(f"SELECT CAST(version AS TEXT) AS version FROM {DBMATE_TABLE} ORDER BY version", [])
    return [ForeignRow("dbmate", str(r["version"])) for r in found]


def read_postgres(conn: Any) -> list[ForeignRow]:
    """Supabase's and dbmate's histories on a Postgres database, whichever exist."""
    present = conn.execute("SELECT to_regclass(%s), to_regclass(%s)",
                           (SUPABASE_TABLE, f"public.{DBMATE_TABLE}")).fetchone()
    found: list[ForeignRow] = []
    if present[0] is not None:
        cur = conn.execute(f"SELECT * FROM {SUPABASE_TABLE} ORDER BY version")
        names = [d.name for d in cur.description]
        found += [_supabase_row(dict(zip(names, r, strict=True))) for r in cur.fetchall()]
    if present[1] is not None:
        cur = conn.execute(f"SELECT version::text FROM public.{DBMATE_TABLE} ORDER BY version")
        found += [ForeignRow("dbmate", str(r[0])) for r in cur.fetchall()]
    return found


def forget_postgres(conn: Any, rows: Sequence[ForeignRow]) -> None:
    """Delete these Supabase/dbmate rows (a rollback undid their files), in the caller's transaction."""
    for row in rows:
        table = SUPABASE_TABLE if row.source == "supabase" else f"public.{DBMATE_TABLE}"
        conn.execute(f"DELETE FROM {table} WHERE version::text = %s", (row.version,))


def forget_sqlite(rows: Sequence[ForeignRow], literal: Callable[[object], str]) -> list[str]:
    """Statements deleting these dbmate rows (a rollback undid their files) on SQLite/D1."""
    return [f"DELETE FROM {DBMATE_TABLE} WHERE CAST(version AS TEXT) = {literal(row.version)}"
            for row in rows if row.source == "dbmate"]


def _supabase_row(row: dict[str, Any]) -> ForeignRow:
    """Older Supabase CLIs lack `name` and `statements`; absent columns read as None."""
    statements = row.get("statements")
    return ForeignRow("supabase", str(row["version"]), row.get("name") or None,
                      None, tuple(statements) if statements is not None else None)


def wrangler_rows(applied: Sequence[AppliedMigration]) -> list[ForeignRow]:
    """Rows of the shared `d1_migrations` table that carry no dbtool checksum."""
    return [ForeignRow("wrangler", r.name, None, r.applied_at) for r in applied
            if r.checksum is None and r.source == "wrangler"]


# -- matching -------------------------------------------------------------------------
def match(rows: Sequence[ForeignRow], files: Sequence[MigrationFile]) -> list[ForeignMatch]:
    """Pair each foreign row with its file: by name (wrangler) or version prefix."""
    by_name = {f.name: f for f in files}
    by_version: dict[str, list[MigrationFile]] = {}
    for file in files:
        by_version.setdefault(file.version_text, []).append(file)
    out = []
    for row in rows:
        if row.source == "wrangler":
            file = by_name.get(row.version)
            out.append(ForeignMatch(row, file, None if file else "no migration file of that name"))
            continue
        out.append(_match_version(row, by_version.get(row.version, [])))
    return out


def _match_version(row: ForeignRow, candidates: list[MigrationFile]) -> ForeignMatch:
    if row.label:  # Supabase records the name too: it settles duplicate versions
        named = [f for f in candidates if _label(f.name) == row.label]
        candidates = named or candidates
    if not candidates:
        return ForeignMatch(row, None, f"no migration file with version {row.version}")
    if len(candidates) > 1:
        names = ", ".join(f.name for f in candidates)
        return ForeignMatch(row, None, f"version {row.version} fits several files ({names})")
    return ForeignMatch(row, candidates[0])


def _label(name: str) -> str:
    stem = name[:-4] if name.lower().endswith(".sql") else name
    return stem.split("_", 1)[1] if "_" in stem else ""


# -- statements recorded by Supabase ------------------------------------------------------
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_NOISE = re.compile(r"[\s;]+")


def _canonical(text: str) -> str:
    """Comments, whitespace and semicolons removed: what both sides must share."""
    return _NOISE.sub("", _COMMENTS.sub("", text))


def statements_match(row: ForeignRow, file: MigrationFile) -> bool | None:
    """Whether Supabase's recorded statements are the file's (None: nothing recorded).

    A heuristic by design: the Supabase CLI splits and trims differently from
    dbtool, so both texts are compared without comments, whitespace and `;`.
    """
    if not row.statements:
        return None
    try:
        text = decode(file)
    except Exception:  # an unreadable file cannot be verified
        return False
    return _canonical(text) == _canonical("\n".join(row.statements))


def recorded_text(row: ForeignRow) -> str:
    """The text Supabase ran, one statement per paragraph (for line diffs)."""
    return "".join(s.rstrip().rstrip(";") + ";\n\n" for s in row.statements or ())


def recorded_checksum(row: ForeignRow) -> str:
    """A checksum of what was actually run, so an edited file shows as modified."""
    return hashlib.sha256(recorded_text(row).encode("utf-8")).hexdigest()


# -- status ----------------------------------------------------------------------------
def unadopted(rows: Sequence[ForeignRow], files: Sequence[MigrationFile],
              applied: Sequence[AppliedMigration]) -> list[tuple[ForeignRow, MigrationFile | None]]:
    """Supabase/dbmate rows dbtool's history lacks, with their files when found."""
    recorded = {a.name for a in applied}
    out = []
    for item in match([r for r in rows if r.source != "wrangler"], files):
        name = item.file.name if item.file else None
        if name is None or name not in recorded:
            out.append((item.row, item.file))
    return out


def with_foreign(applied: list[AppliedMigration], rows: Sequence[ForeignRow],
                 files: Sequence[MigrationFile]) -> list[AppliedMigration]:
    """dbtool's history plus un-adopted foreign rows, each with its source and no checksum.

    Such a row shows as `applied` with source `supabase`/`dbmate` when its file
    exists, or `missing` (named as the tool recorded it) when it does not.
    """
    extra = [AppliedMigration(file.name if file else f"{row.source}:{row.display}", row.applied_at,
                              None, None, None, row.source)
             for row, file in unadopted(rows, files, applied)]
    return applied + extra
