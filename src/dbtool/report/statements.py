"""One migration statement -> the schema events it causes (pure, token based).

The "Migrations (in order)" table of a schema document says what each file
creates and alters. Typing that by hand is how such documents go stale, so it
is derived from the statements themselves: the splitter cuts a file, and this
small recogniser reads the leading keywords of each statement with the
inspector's tokenizer. It only needs the object names, never full parsing, so
unknown statements simply produce no event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dbtool.inspect.normalize import Token, significant, split_top_level, tokenize, unquote

# Words allowed between CREATE and the object type keyword.
_CREATE_MODIFIERS = frozenset({"OR", "REPLACE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL",
                               "LOCAL", "VIRTUAL", "UNIQUE", "CONSTRAINT", "MATERIALIZED",
                               "RECURSIVE", "TRUSTED", "PROCEDURAL"})
_ADD_CONSTRAINT = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE"})
_DEFAULT_SCHEMAS = {"postgres": "public", "sqlite": "main", "d1": "main"}


@dataclass(frozen=True)
class Event:
    """What one statement does. `kind` is create | drop | rename | alter | data |
    function | view | type | extension | publication. For `alter`, `detail` is the
    change (add, drop, rename, change: a column; index, trigger, policy, RLS,
    constraint, comment, grant, options: table-level); `names` carries the
    column(s), the new table name of a rename, or a publication's tables."""

    kind: str
    target: str
    detail: str = ""
    names: tuple[str, ...] = ()


class _Reader:
    """A cursor over a statement's significant tokens."""

    def __init__(self, tokens: Sequence[Token], dialect: str) -> None:
        self.tokens = list(tokens)
        self.i = 0
        self.fold = dialect == "postgres"  # Postgres folds unquoted names to lower case
        self.default_schema = _DEFAULT_SCHEMAS.get(dialect, "public")

    def peek(self, offset: int = 0) -> str:
        j = self.i + offset
        if j >= len(self.tokens):
            return ""
        tok = self.tokens[j]
        return tok.text.upper() if tok.kind == "word" else ""

    def accept(self, *words: str) -> bool:
        """Consume the words in sequence if they are next; else consume nothing."""
        if all(self.peek(k) == w for k, w in enumerate(words)):
            self.i += len(words)
            return True
        return False

    def skip_words(self, words: frozenset[str]) -> None:
        while self.peek() in words and self.peek():
            self.i += 1

    def if_exists(self) -> None:
        if not self.accept("IF", "NOT", "EXISTS"):
            self.accept("IF", "EXISTS")

    def name(self) -> str:
        """A possibly qualified object name; the default schema is left out."""
        parts: list[str] = []
        while self.i < len(self.tokens) and self.tokens[self.i].kind in ("word", "ident"):
            tok = self.tokens[self.i]
            text = unquote(tok.text) if tok.kind == "ident" else tok.text
            parts.append(text.lower() if self.fold and tok.kind == "word" else text)
            self.i += 1
            if self.i < len(self.tokens) and self.tokens[self.i].kind == "dot":
                self.i += 1
                continue
            break
        if len(parts) > 1 and parts[0].lower() == self.default_schema:
            parts = parts[1:]
        return ".".join(parts)

    def names(self) -> list[str]:
        """A comma-separated list of names (DROP TABLE a, b; ADD TABLE a, b)."""
        found = [self.name()]
        while self.i < len(self.tokens) and self.tokens[self.i].kind == "comma":
            self.i += 1
            found.append(self.name())
        return [n for n in found if n]

    def find_word(self, word: str) -> bool:
        """Move just past the next top-level `word`; False (and stay) if there is none."""
        depth = 0
        for j in range(self.i, len(self.tokens)):
            tok = self.tokens[j]
            depth += tok.kind == "lparen"
            depth -= tok.kind == "rparen"
            if depth == 0 and tok.kind == "word" and tok.text.upper() == word:
                self.i = j + 1
                return True
        return False

    def rest(self) -> list[Token]:
        return self.tokens[self.i:]


def statement_events(sql: str, dialect: str) -> list[Event]:
    """The events of one statement (empty for statements that change no object)."""
    reader = _Reader(significant(tokenize(sql)), dialect)
    first = reader.peek()
    reader.i = 1
    handler = _HANDLERS.get(first)
    return handler(reader) if handler else []


def _create(r: _Reader) -> list[Event]:
    r.skip_words(_CREATE_MODIFIERS)
    kind = r.peek()
    r.i += 1
    if kind == "TABLE":
        r.if_exists()
        return [Event("create", r.name())]
    if kind == "INDEX":
        return _on_table(r, "index")
    if kind == "TRIGGER":
        return _on_table(r, "trigger")
    if kind == "POLICY":
        return _on_table(r, "policy")
    simple = {"FUNCTION": "function", "PROCEDURE": "function", "VIEW": "view", "TYPE": "type",
              "EXTENSION": "extension"}
    if kind in simple:
        r.if_exists()
        return [Event(simple[kind], r.name())]
    if kind == "PUBLICATION":
        name = r.name()
        tables = r.names() if r.accept("FOR", "TABLE") else []
        return [Event("publication", name, "create", tuple(tables))]
    return []


def _on_table(r: _Reader, detail: str) -> list[Event]:
    """CREATE INDEX / TRIGGER / POLICY … ON table: an alter of that table."""
    if not r.find_word("ON"):
        return []
    r.accept("ONLY")
    table = r.name()
    return [Event("alter", table, detail)] if table else []


def _alter(r: _Reader) -> list[Event]:
    if r.accept("PUBLICATION"):
        name = r.name()
        op = r.peek().lower()
        r.i += 1
        r.accept("TABLE")
        return [Event("publication", name, op, tuple(r.names()))]
    if r.accept("POLICY"):
        return _on_table(r, "policy")
    if not r.accept("TABLE"):
        return []
    r.if_exists()
    r.accept("ONLY")
    table = r.name()
    return [e for action in split_top_level(r.rest()) if (e := _table_action(table, action, r))]


def _table_action(table: str, tokens: list[Token], parent: _Reader) -> Event | None:
    """One ALTER TABLE action (Postgres allows several, comma-separated)."""
    r = _Reader(tokens, "postgres" if parent.fold else "sqlite")
    r.default_schema = parent.default_schema
    if r.accept("RENAME", "TO"):
        return Event("rename", table, names=(r.name(),))
    if r.accept("RENAME"):
        if r.accept("CONSTRAINT"):
            return Event("alter", table, "constraint")
        r.accept("COLUMN")
        old = r.name()
        r.accept("TO")
        return Event("alter", table, "rename", (old, r.name()))
    if r.accept("ADD"):
        if r.peek() in _ADD_CONSTRAINT:
            return Event("alter", table, _constraint_kind(r))
        r.accept("COLUMN")
        r.if_exists()
        return Event("alter", table, "add", (r.name(),))
    if r.accept("DROP"):
        if r.accept("CONSTRAINT"):
            return Event("alter", table, "constraint")
        r.accept("COLUMN")
        r.if_exists()
        return Event("alter", table, "drop", (r.name(),))
    if r.accept("ALTER"):
        r.accept("COLUMN")
        return Event("alter", table, "change", (r.name(),))
    return Event("alter", table, _table_option(r))


def _words(r: _Reader) -> set[str]:
    return {t.text.upper() for t in r.tokens if t.kind == "word"}


def _constraint_kind(r: _Reader) -> str:
    words = _words(r)
    for word, kind in (("FOREIGN", "foreign key"), ("REFERENCES", "foreign key"),
                       ("PRIMARY", "primary key"), ("UNIQUE", "unique"), ("CHECK", "check")):
        if word in words:
            return kind
    return "constraint"


def _table_option(r: _Reader) -> str:
    words = _words(r)
    if "SECURITY" in words:
        return "RLS"
    if "TRIGGER" in words:
        return "trigger"
    if "REPLICA" in words:
        return "replica identity"
    return "options"


def _drop(r: _Reader) -> list[Event]:
    if r.accept("TABLE"):
        r.if_exists()
        return [Event("drop", name) for name in r.names()]
    if r.peek() in ("TRIGGER", "POLICY"):
        detail = r.peek().lower()
        r.i += 1
        return _on_table(r, detail)
    return []


def _comment(r: _Reader) -> list[Event]:
    if not r.accept("ON"):
        return []
    if r.accept("TABLE"):
        return [Event("alter", r.name(), "comment")]
    if r.accept("COLUMN"):
        qualified = r.name()
        table = qualified.rpartition(".")[0]
        return [Event("alter", table, "comment")] if table else []
    return []


def _grant(r: _Reader) -> list[Event]:
    """GRANT / REVOKE … ON [TABLE] a, b: a privilege change on tables."""
    if not r.find_word("ON"):
        return []
    if r.peek() in ("FUNCTION", "FUNCTIONS", "SCHEMA", "SEQUENCE", "SEQUENCES", "ALL",
                    "DATABASE", "TYPE", "PROCEDURE", "ROUTINE", "LANGUAGE"):
        return []
    r.accept("TABLE")
    return [Event("alter", name, "grant") for name in r.names()]


def _insert(r: _Reader) -> list[Event]:
    r.skip_words(frozenset({"OR", "REPLACE", "IGNORE", "ABORT", "FAIL", "ROLLBACK"}))
    r.accept("INTO")
    return [Event("data", name)] if (name := r.name()) else []


def _update(r: _Reader) -> list[Event]:
    r.skip_words(frozenset({"OR", "REPLACE", "IGNORE", "ABORT", "FAIL", "ROLLBACK", "ONLY"}))
    return [Event("data", name)] if (name := r.name()) else []


def _delete(r: _Reader) -> list[Event]:
    r.accept("FROM")
    r.accept("ONLY")
    return [Event("data", name)] if (name := r.name()) else []


_HANDLERS = {
    "CREATE": _create, "ALTER": _alter, "DROP": _drop, "COMMENT": _comment,
    "GRANT": _grant, "REVOKE": _grant, "INSERT": _insert, "REPLACE": _insert,
    "UPDATE": _update, "DELETE": _delete,
}

__all__ = ["Event", "statement_events"]
