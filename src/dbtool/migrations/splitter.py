"""Dialect-aware splitting of a migration file into statements.

Drivers run one statement at a time (and D1's rules inspect each statement),
so a file is cut at its top-level `;` -- but not at a `;` inside a string,
quoted identifier, comment, Postgres dollar quote, parentheses (Postgres: a
rule's actions, `CREATE RULE ... DO ALSO (INSERT ...; INSERT ...)`, as psql
counts them) or `BEGIN ATOMIC ... END` body, or SQLite `CREATE TRIGGER ...
BEGIN ... END`. Every statement keeps its line and column so errors point at
`file:line:col`. tests/unit/test_splitter_pglast.py checks the Postgres cuts
against PostgreSQL's own parser.

Speed matters (every run splits every file), so the scanner is one forward
pass where each step is a compiled pattern doing the work in C: a "run"
pattern swallows plain text plus complete strings, quoted identifiers and
dollar quotes in one match and stops only where Python has to decide
something (`;`, a comment, a body keyword, or an opener that never closes).
In Postgres it also swallows balanced parentheses, `;` inside included, up to
a few levels deep; deeper or unbalanced ones are counted by Python.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from dbtool.errors import SourceLocation, SqlSyntaxError

__all__ = ["Scan", "Statement", "scan", "split"]


@dataclass(frozen=True)
class Statement:
    """One statement of a file, with where it sits in that file.

    `sql` runs from the first token up to (not including) the terminating `;`,
    comments inside kept, trailing whitespace stripped; it is a slice of the
    original text, so CRLF inside it is preserved. `end_line` is the line of
    the last character of `sql`.
    """

    sql: str
    line: int
    col: int
    index: int
    end_line: int
    leading_comments: tuple[str, ...] = ()


_DIALECTS = {"sqlite": "sqlite", "d1": "sqlite", "postgres": "postgres", "postgresql": "postgres"}
# Whitespace and comments between two keywords (`CREATE /* x */ TRIGGER`).
_SEP = r"(?:\s|--[^\r\n]*+|/\*(?:[^*]|\*(?!/))*+\*/)+"
# Body keywords as whole words: not `backend`, `end_time`, `new.end` or `a$end`.
_KEYWORD = re.compile(r"(?<![\w$.])(?:BEGIN|CASE|END)(?![\w$])", re.I)
# Statements that can hold a BEGIN ... END body whose inner `;` do not split.
_BODY_START = {
    "sqlite": rf"CREATE{_SEP}(?:TEMP(?:ORARY)?{_SEP})?TRIGGER(?![\w$])",
    "postgres": rf"CREATE{_SEP}(?:OR{_SEP}REPLACE{_SEP})?(?:FUNCTION|PROCEDURE)(?![\w$])",
}
_ATOMIC = re.compile(rf"{_SEP}ATOMIC(?![\w$])", re.I)

# A "run" is text that cannot end a statement. It stops at `;`, at a comment
# (comments are remembered, and Postgres nests them), at an opener that never
# closes (the `_skip_*` method for it then reports the error), at a body
# keyword (body runs only) or at the end. Each alternative mirrors the
# `_skip_*` method for the same construct.
_SQ = r"'[^']*+(?:''[^']*+)*+'"  # 'it''s'
_DQ = r'"[^"]*+(?:""[^"]*+)*+"'  # "a ""quoted"" identifier"
_BACKTICK = r"`[^`]*+(?:``[^`]*+)*+`"
_BRACKET = r"\[[^\]]*+\]"
_E_STR = r"(?<![\w$])[eE]'(?:[^'\\]++|\\.|'')*+'"  # E'it\'s'
_STOP_CHARS = {"sqlite": ";'\"`\\[\\-/", "postgres": ";'\"\\-/$()"}
_COMMON = (_SQ, _DQ, r"-(?!-)", r"/(?!\*)")  # minus and division are not comments
def _pg_parts(tag: str) -> tuple[str, ...]:
    return (
        _E_STR,
        rf"(?<![\w$])\$(?P<{tag}>(?:[^\W\d]\w*+)?)\$.*?\$(?P={tag})\$",  # $$...$$, $fn$...$fn$
        r"(?<=[\w$])\$",  # `$` inside an identifier (v$session)
        r"\$(?!(?:[^\W\d]\w*+)?\$)",  # $1, or a lone `$`
    )


_DIALECT_PARTS = {"sqlite": (_BACKTICK, _BRACKET), "postgres": _pg_parts("tag")}
# Balanced parentheses that a Postgres run swallows whole, `;` included; deeper
# nesting (or a comment inside) stops the run at the `(` and Python counts it.
_PAREN_LEVELS = 6
_E_LETTER = (r"[eE](?!')", r"(?<=[\w$])[eE]")  # an E that does not open an E'...' string


def _paren_group(levels: int) -> str:
    """`( ... )` nested up to `levels` deep: strings, quotes, dollar quotes and `;` inside,
    but no comment (comments are remembered, so Python steps over them)."""
    nested = [_paren_group(levels - 1)] if levels > 1 else []
    inner = [r"[^;'\"\-/$()eE]++", *_E_LETTER, *nested, ";", _SQ, _DQ, r"-(?!-)", r"/(?!\*)",
             *_pg_parts(f"tag{levels}")]  # the frequent alternatives first
    return rf"\((?:{'|'.join(inner)})*+\)"


def _run_source(dialect: str, *, body: bool) -> str:
    """The run pattern for a dialect; a body run also stops at BEGIN, CASE and END."""
    stops, parts = _STOP_CHARS[dialect], [*_COMMON, *_DIALECT_PARTS[dialect]]
    e_string = "|[eE]'" if dialect == "postgres" else ""
    if dialect == "postgres":
        parts.insert(0, _paren_group(_PAREN_LEVELS))
    if body:  # B, C and E one at a time, so that a keyword's first letter stops the run
        plain = rf"[^{stops}bBcCeE]++"
        keyword = r"(?i:BEGIN|CASE|END)(?![\w$])"
        parts += [r"(?<=[\w$.])[bBcCeE]", rf"(?!{keyword}{e_string})[bBcCeE]"]
    elif e_string:  # an E must not swallow the quote of an E'...' string
        plain = rf"[^{stops}eE]++"
        parts += _E_LETTER
    else:
        plain = rf"[^{stops}]++"
    return f"(?:{'|'.join([plain, *parts])})*+"


class _Patterns(NamedTuple):
    simple_statement: re.Pattern[str]
    body_statement: re.Pattern[str]
    run: re.Pattern[str]
    body_run: re.Pattern[str]


@cache
def _patterns(dialect: str) -> _Patterns:
    """A dialect's patterns, compiled on its first file: some 13 ms for both dialects, which
    a `status`, or a run that only meets SQLite files, need not pay at import."""
    run = _run_source(dialect, body=False)
    return _Patterns(
        # The common case in one match: blanks, then a statement with no comment and
        # no body, then its `;`. Anything else takes the general path.
        simple_statement=re.compile(
            rf"\s*+(?![-/;]|(?i:{_BODY_START[dialect]}))({run});", re.S),
        body_statement=re.compile(_BODY_START[dialect], re.I),
        run=re.compile(run, re.S),
        body_run=re.compile(_run_source(dialect, body=True), re.S),
    )


_QUOTED = {"'": re.compile(_SQ), '"': re.compile(_DQ), "`": re.compile(_BACKTICK),
           "[": re.compile(_BRACKET)}
_E_STRING = re.compile(_E_STR, re.S)
_DOLLAR_TAG = re.compile(r"\$(?:[^\W\d]\w*+)?\$")
_IDENT_CHAR = re.compile(r"[\w$]")
_IDENT_TAIL = re.compile(r"[\w$]*+")
_PG_COMMENT = re.compile(r"/\*|\*/")
_EOL = re.compile(r"[\r\n]")
_SPACE = re.compile(r"\s*+")

_UNTERMINATED = {
    "'": ("unterminated string literal '...'",
          "close the string with ' (write '' for a quote inside it)"),
    '"': ('unterminated quoted identifier "..."',
          'close the identifier with " (write "" for a quote inside it)'),
    "`": ("unterminated quoted identifier `...`",
          "close the identifier with ` (write `` for a backtick inside it)"),
    "[": ("unterminated quoted identifier [...]", "close the identifier with ]"),
}


@dataclass(frozen=True)
class Scan:
    """A split file, and where its `--` comments are: `line_comments` holds the offset of
    every `--` that really starts a comment (not one inside a string, a quoted name, a
    dollar quote or a block comment), in file order; `first_token` is where the first
    statement starts (the end of the text when there is none). Offsets are into the
    text after a leading BOM."""

    statements: list[Statement]
    line_comments: tuple[int, ...]
    first_token: int


def split(text: str, dialect: str, path: str | os.PathLike[str] = "<sql>") -> list[Statement]:
    """Split `text` into statements; dialect is "sqlite" (also used for D1) or "postgres".

    Raises SqlSyntaxError, located where the construct starts, for an
    unterminated string, quoted identifier, dollar quote, block comment or
    body: cutting such a file anyway would run statements nobody wrote.
    """
    return _scanner(text, dialect, path).run()


def scan(text: str, dialect: str, path: str | os.PathLike[str] = "<sql>") -> Scan:
    """`split`, plus where the real `--` comments are (for `-- dbtool:` directives)."""
    scanner = _scanner(text, dialect, path)
    statements = scanner.run()
    return Scan(statements, tuple(scanner.line_comments), scanner.first_token)


def _scanner(text: str, dialect: str, path: str | os.PathLike[str]) -> _Scanner:
    try:
        name = _DIALECTS[dialect]
    except KeyError:
        raise ValueError(f"unknown splitter dialect {dialect!r}") from None
    if text.startswith("\ufeff"):
        text = text[1:]  # a BOM is not a column
    return _Scanner(text, name, path if isinstance(path, str) else Path(path))


class _Lines:
    """Maps offsets to 1-based (line, col), walking forward from the last answer.

    Statements are located in file order, so the whole file costs O(n) in C
    (`str.count`). Line breaks are counted on a copy where CRLF became " \\n"
    and a lone CR "\\n": same offsets, one kind of break.
    """

    def __init__(self, text: str) -> None:
        if "\r" in text:
            text = text.replace("\r\n", " \n").replace("\r", "\n")
        self.lf_text = text
        self._pos, self._line, self._line_start = 0, 1, 0

    def span(self, start: int, last: int) -> tuple[int, int, int]:
        """(line, col) of offset `start` and the line of offset `last` (>= start)."""
        if start < self._pos:  # only on error paths; restart from the top
            self._pos, self._line, self._line_start = 0, 1, 0
        self._advance(start)
        line, col = self._line, start - self._line_start + 1
        self._advance(last)
        return line, col, self._line

    def _advance(self, pos: int) -> None:
        breaks = self.lf_text.count("\n", self._pos, pos)
        if breaks:
            self._line += breaks
            self._line_start = self.lf_text.rfind("\n", self._pos, pos) + 1
        self._pos = pos


class _Scanner:
    """One pass over one file, with the little state a statement needs."""

    def __init__(self, text: str, dialect: str, path: Path | str) -> None:
        self.text = text
        self.pg = dialect == "postgres"
        self.path = path
        self.lines = _Lines(text)
        patterns = _patterns(dialect)
        self.simple_statement = patterns.simple_statement
        self.body_statement = patterns.body_statement
        self.run_pattern = patterns.run
        self.body_run_pattern = patterns.body_run
        self.depth = 0  # BEGIN/CASE open inside a body
        self.parens = 0  # Postgres: parentheses open that the run did not swallow whole
        self.opened_at = -1  # where the outermost body began, for the error
        self.comment_spans: list[tuple[int, int]] = []  # comments in the current statement
        self.line_comments: list[int] = []  # where every `--` comment starts
        self.first_token = len(text)

    def run(self) -> list[Statement]:
        """All statements of the file, in order."""
        leading: tuple[str, ...]
        text, simple, span = self.text, self.simple_statement, self.lines.span
        statements: list[Statement] = []
        pos, leading = 0, ()
        while True:
            found = simple.match(text, pos)
            if found is not None:
                start, end = found.span(1)
                end, pos = _rstrip_end(text, start, end), found.end()
            else:
                start, leading = self._skip_gap(pos, after_statement=bool(statements))
                if start < 0:
                    return statements
                end, pos = self._scan_statement(start)
            if not statements:
                self.first_token = start
            line, col, end_line = span(start, end - 1)
            statements.append(
                Statement(text[start:end], line, col, len(statements), end_line, leading)
            )
            leading = ()

    def _skip_gap(self, pos: int, after_statement: bool) -> tuple[int, tuple[str, ...]]:
        """Offset of the next statement's first token (-1 at the end) and its leading comments.

        Skips blanks, comments and empty `;`. The leading comments are the `--`
        lines directly above the token: a blank line ends the block, and a
        comment on the previous statement's own line is that statement's
        trailing remark, not a lead-in for the next one.
        """
        text, comments, own_line = self.text, [], not after_statement
        while True:
            blank_end = _SPACE.match(text, pos).end()
            breaks = self.lines.lf_text.count("\n", pos, blank_end)
            if breaks > 1:
                comments.clear()
            own_line, pos = own_line or breaks > 0, blank_end
            opener = text[pos : pos + 2]
            if not opener:
                return -1, ()
            if opener == "--":
                self.line_comments.append(pos)
                end = self._line_end(pos)
                if own_line:
                    comments.append(text[pos + 2 : end].strip())
                pos = end
            elif opener == "/*":
                pos = self._skip_block_comment(pos)
            elif opener[0] == ";":
                comments.clear()
                own_line, pos = False, pos + 1
            else:
                return pos, tuple(comments)

    def _scan_statement(self, start: int) -> tuple[int, int]:
        """(end of the statement's text, where scanning resumes) for the statement at `start`."""
        self.comment_spans.clear()
        self.parens = 0
        if self.body_statement.match(self.text, start):
            end = self._scan_body_statement(start)
        else:
            end = self._scan_plain_statement(start)
        if end < len(self.text):
            return _rstrip_end(self.text, start, end), end + 1
        return self._trim_trailing_comments(start), end

    def _scan_plain_statement(self, start: int) -> int:
        """Offset of the terminating `;` (or the end of the text)."""
        text, run, pos = self.text, self.run_pattern, start
        while True:
            pos = run.match(text, pos).end()
            if pos >= len(text):
                return pos
            if text[pos] == ";":
                if not self.parens:
                    return pos
                pos += 1  # psql: a `;` inside parentheses does not end the statement
            else:
                pos = self._step(pos)

    def _scan_body_statement(self, start: int) -> int:
        """Like `_scan_plain_statement`, but a `;` inside BEGIN ... END does not end it."""
        text, run, pos = self.text, self.body_run_pattern, start
        self.depth, self.opened_at = 0, -1
        while True:
            pos = run.match(text, pos).end()
            if pos >= len(text):
                if self.depth:
                    raise self._unclosed_body()
                return pos
            if text[pos] == ";":
                if not self.depth and not self.parens:
                    return pos
                pos += 1
            elif (keyword := _KEYWORD.match(text, pos)) is not None:
                # psql counts BEGIN, CASE and END only outside parentheses
                pos = keyword.end() if self.parens else self._keyword(keyword)
            else:
                pos = self._step(pos)

    def _step(self, at: int) -> int:
        """Skip the comment or quoted construct a run stopped at (raising if it never closes)."""
        char = self.text[at]
        if char == "'":
            return self._skip_string(at)
        if char in _QUOTED:
            return self._skip_quoted(at, char)
        if char in "-/":
            return self._skip_comment_in_statement(at)
        if char == "$":
            return self._skip_dollar(at)
        if char == "(":  # deeper than the run swallows, or with a comment inside
            self.parens += 1
            return at + 1
        if char == ")":
            self.parens = max(0, self.parens - 1)
            return at + 1
        if char in "eE":  # an E'...' string the run could not close
            return self._skip_string(at + 1)
        return at + 1  # not reached while the run patterns mirror this class

    def _keyword(self, found: re.Match[str]) -> int:
        """Track body nesting: BEGIN (Postgres: BEGIN ATOMIC) opens, CASE nests, END closes.

        Outside a body CASE/END are ignored, so a CASE in a trigger's WHEN
        clause cannot unbalance anything.
        """
        word = found.group().upper()
        if self.depth:
            self.depth += {"CASE": 1, "END": -1}.get(word, 0)
            return found.end()
        if word != "BEGIN":
            return found.end()
        # SQLite: a trigger's BEGIN opens its body; Postgres: only BEGIN ATOMIC does.
        atomic = _ATOMIC.match(self.text, found.end()) if self.pg else found
        if atomic is not None:
            self.depth, self.opened_at = 1, found.start()
            return atomic.end()
        return found.end()

    def _skip_comment_in_statement(self, at: int) -> int:
        """Skip a comment inside a statement, remembering it for the tail trim."""
        if self.text[at] == "-":
            self.line_comments.append(at)
            end = self._line_end(at)
        else:
            end = self._skip_block_comment(at)
        self.comment_spans.append((at, end))
        return end

    def _trim_trailing_comments(self, start: int) -> int:
        """End of an unterminated last statement, without the comments after it.

        Comments after a file's last token are not part of its last statement:
        adding or removing that statement's `;` must not change its text.
        """
        end, spans = len(self.text), self.comment_spans
        while True:
            end = _rstrip_end(self.text, start, end)
            if not spans or spans[-1][1] < end:  # code after the last comment
                return end
            end = spans.pop()[0]

    def _skip_quoted(self, at: int, quote: str) -> int:
        """Skip a string or quoted identifier; `;` and `--` inside are literal."""
        found = _QUOTED[quote].match(self.text, at)
        if found is None:
            raise self._error(at, *_UNTERMINATED[quote])
        return found.end()

    def _skip_string(self, at: int) -> int:
        """Skip '...'; in Postgres an E'...' string also takes backslash escapes."""
        text = self.text
        if self.pg and at > 0 and text[at - 1] in "eE" and not _ident_char_at(text, at - 2):
            found = _E_STRING.match(text, at - 1)
            if found is None:
                raise self._error(
                    at - 1, "unterminated escape string E'...'",
                    "close the string with '; inside E'...' a backslash escapes the next character",
                )
            return found.end()
        return self._skip_quoted(at, "'")

    def _skip_dollar(self, at: int) -> int:
        """Skip a Postgres $$...$$ or $tag$...$tag$ body; `$1` and `a$b` are not quotes."""
        text = self.text
        if _ident_char_at(text, at - 1):  # `$` inside an identifier such as v$session
            return _IDENT_TAIL.match(text, at).end()
        tag = _DOLLAR_TAG.match(text, at)
        if tag is None:
            return at + 1
        close = text.find(tag.group(), tag.end())
        if close < 0:
            raise self._error(
                at, f"unterminated dollar-quoted string {tag.group()}",
                f"close the body with {tag.group()}, spelled exactly the same (tags are case-sensitive)",
            )
        return close + len(tag.group())

    def _skip_block_comment(self, at: int) -> int:
        """Skip /* ... */; Postgres nests them, SQLite ends at the first */."""
        if not self.pg:
            close = self.text.find("*/", at + 2)
            if close >= 0:
                return close + 2
        else:
            depth, pos = 1, at + 2
            while (found := _PG_COMMENT.search(self.text, pos)) is not None:
                depth += 1 if found.group() == "/*" else -1
                pos = found.end()
                if not depth:
                    return pos
        nesting = " (PostgreSQL nests block comments: each /* needs its own */)"
        raise self._error(
            at, "unterminated block comment /*",
            "close the comment with */" + (nesting if self.pg else ""),
        )

    def _line_end(self, at: int) -> int:
        """Offset of the line break after `at` (or the end of the text)."""
        found = _EOL.search(self.text, at)
        return len(self.text) if found is None else found.start()

    def _unclosed_body(self) -> SqlSyntaxError:
        """The error for a body still open at the end of the file."""
        what = "BEGIN ATOMIC body" if self.pg else "CREATE TRIGGER body"
        return self._error(
            self.opened_at, f"unterminated {what}: BEGIN has no matching END",
            "end the body with END; each CASE inside it needs its own END",
        )

    def _error(self, at: int, message: str, hint: str) -> SqlSyntaxError:
        """A syntax error located at offset `at`."""
        line, col, _ = self.lines.span(at, at)
        return SqlSyntaxError(message, location=SourceLocation(self.path, line, col), hint=hint)


def _rstrip_end(text: str, start: int, end: int) -> int:
    """`end` moved back over trailing whitespace, without copying the statement."""
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _ident_char_at(text: str, at: int) -> bool:
    """Whether text[at] exists and can be part of an identifier (letter, digit, _ or $)."""
    return at >= 0 and _IDENT_CHAR.match(text, at) is not None
