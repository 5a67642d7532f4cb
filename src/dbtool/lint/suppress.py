"""Inline suppressions: `-- dbtool:lint-ignore CODE[,CODE...] reason`.

The comment goes on the line(s) directly above the statement (the statement's
leading comments, as the splitter collects them) and silences those codes for
that statement only. The reason is required: a silenced finding is still
listed, with the reason, in JSON and SARIF output, so a reviewer can see why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IGNORE = re.compile(r"^dbtool:lint-ignore(?![\w-])(?P<rest>.*)$")
_CODE = re.compile(r"^[A-Z]{1,4}\d{3}$")
_ANY_IGNORE_LINE = re.compile(r"^[ \t]*--[ \t]*dbtool:lint-ignore(?![\w-])", re.MULTILINE)


@dataclass(frozen=True)
class Ignore:
    """One lint-ignore directive: the codes it names and why."""

    codes: tuple[str, ...]
    reason: str
    line: int
    col: int

    @property
    def malformed_codes(self) -> tuple[str, ...]:
        return tuple(code for code in self.codes if not _CODE.match(code))


def parse_ignores(comments: tuple[str, ...], statement_line: int, lines: list[str]) -> list[Ignore]:
    """The lint-ignore directives among a statement's leading comments."""
    found = []
    for comment in comments:
        match = _IGNORE.match(comment)
        if match is None:
            continue
        rest = match.group("rest").strip()
        codes_text, _, reason = rest.partition(" ")
        codes = tuple(c.strip().upper() for c in codes_text.split(",") if c.strip())
        line, col = _locate(comment, statement_line, lines)
        found.append(Ignore(codes, reason.strip().lstrip(":-—– ").strip(), line, col))
    return found


def _locate(comment: str, statement_line: int, lines: list[str]) -> tuple[int, int]:
    """Line and column of a leading comment: search upwards from the statement."""
    for number in range(statement_line - 1, 0, -1):
        text = lines[number - 1] if number - 1 < len(lines) else ""
        at = text.find(comment)
        if comment and at >= 0 and "--" in text[:at]:
            return number, text.index("--") + 1
    return max(statement_line - 1, 1), 1


def directive_lines(text: str) -> list[int]:
    """Every line of a file holding a lint-ignore comment (attached to a statement or not)."""
    return [text.count("\n", 0, m.start()) + 1 for m in _ANY_IGNORE_LINE.finditer(text)]
