"""Differential: the SQLite statement recogniser (dbtool.sql.sqlite) against lint's old one.

Before lint's lexer and recogniser go, the new ones must read the same input the same
way: the repository's migrations, every SQL string in the test suite, and seeded
generated SQL (statements and token soup), on every statement SQLite itself accepts
(on input SQLite rejects, the old lexers disagreed with each other). Inspection's
normaliser and DDL parser were held to theirs by the earlier version of this file.
"""

from __future__ import annotations

import ast
import random
import re
import sqlite3
from dataclasses import asdict
from functools import cache
from pathlib import Path

from dbtool.lint.sqlite_syntax import analyze as old_analyze
from dbtool.migrations.splitter import split
from dbtool.sql.sqlite import analyze as new_analyze

ROOT = Path(__file__).resolve().parents[2]
SEED = 20
_SQLISH = re.compile(r"\b(CREATE|ALTER|DROP|INSERT|UPDATE|DELETE|PRAGMA|SELECT|BEGIN|COMMIT|"
                     r"REPLACE|CHECK|DEFAULT|REFERENCES|WITH|SET|END)\b", re.I)


@cache
def corpus() -> tuple[str, ...]:
    """Statements of every .sql file and SQL-looking test string (split both ways), plus
    generated statements."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("migrations/**/*.sql"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("tests/golden/**/*.sql"))]
    for path in sorted(ROOT.glob("tests/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and len(node.value) >= 4 and _SQLISH.search(node.value):
                texts.append(node.value)
    out: list[str] = []
    for text in texts:
        for dialect in ("sqlite", "postgres"):
            try:
                out += [s.sql for s in split(text, dialect)]
            except Exception:  # an unsplittable string is still input for the lexers
                out.append(text)
    rng = random.Random(SEED)
    out += [generated(rng) for _ in range(4000)]
    return tuple(dict.fromkeys(out))


_NAMES = ["users", "Users", "t", '"order"', "jobs_new", '"a b"', "[br]", "`bt`", "main.x",
          "temp.y", "_cf_meta", "end", "E"]
_TYPES = ["INTEGER", "integer", "TEXT", "varchar(50)", "VARCHAR ( 50 )", "REAL", "BLOB",
          "NUMERIC(10,2)", "", "DOUBLE PRECISION", "text[]"]
_EXPRS = ["0", "-1", "+2", "'a'", "'it''s'", "NULL", "null::text", "(datetime('now'))",
          "CURRENT_TIMESTAMP", "datetime( 'now' )", "(strftime('%s','now') * 1000)", "x'00ff'",
          "TRUE", "lower(name)", "a || b", "a::text", "$1", "?", ":p", "E'a\\'b'", "$$b$$",
          "a->>'k'", "[x]", "ARRAY[1,2]", "a[1]", "1.5e3", ".5", "0x1F", "a IS NOT NULL",
          "a <> b", "a=-1", "((a > 0))", "CASE WHEN a THEN 1 ELSE 2 END", "a IN ('x', 'Y')",
          "a NOT IN ('p','q')", "typeof(a) = 'text'", "a -- c\n", "a /* c */ + 1", "- a"]
_SOUP = ["(", ")", ",", ";", ".", "'", "''", '"', "`", "[", "]", "--", "/*", "*/", "$$", "$a$",
         "E'", "x'", "::", "->>", "||", "<>", "=", "-", "+", "?", ":n", "@n", "$1", "CREATE",
         "TABLE", "INDEX", "ON", "IN", "NOT", "CHECK", "DEFAULT", "AS", "WHERE", "SET", "FROM",
         "BEGIN", "END", "CASE", "REFERENCES", "KEY", "PRIMARY", "ARRAY", "a", "B", "1", "\n",
         " ", "'s t'", '"q"', "`b`", "[br]", "CONSTRAINT", "COLLATE", "AUTOINCREMENT"]


def _column(rng: random.Random) -> str:
    parts = [rng.choice(_NAMES), rng.choice(_TYPES)]
    for _ in range(rng.randint(0, 3)):
        parts.append(rng.choice([
            "PRIMARY KEY", "PRIMARY KEY AUTOINCREMENT", "NOT NULL", f"DEFAULT {rng.choice(_EXPRS)}",
            f"CHECK ({rng.choice(_NAMES)} IN ('a', 'B'))", f"CHECK ({rng.choice(_EXPRS)})",
            f"REFERENCES {rng.choice(_NAMES)}(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED",
            "COLLATE NOCASE", f"CONSTRAINT {rng.choice(_NAMES)} UNIQUE",
            f"GENERATED ALWAYS AS ({rng.choice(_EXPRS)}) STORED"]))
    return " ".join(parts)


def generated(rng: random.Random) -> str:
    """One generated statement, or token soup (one in five)."""
    if rng.random() < 0.2:
        return " ".join(rng.choice(_SOUP) for _ in range(rng.randint(1, 25)))
    name, other = rng.choice(_NAMES), rng.choice(_NAMES)
    return rng.choice([
        f"CREATE TABLE {name} ({', '.join(_column(rng) for _ in range(rng.randint(1, 5)))}, "
        f"CONSTRAINT c FOREIGN KEY (a, b) REFERENCES {other} (x, y) ON DELETE SET NULL, "
        f"CHECK ({rng.choice(_EXPRS)})){rng.choice(['', ' STRICT', ' WITHOUT ROWID'])}",
        f"CREATE TEMP TABLE {name} AS SELECT * FROM {other}",
        f"ALTER TABLE {name} ADD COLUMN {_column(rng)}",
        f"ALTER TABLE {name} RENAME TO {other}",
        f"ALTER TABLE {name} RENAME COLUMN a TO {other}",
        f"ALTER TABLE {name} DROP COLUMN {other}",
        f"DROP TABLE IF EXISTS {name}",
        f"INSERT OR IGNORE INTO {name} (a) SELECT b FROM {other} JOIN c",
        f"UPDATE {name} SET a = {rng.choice(_EXPRS)}, (b, c) = (1, 2) WHERE {rng.choice(_EXPRS)}",
        f"DELETE FROM {name}",
        f"CREATE UNIQUE INDEX i ON {name} (a DESC, lower(b), c COLLATE NOCASE) WHERE {rng.choice(_EXPRS)}",
        f"CREATE TRIGGER g AFTER UPDATE OF a, b ON {name} WHEN {rng.choice(_EXPRS)} BEGIN "
        f"UPDATE x SET a = NEW.a; END",
        f"CREATE VIEW {name} AS SELECT a, {rng.choice(_EXPRS)} FROM {other}",
        f"PRAGMA {rng.choice(['foreign_keys', 'main.foreign_keys', 'table_info'])} = OFF",
        f"WITH c AS (SELECT 1) DELETE FROM {name}",
        rng.choice(["BEGIN", "COMMIT", "SAVEPOINT a", "ATTACH 'x.db' AS x", "VACUUM"]),
    ])


def sqlite_accepts(sql: str) -> bool:
    """Whether SQLite parses `sql` to its end. Missing tables and databases are created and
    the statement retried, so a name-resolution error does not hide a syntax error."""
    conn = sqlite3.connect(":memory:")
    try:
        for _ in range(8):
            try:
                conn.execute("EXPLAIN " + sql)
                return True
            except sqlite3.Warning:
                return False
            except sqlite3.Error as exc:
                table = re.match(r"no such table: (?:(\w+)\.)?(.+)$", str(exc))
                database = re.match(r"unknown database (.+)$", str(exc))
                if table:
                    prefix = f"{table.group(1)}." if table.group(1) else ""
                    conn.execute(f'CREATE TABLE {prefix}"{table.group(2)}" (a, b, c, id, x, y)')
                elif database:
                    conn.execute(f"ATTACH ':memory:' AS \"{database.group(1)}\"")
                else:
                    return False
        return False
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def test_the_corpus_is_large_and_mixed() -> None:
    statements = corpus()
    assert len(statements) > 4500
    assert sum(sqlite_accepts(s) for s in statements[:600]) > 150


def _plain(value: object) -> object:
    """Fact records of the old and new modules compare by their fields."""
    if isinstance(value, list):
        return [asdict(v) if hasattr(v, "__dataclass_fields__") else v for v in value]
    return value


_FIELDS = ("kind", "verb", "object_type", "name", "schema", "name_offset", "temp", "if_exists",
           "primary_key", "foreign_keys", "enum_lists", "alter", "old_name", "new_name",
           "has_where", "set_columns", "sources", "pragma_name", "pragma_value", "integer_keys",
           "created_names")


def test_statement_recogniser_agrees_on_what_sqlite_accepts() -> None:
    checked = 0
    for sql in corpus():
        if not sqlite_accepts(sql):
            continue
        checked += 1
        old, new = old_analyze(sql), new_analyze(sql)
        for field in _FIELDS:
            assert _plain(getattr(new, field)) == _plain(getattr(old, field)), (SEED, field, sql)
        assert [(c.name.lower(), c.declared_type, c.offset, c.primary_key, c.autoincrement)
                for c in new.columns] == \
            [(c.name, c.type, c.offset, c.primary_key, c.autoincrement) for c in old.columns], sql
        if old.kind == "create_index":
            assert new.index_table == old.index_table, (SEED, sql)
    assert checked > 1500
