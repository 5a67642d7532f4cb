"""Structure of one SQLite/D1 statement, read from its tokens.

`analyze` recognises the statement kinds the lint rules care about (CREATE,
ALTER, DROP, INSERT, UPDATE, DELETE, PRAGMA, transaction control, ATTACH) and
pulls out the parts they inspect. Anything else is kind "other": the rules
ignore it rather than guess. Names are lower-cased, as SQLite compares them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dbtool.lint.facts import EnumList, ForeignKey, IntegerKey
from dbtool.lint.sqlite_tokens import (
    IDENT,
    PUNCT,
    STRING,
    WORD,
    Cursor,
    Token,
    split_commas,
    tokenize,
    top_level,
)

TRANSACTION_VERBS = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})
_COLUMN_CONSTRAINTS = frozenset({
    "CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
    "REFERENCES", "GENERATED", "AS",
})
_TABLE_CONSTRAINTS = frozenset({"PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})
_MAIN_VERBS = frozenset({"INSERT", "REPLACE", "UPDATE", "DELETE", "SELECT"})


@dataclass(frozen=True)
class Column:
    """A column definition (CREATE TABLE body or ALTER TABLE ADD COLUMN)."""

    name: str
    type: str
    offset: int
    primary_key: bool = False
    autoincrement: bool = False


@dataclass
class SqliteStatement:
    """What the rules need to know about one statement."""

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
    columns: list[Column] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)  # a table-level PRIMARY KEY (...)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    enum_lists: list[EnumList] = field(default_factory=list)
    alter: str | None = None  # rename_table | rename_column | add_column | drop_column
    old_name: str | None = None
    new_name: str | None = None
    index_table: str | None = None
    has_where: bool = False
    set_columns: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    pragma_name: str | None = None
    pragma_value: str | None = None

    @property
    def integer_keys(self) -> list[IntegerKey]:
        """Integer surrogate keys: INTEGER PRIMARY KEY (a rowid alias), with or without AUTOINCREMENT."""
        table = self.name or ""
        keys = []
        for column in self.columns:
            primary = column.primary_key or self.primary_key == [column.name]
            if column.autoincrement:
                keys.append(IntegerKey(table, column.name, "INTEGER AUTOINCREMENT", column.offset))
            elif primary and column.type == "INTEGER":
                keys.append(IntegerKey(table, column.name, "INTEGER PRIMARY KEY", column.offset))
        return keys

    @property
    def created_names(self) -> list[tuple[str, int]]:
        """Names of objects this statement brings into being, with their offsets."""
        if self.kind.startswith("create_") and self.name:
            return [(self.name, self.name_offset)]
        if self.alter == "rename_table" and self.new_name:
            return [(self.new_name, self.name_offset)]
        return []


def analyze(sql: str) -> SqliteStatement:
    """Recognise `sql`; never raises (an unknown shape is kind "other")."""
    tokens = tokenize(sql)
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


def _qualified(cursor: Cursor) -> tuple[str | None, str | None, int]:
    """[schema.]name at the cursor -> (schema, name, offset)."""
    token = cursor.next()
    if token is None or not token.is_name:
        return None, None, token.start if token else 0
    dot = cursor.peek()
    if dot is not None and dot.kind == PUNCT and dot.value == "." and cursor.peek(1) is not None:
        cursor.next()
        name = cursor.next()
        return token.name, name.name if name else None, name.start if name else token.start
    return None, token.name, token.start


def _simple(kind: str):
    def handle(facts: SqliteStatement, cursor: Cursor) -> None:
        facts.kind = kind
    return handle


def _pragma(facts: SqliteStatement, cursor: Cursor) -> None:
    facts.kind = "pragma"
    cursor.next()
    facts.schema, facts.pragma_name, facts.name_offset = _qualified(cursor)
    value = [t.value if t.kind == STRING else t.text for t in cursor.rest
             if not (t.kind == PUNCT or t.text == "=")]
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
    facts.schema, facts.name, facts.name_offset = _qualified(cursor)
    facts.temp = facts.temp or facts.schema == "temp"
    if kind.value == "TABLE" and not virtual:
        _table_definition(facts, cursor)
    elif kind.value == "INDEX" and cursor.accept("ON"):
        facts.index_table = _qualified(cursor)[1]


def _table_definition(facts: SqliteStatement, cursor: Cursor) -> None:
    if cursor.accept("AS"):
        facts.sources = _sources(cursor.rest)
        return
    if cursor.at_punct("("):
        for item in split_commas(cursor.group()):
            _table_item(facts, item)


def _table_item(facts: SqliteStatement, item: list[Token]) -> None:
    cursor = Cursor(item)
    if cursor.accept("CONSTRAINT"):
        cursor.next()
    token = cursor.peek()
    if token is None:
        return
    if token.kind == WORD and token.value in _TABLE_CONSTRAINTS:
        _table_constraint(facts, cursor)
        return
    column = _column(facts, cursor)
    if column is not None:
        facts.columns.append(column)


def _table_constraint(facts: SqliteStatement, cursor: Cursor) -> None:
    word = cursor.next()
    assert word is not None
    if word.value == "CHECK" and cursor.at_punct("("):
        facts.enum_lists.extend(_enum_lists(cursor.group(), facts.name))
    elif word.value == "PRIMARY" and cursor.accept("KEY") and cursor.at_punct("("):
        facts.primary_key = _names(cursor.group())
    elif word.value == "FOREIGN" and cursor.accept("KEY") and cursor.at_punct("("):
        columns = _names(cursor.group())
        if cursor.accept("REFERENCES"):
            facts.foreign_keys.append(_references(cursor, facts.name or "", columns))


def _column(facts: SqliteStatement, cursor: Cursor) -> Column | None:
    """Parse `name type constraints...`; records its FKs and enum CHECKs on `facts`."""
    name = cursor.next()
    if name is None or not name.is_name:
        return None
    type_parts: list[str] = []
    while (token := cursor.peek()) is not None and not token.is_word(*_COLUMN_CONSTRAINTS):
        if cursor.at_punct("("):
            type_parts.append("(" + " ".join(t.text for t in cursor.group()) + ")")
            continue
        type_parts.append(token.text)
        cursor.next()
    primary = autoincrement = False
    while (token := cursor.next()) is not None:
        if token.is_word("PRIMARY"):
            primary = True
        elif token.is_word("AUTOINCREMENT"):
            autoincrement = True
        elif token.is_word("REFERENCES"):
            facts.foreign_keys.append(_references(cursor, facts.name or "", (name.name,)))
        elif token.is_word("CHECK") and cursor.at_punct("("):
            facts.enum_lists.extend(_enum_lists(cursor.group(), facts.name))
    return Column(name.name, " ".join(type_parts).upper(), name.start, primary, autoincrement)


def _references(cursor: Cursor, table: str, columns: tuple[str, ...] | list[str]) -> ForeignKey:
    """After REFERENCES: parent [(cols)] [ON DELETE action] [ON UPDATE ...] [MATCH x] ..."""
    parent = _qualified(cursor)[1] or ""
    parent_columns: tuple[str, ...] = ()
    if cursor.at_punct("("):
        parent_columns = tuple(_names(cursor.group()))
    on_delete = "no action"
    while cursor.at_word("ON", "MATCH"):
        if cursor.accept("MATCH"):
            cursor.next()
            continue
        cursor.next()
        event = cursor.next()
        action = _action(cursor)
        if event is not None and event.is_word("DELETE"):
            on_delete = action
    return ForeignKey(table, tuple(columns), parent, parent_columns, on_delete)


def _action(cursor: Cursor) -> str:
    for words in (("SET", "NULL"), ("SET", "DEFAULT"), ("NO", "ACTION"), ("CASCADE",), ("RESTRICT",)):
        if cursor.accept_all(*words):
            return " ".join(words).lower()
    cursor.next()
    return "no action"


def _names(tokens: list[Token]) -> list[str]:
    """The first name of each comma-separated item (column lists, index keys)."""
    return [part[0].name for part in split_commas(tokens) if part[0].is_name]


def _enum_lists(tokens: list[Token], table: str | None) -> list[EnumList]:
    """`col [NOT] IN ('a', 'b', ...)` lists of string literals inside a CHECK."""
    found: list[EnumList] = []
    for index, token in enumerate(tokens):
        if not token.is_word("IN") or index + 1 >= len(tokens):
            continue
        group = Cursor(tokens, index + 1)
        if not group.at_punct("("):
            continue
        items = split_commas(group.group())
        if not items or not all(len(i) == 1 and i[0].kind == STRING for i in items):
            continue
        before = index - 2 if index >= 1 and tokens[index - 1].is_word("NOT") else index - 1
        column = tokens[before].name if before >= 0 and tokens[before].is_name else None
        found.append(EnumList(table, column, tuple(i[0].value for i in items), items[0][0].start))
    return found


def _alter(facts: SqliteStatement, cursor: Cursor) -> None:
    cursor.next()
    if not cursor.accept("TABLE"):
        return
    facts.kind = "alter_table"
    facts.object_type = "TABLE"
    facts.schema, facts.name, facts.name_offset = _qualified(cursor)
    if cursor.accept("RENAME"):
        _alter_rename(facts, cursor)
    elif cursor.accept("ADD"):
        cursor.accept("COLUMN")
        facts.alter = "add_column"
        column = _column(facts, cursor)
        if column is not None:
            facts.columns.append(column)
            facts.new_name = column.name
    elif cursor.accept("DROP"):
        cursor.accept("COLUMN")
        facts.alter = "drop_column"
        token = cursor.next()
        facts.old_name = token.name if token is not None and token.is_name else None


def _alter_rename(facts: SqliteStatement, cursor: Cursor) -> None:
    if cursor.accept("TO"):
        facts.alter = "rename_table"
        facts.old_name = facts.name
        token = cursor.next()
        facts.new_name = token.name if token is not None and token.is_name else None
        return
    cursor.accept("COLUMN")
    old = cursor.next()
    cursor.accept("TO")
    new = cursor.next()
    facts.alter = "rename_column"
    facts.old_name = old.name if old is not None and old.is_name else None
    facts.new_name = new.name if new is not None and new.is_name else None


def _drop(facts: SqliteStatement, cursor: Cursor) -> None:
    cursor.next()
    kind = cursor.next()
    if kind is None or kind.kind != WORD:
        return
    facts.kind = "drop"
    facts.object_type = kind.value
    facts.if_exists = cursor.accept_all("IF", "EXISTS")
    facts.schema, facts.name, facts.name_offset = _qualified(cursor)


def _insert(facts: SqliteStatement, cursor: Cursor) -> None:
    facts.kind = "insert"
    cursor.next()
    if cursor.accept("OR"):
        cursor.next()
    cursor.accept("INTO")
    facts.schema, facts.name, facts.name_offset = _qualified(cursor)
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
    facts.schema, facts.name, facts.name_offset = _qualified(cursor)
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
    for part in split_commas(tokens[:end]):
        head = part[0]
        if head.kind == PUNCT and head.value == "(":
            columns.extend(t.name for t in part[1:] if t.kind in (WORD, IDENT))
            continue
        if head.is_name:
            columns.append(head.name)
    return columns


def _delete(facts: SqliteStatement, cursor: Cursor) -> None:
    facts.kind = "delete"
    cursor.next()
    cursor.accept("FROM")
    facts.schema, facts.name, facts.name_offset = _qualified(cursor)
    facts.has_where = _has_top_level(cursor.rest, "WHERE")


def _has_top_level(tokens: list[Token], word: str) -> bool:
    return any(token.is_word(word) for _, token in top_level(tokens))


_HANDLERS = {
    "PRAGMA": _pragma, "CREATE": _create, "ALTER": _alter, "DROP": _drop,
    "INSERT": _insert, "REPLACE": _insert, "UPDATE": _update, "DELETE": _delete,
    "ATTACH": _simple("attach"), "DETACH": _simple("detach"), "VACUUM": _simple("vacuum"),
    "SELECT": _simple("select"),
}
