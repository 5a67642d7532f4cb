"""Configuration: dbtool.toml (or [tool.dbtool] in pyproject.toml) -> frozen objects.

URLs never live in committed files: a target names the environment variable
that holds its URL. Unknown keys are errors, so a typo is caught, not ignored.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbtool.errors import ConfigError, SourceLocation

DIALECTS = ("sqlite", "d1", "postgres")
NAMING = ("sequential", "timestamp")
CONFIG_NAMES = ("dbtool.toml",)
LOCAL_DIR = Path(".dbtool") / "local"

# Every key and the kind of value it takes (see `_KINDS`); a key not listed is an error.
_SERVICE_KEYS = {
    "dialect": "choice", "migrations": "text", "snapshot": "text", "naming": "choice",
    "url_env": "env", "targets": "table", "prelude": "text", "schemas": "names",
    "history_schema": "text", "history_table": "text", "lint": "table", "wrangler": "text",
    "binding": "text", "description": "string", "exposed_schemas": "names", "ignore": "names",
    "declared": "text",
    "fleets": "table",
}
_FLEET_KEYS = {"spec": "text", "spec_env": "env", "description": "string"}
_TARGET_KEYS = {"url_env": "env", "prelude": "bool", "description": "string"}
_TOP_KEYS = {"services": "table", "scratch_url_env": "env", "scratch_url": "text",
             "lock_timeout": "number"}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A service name becomes a file name (.dbtool/local/NAME.db, schemas/NAME.yaml): no paths.
SERVICE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*", re.ASCII)


def safe_service_name(text: str) -> str:
    """A name as a service may be called (it becomes file names): kept when it is a plain
    name already, else lower case with every run of other characters turned into `-`."""
    if SERVICE_NAME.fullmatch(text):
        return text
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.strip().lower()).strip("-_")
    return slug or "app"


@dataclass(frozen=True)
class Target:
    """A named deployment of a service; its URL comes from `url_env` at run time."""

    name: str
    url_env: str
    prelude: bool = False  # apply the service's prelude first (local/scratch builds only)

    def url(self) -> str | None:
        value = os.environ.get(self.url_env, "").strip()
        return value or None


@dataclass(frozen=True)
class Fleet:
    """A named fleet of a service (`--fleet NAME`): a spec, or the variable that holds one
    (a spec with a password in it never lives in a committed file)."""

    name: str
    spec: str | None = None
    spec_env: str | None = None

    def text(self) -> str | None:
        if self.spec is not None:
            return self.spec
        value = os.environ.get(self.spec_env or "", "").strip()
        return value or None


@dataclass(frozen=True)
class Service:
    name: str
    dialect: str
    migrations: Path
    snapshot: Path | None = None
    naming: str | None = None  # None: detected from the file names
    targets: tuple[Target, ...] = ()
    prelude: Path | None = None
    schemas: tuple[str, ...] = ("public",)
    exposed_schemas: tuple[str, ...] = ()  # schemas an HTTP API (PostgREST/Supabase) serves
    history_schema: str = "dbtool"  # Postgres: dbtool's own schema, never an exposed one
    history_table: str = "d1_migrations"
    ignore: tuple[str, ...] = ()  # globs of parked files (names starting with `_` always are)
    lint: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    root: Path = Path(".")
    wrangler: Path | None = None  # a D1 service's wrangler.toml / wrangler.jsonc
    binding: str | None = None  # its d1_databases binding (None: the only one)
    explicit: frozenset[str] = frozenset()  # keys dbtool.toml set (they beat wrangler's)
    declared: Path | None = None  # a folder of SQL files declaring the schema (`--to sql:DIR`)
    fleets: tuple[Fleet, ...] = ()  # [services.NAME.fleets.FLEET]: many databases, one service

    def target(self, name: str) -> Target | None:
        return next((t for t in self.targets if t.name == name), None)

    @property
    def default_target(self) -> Target | None:
        return self.target("default")

    @property
    def embedded_path(self) -> Path:
        """The SQLite file used when a sqlite/d1 service is given no target."""
        return self.root / LOCAL_DIR / f"{self.name}.db"


@dataclass(frozen=True)
class Project:
    root: Path
    path: Path | None
    services: tuple[Service, ...]
    scratch_url_env: str = "DBTOOL_SCRATCH_URL"
    lock_timeout: float = 30.0
    scratch_url: str | None = None  # a server for scratch Postgres databases

    def service(self, name: str) -> Service:
        for svc in self.services:
            if svc.name == name:
                return svc
        known = ", ".join(s.name for s in self.services) or "none configured"
        where = f" in {self.path}" if self.path else ""
        raise ConfigError(f"unknown service {name!r}{where}", hint=f"known services: {known}")


def find_config(start: Path) -> Path | None:
    """The nearest dbtool.toml, or a pyproject.toml with [tool.dbtool], upwards from start."""
    for folder in (start, *start.parents):
        candidate = folder / "dbtool.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        return "dbtool" in _read_toml(path).get("tool", {})
    except ConfigError:
        return False


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text", location=SourceLocation(path),
                          hint="save the file as UTF-8") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}",
                          hint="check the path given to --config") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+), column (\d+)", str(exc))
        line, col = (int(found[1]), int(found[2])) if found else (None, None)
        msg = re.sub(r" \(at (line \d+, column \d+|end of document)\)", "", str(exc))
        raise ConfigError(f"invalid TOML: {msg}", location=SourceLocation(path, line, col),
                          hint="fix the syntax; see README 'Configuration'") from exc


def load_project(config: Path | None = None, *, cwd: Path | None = None) -> Project:
    """Load the project configuration; `config` overrides discovery."""
    cwd = cwd or Path.cwd()
    path = config if config is not None else find_config(cwd)
    if path is None:
        raise ConfigError(
            f"no dbtool.toml found in {cwd} or its parents",
            hint="create dbtool.toml (see README), pass --config PATH, or use --dir DIR --url URL",
        )
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist", hint="check the path given to --config")
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("dbtool", {})
    return _build_project(data, path.resolve())


def _build_project(data: dict[str, Any], path: Path) -> Project:
    loc = SourceLocation(path)
    _check_keys(data, _TOP_KEYS, "top level", loc)
    services_data = data.get("services", {})
    root = path.parent
    services = tuple(_build_service(name, body, root, loc) for name, body in services_data.items())
    timeout = data.get("lock_timeout", 30.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 <= timeout <= 1e6:
        raise ConfigError(f"lock_timeout must be a number of seconds from 0 to 1000000, got {timeout!r}",
                          location=loc, hint="e.g. lock_timeout = 30")
    return Project(root=root, path=path, services=services,
                   scratch_url_env=str(data.get("scratch_url_env", "DBTOOL_SCRATCH_URL")),
                   lock_timeout=float(timeout),
                   scratch_url=str(data["scratch_url"]) if data.get("scratch_url") else None)


def _check_keys(body: dict[str, Any], allowed: dict[str, str], where: str, loc: SourceLocation) -> None:
    """Unknown keys and values of the wrong kind are errors, never ignored or guessed at."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {where}", location=loc,
            hint=f"allowed keys: {', '.join(sorted(allowed))}",
        )
    for key, value in body.items():
        kind = allowed[key]
        accepts, wanted, example = _KINDS[kind]
        if accepts(value):
            continue
        if kind == "env" and isinstance(value, str) and "://" in value:
            raise ConfigError(f"{where} {key} holds a URL; it must name the environment variable "
                              "that holds the URL", location=loc,
                              hint=f'write {key} = "APP_DATABASE_URL" and export APP_DATABASE_URL=… '
                                   "(URLs never live in committed files)")
        if kind == "table":
            section = f"{where.strip('[]')}.{key}" if where.startswith("[") else key
            hint = f"write it as a table: [{section}] on its own line, its keys below it"
        else:
            hint = f"e.g. {key} = {_EXAMPLES.get(key, example)}"
        raise ConfigError(f"{where} {key} must be {wanted}, got {_shown(value)}", location=loc, hint=hint)


def _shown(value: Any) -> str:
    """A config value in a message: its TOML type, and the value when it is short."""
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} {text}" if len(text) <= 40 and not isinstance(value, dict | list) else kind


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


_EXAMPLES = {"ignore": '["*.draft.sql", "wip_*"]', "migrations": '"migrations/NAME"',
             "snapshot": '"schemas/NAME.yaml"', "prelude": '"supabase"',
             "wrangler": '"wrangler.toml"', "binding": '"DB"', "history_table": '"d1_migrations"',
             "scratch_url": '"postgresql://postgres@127.0.0.1:5432/postgres"'}
# kind -> (accepts, what the message says it must be, an example value)
_KINDS: dict[str, tuple[Any, str, str]] = {
    "choice": (lambda v: True, "", ""),  # one of a few words: checked where it is read
    "text": (_is_text, "a non-empty string", '"…"'),
    "string": (lambda v: isinstance(v, str), "a string", '"…"'),
    "env": (lambda v: isinstance(v, str) and _ENV_NAME.fullmatch(v) is not None,
            "the name of an environment variable (letters, digits and _)", '"APP_DATABASE_URL"'),
    "names": (lambda v: isinstance(v, list) and all(_is_text(i) for i in v),
              "an array of non-empty strings", '["public"]'),
    "table": (lambda v: isinstance(v, dict), "a table", ""),
    "bool": (lambda v: isinstance(v, bool), "true or false", "true"),
    "number": (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number", "30"),
}


def _build_service(name: str, body: Any, root: Path, loc: SourceLocation) -> Service:
    where = f"[services.{name}]"
    if not SERVICE_NAME.fullmatch(name):
        raise ConfigError(f"service name {name!r} is not a plain name", location=loc,
                          hint="use letters, digits, '_', '-' and '.' (not first): the name becomes "
                               "file names such as .dbtool/local/NAME.db")
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be a table", location=loc,
                          hint=f'write {where} on its own line, then dialect = "…" below it')
    _check_keys(body, _SERVICE_KEYS, where, loc)
    dialect = body.get("dialect")
    if dialect not in DIALECTS:
        raise ConfigError(f"{where} dialect must be one of {', '.join(DIALECTS)}, got {dialect!r}",
                          location=loc, hint='add dialect = "sqlite" | "d1" | "postgres"')
    naming = body.get("naming")
    if naming is not None and naming not in NAMING:
        raise ConfigError(f"{where} naming must be 'sequential' or 'timestamp', got {naming!r}",
                          location=loc, hint="or leave it out to detect it from the file names")
    _check_dialect_keys(body, dialect, where, loc)
    migrations = root / str(body.get("migrations", f"migrations/{name}"))
    targets = _build_targets(name, body, loc)
    schemas = body.get("schemas", ["public"])
    exposed = body.get("exposed_schemas", [])
    unknown = sorted(set(exposed) - set(schemas))
    if unknown:
        raise ConfigError(f"{where} exposed_schemas names {unknown[0]!r}, which is not in schemas",
                          location=loc, hint="add it to schemas, so that dbtool inspects it")
    history_schema = str(body.get("history_schema", "dbtool"))
    if history_schema in exposed:
        raise ConfigError(f"{where} history_schema {history_schema!r} is in exposed_schemas: the API "
                          "roles could read and rewrite dbtool's history there", location=loc,
                          hint='remove history_schema (default "dbtool") or name a schema the API '
                               "does not serve")
    return Service(
        name=name,
        dialect=dialect,
        migrations=migrations,
        snapshot=root / str(body.get("snapshot", f"schemas/{name}.yaml")),
        naming=naming,
        targets=targets,
        prelude=_prelude(body, root, where, loc),
        schemas=tuple(schemas),
        exposed_schemas=tuple(exposed),
        history_schema=history_schema,
        history_table=str(body.get("history_table", "d1_migrations")),
        ignore=tuple(body.get("ignore", ())),
        lint=dict(body.get("lint", {})),
        root=root,
        wrangler=_wrangler_path(body, root, where, loc),
        binding=str(body["binding"]) if body.get("binding") else None,
        explicit=frozenset(body),
        declared=root / str(body["declared"]) if body.get("declared") else None,
        fleets=_build_fleets(name, body, loc),
    )


def _prelude(body: dict[str, Any], root: Path, where: str, loc: SourceLocation) -> Path | None:
    """A built-in prelude's name ("supabase") or a path relative to the config's folder."""
    if not body.get("prelude"):
        return None
    from dbtool.preludes import resolve

    return resolve(str(body["prelude"]), root, where=f"{where} prelude", location=loc)


def _wrangler_path(body: dict[str, Any], root: Path, where: str, loc: SourceLocation) -> Path | None:
    if not body.get("wrangler"):
        if body.get("binding"):
            raise ConfigError(f"{where} binding needs wrangler, the file that declares it",
                              location=loc, hint='add wrangler = "path/to/wrangler.toml"')
        return None
    return root / str(body["wrangler"])


# Keys that mean something to some dialects only; anywhere else they would be ignored in silence.
_DIALECT_ONLY: dict[str, tuple[tuple[str, ...], str]] = {
    "wrangler": (("d1",), 'set dialect = "d1" or remove wrangler'),
    "history_table": (("sqlite", "d1"), "Postgres keeps its history in dbtool_migrations inside "
                                        "history_schema; remove history_table"),
}


def _check_dialect_keys(body: dict[str, Any], dialect: str, where: str, loc: SourceLocation) -> None:
    for key, (dialects, hint) in _DIALECT_ONLY.items():
        if body.get(key) and dialect not in dialects:
            raise ConfigError(f"{where} {key} applies to {' and '.join(dialects)} services only",
                              location=loc, hint=hint)


def _build_targets(name: str, body: dict[str, Any], loc: SourceLocation) -> tuple[Target, ...]:
    targets: dict[str, Target] = {}
    if body.get("url_env"):
        targets["default"] = Target("default", str(body["url_env"]))
    raw_targets = body.get("targets", {})
    if not isinstance(raw_targets, dict):
        raise ConfigError(f"[services.{name}] targets must be [services.{name}.targets.NAME] tables",
                          location=loc, hint=f'write [services.{name}.targets.prod] with url_env = "…"')
    for tname, tbody in raw_targets.items():
        where = f"[services.{name}.targets.{tname}]"
        if not isinstance(tbody, dict):
            raise ConfigError(f"{where} must be a table", location=loc,
                              hint=f'write {where} on its own line, then url_env = "…" below it')
        _check_keys(tbody, _TARGET_KEYS, where, loc)
        if not tbody.get("url_env"):
            raise ConfigError(f"{where} needs url_env, the environment variable holding its URL",
                              location=loc, hint='add url_env = "MY_DATABASE_URL"')
        targets[tname] = Target(tname, str(tbody["url_env"]), bool(tbody.get("prelude", False)))
    return tuple(targets.values())


def _build_fleets(name: str, body: dict[str, Any], loc: SourceLocation) -> tuple[Fleet, ...]:
    fleets = []
    for fname, fbody in body.get("fleets", {}).items():
        where = f"[services.{name}.fleets.{fname}]"
        if not isinstance(fbody, dict):
            raise ConfigError(f"{where} must be a table", location=loc,
                              hint=f'write {where} on its own line, then spec = "sqlite:///tenants/*.db"')
        _check_keys(fbody, _FLEET_KEYS, where, loc)
        if ("spec" in fbody) == ("spec_env" in fbody):
            raise ConfigError(f"{where} needs spec or spec_env (one of them)", location=loc,
                              hint='spec = "postgresql://host/tenant_*", or spec_env = "VAR" when '
                                   "the spec holds a password")
        fleets.append(Fleet(fname, fbody.get("spec"), fbody.get("spec_env")))
    return tuple(fleets)
