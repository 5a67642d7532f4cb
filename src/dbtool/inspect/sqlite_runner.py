"""The query runner over a local sqlite3 connection, kept light on purpose:
history reads use it on every `status`, and must not import the inspector.
(The engines build it around their connection; the inspector reads through it.)"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any


class SqliteRunner:
    """`QueryRunner` over a local `sqlite3.Connection` (any row factory)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, tuple(params))
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, tuple(row), strict=True)) for row in cur.fetchall()]
