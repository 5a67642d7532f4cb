"""Random schemas and random edit sequences for the `dbtool diff` property tests.

A case is a few tables under its own name prefix (so many cases share one database
and one plan): keys of either kind, columns of each kind, defaults, NOT NULL, unique
constraints, checks, plain / unique / partial / multi-column indexes, foreign keys
with every ON DELETE action (two levels deep, and self-references), a view. Edits are
drawn from the list the issue names and written in the engine's own spelling (what
the inspector reports), so a correct plan leaves zero residual drift. Each edit
records what the rows must look like afterwards.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from dbtool.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    IndexColumn,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
    View,
)
from dbtool.plan.renames import mentions, rename_identifier, rename_in_table
from dbtool.plan.types import Fill, Rename

ACTIONS = ("NO ACTION", "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT")


@dataclass(frozen=True)
class Vocab:
    """Spellings as each engine reports them."""

    key: tuple[str, ...]
    kinds: dict[str, tuple[str, ...]]  # kind -> types
    defaults: dict[str, tuple[str, ...]]  # type -> defaults
    widen: tuple[tuple[str, str], ...]
    narrow: tuple[tuple[str, str], ...]
    view: str  # definition of `SELECT id FROM {t}`
    at_least_zero: dict[str, str] = field(default_factory=dict)  # type -> `{c} >= 0` as spelled

    def kind_of(self, spelling: str) -> str:
        return next(k for k, types in self.kinds.items() if spelling in types)


SQLITE = Vocab(
    key=("TEXT", "INTEGER"),
    kinds={"int": ("INTEGER",), "text": ("TEXT",), "real": ("REAL",)},
    defaults={"INTEGER": ("0", "7"), "TEXT": ("'x'", "CURRENT_TIMESTAMP"), "REAL": ("0.5",)},
    widen=(("INTEGER", "REAL"), ("INTEGER", "TEXT"), ("REAL", "TEXT")),
    narrow=(("TEXT", "INTEGER"), ("REAL", "INTEGER")),
    view="SELECT id FROM {t}",
)
POSTGRES = Vocab(
    key=("integer", "text"),
    kinds={"int": ("integer", "bigint"), "text": ("text",), "real": ("numeric(10,2)",)},
    defaults={"integer": ("0", "7"), "bigint": ("0",), "text": ("'x'::text",), "numeric(10,2)": ("0.5",),
              "character varying(40)": ("'x'::character varying",), "numeric(12,2)": ("0.5",)},
    widen=(("integer", "bigint"), ("integer", "text"), ("numeric(10,2)", "numeric(12,2)")),
    narrow=(("bigint", "integer"), ("text", "character varying(40)")),
    view="SELECT {t}.id FROM {t}",
    at_least_zero={"numeric(10,2)": "{c} >= (0)::numeric", "numeric(12,2)": "{c} >= (0)::numeric"},
)
VOCABS = {"sqlite": SQLITE, "d1": SQLITE, "postgres": POSTGRES}


@dataclass
class Expect:
    """What the edits promise about the rows, and the options they need."""

    allow_drop: bool = False
    renames: list[Rename] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    dropped_tables: set[str] = field(default_factory=set)
    dropped_columns: set[tuple[str, str]] = field(default_factory=set)  # (new table name, column)
    loose: set[tuple[str, str]] = field(default_factory=set)  # values may change spelling
    filled: set[tuple[str, str]] = field(default_factory=set)  # NULLs given a value (old names)
    table_names: dict[str, str] = field(default_factory=dict)  # old -> new
    column_names: dict[tuple[str, str], str] = field(default_factory=dict)  # (old table, old col) -> new
    edits: list[str] = field(default_factory=list)


# -- schemas --------------------------------------------------------------------------------


def make_case(rng: random.Random, prefix: str, dialect: str) -> tuple[list[Table], list[View]]:
    vocab = VOCABS[dialect]
    tables: list[Table] = []
    for i in range(rng.randint(2, 4)):
        tables.append(_table(rng, f"{prefix}t{i}", tables, vocab))
    views = []
    if rng.random() < 0.25:
        target = rng.choice(tables).name
        views.append(View(f"{prefix}v", vocab.view.format(t=target)))
    return tables, views


def _table(rng: random.Random, name: str, earlier: list[Table], vocab: Vocab) -> Table:
    key_type = rng.choice(vocab.key)
    columns = [Column("id", key_type, False)]
    for n in range(rng.randint(1, 4)):
        columns.append(_column(rng, f"c{n}", vocab))
    fks: list[ForeignKey] = []
    if earlier and rng.random() < 0.8:  # two-level chains come from t1 -> t0, t2 -> t1
        parent = earlier[-1] if rng.random() < 0.6 else rng.choice(earlier)
        action = rng.choice(ACTIONS)
        columns.append(Column(f"ref_{parent.name[-2:]}", parent.column("id").type,  # type: ignore[union-attr]
                              action not in ("SET NULL", "SET DEFAULT") and rng.random() < 0.3))
        fks.append(ForeignKey((columns[-1].name,), parent.name, ("id",), on_delete=action))
    if rng.random() < 0.15:
        columns.append(Column("parent_id", key_type, True))
        fks.append(ForeignKey(("parent_id",), name, ("id",), on_delete=rng.choice(("CASCADE", "SET NULL", "NO ACTION"))))
    table = Table(name, columns=tuple(columns), primary_key=PrimaryKey(("id",)), foreign_keys=tuple(fks))
    if rng.random() < 0.3:
        table = add_unique(rng, table, vocab) or table
    if rng.random() < 0.4:
        table = add_check(rng, table, vocab) or table
    for n in range(rng.choice((0, 1, 1, 2))):
        table = add_index(rng, table, vocab, f"{name}_ix{n}") or table
    return table


def _column(rng: random.Random, name: str, vocab: Vocab) -> Column:
    kind = rng.choice(list(vocab.kinds))
    spelling = rng.choice(vocab.kinds[kind])
    default = rng.choice(vocab.defaults[spelling]) if rng.random() < 0.35 else None
    nullable = rng.random() < 0.6 or (default is None and rng.random() < 0.5)
    return Column(name, spelling, nullable, default)


def _plain(table: Table) -> list[Column]:
    """Columns no key, reference or self-reference uses."""
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    return [c for c in table.columns if c.name != "id" and c.name not in fk_cols]


def _text(table: Table, vocab: Vocab) -> list[Column]:
    return [c for c in _plain(table) if c.type in vocab.kinds["text"]]


def _numeric(table: Table, vocab: Vocab) -> list[Column]:
    return [c for c in _plain(table) if vocab.kind_of(c.type) in ("int", "real")
            and c.type in (*vocab.kinds["int"], *vocab.kinds["real"])]


def add_unique(rng: random.Random, table: Table, vocab: Vocab, filled: set[tuple[str, str]] = frozenset()
               ) -> Table | None:
    """A unique the rows satisfy: a text column (values are random), or (id, column)."""
    texts = [c for c in _text(table, vocab) if (table.name, c.name) not in filled and c.default is None]
    if texts and rng.random() < 0.5:
        columns: tuple[str, ...] = (rng.choice(texts).name,)
    else:
        plain = _plain(table)
        if not plain:
            return None
        columns = ("id", rng.choice(plain).name)
    if any(u.columns == columns for u in table.uniques) or (
            table.primary_key is not None and table.primary_key.columns == columns):
        return None
    return replace(table, uniques=(*table.uniques, UniqueConstraint(columns)))


def add_check(rng: random.Random, table: Table, vocab: Vocab) -> Table | None:
    numbers, texts = _numeric(table, vocab), _text(table, vocab)
    options = [vocab.at_least_zero.get(c.type, "{c} >= 0").format(c=c.name) for c in numbers]
    options += [f"length({c.name}) > 0" for c in texts]
    options = [o for o in options if all(c.expression != o for c in table.checks)]
    if not options:
        return None
    return replace(table, checks=(*table.checks, CheckConstraint(rng.choice(options))))


def add_index(rng: random.Random, table: Table, vocab: Vocab, name: str) -> Table | None:
    if any(i.name == name for i in table.indexes):
        return None
    plain = [c for c in table.columns if c.name != "id"]
    if not plain:
        return None
    shape = rng.choice(("plain", "multi", "unique", "partial"))
    first = rng.choice(plain)
    columns = [IndexColumn(first.name, descending=rng.random() < 0.2)]
    unique, where = False, None
    if shape == "multi":
        columns.append(IndexColumn("id"))
    elif shape == "unique":
        columns.append(IndexColumn("id"))  # unique whatever the values
        unique = True
    elif shape == "partial":
        where = f"{first.name} IS NOT NULL"
    return replace(table, indexes=(*table.indexes, Index(name, tuple(columns), unique=unique, where=where)))


# -- edits -----------------------------------------------------------------------------------


class Editor:
    """Applies random edits to one case's tables in a schema; records expectations."""

    def __init__(self, rng: random.Random, schema: Schema, prefix: str, dialect: str) -> None:
        self.rng, self.schema, self.prefix, self.dialect = rng, schema, prefix, dialect
        self.vocab = VOCABS[dialect]
        self.expect = Expect()
        self.new_tables: set[str] = set()
        self.touched_columns: set[tuple[str, str]] = set()

    def tables(self) -> list[Table]:
        return [t for t in self.schema.tables if t.name.startswith(self.prefix)]

    def put(self, table: Table, old_name: str | None = None) -> None:
        name = old_name or table.name
        self.schema = replace(self.schema, tables=tuple(table if t.name == name else t for t in self.schema.tables))

    def run(self, count: int) -> Expect:
        edits = [getattr(self, n) for n in dir(self) if n.startswith("e_")]
        done = 0
        for _ in range(count * 6):
            if done >= count:
                break
            edit = self.rng.choice(edits)
            if edit() is not False:
                self.expect.edits.append(edit.__name__[2:])
                done += 1
        return self.expect

    def pick(self, fresh: bool = False) -> Table | None:
        tables = [t for t in self.tables() if not fresh or t.name not in self.new_tables]
        return self.rng.choice(tables) if tables else None

    def referenced(self, table: Table) -> bool:
        return any(fk.ref_table == table.name for t in self.schema.tables for fk in t.foreign_keys
                   if t.name != table.name)

    def untouched(self, table: Table, column: Column) -> bool:
        return (table.name, column.name) not in self.touched_columns and table.name not in self.new_tables

    def used(self, table: Table, name: str) -> bool:
        """Whether a constraint, index or view of the schema names the column."""
        names = {name}
        return (any(name in u.columns for u in table.uniques)
                or any(mentions(c.expression, names) for c in table.checks)
                or any(any(mentions(t.name, names) for t in i.columns) or mentions(i.where, names)
                       or name in i.include for i in table.indexes)
                or any(fk.ref_table == table.name and name in fk.ref_columns
                       for t in self.schema.tables for fk in t.foreign_keys)
                or (table.primary_key is not None and name in table.primary_key.columns))

    # each e_* returns False when it does not apply to the current state

    def e_add_column(self) -> bool:
        table = self.pick()
        if table is None:
            return False
        column = _column(self.rng, f"n{len(table.columns)}", self.vocab)
        if table.column(column.name):
            return False
        if not column.nullable and column.default is None:
            value = {"int": "3", "real": "2.5", "text": "'filled'"}[self.vocab.kind_of(column.type)]
            self.expect.fills.append(Fill(table.name, column.name, value))
        self.touched_columns.add((table.name, column.name))
        self.put(replace(table, columns=(*table.columns, column)))
        return True

    def e_drop_column(self) -> bool:
        table = self.pick(fresh=True)
        candidates = [c for c in _plain(table) if not self.used(table, c.name) and self.untouched(table, c)] if table else []
        if not candidates or table is None or len(table.columns) < 3:
            return False
        column = self.rng.choice(candidates)
        self.expect.allow_drop = True
        self.expect.dropped_columns.add((table.name, column.name))
        self.touched_columns.add((table.name, column.name))
        self.put(replace(table, columns=tuple(c for c in table.columns if c.name != column.name)))
        return True

    def e_change_type(self) -> bool:
        table = self.pick(fresh=True)
        if table is None:
            return False
        pairs = [(p, lossy) for lossy, group in ((False, self.vocab.widen), (True, self.vocab.narrow)) for p in group]
        options = [(c, new, lossy) for c in _plain(table) for (old, new), lossy in pairs
                   if c.type == old and not self.used(table, c.name) and self.untouched(table, c)]
        if not options:
            return False
        column, new, lossy = self.rng.choice(options)
        default = self.rng.choice(self.vocab.defaults[new]) if column.default is not None else None
        self.expect.allow_drop |= lossy
        self.expect.loose.add((table.name, column.name))
        self.touched_columns.add((table.name, column.name))
        self._replace_column(table, replace(column, type=new, default=default))
        return True

    def e_nullability(self) -> bool:
        table = self.pick(fresh=True)
        candidates = [c for c in _plain(table) if self.untouched(table, c)] if table else []
        if not candidates or table is None:
            return False
        column = self.rng.choice(candidates)
        if column.nullable and self.used(table, column.name):
            return False  # one fill value for every NULL would break a unique or a check
        if column.nullable:
            value = {"int": "4", "real": "1.5", "text": "'was null'"}[self.vocab.kind_of(column.type)]
            self.expect.fills.append(Fill(table.name, column.name, value))
            self.expect.filled.add((table.name, column.name))
        self.touched_columns.add((table.name, column.name))
        self._replace_column(table, replace(column, nullable=not column.nullable))
        return True

    def e_default(self) -> bool:
        table = self.pick()
        candidates = [c for c in _plain(table) if self.untouched(table, c)] if table else []
        if not candidates or table is None:
            return False
        column = self.rng.choice(candidates)
        choices = [d for d in (*self.vocab.defaults[column.type], None) if d != column.default]
        default = self.rng.choice(choices)
        if default is None and not column.nullable:
            return False
        self._replace_column(table, replace(column, default=default))
        return True

    def _replace_column(self, table: Table, column: Column) -> None:
        self.put(replace(table, columns=tuple(column if c.name == column.name else c for c in table.columns)))

    def e_unique(self) -> bool:
        table = self.pick()
        if table is None:
            return False
        if table.uniques and self.rng.random() < 0.5:
            self.put(replace(table, uniques=table.uniques[1:]))
            return True
        filled = {(f.table, f.column) for f in self.expect.fills}
        found = add_unique(self.rng, table, self.vocab, filled)
        if found is None:
            return False
        self.put(found)
        return True

    def e_index(self) -> bool:
        table = self.pick()
        if table is None:
            return False
        if table.indexes and self.rng.random() < 0.4:
            self.put(replace(table, indexes=table.indexes[1:]))
            return True
        found = add_index(self.rng, table, self.vocab, f"{table.name}_nx{len(table.indexes)}")
        if found is None:
            return False
        self.put(found)
        return True

    def e_check(self) -> bool:
        table = self.pick()
        if table is None:
            return False
        if table.checks and self.rng.random() < 0.4:
            self.put(replace(table, checks=table.checks[1:]))
            return True
        found = add_check(self.rng, table, self.vocab)
        if found is None:
            return False
        self.put(found)
        return True

    def e_foreign_key(self) -> bool:
        """A new nullable column referencing another table of the case, any action."""
        tables = self.tables()
        if len(tables) < 2:
            return False
        child, parent = self.rng.sample(tables, 2)
        if parent.primary_key is None or parent.primary_key.columns != ("id",):
            return False  # a foreign key needs the columns it references unique
        name = f"fk_{parent.name[-2:]}"
        if child.column(name):
            if self.rng.random() < 0.5:  # drop that key instead
                self.put(replace(child, foreign_keys=tuple(f for f in child.foreign_keys if f.columns != (name,))))
                return True
            return False
        column = Column(name, parent.column("id").type, True)  # type: ignore[union-attr]
        fk = ForeignKey((name,), parent.name, ("id",), on_delete=self.rng.choice(ACTIONS))
        self.touched_columns.add((child.name, name))
        self.put(replace(child, columns=(*child.columns, column), foreign_keys=(*child.foreign_keys, fk)))
        return True

    def e_primary_key(self) -> bool:
        table = self.pick(fresh=True)
        if table is None or table.primary_key is None or any(
                fk.ref_table == table.name for t in self.schema.tables for fk in t.foreign_keys):
            return False  # a foreign key (its own, too) needs the key it references unique
        candidates = [c for c in _plain(table) if not c.nullable and self.untouched(table, c)]
        if table.primary_key.columns != ("id",) or not candidates:
            return False
        column = self.rng.choice(candidates)
        if any(u.columns == ("id", column.name) for u in table.uniques):
            return False  # SQLite folds a UNIQUE that repeats the primary key into it
        self.touched_columns.add((table.name, column.name))
        self.put(replace(table, primary_key=PrimaryKey(("id", column.name))))
        return True

    def e_rename_column(self) -> bool:
        table = self.pick(fresh=True)
        candidates = [c for c in _plain(table) if self.untouched(table, c)] if table else []
        if not candidates or table is None:
            return False
        column = self.rng.choice(candidates)
        new = f"{column.name}_r"
        renamed = rename_in_table(table, column.name, new)
        self.put(renamed)
        self.expect.renames.append(Rename(column.name, new, table.name))
        self.expect.column_names[(table.name, column.name)] = new
        self.touched_columns |= {(table.name, column.name), (table.name, new)}
        return True

    def e_rename_table(self) -> bool:
        table = self.pick(fresh=True)
        if table is None or any(r.table == table.name for r in self.expect.renames) or table.name.endswith("_r"):
            return False
        new = f"{table.name}_r"
        self.expect.renames.insert(0, Rename(table.name, new))  # table renames go first
        self.expect.table_names[table.name] = new
        self.expect.fills = [replace(f, table=new) if f.table == table.name else f for f in self.expect.fills]
        tables = []
        for t in self.schema.tables:
            fks = tuple(replace(fk, ref_table=new) if fk.ref_table == table.name else fk for fk in t.foreign_keys)
            tables.append(replace(t, name=new if t.name == table.name else t.name, foreign_keys=fks))
        views = tuple(replace(v, definition=rename_identifier(v.definition, table.name, new) or "")
                      for v in self.schema.views)
        self.schema = replace(self.schema, tables=tuple(tables), views=views)
        self.new_tables.add(new)  # no further edits on it in this case (renames address old names)
        return True

    def e_add_table(self) -> bool:
        tables = self.tables()
        name = f"{self.prefix}t{len(tables) + len(self.expect.dropped_tables) + 9}"
        if any(t.name == name for t in self.schema.tables):
            return False
        table = _table(self.rng, name, tables, self.vocab)
        self.new_tables.add(name)
        self.schema = replace(self.schema, tables=(*self.schema.tables, table))
        return True

    def e_drop_table(self) -> bool:
        leaves = [t for t in self.tables() if not self.referenced(t) and t.name not in self.new_tables
                  and not any(r.table == t.name for r in self.expect.renames)
                  and not any(mentions(v.definition, {t.name}) for v in self.schema.views)]
        if not leaves:
            return False
        table = self.rng.choice(leaves)
        self.expect.allow_drop = True
        self.expect.dropped_tables.add(table.name)
        self.schema = replace(self.schema, tables=tuple(t for t in self.schema.tables if t.name != table.name))
        return True


def edit_case(rng: random.Random, schema: Schema, prefix: str, dialect: str) -> tuple[Schema, Expect]:
    editor = Editor(rng, schema, prefix, dialect)
    expect = editor.run(rng.randint(1, 3))
    return editor.schema, expect


__all__: list[Any] = ["VOCABS", "Expect", "edit_case", "make_case"]
