"""Facts SQLite keeps only in the DDL text of `sqlite_schema`.

The pragmas D1 allows report columns, indexes and foreign keys, but not CHECK
constraints, constraint names, collations, generated-column expressions,
AUTOINCREMENT, DEFERRABLE, expression-index terms or partial-index predicates.
Those are read here from the stored CREATE statements with a small tokenizer
(`normalize.tokenize`) that respects parentheses, strings, quoted identifiers
and comments, so a comma or keyword inside any of them is never mistaken for
structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .normalize import Token, render, significant, split_top_level, tokenize, unquote

_TABLE_CONSTRAINTS = ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN")
_COLUMN_CONSTRAINTS = (
    "CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
    "REFERENCES", "GENERATED", "AS",
)
_FK_WORDS = ("ON", "DELETE", "UPDATE", "SET", "NULL", "DEFAULT", "CASCADE", "RESTRICT",
             "NO", "ACTION", "MATCH", "NOT", "DEFERRABLE", "INITIALLY", "DEFERRED",
             "IMMEDIATE")


@dataclass(slots=True)
class ColumnDDL:
    name: str
    collation: str | None = None
    generated: str | None = None
    autoincrement: bool = False


@dataclass(slots=True)
class ForeignKeyDDL:
    columns: tuple[str, ...]
    ref_table: str
    name: str | None = None
    deferrable: bool = False
    initially_deferred: bool = False


@dataclass(slots=True)
class TableDDL:
    """What the CREATE TABLE text adds to the pragmas (names lower-cased for matching)."""

    columns: dict[str, ColumnDDL] = field(default_factory=dict)
    checks: list[tuple[str | None, str]] = field(default_factory=list)
    pk_name: str | None = None
    unique_names: dict[tuple[str, ...], str] = field(default_factory=dict)
    foreign_keys: list[ForeignKeyDDL] = field(default_factory=list)
    options: tuple[str, ...] = ()


@dataclass(slots=True)
class IndexTerm:
    text: str
    is_column: bool


@dataclass(slots=True)
class TriggerDDL:
    timing: str
    events: tuple[str, ...]
    columns: tuple[str, ...]
    condition: str | None
    body: str


def _match(tokens: list[Token], start: int) -> int:
    """Index of the parenthesis closing the one at `start`."""
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i].kind == "lparen":
            depth += 1
        elif tokens[i].kind == "rparen":
            depth -= 1
            if depth == 0:
                return i
    return len(tokens) - 1


def _skip(tokens: list[Token], i: int) -> int:
    """Position after the token at `i`, a parenthesised group counting as one."""
    return _match(tokens, i) + 1 if tokens[i].kind == "lparen" else i + 1


def _find_word(tokens: list[Token], word: str, start: int = 0) -> int:
    i = start
    while i < len(tokens):
        if tokens[i].is_word(word):
            return i
        i = _skip(tokens, i)
    return -1


def _name_list(tokens: list[Token]) -> tuple[str, ...]:
    """`(a COLLATE x DESC, "b")` contents -> ('a', 'b')."""
    return tuple(unquote(part[0].text) for part in split_top_level(tokens))


def _lower(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n.lower() for n in names)


# --- CREATE TABLE -------------------------------------------------------------


def parse_create_table(sql: str | None) -> TableDDL:
    """Parse a stored CREATE TABLE statement; unknown shapes yield an empty result."""
    ddl = TableDDL()
    tokens = significant(tokenize(sql or ""))
    start = next((i for i, t in enumerate(tokens) if t.kind == "lparen"), -1)
    if start < 0 or _find_word(tokens[:start], "AS") >= 0 or _find_word(tokens, "VIRTUAL") >= 0:
        return ddl
    end = _match(tokens, start)
    for definition in split_top_level(tokens[start + 1:end]):
        if definition[0].is_word(*_TABLE_CONSTRAINTS):
            _table_constraint(ddl, definition)
        else:
            _column_definition(ddl, definition)
    options = split_top_level(tokens[end + 1:])
    ddl.options = tuple(sorted(" ".join(t.text.upper() for t in o) for o in options))
    return ddl


def _column_definition(ddl: TableDDL, tokens: list[Token]) -> None:
    col = ColumnDDL(unquote(tokens[0].text))
    ddl.columns[col.name.lower()] = col
    i = 1
    while i < len(tokens) and not tokens[i].is_word(*_COLUMN_CONSTRAINTS):
        i = _skip(tokens, i)
    pending: str | None = None
    while i < len(tokens):
        t = tokens[i]
        if t.is_word("CONSTRAINT") and i + 1 < len(tokens):
            pending, i = unquote(tokens[i + 1].text), i + 2
            continue
        i = _column_clause(ddl, col, tokens, i, pending)
        if t.is_word(*_COLUMN_CONSTRAINTS):
            pending = None  # a name belongs to the one constraint that follows it


def _column_clause(ddl: TableDDL, col: ColumnDDL, tokens: list[Token], i: int,
                   name: str | None) -> int:
    t = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if t.is_word("PRIMARY"):
        ddl.pk_name = name
    elif t.is_word("UNIQUE") and name:
        ddl.unique_names[(col.name.lower(),)] = name
    elif t.is_word("AUTOINCREMENT"):
        col.autoincrement = True
    elif t.is_word("COLLATE") and nxt is not None:
        col.collation = unquote(nxt.text).upper()
        return i + 2
    elif t.is_word("CHECK") and nxt is not None and nxt.kind == "lparen":
        end = _match(tokens, i + 1)
        ddl.checks.append((name, render(tokens[i + 2:end], strip_parens=True)))
        return end + 1
    elif t.is_word("AS") and nxt is not None and nxt.kind == "lparen":
        end = _match(tokens, i + 1)
        col.generated = render(tokens[i + 2:end], strip_parens=True)
        return end + 1
    elif t.is_word("DEFAULT") and nxt is not None:
        return _skip(tokens, i + 2 if nxt.text in ("+", "-") else i + 1)
    elif t.is_word("REFERENCES"):
        fk, end = _references(tokens, i, (col.name,), name)
        ddl.foreign_keys.append(fk)
        return end
    return _skip(tokens, i)


def _table_constraint(ddl: TableDDL, tokens: list[Token]) -> None:
    name = None
    if tokens[0].is_word("CONSTRAINT") and len(tokens) > 1:
        name, tokens = unquote(tokens[1].text), tokens[2:]
    if not tokens:
        return
    group = next((i for i, t in enumerate(tokens) if t.kind == "lparen"), -1)
    if group < 0:
        return
    end = _match(tokens, group)
    inner = tokens[group + 1:end]
    head = tokens[0]
    if head.is_word("PRIMARY"):
        ddl.pk_name = name
    elif head.is_word("UNIQUE") and name:
        ddl.unique_names[_lower(_name_list(inner))] = name
    elif head.is_word("CHECK"):
        ddl.checks.append((name, render(inner, strip_parens=True)))
    elif head.is_word("FOREIGN"):
        ref = _find_word(tokens, "REFERENCES", end + 1)
        if ref >= 0:
            ddl.foreign_keys.append(_references(tokens, ref, _name_list(inner), name)[0])


def _references(tokens: list[Token], i: int, columns: tuple[str, ...],
                name: str | None) -> tuple[ForeignKeyDDL, int]:
    """Parse `REFERENCES tbl [(cols)] [actions] [[NOT] DEFERRABLE [INITIALLY …]]`."""
    i += 1
    while i + 2 < len(tokens) and tokens[i + 1].kind == "dot":
        i += 2  # schema-qualified parent: keep the table name
    fk = ForeignKeyDDL(columns=columns, ref_table=unquote(tokens[i].text) if i < len(tokens) else "", name=name)
    i += 1
    if i < len(tokens) and tokens[i].kind == "lparen":
        i = _match(tokens, i) + 1
    negated = False
    while i < len(tokens) and _fk_word(tokens, i):
        t = tokens[i]
        if t.is_word("DEFERRABLE"):
            fk.deferrable = not negated
        elif t.is_word("DEFERRED"):
            fk.initially_deferred = fk.deferrable
        negated = t.is_word("NOT")
        i += 1
    return fk, i


def _fk_word(tokens: list[Token], i: int) -> bool:
    after_match = tokens[i].kind == "word" and tokens[i - 1].is_word("MATCH")
    return tokens[i].is_word(*_FK_WORDS) or after_match


# --- CREATE INDEX / VIEW / TRIGGER -----------------------------------------------


def parse_create_index(sql: str | None) -> tuple[list[IndexTerm], str | None]:
    """Index terms (expressions in canonical text) and the partial-index predicate."""
    tokens = significant(tokenize(sql or ""))
    on = _find_word(tokens, "ON")
    start = next((i for i in range(max(on, 0), len(tokens)) if tokens[i].kind == "lparen"), -1)
    if on < 0 or start < 0:
        return [], None
    end = _match(tokens, start)
    terms = [_index_term(part) for part in split_top_level(tokens[start + 1:end])]
    rest = tokens[end + 1:]
    where = render(rest[1:], strip_parens=True) if rest and rest[0].is_word("WHERE") else None
    return terms, where


def _index_term(tokens: list[Token]) -> IndexTerm:
    if tokens and tokens[-1].is_word("ASC", "DESC"):
        tokens = tokens[:-1]
    if len(tokens) >= 2 and tokens[-2].is_word("COLLATE"):
        tokens = tokens[:-2]
    simple = len(tokens) == 1 and tokens[0].kind in ("word", "ident")
    if simple:
        return IndexTerm(unquote(tokens[0].text), True)
    return IndexTerm(render(tokens, strip_parens=True), False)


def parse_create_view(sql: str | None) -> str:
    """The view's query in canonical text (what follows the top-level AS)."""
    tokens = significant(tokenize(sql or ""))
    at = _find_word(tokens, "AS")
    return render(tokens[at + 1:]) if at >= 0 else render(tokens)


def parse_create_trigger(sql: str | None) -> TriggerDDL:
    """Timing, events, UPDATE OF columns, WHEN condition and body of a SQLite trigger."""
    tokens = significant(tokenize(sql or ""))
    on = _find_word(tokens, "ON")
    begin = _find_word(tokens, "BEGIN", max(on, 0))
    head = tokens[:on] if on >= 0 else tokens
    timing = "BEFORE"
    if any(t.is_word("AFTER") for t in head):
        timing = "AFTER"
    elif any(t.is_word("INSTEAD") for t in head):
        timing = "INSTEAD OF"
    at = next((i for i, t in enumerate(head) if t.is_word("INSERT", "UPDATE", "DELETE")), -1)
    event = head[at].text.upper() if at >= 0 else ""
    columns: tuple[str, ...] = ()
    if event == "UPDATE" and at + 1 < len(head) and head[at + 1].is_word("OF"):
        columns = tuple(sorted(unquote(t.text) for t in head[at + 2:] if t.kind in ("word", "ident")))
    when = _find_word(tokens, "WHEN", max(on, 0))
    condition = render(tokens[when + 1:begin], strip_parens=True) if 0 <= when < begin else None
    end = len(tokens) - 1 if tokens and tokens[-1].is_word("END") else len(tokens)
    body = render(tokens[begin + 1:end]) if begin >= 0 else ""
    return TriggerDDL(timing, (event,) if event else (), columns, condition, body)
