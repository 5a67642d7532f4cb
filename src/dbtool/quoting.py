"""One identifier quoter per SQL family: every name dbtool puts into SQL it writes.

SQLite (and D1) leave a plain name bare — so the history DDL stays byte for
byte the text wrangler issues (`CREATE TABLE IF NOT EXISTS d1_migrations(`) —
and quote everything else, keywords included: a history table called `order`
must work. PostgreSQL names are always quoted (as psycopg's `sql.Identifier`
does), which keeps their case and any keyword safe.

A leaf module (no dbtool imports), so the inspectors and the engines share it.
`dbtool.engines.base.Capabilities.quote` picks the quoter of a dialect.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Every keyword of SQLite's tokenizer (https://sqlite.org/lang_keywords.html, 3.45: 147
# words). Some of them may appear bare as names through SQLite's fallback rules, but
# which ones depends on the position: quoting all of them is always right.
SQLITE_KEYWORDS = frozenset(["ABORT", "ACTION", "ADD", "AFTER", "ALL", "ALTER", "ALWAYS", "ANALYZE", "AND", "AS", "ASC", "ATTACH", "AUTOINCREMENT", "BEFORE", "BEGIN", "BETWEEN", "BY", "CASCADE", "CASE", "CAST", "CHECK", "COLLATE", "COLUMN", "COMMIT", "CONFLICT", "CONSTRAINT", "CREATE", "CROSS", "CURRENT", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "DATABASE", "DEFAULT", "DEFERRABLE", "DEFERRED", "DELETE", "DESC", "DETACH", "DISTINCT", "DO", "DROP", "EACH", "ELSE", "END", "ESCAPE", "EXCEPT", "EXCLUDE", "EXCLUSIVE", "EXISTS", "EXPLAIN", "FAIL", "FILTER", "FIRST", "FOLLOWING", "FOR", "FOREIGN", "FROM", "FULL", "GENERATED", "GLOB", "GROUP", "GROUPS", "HAVING", "IF", "IGNORE", "IMMEDIATE", "IN", "INDEX", "INDEXED", "INITIALLY", "INNER", "INSERT", "INSTEAD", "INTERSECT", "INTO", "IS", "ISNULL", "JOIN", "KEY", "LAST", "LEFT", "LIKE", "LIMIT", "MATCH", "MATERIALIZED", "NATURAL", "NO", "NOT", "NOTHING", "NOTNULL", "NULL", "NULLS", "OF", "OFFSET", "ON", "OR", "ORDER", "OTHERS", "OUTER", "OVER", "PARTITION", "PLAN", "PRAGMA", "PRECEDING", "PRIMARY", "QUERY", "RAISE", "RANGE", "RECURSIVE", "REFERENCES", "REGEXP", "REINDEX", "RELEASE", "RENAME", "REPLACE", "RESTRICT", "RETURNING", "RIGHT", "ROLLBACK", "ROW", "ROWS", "SAVEPOINT", "SELECT", "SET", "TABLE", "TEMP", "TEMPORARY", "THEN", "TIES", "TO", "TRANSACTION", "TRIGGER", "UNBOUNDED", "UNION", "UNIQUE", "UPDATE", "USING", "VACUUM", "VALUES", "VIEW", "VIRTUAL", "WHEN", "WHERE", "WINDOW", "WITH", "WITHOUT"])

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_sqlite(name: str) -> str:
    """`name` as an SQLite identifier: bare when plain and not a keyword, else quoted."""
    if _PLAIN.fullmatch(name) and name.upper() not in SQLITE_KEYWORDS:
        return name
    return _quoted(name)


def quote_postgres(name: str) -> str:
    """`name` as a PostgreSQL identifier: always quoted, so case and keywords are kept."""
    return _quoted(name)


# SQL family (Capabilities.family) -> its quoter
QUOTERS: dict[str, Callable[[str], str]] = {"sqlite": quote_sqlite, "postgres": quote_postgres}

