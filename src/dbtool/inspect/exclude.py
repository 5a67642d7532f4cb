"""Exclusion patterns shared by the inspectors: case-insensitive names or globs.

A module of its own so that the Postgres inspector does not import the SQLite
one (and its DDL parser) only for this.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from fnmatch import fnmatchcase, translate


def is_excluded(name: str, patterns: Collection[str]) -> bool:
    """Case-insensitive name or glob match (SQLite names are case-insensitive)."""
    low = name.lower()
    return any(fnmatchcase(low, p.lower()) for p in patterns)


def excluder(patterns: Collection[str]) -> Callable[[str], bool]:
    """`is_excluded` for a fixed set of patterns, compiled once into one expression."""
    if not patterns:
        return lambda _name: False
    match = re.compile("|".join(f"(?:{translate(p.lower())})" for p in patterns)).match
    return lambda name: match(name.lower()) is not None
