"""The schema as it stood before a statement, for SQLite/D1, by replay on a scratch database.

Which tables reference a table ON DELETE CASCADE is a fact about every
earlier file (and about the earlier statements of this one), so lint replays
them on a temporary SQLite file with `PRAGMA foreign_keys = ON` and asks
SQLite itself (`pragma_foreign_key_list`). That also follows SQLite's own
rules exactly, e.g. that `ALTER TABLE parent RENAME TO parent_old` rewrites the
children's REFERENCES to `parent_old`.

Replay is incremental: each statement is applied once, after the rules looked
at it, so file k's "before" state is file k-1's "after". Statements that could
touch anything outside the scratch file (ATTACH, VACUUM INTO) or change its
settings (PRAGMA, transaction control) are not replayed.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from types import TracebackType

from dbtool.sql.facts import ForeignKey
from dbtool.sql.sqlite import SqliteStatement

_NOT_REPLAYED = frozenset({"pragma", "transaction", "attach", "detach", "vacuum"})
SYNTAX_MARKERS = ("syntax error", "incomplete input", "unrecognized token")


class SqliteReplay:
    """A scratch SQLite database that follows the migrations statement by statement."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="dbtool-lint-")
        path = Path(self._dir.name) / "scratch.db"
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = OFF")  # a scratch file: no fsync per statement
        self.conn.execute("PRAGMA journal_mode = MEMORY")
        self.defined_at: dict[str, object] = {}

    def __enter__(self) -> SqliteReplay:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()
        self._dir.cleanup()

    def apply(self, facts: SqliteStatement | None, ref: object) -> str | None:
        """Run one statement; returns SQLite's error message if it failed (nothing changes then)."""
        if facts is None or facts.kind in _NOT_REPLAYED or not facts.tokens:
            return None
        try:
            self.conn.execute(facts.sql)
        except sqlite3.Error as exc:
            return str(exc)
        self._track(facts, ref)
        return None

    def _track(self, facts: SqliteStatement, ref: object) -> None:
        """Remember which statement defined each table, for service-level findings."""
        if facts.kind == "create_table" and facts.name:
            self.defined_at[facts.name] = ref
        elif facts.alter == "rename_table" and facts.name and facts.new_name:
            self.defined_at[facts.new_name] = self.defined_at.pop(facts.name, ref)
        elif facts.alter == "add_column" and facts.foreign_keys and facts.name:
            self.defined_at.setdefault(facts.name, ref)

    # -- questions the rules ask ----------------------------------------------

    def tables(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT lower(name) FROM sqlite_schema WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        return {row[0] for row in rows}

    def has_table(self, name: str) -> bool:
        return name.lower() in self.tables()

    def proves_absent(self, table: str) -> bool:
        """Replay is exact: a table it does not have does not exist before the statement."""
        return not self.has_table(table)

    def columns(self, table: str) -> list[str] | None:
        rows = self.conn.execute("SELECT lower(name) FROM pragma_table_xinfo(?)", (table,)).fetchall()
        return [row[0] for row in rows] or None

    def column_type(self, table: str, column: str) -> str | None:
        row = self.conn.execute("SELECT upper(type) FROM pragma_table_xinfo(?) WHERE lower(name) = ?",
                                (table, column.lower())).fetchone()
        return row[0] if row else None

    def foreign_keys(self) -> list[ForeignKey]:
        """Every foreign key of every table, as SQLite reports it."""
        rows = self.conn.execute(
            "SELECT lower(m.name), f.id, lower(f.\"from\"), lower(f.\"table\"), lower(f.\"to\"), "
            "lower(f.on_delete) FROM sqlite_schema m, pragma_foreign_key_list(m.name) f "
            "WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq").fetchall()
        grouped: dict[tuple[str, int], list[tuple]] = {}
        for row in rows:
            grouped.setdefault((row[0], row[1]), []).append(row)
        return [ForeignKey(child, tuple(r[2] for r in parts), parts[0][3],
                           tuple(r[4] or "" for r in parts), parts[0][5])
                for (child, _), parts in grouped.items()]

    def referencing(self, table: str) -> list[ForeignKey]:
        """Foreign keys of *other* tables that point at `table`."""
        name = table.lower()
        return [fk for fk in self.foreign_keys() if fk.parent == name and fk.table != name]

    def indexes(self, table: str) -> list[tuple[str, ...]]:
        """Column lists of every index on `table` (primary key and UNIQUE included)."""
        found = []
        for (index,) in self.conn.execute("SELECT name FROM pragma_index_list(?)", (table,)):
            columns = self.conn.execute(
                "SELECT lower(name) FROM pragma_index_info(?) ORDER BY seqno", (index,)).fetchall()
            found.append(tuple(c[0] or "" for c in columns))
        rowid = self.conn.execute(
            "SELECT lower(name) FROM pragma_table_info(?) WHERE pk = 1 AND upper(type) = 'INTEGER' "
            "AND (SELECT count(*) FROM pragma_table_info(?) WHERE pk > 0) = 1", (table, table)).fetchone()
        if rowid:
            found.append((rowid[0],))  # INTEGER PRIMARY KEY is the rowid: indexed without an index
        return found
