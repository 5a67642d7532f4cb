"""Read a D1 binding from wrangler.toml / wrangler.json / wrangler.jsonc, as wrangler does.

dbtool must agree with wrangler on three things or the two tools would see
different databases: which config file a folder uses (wrangler 4 prefers
`wrangler.json`, then `wrangler.jsonc`, then `wrangler.toml`), which
`[[d1_databases]]` entry a name selects (binding or database_name), and the
defaults (`migrations_dir = "migrations"`, `migrations_table = "d1_migrations"`,
both relative to the config file's folder).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from dbtool.errors import ConfigError, SourceLocation

if TYPE_CHECKING:
    from dbtool.config import Service

CONFIG_NAMES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")
DEFAULT_MIGRATIONS_DIR = "migrations"
DEFAULT_MIGRATIONS_TABLE = "d1_migrations"


@dataclass(frozen=True)
class D1Binding:
    """One `d1_databases` entry of a wrangler config, with wrangler's defaults applied."""

    config_path: Path
    binding: str
    database_name: str | None = None
    database_id: str | None = None
    preview_database_id: str | None = None
    migrations_dir: str = DEFAULT_MIGRATIONS_DIR
    migrations_table: str = DEFAULT_MIGRATIONS_TABLE

    @property
    def project_dir(self) -> Path:
        return self.config_path.parent

    @property
    def migrations_path(self) -> Path:
        return self.project_dir / self.migrations_dir

    @property
    def local_id(self) -> str:
        """The id wrangler's `--local` commands use: preview id, else database id, else binding.

        (wrangler 4.86 `executeLocally`: `previewDatabaseUuid ?? uuid`, where
        `uuid = database_id ?? binding`.)
        """
        return self.preview_database_id or self.database_id or self.binding


def find_config(path: Path) -> Path:
    """The wrangler config file named by `path` (a file, or a folder holding one)."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise ConfigError(f"wrangler project {path} does not exist",
                          hint="point at the folder that holds wrangler.toml / wrangler.jsonc")
    for name in CONFIG_NAMES:
        candidate = path / name
        if candidate.is_file():
            return candidate
    raise ConfigError(f"no {', '.join(CONFIG_NAMES)} in {path}",
                      hint="point at the folder of your Worker's wrangler config")


def read_config(path: Path) -> dict[str, Any]:
    """Parse a wrangler config file (TOML, or JSON with comments and trailing commas)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", location=SourceLocation(path),
                          hint="check the wrangler config file") from exc
    if path.suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid TOML: {str(exc).split(' (at line')[0]}",
                              location=SourceLocation(path, getattr(exc, "lineno", None),
                                                      getattr(exc, "colno", None)),
                              hint="fix the wrangler config syntax") from exc
    data = parse_jsonc(text, path)
    if not isinstance(data, dict):
        raise ConfigError("a wrangler config must be a JSON object", location=SourceLocation(path),
                          hint='wrap the settings in { … }, e.g. { "name": "worker", "d1_databases": [] }')
    return data


def parse_jsonc(text: str, path: Path | str = "<jsonc>") -> Any:
    """JSON with `//` and `/* */` comments and trailing commas (wrangler.jsonc's dialect)."""
    try:
        return json.loads(strip_jsonc(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}",
                          location=SourceLocation(path, exc.lineno, exc.colno),
                          hint="fix the wrangler config syntax") from exc


def strip_jsonc(text: str) -> str:
    """Blank out comments and trailing commas, keeping every other character in place.

    Comments become spaces (newlines kept) so JSON error positions still
    point at the right line and column of the original file.
    """
    out = list(text)
    last_comma: int | None = None  # index of a ',' with only blanks/comments after it so far
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i = _skip_string(text, i)
            last_comma = None
            continue
        if text.startswith("//", i) or text.startswith("/*", i):
            end = _comment_end(text, i)
            for j in range(i, end):
                if out[j] != "\n":
                    out[j] = " "
            i = end
            continue
        if ch in "}]" and last_comma is not None:
            out[last_comma] = " "
        if ch == ",":
            last_comma = i
        elif not ch.isspace():
            last_comma = None
        i += 1
    return "".join(out)


def _skip_string(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    return len(text)


def _comment_end(text: str, start: int) -> int:
    if text.startswith("//", start):
        end = text.find("\n", start)
        return len(text) if end < 0 else end
    end = text.find("*/", start + 2)
    return len(text) if end < 0 else end + 2


def find_binding(path: Path, name: str | None = None) -> D1Binding:
    """The D1 entry selected by binding or database_name (the only one when `name` is None)."""
    config_path = find_config(path)
    entries = read_config(config_path).get("d1_databases") or []
    where = SourceLocation(config_path)
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError("d1_databases must be a list of tables", location=where,
                          hint='write [[d1_databases]] with binding = "DB" and database_name = "…"')
    if not entries:
        raise ConfigError("the wrangler config declares no d1_databases", location=where,
                          hint="add a [[d1_databases]] entry with binding and database_name")
    if name is None:
        if len(entries) > 1:
            raise ConfigError("the wrangler config declares several D1 databases", location=where,
                              hint=f"choose one with binding=: {_bindings(entries)}")
        return _entry(config_path, entries[0])
    for entry in entries:
        if name in (entry.get("binding"), entry.get("database_name")):
            return _entry(config_path, entry)
    raise ConfigError(f"no D1 database with binding or name {name!r}", location=where,
                      hint=f"bindings in this file: {_bindings(entries)}")


def _bindings(entries: list[dict[str, Any]]) -> str:
    return ", ".join(str(e.get("binding")) for e in entries)


def _entry(config_path: Path, entry: dict[str, Any]) -> D1Binding:
    binding = entry.get("binding")
    if not isinstance(binding, str) or not binding:
        raise ConfigError("a d1_databases entry has no binding", location=SourceLocation(config_path),
                          hint='add binding = "DB"')

    def text(key: str) -> str | None:
        value = entry.get(key)
        return str(value) if value else None

    return D1Binding(
        config_path=config_path.resolve(),
        binding=binding,
        database_name=text("database_name"),
        database_id=text("database_id"),
        preview_database_id=text("preview_database_id"),
        # wrangler uses `||`: an empty string also means "the default"
        migrations_dir=text("migrations_dir") or DEFAULT_MIGRATIONS_DIR,
        migrations_table=text("migrations_table") or DEFAULT_MIGRATIONS_TABLE,
    )


def local_url(binding: D1Binding, persist_to: Path | None = None) -> str:
    """The `d1-local://` URL of a binding's local state (absolute, so cwd does not matter)."""
    query = {"binding": binding.binding}
    if persist_to is not None:
        query["persist_to"] = str(persist_to.resolve())
    return f"d1-local://{quote(str(binding.project_dir))}?{urlencode(query)}"


def with_wrangler(service: Service) -> Service:
    """A service that names a wrangler file takes its migrations folder and history
    table from it, unless dbtool.toml sets them (`explicit` lists the keys it set)."""
    if service.wrangler is None:
        return service
    binding = find_binding(service.wrangler, service.binding)
    changes: dict[str, Any] = {}
    if "migrations" not in service.explicit:
        changes["migrations"] = binding.migrations_path
    if "history_table" not in service.explicit:
        changes["history_table"] = binding.migrations_table
    return replace(service, **changes)


def folder_binding(folder: Path, name: str | None = None, *, levels: int = 3) -> D1Binding | None:
    """The D1 binding a migrations folder belongs to, for ad-hoc `--dir` commands.

    `folder` is a wrangler project (it holds wrangler.json/jsonc/toml): its binding (`name`
    chooses one of several). Or `folder` is a binding's `migrations_dir`: the config is
    looked for in the folders above it (up to `levels`). None when it is neither; a config
    above that cannot be read is passed over (it may belong to something else).
    """
    if any((folder / config).is_file() for config in CONFIG_NAMES):
        return find_binding(folder, name)
    target = folder.resolve()
    for parent in list(target.parents)[:levels]:
        if not any((parent / config).is_file() for config in CONFIG_NAMES):
            continue
        try:
            config_path = find_config(parent)
            entries = read_config(config_path).get("d1_databases") or []
            bindings = [_entry(config_path, e) for e in entries if isinstance(e, dict)]
        except ConfigError:
            continue
        for binding in bindings:
            if binding.migrations_path.resolve() == target and name in (None, binding.binding,
                                                                        binding.database_name):
                return binding
    return None
