"""Normalisation of SQL text, so equivalent spellings compare equal.

SQLite keeps DDL exactly as written, so `DEFAULT (datetime('now'))`,
`default (DATETIME( 'now' ))` and a commented variant must all become one
string before they reach the model. Postgres already returns canonical text
(`format_type`, `pg_get_expr`, `pg_get_constraintdef`); running it through the
same token normaliser is harmless and lets the differ compare a hand-edited
snapshot with engine output. Normalisation is token based: whitespace and
comments go, keywords are upper-cased, function names lower-cased, spacing is
regular, and string literals and quoted identifiers are never touched, so two
different values never collapse into one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache, lru_cache
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

_OP_CHARS = "+-*/<>=~!@#%^&|?"
_SPECIAL_OP_CHARS = frozenset("~!@#%^&|?")
# One pass of a single compiled pattern: the alternatives are tried in order,
# so comments and quoted text win over operators and words at the same spot.
# Compiled on first use (`_token_re`): a few milliseconds that importers which
# never tokenise (the Postgres inspector) do not pay.
_TOKEN_PATTERN = r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>[Ee]'(?:\\.|''|[^'\\])*(?:'|\Z)
      | (?:[BbXxNn])?'(?:''|[^'])*(?:'|\Z)
      | \$(?P<tag>[A-Za-z_][A-Za-z0-9_]*|)\$.*?(?:\$(?P=tag)\$|\Z))
  | (?P<ident>"(?:""|[^"])*(?:"|\Z) | `(?:``|[^`])*(?:`|\Z) | \[[^\]]*\])
  | (?P<number>0[xX][0-9A-Fa-f]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<param>\$[0-9]+)
  | (?P<word>[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)
  | (?P<single>[(),;.\[\]])
  | (?P<cast>::)
  | (?P<op>[-+*/<>=~!@\#%^&|?]+)
  | (?P<other>.)
    """


@cache
def _token_re() -> re.Pattern[str]:
    return re.compile(_TOKEN_PATTERN, re.S | re.X)


_SINGLE = {
    "(": "lparen", ")": "rparen", ",": "comma", ";": "semicolon", ".": "dot",
    "[": "lbracket", "]": "rbracket",
}


class Token(NamedTuple):
    """A lexical token; `kind` is one of word, ident (quoted), string, number,
    op, lparen, rparen, lbracket, rbracket, comma, semicolon, dot, ws, comment."""

    kind: str
    text: str

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def tokenize(sql: str) -> list[Token]:
    """Split SQL into tokens, whitespace and comments included (SQLite and Postgres lexis)."""
    return list(_scan(sql))


def _subscript_context(prev: Token | None) -> bool:
    """`[` after a value or ARRAY opens a subscript / array literal, not a
    SQLite `[identifier]` (which follows `(`, `,`, `.`, an operator or a keyword)."""
    if prev is None:
        return False
    if prev.kind == "word":
        return prev.text.upper() == "ARRAY" or prev.text.upper() not in KEYWORDS
    return prev.kind in ("ident", "rparen", "rbracket", "string", "number")


def _scan(sql: str) -> Iterator[Token]:
    i, n = 0, len(sql)
    prev: Token | None = None
    match = _token_re().match
    while i < n:
        m = match(sql, i)
        assert m is not None  # `other` matches any character
        kind, end = m.lastgroup or "other", m.end()
        if kind == "tag":  # the named group inside a dollar quote
            kind = "string"
        if sql[i] == "[" and (kind != "ident" or _subscript_context(prev)):
            kind, end = "lbracket", i + 1
        elif kind == "op":
            end = _operator_end(sql, i, end)
        elif kind == "single":
            kind = _SINGLE[m.group()]
        elif kind == "param":
            kind = "word"
        elif kind in ("cast", "other"):
            kind = "op"
        token = Token(kind, sql[i:end])
        if kind not in ("ws", "comment"):
            prev = token
        yield token
        i = end


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


def significant(tokens: Sequence[Token]) -> list[Token]:
    """Tokens without whitespace and comments."""
    return [t for t in tokens if t.kind not in ("ws", "comment")]


def unquote(text: str) -> str:
    """An identifier as the engine stores it: quotes removed, doubled quotes undone."""
    if len(text) >= 2 and text[0] in "\"`'[":
        close = "]" if text[0] == "[" else text[0]
        inner = text[1:-1]
        return inner if close == "]" else inner.replace(close * 2, close)
    return text


def _words_upper(tokens: list[Token], *, all_words: bool) -> list[Token]:
    out = []
    for i, t in enumerate(tokens):
        if t.kind == "word":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if all_words or t.text.upper() in KEYWORDS:
                t = Token("word", t.text.upper())
            elif nxt is not None and nxt.kind == "lparen":
                t = Token("word", t.text.lower())  # function names are case-insensitive
        out.append(t)
    return out


def _unary_context(prev: Token | None) -> bool:
    return prev is None or prev.kind in ("op", "lparen", "lbracket", "comma") or (
        prev.kind == "word" and prev.text.upper() in KEYWORDS
    )


def join_tokens(tokens: Sequence[Token]) -> str:
    """Render significant tokens with one canonical spacing."""
    parts: list[str] = []
    prev: Token | None = None
    prev_unary = False
    for t in tokens:
        if prev is not None and not _glued(prev, t, prev_unary):
            parts.append(" ")
        parts.append(t.text)
        prev_unary = t.kind == "op" and t.text in "+-" and _unary_context(prev)
        prev = t
    return "".join(parts)


def _glued(prev: Token, cur: Token, prev_unary: bool) -> bool:
    if prev_unary or prev.kind in ("lparen", "lbracket", "dot"):
        return True
    if cur.kind in ("rparen", "rbracket", "lbracket", "comma", "dot", "semicolon"):
        return True
    if prev.text == "::" or cur.text == "::":
        return True
    if cur.kind == "lparen":
        return prev.kind in ("word", "ident") and prev.text.upper() not in KEYWORDS
    return False


def strip_outer_parens(tokens: list[Token]) -> list[Token]:
    """Drop parentheses that wrap the whole expression: `((a > 0))` -> `a > 0`."""
    while len(tokens) >= 2 and tokens[0].kind == "lparen" and tokens[-1].kind == "rparen":
        if _matching_paren(tokens, 0) != len(tokens) - 1:
            break
        tokens = tokens[1:-1]
    return tokens


def _matching_paren(tokens: Sequence[Token], start: int) -> int:
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i].kind == "lparen":
            depth += 1
        elif tokens[i].kind == "rparen":
            depth -= 1
            if depth == 0:
                return i
    return -1


def render(tokens: list[Token], *, strip_parens: bool = False) -> str:
    """Canonical text of already-tokenised SQL (see `normalize_sql`)."""
    tokens = significant(tokens)
    if strip_parens:
        tokens = strip_outer_parens(tokens)
    return join_tokens(_words_upper(tokens, all_words=False))


def normalize_sql(text: str | None, *, strip_parens: bool = False) -> str | None:
    """Canonical spelling of an expression or statement list (None stays None)."""
    if text is None:
        return None
    return _normalized(text, strip_parens)


@lru_cache(maxsize=1 << 16)
def _normalized(text: str, strip_parens: bool) -> str:
    """Cached: a schema repeats the same defaults and checks in table after table (a
    1,000-table diff normalises ~30,000 expressions, mostly a few dozen distinct ones)."""
    return render(tokenize(text), strip_parens=strip_parens)


def normalize_type(text: str | None) -> str:
    """A declared SQLite type, case-folded and regularly spaced: `varchar( 50 )` -> `VARCHAR(50)`."""
    tokens = significant(tokenize(text or ""))
    return join_tokens(_words_upper(tokens, all_words=True))


def normalize_default(text: str | None) -> str | None:
    """A column default in canonical form; a NULL default is no default at all."""
    norm = normalize_sql(text, strip_parens=True)
    if norm is None or norm == "" or _is_null_literal(norm):
        return None
    return norm


_NULL_RE = re.compile(r"NULL(::[\w .\"\[\]()]+)?", re.IGNORECASE)


def _is_null_literal(text: str) -> bool:
    return text[:4].upper() == "NULL" and _NULL_RE.fullmatch(text) is not None


def collapse_ws(text: str | None) -> str | None:
    """Whitespace-collapsed text, for bodies in languages we do not tokenise."""
    return None if text is None else " ".join(text.split())


def clean_body(text: str | None) -> str | None:
    """Readable stored form of a multi-line body: LF line ends, no trailing blanks."""
    if text is None:
        return None
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n").strip()


def split_top_level(tokens: Sequence[Token], sep: str = "comma") -> list[list[Token]]:
    """Split significant tokens at separators outside parentheses."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if t.kind in ("lparen", "lbracket"):
            depth += 1
        elif t.kind in ("rparen", "rbracket"):
            depth -= 1
        if t.kind == sep and depth == 0:
            parts.append([])
        else:
            parts[-1].append(t)
    return [p for p in parts if p]


def unwrap_parens(text: str) -> str:
    """Remove parentheses around the whole text, keeping the text itself verbatim
    (for engine-canonical Postgres output we want to keep as the engine wrote it)."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _wrapped(text):
        text = text[1:-1].strip()
    return text


_PAREN_SCAN_RE = re.compile(r"'[^']*'|\"[^\"]*\"|[()]")


def _wrapped(text: str) -> bool:
    """`(…)`: the parenthesis that opens the text closes at its last character.

    The same scan as `_closing_paren(text) == len(text) - 1` for a text that
    starts with `(` and ends with `)` (that last `)` is then the last token), in
    one `findall` instead of a match object per token."""
    depth = 0
    tokens = _PAREN_SCAN_RE.findall(text)
    last = len(tokens) - 1
    for i, tok in enumerate(tokens):
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth == 0:
                return i == last
    return False


def _closing_paren(text: str) -> int:
    """Index of the parenthesis that closes `text[0]`, skipping quoted text."""
    depth = 0
    for m in _PAREN_SCAN_RE.finditer(text):
        tok = m.group()
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth == 0:
                return m.start()
    return -1


def is_null_default(text: str | None) -> bool:
    """`NULL` or `NULL::type`: a default that means no default."""
    return text is None or _is_null_literal(text.strip())
