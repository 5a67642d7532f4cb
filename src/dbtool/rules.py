"""Engine rules checked before anything runs (D1's statement restrictions).

The lint issue turns each of these into a named analyzer with a stable code;
until then they are enforced here so no D1 target ever gets a file that
passes locally and fails remotely.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dbtool.errors import RuleViolation, SourceLocation

D1_PRAGMAS = frozenset({
    "foreign_keys", "defer_foreign_keys", "case_sensitive_like", "ignore_check_constraints",
    "legacy_alter_table", "recursive_triggers", "reverse_unordered_selects", "data_version",
    "page_size", "foreign_key_check", "foreign_key_list", "index_info", "index_list",
    "index_xinfo", "quick_check", "optimize", "table_list", "table_info", "table_xinfo",
})
MAX_STATEMENT_BYTES = 100_000
MAX_COLUMNS = 100

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_FIRST_WORDS = re.compile(r"^\s*([A-Za-z_]+)(?:\s+([A-Za-z_]+))?(?:\s+([A-Za-z_]+))?")
_TX = {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"}
_PRAGMA = re.compile(r"^\s*PRAGMA\s+(?:\w+\.)?(\w+)", re.IGNORECASE)
_TEMP = re.compile(r"^\s*CREATE\s+(TEMP|TEMPORARY)\b", re.IGNORECASE)
_CF_NAME = re.compile(r"\b(?:TABLE|INDEX|VIEW|TRIGGER)\s+(?:IF\s+NOT\s+EXISTS\s+)?[\"`\[]?(_cf_\w*)",
                      re.IGNORECASE)


def _head(sql: str) -> str:
    return _COMMENT.sub(" ", sql[:400]).strip()


def d1_violation(sql: str) -> str | None:
    """The D1 rule a statement breaks, or None."""
    head = _head(sql)
    match = _FIRST_WORDS.match(head)
    words = [w.upper() for w in match.groups() if w] if match else []
    first = words[0] if words else ""
    if first in _TX:
        return (f"transaction control ({' '.join(words[:2])}) is rejected by D1 — D1 runs each "
                "migration as one transaction; remove it")
    if first in {"ATTACH", "DETACH"}:
        return f"{first} is not supported on D1"
    if (m := _PRAGMA.match(head)) and m.group(1).lower() not in D1_PRAGMAS:
        return f"PRAGMA {m.group(1)} is not on D1's allow-list"
    if _TEMP.match(head):
        return "temporary objects are not supported on D1"
    if (m := _CF_NAME.search(head)):
        return f"name {m.group(1)!r} starts with _cf_, which D1 reserves"
    if len(sql.encode("utf-8")) > MAX_STATEMENT_BYTES:
        return f"statement is {len(sql.encode('utf-8')):,} bytes; D1 allows at most 100 KB"
    return None


def check_files(capabilities, loaded: Sequence) -> None:
    """Raise RuleViolation on the first statement that breaks the engine's rules."""
    if not capabilities.d1_rules:
        return
    for migration in loaded:
        if not migration.transactional:
            raise RuleViolation(
                f"{migration.file.name}: -- dbtool:no-transaction cannot be honoured on D1",
                location=SourceLocation(migration.file.path, 1, 1),
                hint="D1 runs each migration as one request/transaction; remove the directive",
            )
        for statement in migration.statements:
            problem = d1_violation(statement.sql)
            if problem:
                raise RuleViolation(
                    f"D1 rule: {problem}",
                    location=SourceLocation(migration.file.path, statement.line, statement.col),
                    hint="nothing was applied; fix the file (see `dbtool lint`)",
                )
