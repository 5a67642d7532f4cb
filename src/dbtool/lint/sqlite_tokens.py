"""A small SQLite tokenizer and a cursor over its tokens.

Lint rules for SQLite/D1 need structure (which table a DROP names, whether an
UPDATE has a top-level WHERE, the string values of a CHECK ... IN list), but
not a full grammar. Tokens get that right where a regular expression over raw
text does not: a `WHERE` inside a string, a comment or a sub-query is not the
statement's WHERE, and `"order"` is an identifier, not a keyword.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

WORD = "word"  # a keyword or bare identifier; `value` is upper-cased
IDENT = "ident"  # a quoted identifier: "x", `x`, [x]; `value` is unquoted
STRING = "string"  # 'text'; `value` is the text with '' collapsed
NUMBER = "number"
BLOB = "blob"
PARAM = "param"
PUNCT = "punct"  # ( ) , ; .
OP = "op"

# One alternative per token kind; comments and blanks are matched and dropped.
_LEXER = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<line_comment>--[^\n]*)
  | (?P<block_comment>/\*(?:[^*]|\*(?!/))*(?:\*/|\Z))
  | (?P<blob>[xX]'[0-9A-Fa-f]*')
  | (?P<string>'(?:[^']|'')*(?:'|\Z))
  | (?P<dquote>"(?:[^"]|"")*(?:"|\Z))
  | (?P<backtick>`(?:[^`]|``)*(?:`|\Z))
  | (?P<bracket>\[[^\]]*(?:\]|\Z))
  | (?P<number>0[xX][0-9A-Fa-f]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)
  | (?P<param>\?\d*|[:@$][\w$]+)
  | (?P<punct>[(),;.])
  | (?P<op>\|\||<<|>>|<=|>=|==|!=|<>|->>|->|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, the normalised value, and its offset in the statement."""

    kind: str
    value: str
    start: int
    text: str

    def is_word(self, *words: str) -> bool:
        """Whether this is a bare word equal to one of `words` (upper-case)."""
        return self.kind == WORD and self.value in words

    @property
    def is_name(self) -> bool:
        """Bare words and quoted identifiers can both name an object."""
        return self.kind in (WORD, IDENT)

    @property
    def name(self) -> str:
        """The identifier as SQLite compares it: case-insensitively."""
        return (self.text if self.kind == WORD else self.value).lower()


def tokenize(sql: str) -> list[Token]:
    """All tokens of `sql`, comments and whitespace dropped."""
    tokens: list[Token] = []
    for match in _LEXER.finditer(sql):
        kind = match.lastgroup or OP
        text = match.group()
        if kind in ("space", "line_comment", "block_comment"):
            continue
        tokens.append(_token(kind, text, match.start()))
    return tokens


def _token(kind: str, text: str, start: int) -> Token:
    if kind == "word":
        return Token(WORD, text.upper(), start, text)
    if kind == "string":
        return Token(STRING, text[1:-1].replace("''", "'") if text.endswith("'") else text[1:],
                     start, text)
    if kind in ("dquote", "backtick"):
        quote = text[0]
        body = text[1:-1] if len(text) > 1 and text.endswith(quote) else text[1:]
        return Token(IDENT, body.replace(quote * 2, quote), start, text)
    if kind == "bracket":
        return Token(IDENT, text[1:].rstrip("]"), start, text)
    return Token(kind, text, start, text)


class Cursor:
    """A forward cursor over tokens with the few look-ahead helpers a parser needs."""

    def __init__(self, tokens: list[Token], pos: int = 0) -> None:
        self.tokens = tokens
        self.pos = pos

    def peek(self, ahead: int = 0) -> Token | None:
        index = self.pos + ahead
        return self.tokens[index] if 0 <= index < len(self.tokens) else None

    def next(self) -> Token | None:
        token = self.peek()
        if token is not None:
            self.pos += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.is_word(*words)

    def accept(self, *words: str) -> bool:
        """Consume the next token if it is one of `words`."""
        if self.at_word(*words):
            self.pos += 1
            return True
        return False

    def accept_all(self, *words: str) -> bool:
        """Consume `words` in order if they all follow; otherwise consume nothing."""
        for ahead, word in enumerate(words):
            token = self.peek(ahead)
            if token is None or not token.is_word(word):
                return False
        self.pos += len(words)
        return True

    def at_punct(self, char: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == PUNCT and token.value == char

    def accept_punct(self, char: str) -> bool:
        if self.at_punct(char):
            self.pos += 1
            return True
        return False

    def skip_group(self) -> None:
        """At `(`: move past its matching `)` (or to the end)."""
        depth = 0
        while (token := self.next()) is not None:
            if token.kind == PUNCT and token.value == "(":
                depth += 1
            elif token.kind == PUNCT and token.value == ")":
                depth -= 1
                if depth <= 0:
                    return

    def group(self) -> list[Token]:
        """At `(`: the tokens inside the parentheses, cursor moved past `)`."""
        start = self.pos + 1
        self.skip_group()
        end = self.pos - 1 if self.pos - 1 >= start else start
        return self.tokens[start:end]

    @property
    def rest(self) -> list[Token]:
        return self.tokens[self.pos :]


def top_level(tokens: list[Token]) -> Iterator[tuple[int, Token]]:
    """(index, token) for tokens outside any parentheses."""
    depth = 0
    for index, token in enumerate(tokens):
        if token.kind == PUNCT and token.value == "(":
            depth += 1
        elif token.kind == PUNCT and token.value == ")":
            depth -= 1
        elif depth == 0:
            yield index, token


def split_commas(tokens: list[Token]) -> list[list[Token]]:
    """Split a token list at its top-level commas (column lists, table bodies)."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == PUNCT and token.value == "(":
            depth += 1
        elif token.kind == PUNCT and token.value == ")":
            depth -= 1
        if depth == 0 and token.kind == PUNCT and token.value == ",":
            parts.append([])
            continue
        parts[-1].append(token)
    return [part for part in parts if part]
