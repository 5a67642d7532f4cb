"""Snapshots: the schema model <-> `schemas/<service>.yaml`, annotations preserved.

A snapshot is the declarative state the migrations must produce, and the file
a developer edits to ask `dbtool diff` for the next migration. Output is
deterministic (model order, fixed formatting) so a snapshot diff in review
shows exactly the schema change. Hand-written annotations (`purpose`,
`registry`, `notes`) on any object survive a rewrite; annotations whose
object no longer exists are returned so the caller can report them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from dbtool.errors import ConfigError, SourceLocation
from dbtool.model import Schema, gc_paused

ANNOTATION_KEYS = ("purpose", "registry", "notes")
_META_KEYS = ("service", "dialect")
Path_ = tuple[str, ...]
HEADER = (
    "# The declared schema of service '{service}'. Edit it to change the schema, then run\n"
    "# `dbtool diff {service} NAME` to write (and prove) the migration that builds it.\n"
    "# `dbtool snapshot {service}` rewrites it from the migrations, keeping the annotations\n"
    "# (purpose, registry, notes); `dbtool check` fails while the two disagree.\n"
)


@dataclass(frozen=True)
class Snapshot:
    service: str
    dialect: str
    schema: Schema
    annotations: dict[Path_, dict[str, Any]] = field(default_factory=dict, hash=False)


# -- annotations ------------------------------------------------------------------
# Mappings keyed by object name: their keys are names (a column may be called
# `notes`), never annotations. Their values, and named list items, are objects.
CONTAINERS = frozenset({"tables", "views", "functions", "enums", "sequences", "extensions",
                        "publications", "columns", "indexes", "policies"})


def _children(node: Any, path: Path_, container: bool) -> Iterator[tuple[Path_, Any, bool]]:
    """(path, child, child_is_container) for every child of a snapshot node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if container or key not in ANNOTATION_KEYS:
                yield (*path, str(key)), value, (not container and key in CONTAINERS)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and "name" in item:
                yield (*path, str(item["name"])), item, False


def extract_annotations(node: Any, path: Path_ = (), container: bool = False
                        ) -> dict[Path_, dict[str, Any]]:
    """Every annotation in a snapshot document, keyed by the path of its object."""
    found: dict[Path_, dict[str, Any]] = {}
    if isinstance(node, dict) and not container and path:
        notes = {k: node[k] for k in ANNOTATION_KEYS if k in node}
        if notes:
            found[path] = notes
    for child_path, child, child_container in _children(node, path, container):
        found.update(extract_annotations(child, child_path, child_container))
    return found


def strip_annotations(node: Any, container: bool = False) -> Any:
    if isinstance(node, dict):
        return {k: strip_annotations(v, not container and k in CONTAINERS) for k, v in node.items()
                if container or k not in ANNOTATION_KEYS}
    if isinstance(node, list):
        return [strip_annotations(v) for v in node]
    return node


def merge_annotations(node: Any, notes: dict[Path_, dict[str, Any]], path: Path_ = (),
                      container: bool = False) -> tuple[Any, set[Path_]]:
    """Put annotations back at their paths (first in each mapping); return the used paths."""
    used: set[Path_] = set()
    if isinstance(node, dict):
        head = dict(notes.get(path, {})) if path and not container else {}
        if head:
            used.add(path)
        body = {}
        for key, value in node.items():
            child_container = not container and key in CONTAINERS
            body[key], inner = merge_annotations(value, notes, (*path, str(key)), child_container)
            used |= inner
        if head and "name" in body:  # list items keep their name first
            return {"name": body.pop("name"), **head, **body}, used
        return {**head, **body}, used
    if isinstance(node, list):
        items = []
        for item in node:
            if isinstance(item, dict) and "name" in item:
                item, inner = merge_annotations(item, notes, (*path, str(item["name"])))
                used |= inner
            items.append(item)
        return items, used
    return node, used


# -- YAML -----------------------------------------------------------------------
# Written by PyYAML's pure-Python emitter on purpose: libyaml's (CSafeDumper) is
# faster but folds long double-quoted scalars differently (an expression over the
# width, e.g. a long CHECK), so every such snapshot would be rewritten.
def _dumper() -> type:
    import yaml

    class Dumper(yaml.SafeDumper):
        """Block style for structure, flow style for short flat leaves."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    def represent_list(dumper: Any, data: list[Any]) -> Any:
        flat = all(not isinstance(v, dict | list) for v in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat and len(str(data)) < 90)

    def represent_dict(dumper: Any, data: dict[str, Any]) -> Any:
        flat = all(not isinstance(v, dict) and not (isinstance(v, list) and any(isinstance(i, dict) for i in v))
                   for v in data.values())
        flow = flat and len(str(data)) < 90 and not any(k in ANNOTATION_KEYS for k in data)
        return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)

    def represent_str(dumper: Any, data: str) -> Any:
        style = '"' if "'" in data and '"' not in data and "\n" not in data else None
        if "\n" in data:
            style = "|"
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    Dumper.add_representer(str, represent_str)
    Dumper.add_representer(list, represent_list)
    Dumper.add_representer(dict, represent_dict)
    return Dumper


_STR, _MAP, _SEQ = (f"tag:yaml.org,2002:{kind}" for kind in ("str", "map", "seq"))


@cache
def _loader() -> type:
    """`yaml.safe_load`'s loader, faster: libyaml's parser when PyYAML was built
    with it (CSafeLoader), else the pure-Python one; either way the usual tree
    of a snapshot is built straight from the nodes (see `construct_document`)."""
    import yaml
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    class NotPlain(Exception):
        """The document needs SafeConstructor's complete machinery."""

    class Loader(getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader):  # type: ignore[misc]
        def construct_document(self, node: Any) -> Any:
            """What SafeConstructor builds, for mappings with string keys,
            sequences and scalars (any tag: ints, booleans, nulls go through the
            usual constructors); a document with aliases, merge keys, complex or
            non-string keys or collection tags (!!set, !!omap …), or with an
            error, is constructed again the usual way, with the same result or
            error as `yaml.safe_load`."""
            try:
                data = self._plain(node, set())
            except (NotPlain, yaml.YAMLError, RecursionError):
                self._reset()  # an error may have left a node marked as in construction
                return super().construct_document(node)
            self._reset()
            return data

        def _reset(self) -> None:
            self.constructed_objects, self.recursive_objects = {}, {}
            self.state_generators, self.deep_construct = [], False

        def _plain(self, node: Any, seen: set[int]) -> Any:
            if type(node) is ScalarNode:
                return node.value if node.tag == _STR else self.construct_object(node, True)
            if id(node) in seen:  # an alias: shared (or recursive) objects
                raise NotPlain
            seen.add(id(node))
            if type(node) is MappingNode and node.tag == _MAP:
                out = {}
                for key, value in node.value:
                    if type(key) is not ScalarNode or key.tag != _STR:
                        raise NotPlain  # `<<` merge, `=`, complex or non-string keys
                    out[key.value] = self._plain(value, seen)
                return out
            if type(node) is SequenceNode and node.tag == _SEQ:
                return [self._plain(item, seen) for item in node.value]
            raise NotPlain

    return Loader


def render(snapshot: Snapshot, old_annotations: dict[Path_, dict[str, Any]] | None = None
           ) -> tuple[str, list[Path_]]:
    """YAML text for a snapshot, and the annotation paths whose object is gone."""
    import yaml

    notes = old_annotations if old_annotations is not None else snapshot.annotations
    with gc_paused():
        body, used = merge_annotations(snapshot.schema.to_dict(), notes)
        document = {"service": snapshot.service, "dialect": snapshot.dialect, **body}
        text = yaml.dump(document, Dumper=_dumper(), sort_keys=False, allow_unicode=True,
                         width=100, default_flow_style=False)
    orphans = sorted(p for p in notes if p not in used)
    return HEADER.format(service=snapshot.service) + text, orphans


def load(path: Path) -> Snapshot:
    """Read a snapshot file; YAML or shape errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"snapshot {path} does not exist",
                          hint="write it with `dbtool snapshot SERVICE`") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"snapshot {path} is not UTF-8", hint="regenerate it with `dbtool snapshot`") from exc
    with gc_paused():
        return _parse(path, text)


def _parse(path: Path, text: str) -> Snapshot:
    import yaml

    try:
        data = yaml.load(text, Loader=_loader()) or {}  # a safe loader (see _loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"snapshot is not valid YAML: {getattr(exc, 'problem', exc)}",
                          location=SourceLocation(path, mark.line + 1 if mark else None,
                                                  mark.column + 1 if mark else None),
                          hint="fix it or regenerate it with `dbtool snapshot`") from exc
    except (ValueError, TypeError) as exc:  # a typed scalar that is not its type: `!!int abc`
        raise ConfigError(f"snapshot has a value YAML cannot read: {exc}", location=SourceLocation(path),
                          hint="fix it or regenerate it with `dbtool snapshot`") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"snapshot {path} is not a mapping", location=SourceLocation(path),
                          hint="regenerate it with `dbtool snapshot`")
    body = {k: v for k, v in data.items() if k not in _META_KEYS}
    unknown = unknown_key(body)
    if unknown is not None:
        raise _unknown_key_error(path, text, *unknown)
    try:
        schema = Schema.from_dict(strip_annotations(body))
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise ConfigError(f"snapshot {path} does not describe a schema: {exc}",
                          location=SourceLocation(path), hint="regenerate it with `dbtool snapshot`") from exc
    return Snapshot(str(data.get("service", "")), str(data.get("dialect", "")), schema,
                    extract_annotations(body))


# -- keys dbtool does not know -------------------------------------------------------
# Allowed keys come from the model's dataclass fields (`model.fields`), so a field added
# to the model is accepted here without a second list to keep in step.
Where = tuple[str | int, ...]  # mapping keys and list indexes from the document's top


def unknown_key(body: dict[str, Any]) -> tuple[Where, type | None] | None:
    """The first key of a snapshot body that is neither a model field nor an annotation:
    its path, and the model class whose keys were expected there (None: the top)."""
    from dbtool.model_data import SCHEMA_ITEMS as _SCHEMA_ITEMS

    for section, value in body.items():
        item_cls = _SCHEMA_ITEMS.get(section)
        if item_cls is None:
            return (section,), None
        for key, item in _members(value):
            found = _object_unknown(item_cls, item)
            if found is not None:
                return (section, key, *found[0]), found[1]
    return None


def _members(value: Any) -> Iterator[tuple[str | int, Any]]:
    """(key or index, item) of a keyed mapping or a list; anything else has none."""
    if isinstance(value, dict):
        yield from ((str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        yield from enumerate(value)


def _object_unknown(cls: type, item: Any) -> tuple[Where, type] | None:
    from dataclasses import fields

    from dbtool.model_data import NESTED as _NESTED

    if not isinstance(item, dict):
        return None  # a bare index column, or a shape Schema.from_dict reports
    allowed = {f.name for f in fields(cls)}
    for key, value in item.items():
        if key not in allowed and key not in ANNOTATION_KEYS:
            return (key,), cls
        nested = _NESTED.get((cls, key))
        if nested is None:
            continue
        inner_cls, keyed = nested
        members = [((), value)] if isinstance(value, dict) and not keyed else _members(value)
        for where, inner in members:
            found = _object_unknown(inner_cls, inner)
            if found is not None:
                return (key, *((where,) if where != () else ()), *found[0]), found[1]
    return None


def _unknown_key_error(path: Path, text: str, where: Where, cls: type | None) -> ConfigError:
    from dataclasses import fields

    from dbtool.model_data import SCHEMA_ITEMS as _SCHEMA_ITEMS

    line, col = _position(text, where)
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")
    if cls is None:
        known = ", ".join([*_META_KEYS, *_SCHEMA_ITEMS])
        hint = f"a snapshot's top-level keys are {known}"
    else:
        known = ", ".join(sorted(f.name for f in fields(cls)))
        noun = re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__).lower()
        article = "an" if noun[0] in "aeiou" else "a"
        hint = f"{article} {noun} takes {known} (and the annotations {', '.join(ANNOTATION_KEYS)})"
    return ConfigError(f"unknown key {where[-1]!r} in the snapshot at {dotted}",
                       location=SourceLocation(path, line, col),
                       hint=f"{hint}; fix the typo or regenerate the file with `dbtool snapshot`")


def _position(text: str, where: Where) -> tuple[int | None, int | None]:
    """Line and column of the key at `where`, from the YAML nodes (read again: errors only)."""
    import yaml
    from yaml.nodes import MappingNode, SequenceNode

    node = yaml.compose(text, Loader=yaml.SafeLoader)
    mark = None
    for step in where:
        if isinstance(node, MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(step)), None)
            if pair is None:
                break
            mark, node = pair[0].start_mark, pair[1]
        elif isinstance(node, SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            mark = node.start_mark
        else:
            break
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def line_of(text: str, path: Path_) -> int | None:
    """Best-effort line of an object in a snapshot's text, for annotations in CI output."""
    line_no, depth_key = None, 0
    lines = text.splitlines()
    for index, line in enumerate(lines, 1):
        stripped = line.strip()
        if depth_key < len(path) and (stripped.startswith(f"{path[depth_key]}:")
                                      or stripped.startswith(f"- name: {path[depth_key]}")):
            line_no, depth_key = index, depth_key + 1
            if depth_key == len(path):
                return line_no
    return line_no


# `dbtool.snapshot(...)` is the public API function of that name (dbtool._command_module).
from dbtool._command_module import make_callable  # noqa: E402

make_callable(__name__)
