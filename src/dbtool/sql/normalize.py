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
from collections.abc import Sequence
from functools import lru_cache

from dbtool.sql.lexer import (
    COMMA,
    DOT,
    IDENT,
    KEYWORDS,
    LBRACKET,
    LPAREN,
    OP,
    PARAM,
    RBRACKET,
    RPAREN,
    SEMICOLON,
    WORD,
    Token,
    closing_paren,
    tokenize,
)

_GLUE_BEFORE = frozenset({RPAREN, RBRACKET, LBRACKET, COMMA, DOT, SEMICOLON})
_GLUE_AFTER = frozenset({LPAREN, LBRACKET, DOT})
_UNARY_AFTER = frozenset({OP, LPAREN, LBRACKET, COMMA})


def _texts(tokens: Sequence[Token], *, all_words: bool) -> list[str]:
    """Each token's canonical spelling: keywords (or every word) upper-cased, function
    names lower-cased, everything else as written."""
    out = []
    last = len(tokens) - 1
    for i, t in enumerate(tokens):
        text = t.text
        if t.kind == WORD:
            if all_words or t.value in KEYWORDS:
                text = t.value
            elif i < last and tokens[i + 1].kind == LPAREN:
                text = text.lower()  # function names are case-insensitive
        out.append(text)
    return out


def _is_keyword(t: Token) -> bool:
    return t.kind == WORD and t.value in KEYWORDS


def _join(tokens: Sequence[Token], texts: Sequence[str]) -> str:
    """Render tokens (spelled as `texts`) with one canonical spacing."""
    parts: list[str] = []
    prev: Token | None = None
    prev_unary = False
    for t, text in zip(tokens, texts, strict=True):
        if prev is not None and not _glued(prev, t, prev_unary):
            parts.append(" ")
        parts.append(text)
        prev_unary = t.kind == OP and t.text in "+-" and (
            prev is None or prev.kind in _UNARY_AFTER or _is_keyword(prev))
        prev = t
    return "".join(parts)


def _glued(prev: Token, cur: Token, prev_unary: bool) -> bool:
    if prev_unary or prev.kind in _GLUE_AFTER:
        return True
    if cur.kind in _GLUE_BEFORE:
        return True
    if prev.text == "::" or cur.text == "::":
        return True
    if cur.kind == LPAREN:
        return prev.kind == IDENT or (prev.kind in (WORD, PARAM) and prev.value not in KEYWORDS)
    return False


def strip_outer_parens(tokens: Sequence[Token]) -> Sequence[Token]:
    """Drop parentheses that wrap the whole expression: `((a > 0))` -> `a > 0`."""
    while len(tokens) >= 2 and tokens[0].kind == LPAREN and tokens[-1].kind == RPAREN:
        if closing_paren(tokens, 0) != len(tokens) - 1:
            break
        tokens = tokens[1:-1]
    return tokens


def render(tokens: Sequence[Token], *, strip_parens: bool = False) -> str:
    """Canonical text of already-tokenised SQL (see `normalize_sql`)."""
    if strip_parens:
        tokens = strip_outer_parens(tokens)
    return _join(tokens, _texts(tokens, all_words=False))


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
    tokens = tokenize(text or "")
    return _join(tokens, _texts(tokens, all_words=True))


def normalize_default(text: str | None) -> str | None:
    """A column default in canonical form; a NULL default is no default at all."""
    norm = normalize_sql(text, strip_parens=True)
    if norm is None or norm == "" or _is_null_literal(norm):
        return None
    return norm


_NULL_RE = re.compile(r"NULL(::[\w .\"\[\]()]+)?", re.IGNORECASE)


def _is_null_literal(text: str) -> bool:
    return text[:4].upper() == "NULL" and _NULL_RE.fullmatch(text) is not None


def is_null_default(text: str | None) -> bool:
    """`NULL` or `NULL::type`: a default that means no default."""
    return text is None or _is_null_literal(text.strip())


def collapse_ws(text: str | None) -> str | None:
    """Whitespace-collapsed text, for bodies in languages we do not tokenise."""
    return None if text is None else " ".join(text.split())


def clean_body(text: str | None) -> str | None:
    """Readable stored form of a multi-line body: LF line ends, no trailing blanks."""
    if text is None:
        return None
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n").strip()


def unwrap_parens(text: str) -> str:
    """Remove parentheses around the whole text, keeping the text itself verbatim
    (for engine-canonical Postgres output we want to keep as the engine wrote it).

    Postgres inspection calls this for every default and CHECK, so it scans with one
    `findall` over quotes and parentheses instead of tokenising; for the text the
    catalog returns, the two agree (tests/inspect/test_inspect_fast_paths.py)."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _wrapped(text):
        text = text[1:-1].strip()
    return text


_PAREN_SCAN_RE = re.compile(r"'[^']*'|\"[^\"]*\"|[()]")


def _wrapped(text: str) -> bool:
    """`(…)`: the parenthesis that opens the text closes at its last character."""
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
