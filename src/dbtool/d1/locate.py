"""Find the statement a D1 error message is about.

D1 runs a whole request as one batch and reports one message with no
statement number, e.g. `near "TABL": syntax error at offset 7: SQLITE_ERROR`
or `no such table: users: SQLITE_ERROR`. The message still often pins the
statement down: a syntax error names a token and its offset inside the
statement; "no such table"/"already exists" name an object whose first
mention is where the file fails. When the message allows no confident
answer, `locate` returns None and the error names only the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_PREFIXES = ("D1_ERROR: ", "D1_EXEC_ERROR: ", "Error: ")
_SUFFIX = re.compile(r"(?::\s*SQLITE_[A-Z_]+(?:\s*\(extended:[^)]*\))?|\s*\[code: \d+\])+\s*$")
_SYNTAX = re.compile(r'near "(?P<token>.*?)": syntax error at offset (?P<offset>\d+)')
_FIRST_MENTION = (
    re.compile(r"no such (?:table|column|index|view|trigger|function|collation|module): "
               r"(?P<name>[^\s:]+)"),
    re.compile(r"(?:table|index|view|trigger) (?P<name>[^\s:]+) already exists"),
    re.compile(r"duplicate column name: (?P<name>[^\s:]+)"),
    re.compile(r"table (?P<name>[^\s:]+) has \d+ columns but \d+ values were supplied"),
)
_ONLY_MENTION = re.compile(
    r"(?:UNIQUE|NOT NULL|CHECK|FOREIGN KEY|PRIMARY KEY) constraint failed: (?P<name>[^\s:,]+)")


def clean_message(message: str) -> str:
    """D1's message without the `D1_ERROR:` prefix and `: SQLITE_ERROR` suffix."""
    text = message.strip()
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
    return _SUFFIX.sub("", text).strip() or message.strip()


def locate(message: str, statements: Sequence[Any]) -> tuple[Any, int, int] | None:
    """(statement, line, col) that `message` points at, or None when it cannot tell."""
    if not statements:
        return None
    text = clean_message(message)
    found = _by_syntax(text, statements) or _by_name(text, statements)
    if found is None and len(statements) == 1:
        found = (statements[0], 0)
    if found is None:
        return None
    statement, offset = found
    line, col = position(statement, offset)
    return statement, line, col


def position(statement: Any, offset: int) -> tuple[int, int]:
    """File line and column of character `offset` of a statement."""
    before = statement.sql[:offset]
    newlines = before.count("\n")
    if newlines == 0:
        return statement.line, statement.col + len(before)
    return statement.line + newlines, len(before) - before.rfind("\n")


def _by_syntax(text: str, statements: Sequence[Any]) -> tuple[Any, int] | None:
    match = _SYNTAX.search(text)
    if not match:
        return None
    token, offset = match.group("token"), int(match.group("offset"))
    for statement in statements:
        if token and statement.sql[offset:offset + len(token)] == token:
            return statement, offset
    return None


def _by_name(text: str, statements: Sequence[Any]) -> tuple[Any, int] | None:
    for pattern in _FIRST_MENTION:
        if (match := pattern.search(text)):
            hits = _mentions(match.group("name"), statements)
            return hits[0] if hits else None
    if (match := _ONLY_MENTION.search(text)):
        table = match.group("name").split(".")[0]
        hits = [h for h in _mentions(table, statements) if _writes(h[0])]
        return hits[0] if len(hits) == 1 else None
    return None


def _mentions(name: str, statements: Sequence[Any]) -> list[tuple[Any, int]]:
    """Statements naming `name` (quoted or not, case-insensitive), with the first offset."""
    parts = [name, name.rsplit(".", 1)[-1]] if "." in name else [name]
    hits: list[tuple[Any, int]] = []
    for part in parts:
        pattern = re.compile(r'(?<![\w$])["`\[]?' + re.escape(part) + r'["`\]]?(?![\w$])', re.I)
        for statement in statements:
            if (match := pattern.search(statement.sql)):
                hits.append((statement, match.start()))
        if hits:
            break
    return hits


def _writes(statement: Any) -> bool:
    return statement.sql.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "REPLACE",
                                                                "UPSERT", "WITH", "ALTER",
                                                                "CREATE", "DELETE"}
