"""A column's collation is written as its dialect spells an identifier (the one quoter)."""

from __future__ import annotations

import pytest

from dbtool.model import Column
from dbtool.plan.render.ddl import type_spelling


@pytest.mark.parametrize(("dialect", "collation", "expected"), [
    ("sqlite", "NOCASE", "TEXT COLLATE NOCASE"),
    ("d1", "RTRIM", "TEXT COLLATE RTRIM"),
    ("postgres", "C", 'TEXT COLLATE "C"'),  # unquoted, Postgres would look up "c"
    ("postgres", 'de"x', 'TEXT COLLATE "de""x"'),
])
def test_collation_is_quoted_per_dialect(dialect: str, collation: str, expected: str) -> None:
    column = Column(name="x", type="TEXT", nullable=True, collation=collation)
    assert type_spelling(column, dialect) == expected
