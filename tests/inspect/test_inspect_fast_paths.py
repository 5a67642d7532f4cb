"""The inspector's fast paths give exactly what the straightforward code gives.

Each optimisation (issue #9) is checked against a reference: the former
implementation kept here, or Postgres itself. The Postgres cases use the
`pg_url` fixtures like test_postgres_inspect.py.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

import psycopg
import pytest

from dbtool.inspect import inspect_postgres
from dbtool.inspect.exclude import excluder, is_excluded
from dbtool.inspect.pg_names import (
    NAMEDATALEN,
    _clip,
    column_addition,
    looks_generated,
    make_object_name,
)
from dbtool.model import CheckConstraint, ForeignKey, Index, IndexColumn, Table, UniqueConstraint
from dbtool.sql.normalize import unwrap_parens

# --- references: the implementations before the fast paths --------------------------


def ref_make_object_name(name1: str, name2: str | None, label: str | None) -> str:
    len1 = len(name1.encode())
    len2 = len(name2.encode()) if name2 else 0
    overhead = (1 if name2 else 0) + (len(label.encode()) + 1 if label else 0)
    avail = NAMEDATALEN - 1 - overhead
    if len1 + len2 <= avail:
        return "_".join(p for p in (name1, name2, label) if p)
    while len1 + len2 > avail:
        if len1 > len2:
            len1 -= 1
        else:
            len2 -= 1
    parts = [_clip(name1, len1)]
    if name2:
        parts.append(_clip(name2, len2))
    if label:
        parts.append(label)
    return "_".join(parts)


def ref_column_addition(columns: Sequence[str]) -> str:
    buf = ""
    for name in columns:
        if buf:
            buf += "_"
        buf += name
        if len(buf.encode()) >= NAMEDATALEN:
            break
    return _clip(buf, NAMEDATALEN - 1)


_RETRY = re.compile(r"_([a-z]+?)([1-9][0-9]*)?$")


def ref_is_choice(name: str, table: str, name2: str | None, label: str) -> bool:
    m = _RETRY.search(name)
    if m is None or m.group(1) != label:
        return False
    return name == ref_make_object_name(table, name2, label + (m.group(2) or ""))


def ref_looks_generated(name: str, table: str, kind: str, columns: Sequence[str]) -> bool:
    if kind == "p":
        return ref_is_choice(name, table, None, "pkey")
    if kind == "c":
        return ref_is_choice(name, table, columns[0] if len(columns) == 1 else None, "check")
    label = {"u": "key", "f": "fkey", "x": "excl", "i": "idx"}.get(kind)
    if label is None:
        return False
    return ref_is_choice(name, table, ref_column_addition(columns) or None, label)


def ref_closing_paren(text: str) -> int:
    """Index of the parenthesis that closes `text[0]`, skipping quoted text (or -1)."""
    depth = 0
    for m in re.finditer(r"'[^']*'|\"[^\"]*\"|[()]", text):
        if m.group() == "(":
            depth += 1
        elif m.group() == ")":
            depth -= 1
            if depth == 0:
                return m.start()
    return -1


def ref_unwrap_parens(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and ref_closing_paren(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


# --- generated names -------------------------------------------------------------------

WORDS = ["t", "users", "order_items", "a" * 40, "b" * 63, "é" * 20, "ünïcode_tablé", "x1", "", "Mixed"]


def test_make_object_name_and_column_addition_match_the_reference() -> None:
    for name1 in WORDS:
        for name2 in [None, *WORDS]:
            for label in (None, "", "pkey", "key", "check", "check12", "fkey", "idx"):
                assert make_object_name(name1, name2, label) == ref_make_object_name(name1, name2, label)
    rng = random.Random(9)
    for _ in range(500):
        cols = [rng.choice(WORDS[:-3]) for _ in range(rng.randint(0, 6))]
        assert column_addition(cols) == ref_column_addition(cols)


def test_looks_generated_matches_the_reference() -> None:
    rng = random.Random(9)
    tables = ["t", "users", "a" * 60, "é" * 30]
    column_sets = [["id"], ["a", "b"], ["é" * 25, "x"], ["c" * 40, "d" * 40], ["expr"]]
    for table in tables:
        for cols in column_sets:
            for kind, label in (("p", "pkey"), ("u", "key"), ("c", "check"), ("f", "fkey"),
                                ("x", "excl"), ("i", "idx"), ("z", "zz")):
                second = None if kind == "p" else (cols[0] if kind == "c" and len(cols) == 1 else None)
                if kind not in "pc":
                    second = ref_column_addition(cols) or None
                first = ref_make_object_name(table, second, label)
                names = [first, first + "1", first + "12", first + "0", first.upper(), "custom_name",
                         ref_make_object_name(table, second, label + "3"), f"{table}_{label}",
                         f"x_{label}", f"_{label}7", first[:-1], first + "_"]
                names += ["".join(rng.choice("ab_12") for _ in range(8)) for _ in range(5)]
                for name in names:
                    assert looks_generated(name, table, kind, cols) == ref_looks_generated(name, table, kind, cols), (
                        name, table, kind, cols)


# --- parentheses --------------------------------------------------------------------------


def test_unwrap_parens_matches_the_reference() -> None:
    samples = ["", "(", ")", "()", "(())", " ( (a > 0) ) ", "(a) AND (b)", "((a) AND (b))", "('(')",
               "(')')", "(\"x)\")", "('a'')')", "((status = ANY (ARRAY['a'::text, 'b'::text])))",
               "(a", "a)", "(a))", "((a)", "(')", "(\"\")", "( 'it''s' )", "((x)::text)", "nextval('s'::regclass)"]
    rng = random.Random(9)
    samples += ["".join(rng.choice("()'\" ax") for _ in range(rng.randint(0, 12))) for _ in range(3000)]
    for text in samples:
        assert unwrap_parens(text) == ref_unwrap_parens(text), text


# --- exclusion patterns -----------------------------------------------------------------------


def test_excluder_matches_is_excluded() -> None:
    pattern_sets = [(), ("dbtool_migrations", "dbtool_*"), ("sqlite_*", "_cf_*", "d1_migrations"),
                    ("Ignored_*", "app.items", "a?c", "[ab]*", "x*y*z", "*.tmp", "[!q]*_log")]
    names = ["dbtool_migrations", "DBTOOL_x", "users", "ignored_table", "app.items", "APP.Items", "abc",
             "aXc", "ac", "bee", "xyz", "x_y_z", "xzy", "t.tmp", "q_log", "r_log", "sqlite_stat1", "_cf_KV",
             "d1_migrations", "", "é_log", "line\nbreak"]
    for patterns in pattern_sets:
        matches = excluder(patterns)
        for name in names:
            assert matches(name) == is_excluded(name, patterns)
            assert is_excluded(name, patterns) == any(fnmatchcase(name.lower(), p.lower()) for p in patterns)


# --- model sorting fast path ------------------------------------------------------------------


def test_table_sorts_constraints_whatever_their_count() -> None:
    checks = tuple(CheckConstraint(f"a > {i}", f"c{i}") for i in (3, 1, 2))
    fks = (ForeignKey(("b",), "p", ("id",), name="fk_b"), ForeignKey(("a",), "p", ("id",), name="fk_a"))
    idx = (Index("i2", (IndexColumn("a"),)), Index("i1", (IndexColumn("b"),)))
    table = Table("t", checks=checks, foreign_keys=fks, indexes=idx,
                  uniques=[UniqueConstraint(("a",))])  # type: ignore[arg-type]
    assert [c.name for c in table.checks] == ["c1", "c2", "c3"]
    assert [f.name for f in table.foreign_keys] == ["fk_a", "fk_b"]
    assert [i.name for i in table.indexes] == ["i1", "i2"]
    assert table.uniques == (UniqueConstraint(("a",)),) and isinstance(table.uniques, tuple)
    single = Table("t", checks=checks[:1], options=["STRICT"])  # type: ignore[arg-type]
    assert single.checks == checks[:1] and single.options == ("STRICT",)


# --- imports -------------------------------------------------------------------------------------


def test_postgres_inspection_imports_nothing_of_sqlite() -> None:
    code = (
        "import sys\n"
        "import dbtool.inspect\n"
        "assert 'psycopg' not in sys.modules\n"
        "from dbtool.inspect import inspect_postgres\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('dbtool'))\n"
        "print(' '.join(loaded))\n"
        "from dbtool.inspect import QueryRunner, SqliteRunner, inspect_sqlite\n"
        "assert SqliteRunner.__module__ == 'dbtool.inspect.sqlite_runner'\n"
        "assert 'inspect_sqlite' in dir(dbtool.inspect)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(proc.stdout.split())
    assert "dbtool.inspect.postgres" in loaded
    assert not loaded & {"dbtool.inspect.sqlite", "dbtool.sql.sqlite_ddl", "dbtool.engines",
                         "dbtool.migrations"}


def test_unknown_attribute_of_the_package_is_an_attribute_error() -> None:
    import dbtool.inspect

    with pytest.raises(AttributeError):
        dbtool.inspect.no_such_name  # noqa: B018


# --- Postgres ------------------------------------------------------------------------------------


def _build(url: str, sql: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(sql)
        conn.commit()


CROSS_SCHEMA = """
CREATE SCHEMA app;
CREATE TABLE app.pair (x int, gone int, y int, PRIMARY KEY (x, y));
ALTER TABLE app.pair DROP COLUMN gone;
CREATE TABLE app.child (id int, a int, b int, CONSTRAINT child_fk FOREIGN KEY (b, a) REFERENCES app.pair (y, x));
CREATE TABLE owner (id int PRIMARY KEY, a int, b int,
  FOREIGN KEY (b, a) REFERENCES app.pair (y, x) ON UPDATE CASCADE);
CREATE TABLE app.back (id int REFERENCES public.owner (id));
COMMENT ON TABLE owner IS 'table comment';
COMMENT ON COLUMN owner.a IS 'column a';
COMMENT ON COLUMN app.pair.y IS 'column y';
"""


@pytest.mark.postgres
def test_referenced_columns_inside_and_outside_the_inspected_schemas(pg_url: str) -> None:
    _build(pg_url, CROSS_SCHEMA)
    with psycopg.connect(pg_url) as conn:
        both = inspect_postgres(conn, ("public", "app"))
        public = inspect_postgres(conn, ("public",))
        app = inspect_postgres(conn, ("app",))
    expected = ("y", "x")
    assert both.table("owner").foreign_keys[0].ref_columns == expected  # type: ignore[union-attr]
    assert both.table("app.child").foreign_keys[0].ref_columns == expected  # type: ignore[union-attr]
    assert public.table("owner").foreign_keys[0].ref_columns == expected  # type: ignore[union-attr]
    assert public.table("owner").foreign_keys[0].ref_schema == "app"  # type: ignore[union-attr]
    assert app.table("child").foreign_keys[0].ref_columns == expected  # type: ignore[union-attr]
    back = app.table("back").foreign_keys[0]  # type: ignore[union-attr]
    assert (back.ref_schema, back.ref_table, back.ref_columns) == ("public", "owner", ("id",))
    owner = public.table("owner")
    assert owner is not None and owner.comment == "table comment"
    assert [c.comment for c in owner.columns] == [None, "column a", None]
    assert [c.comment for c in both.table("app.pair").columns] == [None, "column y"]  # type: ignore[union-attr]


class _JitSpy:
    """Connection proxy that reads the session's `jit` while each catalog query runs."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn
        self.seen: list[str] = []

    def execute(self, sql: Any, params: Any = None) -> Any:
        if "FROM pg_" in str(sql):
            self.seen.append(self._conn.execute("SELECT current_setting('jit')").fetchone()[0])  # type: ignore[index]
        return self._conn.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.mark.postgres
@pytest.mark.parametrize("autocommit", [True, False])
def test_jit_is_off_while_inspecting_and_restored_after(pg_url: str, autocommit: bool) -> None:
    _build(pg_url, "CREATE TABLE t (id int PRIMARY KEY)")
    with psycopg.connect(pg_url, autocommit=autocommit) as conn:
        conn.execute("SET jit = on")
        conn.execute("SET search_path = public")
        if not autocommit:
            conn.commit()
        spy = _JitSpy(conn)
        schema = inspect_postgres(spy)  # type: ignore[arg-type]
        assert [t.key for t in schema.tables] == ["t"]
        assert spy.seen and set(spy.seen) == {"off"}
        assert conn.execute("SHOW jit").fetchone()[0] == "on"  # type: ignore[index]
        assert conn.execute("SHOW search_path").fetchone()[0] == "public"  # type: ignore[index]


@pytest.mark.postgres
def test_gc_is_left_as_found(pg_url: str) -> None:
    import gc

    _build(pg_url, "CREATE TABLE t (id int PRIMARY KEY)")
    with psycopg.connect(pg_url) as conn:
        assert gc.isenabled()
        inspect_postgres(conn)
        assert gc.isenabled()
        gc.disable()
        try:
            inspect_postgres(conn)
            assert not gc.isenabled()
        finally:
            gc.enable()
