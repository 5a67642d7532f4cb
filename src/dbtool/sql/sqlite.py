"""What one SQLite/D1 statement does, read from its tokens.

`analyze` recognises the statement kinds lint and reports care about (CREATE,
ALTER, DROP, INSERT, UPDATE, DELETE, PRAGMA, transaction control, ATTACH) and
pulls out their parts; CREATE TABLE bodies and added columns go through the one
DDL parser (`sqlite_ddl`). Anything else is kind "other": readers ignore it
rather than guess. Names are lower-cased, as SQLite compares them; the `spelled_*`
fields keep them as written (unquoted, without the default schema `main`) for
reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from dbtool.sql.facts import DroppedTable, EnumList, ForeignKey, IntegerKey, Rename, RowWrite
from dbtool.sql.lexer import (
    DOT,
    LPAREN,
    NAMES,
    STRING,
    WORD,
    Token,
    closing_paren,
    find_word,
    split_top_level,
    tokenize,
    top_level,
)
from dbtool.sql.sqlite_ddl import ColumnDef, TableDef, add_column, parse_table_body

TRANSACTION_VERBS = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})
_MAIN_VERBS = frozenset({"INSERT", "REPLACE", "UPDATE", "DELETE", "SELECT"})
_PUNCTUATION = frozenset({"lparen", "rparen", "comma", "semicolon", "dot", "lbracket", "rbracket"})
_OFF = ("off", "0", "false", "no")  # PRAGMA foreign_keys values that switch it off
DEFAULT_SCHEMA = "main"


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

    @property
    def rest(self) -> list[Token]:
        return self.tokens[self.pos :]


class QualifiedName(NamedTuple):
    """`[schema.]name` as read: lower-cased for comparing, and as written for showing."""

    schema: str | None = None
    name: str | None = None
    offset: int = 0
    spelled: str = ""


def _qualified(cursor: Cursor) -> QualifiedName:
    """[schema.]name at the cursor."""
    token = cursor.next()
    if token is None or not token.is_name:
        return QualifiedName(offset=token.start if token else 0)
    dot = cursor.peek()
    if dot is not None and dot.kind == DOT and cursor.peek(1) is not None:
        cursor.next()
        name = cursor.next()
        assert name is not None
        spelled = name.unquoted if name.is_name else ""
        if token.name != DEFAULT_SCHEMA and spelled:
            spelled = f"{token.unquoted}.{spelled}"
        return QualifiedName(token.name, name.name, name.start, spelled)
    return QualifiedName(None, token.name, token.start, token.unquoted)


def _name(token: Token | None) -> tuple[str | None, str]:
    """A bare name token: (lower-cased, as written), or (None, "") when it is no name."""
    return (token.name, token.unquoted) if token is not None and token.is_name else (None, "")


@dataclass
class SqliteStatement:
    """What readers need to know about one statement."""

    sql: str
    tokens: list[Token]
    kind: str = "other"
    verb: str = ""
    object_type: str | None = None  # TABLE, INDEX, VIEW, TRIGGER for CREATE/DROP
    name: str | None = None  # the object created, altered, dropped or written
    schema: str | None = None
    name_offset: int = 0
    temp: bool = False
    if_exists: bool = False
    table: TableDef | None = None  # CREATE TABLE's body; ALTER TABLE ADD COLUMN's column
    alter: str | None = None  # rename_table | rename_column | add_column | drop_column
    old_name: str | None = None
    new_name: str | None = None
    index_table: str | None = None  # CREATE INDEX / TRIGGER ... ON this table
    has_where: bool = False
    set_columns: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    pragma_name: str | None = None
    pragma_value: str | None = None
    spelled_name: str = ""  # `name`, `old_name`, `new_name`, `index_table` as written
    spelled_old: str = ""
    spelled_new: str = ""
    spelled_on: str = ""
    error: str | None = None  # SQLite's own verdict comes from replay (dbtool.lint.sqlite_schema)
    error_offset: int = 0

    # -- facts (dbtool.sql.facts.StatementFacts) --------------------------------------

    @property
    def columns(self) -> list[ColumnDef]:
        return self.table.columns if self.table is not None else []

    @property
    def primary_key(self) -> list[str]:
        """The columns of a table-level PRIMARY KEY (...), lower-cased."""
        return [c.lower() for c in self.table.primary_key] if self.table is not None else []

    @cached_property
    def foreign_keys(self) -> list[ForeignKey]:
        table = self.name or ""
        return [ForeignKey(table, tuple(c.lower() for c in fk.columns), fk.ref_table.lower(),
                           tuple(c.lower() for c in fk.ref_columns), fk.on_delete)
                for fk in (self.table.foreign_keys if self.table is not None else ())]

    @cached_property
    def enum_lists(self) -> list[EnumList]:
        checks = self.table.checks if self.table is not None else ()
        return [found for check in checks for found in check.enum_lists(self.name)]

    @property
    def integer_keys(self) -> list[IntegerKey]:
        """Integer surrogate keys: INTEGER PRIMARY KEY (a rowid alias), with or without AUTOINCREMENT."""
        table = self.name or ""
        keys = []
        for column in self.columns:
            name = column.name.lower()
            primary = column.primary_key or self.primary_key == [name]
            if column.autoincrement:
                keys.append(IntegerKey(table, name, "INTEGER AUTOINCREMENT", column.offset))
            elif primary and column.declared_type == "INTEGER":
                keys.append(IntegerKey(table, name, "INTEGER PRIMARY KEY", column.offset))
        return keys

    @property
    def created_names(self) -> list[tuple[str, int]]:
        """Names of objects this statement brings into being, with their offsets."""
        if self.kind.startswith("create_") and self.name:
            return [(self.name, self.name_offset)]
        if self.alter == "rename_table" and self.new_name:
            return [(self.new_name, self.name_offset)]
        return []

    @property
    def created_tables(self) -> list[str]:
        return [self.name] if self.kind in _CREATES_TABLE and self.name else []

    @property
    def dropped_tables(self) -> list[DroppedTable]:
        if self.kind != "drop" or self.object_type != "TABLE" or not self.name:
            return []
        return [DroppedTable(self.name, self.name_offset, self.if_exists)]

    @property
    def renamed_tables(self) -> list[Rename]:
        if self.alter == "rename_table" and self.name and self.new_name:
            return [Rename(self.name, self.name, self.new_name, self.name_offset)]
        return []

    @property
    def renamed_columns(self) -> list[Rename]:
        if self.alter == "rename_column" and self.name and self.old_name and self.new_name:
            return [Rename(self.name, self.old_name, self.new_name, self.name_offset)]
        return []

    @property
    def added_columns(self) -> list[tuple[str, str]]:
        ok = self.alter == "add_column" and self.name and self.new_name
        return [(self.name, self.new_name)] if ok else []  # type: ignore[list-item]

    @property
    def dropped_columns(self) -> list[tuple[str, str]]:
        ok = self.alter == "drop_column" and self.name and self.old_name
        return [(self.name, self.old_name)] if ok else []  # type: ignore[list-item]

    @property
    def insert(self) -> RowWrite | None:
        if self.kind != "insert":
            return None
        return RowWrite(self.name or "", tuple(self.sources))

    @property
    def unfiltered_delete(self) -> RowWrite | None:
        return self._unfiltered("delete")

    @property
    def unfiltered_update(self) -> RowWrite | None:
        return self._unfiltered("update")

    def _unfiltered(self, kind: str) -> RowWrite | None:
        if self.kind == kind and not self.has_where and self.name:
            return RowWrite(self.name, columns=tuple(self.set_columns))
        return None

    @property
    def controls_transaction(self) -> bool:
        return self.kind == "transaction"

    @property
    def foreign_keys_setting(self) -> bool | None:
        if self.kind == "pragma" and self.pragma_name == "foreign_keys":
            return self.pragma_value not in _OFF
        return None

    @property
    def lock_timeout_setting(self) -> bool | None:
        return None


_CREATES_TABLE = ("create_table", "create_virtual_table")


def analyze(sql: str) -> SqliteStatement:
    """Recognise `sql`; never raises (an unknown shape is kind "other")."""
    tokens = tokenize(sql, sqlite=True)
    facts = SqliteStatement(sql, tokens)
    cursor = Cursor(tokens)
    first = cursor.peek()
    if first is None or first.kind != WORD:
        return facts
    if first.value == "WITH":
        cursor.pos = _main_verb_index(tokens)
        first = cursor.peek() or first
    facts.verb = first.value
    handler = _HANDLERS.get(first.value)
    if handler is not None:
        handler(facts, cursor)
    elif first.value in TRANSACTION_VERBS:
        facts.kind = "transaction"
    return facts


def _main_verb_index(tokens: list[Token]) -> int:
    """Index of the statement verb after a WITH clause's CTEs."""
    for index, token in top_level(tokens):
        if index and token.kind == WORD and token.value in _MAIN_VERBS:
            return index
    return 0


def _target(facts: SqliteStatement, cursor: Cursor) -> None:
    """The statement's object: [schema.]name at the cursor."""
    found = _qualified(cursor)
    facts.schema, facts.name, facts.name_offset = found.schema, found.name, found.offset
    facts.spelled_name = found.spelled


def _simple(kind: str):
    def handle(facts: SqliteStatement, cursor: Cursor) -> None:
        facts.kind = kind
    return handle


def _pragma(facts: SqliteStatement, cursor: Cursor) -> None:
    facts.kind = "pragma"
    cursor.next()
    found = _qualified(cursor)
    facts.schema, facts.pragma_name, facts.name_offset = found.schema, found.name, found.offset
    value = [t.value if t.kind == STRING else t.text for t in cursor.rest
             if not (t.kind in _PUNCTUATION or t.text == "=")]
    facts.pragma_value = "".join(value).lower() or None


def _create(facts: SqliteStatement, cursor: Cursor) -> None:
    cursor.next()
    facts.temp = cursor.accept("TEMP", "TEMPORARY")
    cursor.accept("UNIQUE")
    virtual = cursor.accept("VIRTUAL")
    kind = cursor.next()
    if kind is None or kind.kind != WORD:
        return
    facts.object_type = kind.value
    facts.kind = "create_virtual_table" if virtual else f"create_{kind.value.lower()}"
    cursor.accept_all("IF", "NOT", "EXISTS")
    _target(facts, cursor)
    facts.temp = facts.temp or facts.schema == "temp"
    if kind.value == "TABLE" and not virtual:
        _table_definition(facts, cursor)
    elif kind.value == "INDEX" and cursor.accept("ON"):
        _on_table(facts, cursor)
    elif kind.value == "TRIGGER":
        on = find_word(cursor.tokens, "ON", cursor.pos)
        if on >= 0:
            cursor.pos = on + 1
            _on_table(facts, cursor)


def _on_table(facts: SqliteStatement, cursor: Cursor) -> None:
    found = _qualified(cursor)
    facts.index_table, facts.spelled_on = found.name, found.spelled


def _table_definition(facts: SqliteStatement, cursor: Cursor) -> None:
    if cursor.accept("AS"):
        facts.sources = _sources(cursor.rest)
        return
    token = cursor.peek()
    if token is not None and token.kind == LPAREN:
        facts.table = parse_table_body(cursor.tokens, cursor.pos)


def _alter(facts: SqliteStatement, cursor: Cursor) -> None:
    cursor.next()
    if not cursor.accept("TABLE"):
        return
    facts.kind = "alter_table"
    facts.object_type = "TABLE"
    _target(facts, cursor)
    if cursor.accept("RENAME"):
        _alter_rename(facts, cursor)
    elif cursor.accept("ADD"):
        cursor.accept("COLUMN")
        facts.alter = "add_column"
        if cursor.peek() is not None:
            facts.table = TableDef()
            column = add_column(facts.table, cursor.rest)
            facts.new_name, facts.spelled_new = column.name.lower(), column.name
    elif cursor.accept("DROP"):
        cursor.accept("COLUMN")
        facts.alter = "drop_column"
        facts.old_name, facts.spelled_old = _name(cursor.next())


def _alter_rename(facts: SqliteStatement, cursor: Cursor) -> None:
    if cursor.accept("TO"):
        facts.alter = "rename_table"
        facts.old_name = facts.name
        facts.new_name, facts.spelled_new = _name(cursor.next())
        return
    cursor.accept("COLUMN")
    old = cursor.next()
    cursor.accept("TO")
    new = cursor.next()
    facts.alter = "rename_column"
    facts.old_name, facts.spelled_old = _name(old)
    facts.new_name, facts.spelled_new = _name(new)


def _drop(facts: SqliteStatement, cursor: Cursor) -> None:
    cursor.next()
    kind = cursor.next()
    if kind is None or kind.kind != WORD:
        return
    facts.kind = "drop"
    facts.object_type = kind.value
    facts.if_exists = cursor.accept_all("IF", "EXISTS")
    _target(facts, cursor)


def _insert(facts: SqliteStatement, cursor: Cursor) -> None:
    facts.kind = "insert"
    cursor.next()
    if cursor.accept("OR"):
        cursor.next()
    cursor.accept("INTO")
    _target(facts, cursor)
    facts.sources = _sources(cursor.rest)


def _sources(tokens: list[Token]) -> list[str]:
    """Tables read by a SELECT: the names after FROM and JOIN (sub-queries included)."""
    found = []
    for index, token in enumerate(tokens[:-1]):
        following = tokens[index + 1]
        if token.is_word("FROM", "JOIN") and following.is_name:
            found.append(following.name)
    return found


def _update(facts: SqliteStatement, cursor: Cursor) -> None:
    facts.kind = "update"
    cursor.next()
    if cursor.accept("OR"):
        cursor.next()
    _target(facts, cursor)
    rest = cursor.rest
    facts.has_where = _has_top_level(rest, "WHERE")
    for index, token in top_level(rest):
        if token.is_word("SET"):
            facts.set_columns = _assigned(rest[index + 1 :])
            break


def _assigned(tokens: list[Token]) -> list[str]:
    """Columns assigned by `SET a = 1, (b, c) = (...)` up to FROM/WHERE/RETURNING."""
    columns: list[str] = []
    end = next((i for i, t in top_level(tokens) if t.is_word("FROM", "WHERE", "RETURNING")),
               len(tokens))
    for part in split_top_level(tokens[:end]):
        head = part[0]
        if head.kind == LPAREN:
            close = closing_paren(part, 0)
            columns.extend(t.name for t in part[1:close] if t.kind in NAMES)
            continue
        if head.is_name:
            columns.append(head.name)
    return columns


def _delete(facts: SqliteStatement, cursor: Cursor) -> None:
    facts.kind = "delete"
    cursor.next()
    cursor.accept("FROM")
    _target(facts, cursor)
    facts.has_where = _has_top_level(cursor.rest, "WHERE")


def _has_top_level(tokens: list[Token], word: str) -> bool:
    return any(token.is_word(word) for _, token in top_level(tokens))


_HANDLERS = {
    "PRAGMA": _pragma, "CREATE": _create, "ALTER": _alter, "DROP": _drop,
    "INSERT": _insert, "REPLACE": _insert, "UPDATE": _update, "DELETE": _delete,
    "ATTACH": _simple("attach"), "DETACH": _simple("detach"), "VACUUM": _simple("vacuum"),
    "SELECT": _simple("select"),
}
