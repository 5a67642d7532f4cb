"""The one SQL lexer: SQLite's lexis, plus the Postgres spellings that expressions carry.

Everything dbtool reads as SQL text goes through here: SQLite/D1 statements (lint,
reports), the DDL SQLite keeps in `sqlite_schema` (inspection), and the defaults and
CHECK expressions the differ compares for both engines. Postgres *statements* are
parsed by pglast (`dbtool.sql.postgres`); Postgres text that reaches this lexer is
engine-canonical expressions, so it also knows dollar quotes, `E'...'` strings, `::`
casts, `$1` parameters and Postgres operator runs.

Tokens are the significant ones only, each with its offset: whitespace and comments
are the gaps between them, so `text[t.end:next.start]` recovers them exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache
from typing import NamedTuple

_KEYWORD_TEXT = """ABORT ACTION ADD AFTER ALL ALWAYS AND ANY ARRAY AS ASC AUTOINCREMENT BEFORE BEGIN
    BETWEEN BY CASCADE CASE CAST CHECK COLLATE CONFLICT CONSTRAINT CREATE CROSS CURRENT_DATE
    CURRENT_TIME CURRENT_TIMESTAMP DEFAULT DEFERRABLE DEFERRED DELETE DESC DISTINCT EACH ELSE
    END ESCAPE EXCEPT EXISTS FAIL FALSE FILTER FOR FOREIGN FROM FULL GENERATED GLOB GROUP
    HAVING IF IGNORE IMMEDIATE IN INDEX INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS
    ISNULL JOIN KEY LEFT LIKE LIMIT MATCH NEW NO NOT NOTNULL NULL OF OFFSET OLD ON OR ORDER
    OUTER OVER PARTITION PRIMARY RAISE REFERENCES REGEXP REPLACE RESTRICT RETURNING RIGHT
    ROLLBACK ROW SELECT SET STORED TABLE TEMP TEMPORARY THEN TRIGGER TRUE UNION UNIQUE
    UPDATE USING VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT"""
KEYWORDS = frozenset(_KEYWORD_TEXT.split())

# Token kinds. Punctuation has a kind per character, so a parser compares one string.
WORD = "word"  # a keyword or bare identifier; `value` is upper-cased
IDENT = "ident"  # a quoted identifier: "x", `x`, [x]; `value` is unquoted
STRING = "string"  # 'text', E'text', $$text$$; `value` is the text inside
BLOB = "blob"  # X'00ff'
NUMBER = "number"
PARAM = "param"  # $1
OP = "op"
LPAREN, RPAREN, LBRACKET, RBRACKET = "lparen", "rparen", "lbracket", "rbracket"
COMMA, SEMICOLON, DOT = "comma", "semicolon", "dot"
NAMES = frozenset({WORD, IDENT})

_SPECIAL_OP_CHARS = frozenset("~!@#%^&|?")
# Quoted text is matched as unrolled loops (`'[^']*(?:''[^']*)*'`), not as a repeated
# alternation (`'(?:''|[^'])*'`): the same language, but a run of ordinary characters is one
# step instead of one per character (1.7 s -> 0.01 s for a 10 MB string literal).
# One compiled pattern per lexis; the alternatives are tried in order, so comments and
# quoted text win over operators and words at the same spot. Compiled on first use: a
# few milliseconds that importers which never tokenise (the Postgres inspector) do not pay.
_HEAD = r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
"""
_TAIL = r"""
  | (?P<number>0[xX][0-9A-Fa-f]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<param>{param})
  | (?P<word>[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)
  | (?P<single>[(),;.\[\]])
  | (?P<cast>::)
  | (?P<op>[-+*/<>=~!@\#%^&|?]+)
  | (?P<other>.)
"""
# Expression text of either engine: Postgres strings and parameters, and `[` read by
# context (an identifier quote in SQLite, a subscript after a value in Postgres).
_MIXED = _HEAD + r"""
  | (?P<estring>[Ee]'[^'\\]*(?:(?:\\.|'')[^'\\]*)*(?:'|\Z))
  | (?P<blob>[Xx]'[^']*(?:''[^']*)*(?:'|\Z))
  | (?P<string>(?:[BbNn])?'[^']*(?:''[^']*)*(?:'|\Z))
  | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z0-9_]*|)\$.*?(?:\$(?P=tag)\$|\Z))
  | (?P<ident>"[^"]*(?:""[^"]*)*(?:"|\Z) | `[^`]*(?:``[^`]*)*(?:`|\Z) | \[[^\]]*\])
""" + _TAIL.format(param=r"\$[0-9]+")
# SQLite's own lexis: `[x]` is always a quoted identifier, `$name`, `:name`, `@name` and
# `?NNN` are parameters, and there are no E'...' strings or dollar quotes.
_SQLITE = _HEAD + r"""
  | (?P<blob>[Xx]'[^']*(?:''[^']*)*(?:'|\Z))
  | (?P<string>'[^']*(?:''[^']*)*(?:'|\Z))
  | (?P<ident>"[^"]*(?:""[^"]*)*(?:"|\Z) | `[^`]*(?:``[^`]*)*(?:`|\Z) | \[[^\]]*(?:\]|\Z))
""" + _TAIL.format(param=r"\?\d*|[:@$][\w$]+")
_SINGLE = {"(": LPAREN, ")": RPAREN, ",": COMMA, ";": SEMICOLON, ".": DOT,
           "[": LBRACKET, "]": RBRACKET}
_GAPS = frozenset({"ws", "comment"})


@cache
def _token_re(sqlite: bool) -> re.Pattern[str]:
    return re.compile(_SQLITE if sqlite else _MIXED, re.S | re.X)


class Token(NamedTuple):
    """One significant token: its kind, its text as written, its offset, and its value."""

    kind: str
    text: str
    start: int
    value: str  # words upper-cased; quoted identifiers and strings unquoted; else the text

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def is_word(self, *words: str) -> bool:
        """Whether this is a bare word equal to one of `words` (upper-case)."""
        return self.kind == WORD and self.value in words

    @property
    def is_name(self) -> bool:
        """Bare words and quoted identifiers can both name an object."""
        return self.kind in NAMES

    @property
    def unquoted(self) -> str:
        """The identifier as the engine stores it: quotes removed, the spelling kept."""
        return self.text if self.kind == WORD else self.value

    @property
    def name(self) -> str:
        """The identifier as SQLite compares it: case-insensitively (lower-cased)."""
        return self.unquoted.lower()


def tokenize(sql: str, *, sqlite: bool = False) -> list[Token]:
    """The significant tokens of `sql`, in order (whitespace and comments are the gaps).

    `sqlite`: read with SQLite's own lexis (statements of SQLite/D1 migrations); by
    default also Postgres expression text, as the differ and inspection meet it."""
    tokens: list[Token] = []
    append = tokens.append
    finditer = _token_re(sqlite).finditer
    pos, n, prev = 0, len(sql), None
    while pos < n:
        for m in finditer(sql, pos):
            kind = m.lastgroup
            if kind in _GAPS:
                continue
            start, end = m.span()
            restart = False
            if sql[start] == "[" and (kind != IDENT or (not sqlite and _subscript_context(prev))):
                kind, restart = LBRACKET, end != start + 1
                end = start + 1
            elif kind == "op":
                cut = _operator_end(sql, start, end)
                kind, restart, end = OP, cut != end, cut
            prev = _token(kind, sql[start:end], start)  # type: ignore[arg-type]
            append(prev)
            if restart:  # the match ran past the token: scan again from its end
                pos = end
                break
        else:
            break
    return tokens


def _token(kind: str, text: str, start: int) -> Token:
    if kind == WORD:
        return Token(WORD, text, start, text.upper())
    if kind == "single":
        return Token(_SINGLE[text], text, start, text)
    if kind == IDENT:
        if text[0] == "[":
            return Token(IDENT, text, start, text[1:].rstrip("]"))
        return Token(IDENT, text, start, unquote(text))
    if kind in ("string", "estring", "blob"):
        quote = text.index("'")
        body = text[quote + 1 : -1] if len(text) > quote + 1 and text.endswith("'") else text[quote + 1 :]
        return Token(BLOB if kind == "blob" else STRING, text, start, body.replace("''", "'"))
    if kind in ("dollar", "tag"):
        tag = text[: text.index("$", 1) + 1]
        closed = len(text) >= 2 * len(tag) and text.endswith(tag)
        return Token(STRING, text, start, text[len(tag) : len(text) - len(tag) if closed else None])
    if kind in ("cast", "other"):
        return Token(OP, text, start, text)
    return Token(kind, text, start, text)


def _subscript_context(prev: Token | None) -> bool:
    """`[` after a value or ARRAY opens a subscript / array literal, not a
    SQLite `[identifier]` (which follows `(`, `,`, `.`, an operator or a keyword)."""
    if prev is None:
        return False
    if prev.kind == WORD:
        return prev.value == "ARRAY" or prev.value not in KEYWORDS
    return prev.kind in (IDENT, RPAREN, RBRACKET, STRING, BLOB, NUMBER, PARAM)


def _operator_end(sql: str, i: int, end: int) -> int:
    """Postgres's rule for an operator run: it never swallows a comment start,
    and cannot end in + or - unless it contains a special character."""
    for marker in ("--", "/*"):
        at = sql.find(marker, i + 1, end)
        if at > i:
            end = at
    while end - i > 1 and sql[end - 1] in "+-" and not _SPECIAL_OP_CHARS.intersection(sql[i:end]):
        end -= 1
    return end


def unquote(text: str) -> str:
    """An identifier as the engine stores it: quotes removed, doubled quotes undone."""
    if len(text) >= 2 and text[0] in "\"`'[":
        close = "]" if text[0] == "[" else text[0]
        inner = text[1:-1] if text[-1] == close else text[1:]
        return inner if close == "]" else inner.replace(close * 2, close)
    return text


# -- structure over tokens --------------------------------------------------------------

_OPENS = frozenset({LPAREN, LBRACKET})
_CLOSES = frozenset({RPAREN, RBRACKET})


def closing_paren(tokens: Sequence[Token], start: int) -> int:
    """Index of the `)` that closes the `(` at `start`; `len(tokens)` when it never
    closes (the group then runs to the end)."""
    depth = 0
    for i in range(start, len(tokens)):
        kind = tokens[i].kind
        if kind == LPAREN:
            depth += 1
        elif kind == RPAREN:
            depth -= 1
            if depth == 0:
                return i
    return len(tokens)


def skip(tokens: Sequence[Token], i: int) -> int:
    """Position after the token at `i`, a parenthesised group counting as one token."""
    return closing_paren(tokens, i) + 1 if tokens[i].kind == LPAREN else i + 1


def find_word(tokens: Sequence[Token], word: str, start: int = 0) -> int:
    """Index of the first `word` outside parentheses at or after `start`, else -1."""
    i = start
    while i < len(tokens):
        if tokens[i].kind == WORD and tokens[i].value == word:
            return i
        i = skip(tokens, i)
    return -1


def top_level(tokens: Sequence[Token]) -> Iterator[tuple[int, Token]]:
    """(index, token) for tokens outside any parentheses or brackets."""
    depth = 0
    for index, token in enumerate(tokens):
        if token.kind in _OPENS:
            depth += 1
        elif token.kind in _CLOSES:
            depth -= 1
        elif depth == 0:
            yield index, token


def split_top_level(tokens: Sequence[Token], sep: str = COMMA) -> list[list[Token]]:
    """Split tokens at separators outside parentheses and brackets (empty parts dropped)."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        kind = t.kind
        if kind in _OPENS:
            depth += 1
        elif kind in _CLOSES:
            depth -= 1
        if kind == sep and depth == 0:
            parts.append([])
        else:
            parts[-1].append(t)
    return [p for p in parts if p]
