"""SQLite's CREATE TABLE / INDEX / VIEW / TRIGGER text, parsed once for every reader.

Inspection reads what the pragmas D1 allows do not report (CHECK constraints,
constraint names, collations, generated-column expressions, AUTOINCREMENT,
DEFERRABLE, expression-index terms, partial-index predicates) from the DDL stored
in `sqlite_schema`; lint reads columns, keys, foreign keys and CHECK enums from the
statements of a migration. Both use `parse_table_body`, over the one lexer's tokens,
which respects parentheses, strings, quoted identifiers and comments, so a comma or
keyword inside any of them is never mistaken for structure. Names are kept as
written (unquoted); callers fold case as their dialect compares.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from dbtool.sql.facts import EnumList
from dbtool.sql.lexer import (
    DOT,
    IDENT,
    LPAREN,
    STRING,
    WORD,
    Token,
    closing_paren,
    find_word,
    skip,
    split_top_level,
    tokenize,
)
from dbtool.sql.normalize import render

TABLE_CONSTRAINTS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})
COLUMN_CONSTRAINTS = frozenset({
    "CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
    "REFERENCES", "GENERATED", "AS",
})
_FK_WORDS = frozenset({"ON", "DELETE", "UPDATE", "SET", "NULL", "DEFAULT", "CASCADE", "RESTRICT",
                       "NO", "ACTION", "MATCH", "NOT", "DEFERRABLE", "INITIALLY", "DEFERRED",
                       "IMMEDIATE"})
_ACTIONS = (("SET", "NULL"), ("SET", "DEFAULT"), ("NO", "ACTION"), ("CASCADE",), ("RESTRICT",))


# The records the parser fills in are plain slotted classes, not dataclasses: migrate's D1
# check imports this module on every run, and each dataclass costs ~0.3 ms to define.


class ColumnDef:
    """One column definition; `type_tokens` is the declared type as written."""

    __slots__ = ("autoincrement", "collation", "generated", "name", "offset", "primary_key",
                 "type_tokens")

    def __init__(self, name: str, offset: int, type_tokens: Sequence[Token] = ()) -> None:
        self.name, self.offset, self.type_tokens = name, offset, type_tokens
        self.primary_key = self.autoincrement = False
        self.collation: str | None = None
        self.generated: str | None = None

    @property
    def declared_type(self) -> str:
        """The declared type upper-cased, a parenthesised group spelled `(a , b)`."""
        parts: list[str] = []
        tokens, i = self.type_tokens, 0
        while i < len(tokens):
            if tokens[i].kind == LPAREN:
                end = closing_paren(tokens, i)
                parts.append("(" + " ".join(t.text for t in tokens[i + 1 : end]) + ")")
                i = end + 1
            else:
                parts.append(tokens[i].text)
                i += 1
        return " ".join(parts).upper()


class ForeignKeyDef:
    """A foreign key: child columns, parent table and columns as written, its ON DELETE action."""

    __slots__ = ("columns", "deferrable", "initially_deferred", "name", "on_delete", "ref_columns",
                 "ref_table")

    def __init__(self, columns: tuple[str, ...], ref_table: str, name: str | None) -> None:
        self.columns, self.ref_table, self.name = columns, ref_table, name
        self.ref_columns: tuple[str, ...] = ()
        self.on_delete = "no action"
        self.deferrable = self.initially_deferred = False


class CheckDef(NamedTuple):
    """A CHECK constraint; `tokens` are those inside its parentheses."""

    name: str | None
    tokens: Sequence[Token]

    @property
    def expression(self) -> str:
        return render(self.tokens, strip_parens=True)

    def enum_lists(self, table: str | None) -> list[EnumList]:
        """`col [NOT] IN ('a', 'b', ...)` lists of string literals (names lower-cased)."""
        tokens, found = self.tokens, []
        for index, token in enumerate(tokens):
            if not token.is_word("IN") or index + 1 >= len(tokens) or tokens[index + 1].kind != LPAREN:
                continue
            end = closing_paren(tokens, index + 1)
            items = split_top_level(tokens[index + 2 : end])
            if not items or not all(len(i) == 1 and i[0].kind == STRING for i in items):
                continue
            before = index - 2 if index >= 1 and tokens[index - 1].is_word("NOT") else index - 1
            column = tokens[before].name if before >= 0 and tokens[before].is_name else None
            found.append(EnumList(table, column, tuple(i[0].value for i in items), items[0][0].start))
        return found


class TableDef:
    """What a CREATE TABLE body declares. `by_name` and `unique_names` are keyed by
    lower-cased names (SQLite compares names case-insensitively)."""

    __slots__ = ("by_name", "checks", "columns", "foreign_keys", "options", "pk_name",
                 "primary_key", "unique_names")

    def __init__(self) -> None:
        self.columns: list[ColumnDef] = []
        self.by_name: dict[str, ColumnDef] = {}
        self.checks: list[CheckDef] = []
        self.primary_key: tuple[str, ...] = ()  # a table-level PRIMARY KEY (...)
        self.pk_name: str | None = None
        self.unique_names: dict[tuple[str, ...], str] = {}
        self.foreign_keys: list[ForeignKeyDef] = []
        self.options: tuple[str, ...] = ()


def _names(tokens: Sequence[Token]) -> tuple[str, ...]:
    """`(a COLLATE x DESC, "b")` contents -> ('a', 'b')."""
    return tuple(part[0].unquoted for part in split_top_level(tokens))


# --- CREATE TABLE -------------------------------------------------------------


def parse_table_body(tokens: Sequence[Token], start: int) -> TableDef:
    """The definitions inside the parentheses opening at `start`, and the table options
    after them (STRICT, WITHOUT ROWID)."""
    table = TableDef()
    end = closing_paren(tokens, start)
    for definition in split_top_level(tokens[start + 1 : end]):
        if definition[0].kind == WORD and definition[0].value in TABLE_CONSTRAINTS:
            _table_constraint(table, definition)
        else:
            add_column(table, definition)
    options = split_top_level(tokens[end + 1 :])
    table.options = tuple(sorted(" ".join(t.text.upper() for t in o) for o in options))
    return table


def parse_create_table(sql: str | None) -> TableDef:
    """Parse a stored CREATE TABLE statement; unknown shapes yield an empty result."""
    tokens = tokenize(sql or "")
    start = next((i for i, t in enumerate(tokens) if t.kind == LPAREN), -1)
    if start < 0 or find_word(tokens[:start], "AS") >= 0 or find_word(tokens, "VIRTUAL") >= 0:
        return TableDef()
    return parse_table_body(tokens, start)


def add_column(table: TableDef, tokens: Sequence[Token]) -> ColumnDef:
    """Parse `name type constraints...` into `table` (also ALTER TABLE ... ADD COLUMN)."""
    i, n = 1, len(tokens)
    while i < n and not (tokens[i].kind == WORD and tokens[i].value in COLUMN_CONSTRAINTS):
        i = skip(tokens, i)
    column = ColumnDef(tokens[0].unquoted, tokens[0].start, tokens[1:i])
    table.columns.append(column)
    table.by_name[column.name.lower()] = column
    pending: str | None = None
    while i < n:
        t = tokens[i]
        if t.is_word("CONSTRAINT") and i + 1 < n:
            pending, i = tokens[i + 1].unquoted, i + 2
            continue
        i = _column_clause(table, column, tokens, i, pending)
        if t.kind == WORD and t.value in COLUMN_CONSTRAINTS:
            pending = None  # a name belongs to the one constraint that follows it
    return column


def _column_clause(table: TableDef, col: ColumnDef, tokens: Sequence[Token], i: int,
                   name: str | None) -> int:
    """Read one clause at `i`; returns the position after it."""
    t = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if t.kind != WORD:
        return skip(tokens, i)
    word = t.value
    if word == "PRIMARY":
        col.primary_key = True
        table.pk_name = name
    elif word == "UNIQUE" and name:
        table.unique_names[(col.name.lower(),)] = name
    elif word == "AUTOINCREMENT":
        col.autoincrement = True
    elif word == "COLLATE" and nxt is not None:
        col.collation = nxt.unquoted.upper()
        return i + 2
    elif word in ("CHECK", "AS") and nxt is not None and nxt.kind == LPAREN:
        end = closing_paren(tokens, i + 1)
        if word == "CHECK":
            table.checks.append(CheckDef(name, tokens[i + 2 : end]))
        else:
            col.generated = render(tokens[i + 2 : end], strip_parens=True)
        return end + 1
    elif word == "DEFAULT" and nxt is not None:
        return skip(tokens, i + 2 if nxt.text in ("+", "-") and i + 2 < len(tokens) else i + 1)
    elif word == "REFERENCES":
        fk, end = _references(tokens, i, (col.name,), name)
        table.foreign_keys.append(fk)
        return end
    return skip(tokens, i)


def _table_constraint(table: TableDef, tokens: Sequence[Token]) -> None:
    name = None
    if tokens[0].is_word("CONSTRAINT") and len(tokens) > 1:
        name, tokens = tokens[1].unquoted, tokens[2:]
    group = next((i for i, t in enumerate(tokens) if t.kind == LPAREN), -1)
    if group < 0:
        return
    end = closing_paren(tokens, group)
    inner = tokens[group + 1 : end]
    head = tokens[0]
    if head.is_word("PRIMARY"):
        table.pk_name = name
        table.primary_key = _names(inner)
    elif head.is_word("UNIQUE") and name:
        table.unique_names[tuple(n.lower() for n in _names(inner))] = name
    elif head.is_word("CHECK"):
        table.checks.append(CheckDef(name, inner))
    elif head.is_word("FOREIGN"):
        ref = find_word(tokens, "REFERENCES", end + 1)
        if ref >= 0:
            table.foreign_keys.append(_references(tokens, ref, _names(inner), name)[0])


def _references(tokens: Sequence[Token], i: int, columns: tuple[str, ...],
                name: str | None) -> tuple[ForeignKeyDef, int]:
    """Parse `REFERENCES tbl [(cols)] [ON DELETE|UPDATE action] [MATCH x] [[NOT] DEFERRABLE
    [INITIALLY …]]` at `i`; returns the key and the position after it."""
    n = len(tokens)
    i += 1
    while i + 2 < n and tokens[i + 1].kind == DOT:
        i += 2  # schema-qualified parent: keep the table name
    fk = ForeignKeyDef(columns, tokens[i].unquoted if i < n else "", name)
    i += 1
    if i < n and tokens[i].kind == LPAREN:
        end = closing_paren(tokens, i)
        fk.ref_columns = _names(tokens[i + 1 : end])
        i = end + 1
    negated = False
    while i < n and _fk_word(tokens, i):
        t = tokens[i]
        if t.is_word("ON") and i + 1 < n and tokens[i + 1].is_word("DELETE", "UPDATE"):
            event = tokens[i + 1].value
            action, i = _action(tokens, i + 2)
            if event == "DELETE":
                fk.on_delete = action
            negated = False
            continue
        if t.is_word("DEFERRABLE"):
            fk.deferrable = not negated
        elif t.is_word("DEFERRED"):
            fk.initially_deferred = fk.deferrable
        negated = t.is_word("NOT")
        i += 1
    return fk, i


def _action(tokens: Sequence[Token], i: int) -> tuple[str, int]:
    """The referential action at `i` (lower-case) and the position after it."""
    for words in _ACTIONS:
        if all(i + k < len(tokens) and tokens[i + k].is_word(w) for k, w in enumerate(words)):
            return " ".join(words).lower(), i + len(words)
    return "no action", min(i + 1, len(tokens))


def _fk_word(tokens: Sequence[Token], i: int) -> bool:
    t = tokens[i]
    if t.kind != WORD:
        return False
    return t.value in _FK_WORDS or tokens[i - 1].is_word("MATCH")


# --- CREATE INDEX / VIEW / TRIGGER -----------------------------------------------


class IndexTerm(NamedTuple):
    """One key of an index: a column name, or an expression in canonical text."""

    text: str
    is_column: bool


class TriggerDDL(NamedTuple):
    """What a stored CREATE TRIGGER says beyond the catalog's name and table."""

    timing: str
    events: tuple[str, ...]
    columns: tuple[str, ...]
    condition: str | None
    body: str


def parse_create_index(sql: str | None) -> tuple[list[IndexTerm], str | None]:
    """Index terms (expressions in canonical text) and the partial-index predicate."""
    tokens = tokenize(sql or "")
    on = find_word(tokens, "ON")
    start = next((i for i in range(max(on, 0), len(tokens)) if tokens[i].kind == LPAREN), -1)
    if on < 0 or start < 0:
        return [], None
    end = closing_paren(tokens, start)
    terms = [_index_term(part) for part in split_top_level(tokens[start + 1 : end])]
    rest = tokens[end + 1 :]
    where = render(rest[1:], strip_parens=True) if rest and rest[0].is_word("WHERE") else None
    return terms, where


def _index_term(tokens: Sequence[Token]) -> IndexTerm:
    if tokens and tokens[-1].is_word("ASC", "DESC"):
        tokens = tokens[:-1]
    if len(tokens) >= 2 and tokens[-2].is_word("COLLATE"):
        tokens = tokens[:-2]
    if len(tokens) == 1 and tokens[0].kind in (WORD, IDENT):
        return IndexTerm(tokens[0].unquoted, True)
    return IndexTerm(render(tokens, strip_parens=True), False)


def parse_create_view(sql: str | None) -> str:
    """The view's query in canonical text (what follows the top-level AS)."""
    tokens = tokenize(sql or "")
    at = find_word(tokens, "AS")
    return render(tokens[at + 1 :]) if at >= 0 else render(tokens)


def parse_create_trigger(sql: str | None) -> TriggerDDL:
    """Timing, events, UPDATE OF columns, WHEN condition and body of a SQLite trigger."""
    tokens = tokenize(sql or "")
    on = find_word(tokens, "ON")
    begin = find_word(tokens, "BEGIN", max(on, 0))
    head = tokens[:on] if on >= 0 else tokens
    timing = "BEFORE"
    if any(t.is_word("AFTER") for t in head):
        timing = "AFTER"
    elif any(t.is_word("INSTEAD") for t in head):
        timing = "INSTEAD OF"
    at = next((i for i, t in enumerate(head) if t.is_word("INSERT", "UPDATE", "DELETE")), -1)
    event = head[at].value if at >= 0 else ""
    columns: tuple[str, ...] = ()
    if event == "UPDATE" and at + 1 < len(head) and head[at + 1].is_word("OF"):
        columns = tuple(sorted(t.unquoted for t in head[at + 2 :] if t.kind in (WORD, IDENT)))
    when = find_word(tokens, "WHEN", max(on, 0))
    condition = render(tokens[when + 1 : begin], strip_parens=True) if 0 <= when < begin else None
    end = len(tokens) - 1 if tokens and tokens[-1].is_word("END") else len(tokens)
    body = render(tokens[begin + 1 : end]) if begin >= 0 else ""
    return TriggerDDL(timing, (event,) if event else (), columns, condition, body)
