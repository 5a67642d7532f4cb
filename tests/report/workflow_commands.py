"""A strict parser of GitHub Actions workflow commands (`::error file=…,line=…::message`).

Stricter than the runner on purpose: it rejects an unescaped `%`, `:` or `,` in a
property value, an unescaped `%` in the message, an unknown or repeated property,
and a non-numeric line or column, so a renderer that forgets one escape fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LEVELS = ("error", "warning", "notice")
NUMERIC = ("line", "col", "endLine", "endColumn")
PROPERTIES = ("file", "title", *NUMERIC)
_COMMAND = re.compile(r"::(error|warning|notice)(?: ([^:]*))?::(.*)", re.DOTALL)
_PROPERTY_VALUE = re.compile(r"(?:[^%,:\r\n]|%25|%0D|%0A|%3A|%2C)*")
_MESSAGE = re.compile(r"(?:[^%\r\n]|%25|%0D|%0A)*")


@dataclass(frozen=True)
class Command:
    level: str
    properties: dict[str, str]
    message: str

    @property
    def file(self) -> str | None:
        return self.properties.get("file")

    def number(self, key: str) -> int | None:
        value = self.properties.get(key)
        return int(value) if value is not None else None


def _unescape(text: str, table: tuple[tuple[str, str], ...]) -> str:
    out, i = [], 0
    while i < len(text):
        for code, char in table:
            if text.startswith(code, i):
                out.append(char)
                i += len(code)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_DATA = (("%25", "%"), ("%0D", "\r"), ("%0A", "\n"))
_PROPERTY = (*_DATA, ("%3A", ":"), ("%2C", ","))


def parse(line: str) -> Command:
    """One workflow command line; AssertionError naming what is wrong otherwise."""
    match = _COMMAND.fullmatch(line)
    assert match, f"not a workflow command: {line!r}"
    level, props_text, message = match.groups()
    properties: dict[str, str] = {}
    for item in (props_text or "").split(",") if props_text else []:
        key, sep, value = item.partition("=")
        assert sep, f"property without '=': {item!r} in {line!r}"
        assert key in PROPERTIES, f"unknown property {key!r} in {line!r}"
        assert key not in properties, f"property {key!r} repeated in {line!r}"
        assert _PROPERTY_VALUE.fullmatch(value), f"unescaped character in {key}={value!r}"
        properties[key] = _unescape(value, _PROPERTY)
        if key in NUMERIC:
            assert properties[key].isdigit() and int(properties[key]) >= 1, f"{key}={value!r}"
    assert _MESSAGE.fullmatch(message), f"unescaped % or newline in message {message!r}"
    return Command(level, properties, _unescape(message, _DATA))


def parse_all(output: str) -> list[Command]:
    """Every line of a command's stdout that is a workflow command (other lines are logs)."""
    return [parse(line) for line in output.splitlines() if line.startswith("::")]
