"""A migration file's statements -> what it creates and alters (pure).

Events from `statements.events_reader` are folded per file into a
`MigrationContents`: tables created, tables altered (with the columns added,
dropped, renamed or changed), dropped, renamed, tables whose rows change, and
the functions, views, types, extensions and publications it defines. Two
readings make the result match what a person would write in a changelog:

* an index, trigger, policy or comment on a table the same file creates is
  part of creating it, not an alteration;
* SQLite's table rebuild (create `x_new`, copy, drop `x`, rename `x_new` to
  `x`; or rename `x` away, create `x`, copy, drop the old one) is one
  alteration of `x`, marked "rebuilt".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dbtool.report.statements import Event, events_reader

_COLUMN_DETAILS = ("add", "drop", "rename", "change")


@dataclass(frozen=True)
class TableAlteration:
    """How one pre-existing table changed. `changes` holds the table-level kinds
    (index, trigger, policy, RLS, constraint, comment, grant, options)."""

    table: str
    added_columns: tuple[str, ...] = ()
    dropped_columns: tuple[str, ...] = ()
    renamed_columns: tuple[tuple[str, str], ...] = ()
    changed_columns: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    rebuilt: bool = False

    def details(self) -> list[str]:
        """The parenthesised part of the summary: columns first, else the change kinds."""
        items = list(self.added_columns)
        items += [f"drop {c}" for c in self.dropped_columns]
        items += [f"rename {a} → {b}" for a, b in self.renamed_columns]
        items += [f"alter {c}" for c in self.changed_columns]
        if self.rebuilt:
            items.insert(0, "rebuilt")
        return items or list(self.changes)


@dataclass(frozen=True)
class PublicationChange:
    publication: str
    operation: str  # create | add | drop | set
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class MigrationContents:
    creates: tuple[str, ...] = ()
    alters: tuple[TableAlteration, ...] = ()
    drops: tuple[str, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()
    data: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()
    views: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    publications: tuple[PublicationChange, ...] = ()

    def tables(self) -> set[str]:
        """Every table the file touches (for `--table` filtering), lower-cased."""
        names = {*self.creates, *self.drops, *self.data, *(a.table for a in self.alters)}
        names |= {n for pair in self.renames for n in pair}
        return {n.lower() for n in names}


@dataclass
class _Fold:
    """Mutable accumulator. Names are matched case-insensitively (first spelling
    wins); each entry keeps the index of its statement event, for ordering."""

    spelling: dict[str, str] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    renames: list[tuple[int, str, str]] = field(default_factory=list)
    data: dict[str, int] = field(default_factory=dict)
    alters: dict[str, list[Event]] = field(default_factory=dict)
    rebuilt: set[str] = field(default_factory=set)
    others: dict[str, list[str]] = field(default_factory=dict)
    publications: list[PublicationChange] = field(default_factory=list)
    count: int = 0

    def key(self, name: str) -> str:
        self.spelling.setdefault(name.lower(), name)
        return name.lower()

    def names(self, keys: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.spelling[k] for k in keys)


def analyse(sqls: Iterable[str], dialect: str) -> MigrationContents:
    """Contents of one file from its statements' SQL, in file order."""
    fold = _Fold()
    read = events_reader(dialect)
    for sql in sqls:
        for event in read(sql):
            fold.count += 1
            _add(fold, event)
    for rename in list(fold.renames):
        _resolve_rebuild(fold, rename)
    return _contents(fold)


def _add(fold: _Fold, event: Event) -> None:
    if event.kind == "alter":
        fold.alters.setdefault(fold.key(event.target), []).append(event)
    elif event.kind in ("create", "drop", "data"):
        bucket = {"create": fold.created, "drop": fold.dropped, "data": fold.data}[event.kind]
        bucket.setdefault(fold.key(event.target), fold.count)
    elif event.kind == "rename":
        fold.renames.append((fold.count, fold.key(event.target), fold.key(event.names[0])))
    elif event.kind == "publication":
        fold.publications.append(PublicationChange(event.target, event.detail, event.names))
    else:
        fold.others.setdefault(event.kind, []).append(event.target)


def _resolve_rebuild(fold: _Fold, rename: tuple[int, str, str]) -> None:
    """A rename between a created and a dropped table is a rebuild of one table:
    created before the rename, the created one is the copy (`x_new` -> `x`);
    created after it, the renamed-away one is (`x` -> `x_old`, then a new `x`)."""
    at, old, new = rename
    if old not in fold.created or new not in fold.dropped:
        return
    table, scratch = (new, old) if fold.created[old] < at else (old, new)
    fold.renames.remove(rename)
    for bucket in (fold.created, fold.dropped):
        bucket.pop(table, None)
        bucket.pop(scratch, None)
    fold.data.pop(scratch, None)
    fold.alters[table] = fold.alters.pop(scratch, []) + fold.alters.get(table, [])
    fold.rebuilt.add(table)


def _contents(fold: _Fold) -> MigrationContents:
    transient = set(fold.created) & set(fold.dropped)  # a work table made and dropped here
    created = [k for k in _ordered(fold.created) if k not in transient]
    alters = [_alteration(fold, k, events) for k, events in fold.alters.items()
              if k not in fold.created and k not in transient]
    return MigrationContents(
        creates=fold.names(created),
        alters=tuple(a for a in alters if a is not None),
        drops=fold.names(k for k in _ordered(fold.dropped) if k not in transient),
        renames=tuple((fold.spelling[a], fold.spelling[b]) for _, a, b in fold.renames),
        data=fold.names(k for k in _ordered(fold.data) if k not in transient),
        functions=_unique(fold.others.get("function", ())),
        views=_unique(fold.others.get("view", ())),
        types=_unique(fold.others.get("type", ())),
        extensions=_unique(fold.others.get("extension", ())),
        publications=tuple(fold.publications),
    )


def _alteration(fold: _Fold, key: str, events: Sequence[Event]) -> TableAlteration | None:
    by_detail: dict[str, list[tuple[str, ...]]] = {}
    for event in events:
        by_detail.setdefault(event.detail, []).append(event.names)
    rebuilt = key in fold.rebuilt
    if not events and not rebuilt:
        return None
    return TableAlteration(
        table=fold.spelling[key],
        added_columns=_unique(n[0] for n in by_detail.get("add", ())),
        dropped_columns=_unique(n[0] for n in by_detail.get("drop", ())),
        renamed_columns=tuple((n[0], n[1]) for n in by_detail.get("rename", ())),
        changed_columns=_unique(n[0] for n in by_detail.get("change", ())),
        changes=_unique(d for d in by_detail if d not in _COLUMN_DETAILS),
        rebuilt=rebuilt,
    )


def _ordered(bucket: dict[str, int]) -> list[str]:
    return sorted(bucket, key=bucket.__getitem__)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# -- the one-line summary ------------------------------------------------------------
def _listing(label: str, items: Sequence[str]) -> str:
    """`ALTER jobs (…)` for one item, `ALTERs: a (…), b` for several (seed 000's style)."""
    return f"{label} {items[0]}" if len(items) == 1 else f"{label}s: {', '.join(items)}"


def summary(contents: MigrationContents) -> str:
    """One line per file, as a person writes it: created tables plainly, then
    `ALTER t (added columns)`, drops, renames, data changes and other objects."""
    parts: list[str] = []
    if contents.creates:
        parts.append(", ".join(contents.creates))
    if contents.alters:
        parts.append(_listing("ALTER", [_alter_text(a) for a in contents.alters]))
    if contents.drops:
        parts.append(_listing("DROP", list(contents.drops)))
    if contents.renames:
        parts.append(_listing("RENAME", [f"{a} → {b}" for a, b in contents.renames]))
    if contents.data:
        parts.append("data: " + ", ".join(contents.data))
    for label, items in (("functions", contents.functions), ("views", contents.views),
                         ("types", contents.types), ("extensions", contents.extensions)):
        if items:
            parts.append(f"{label}: {', '.join(items)}")
    parts += [_publication_text(p) for p in contents.publications]
    return "; ".join(parts) or "—"


def _alter_text(alteration: TableAlteration) -> str:
    details = alteration.details()
    return f"{alteration.table} ({', '.join(details)})" if details else alteration.table


def _publication_text(change: PublicationChange) -> str:
    sign = {"add": "+ ", "drop": "- ", "set": "= "}.get(change.operation, "")
    tables = f" ({sign}{', '.join(change.tables)})" if change.tables else ""
    verb = "publication" if change.operation != "create" else "new publication"
    return f"{verb} {change.publication}{tables}"


__all__ = ["MigrationContents", "PublicationChange", "TableAlteration", "analyse", "summary"]
