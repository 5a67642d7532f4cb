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

_SERVICE_KEYS = {
    "dialect", "migrations", "snapshot", "naming", "url_env", "targets", "prelude",
    "schemas", "history_schema", "history_table", "lint", "wrangler", "binding", "description",
    "exposed_schemas",
}
_TARGET_KEYS = {"url_env", "prelude", "description"}
_TOP_KEYS = {"services", "scratch_url_env", "scratch_url", "lock_timeout"}


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
    history_schema: str = "public"
    history_table: str = "d1_migrations"
    lint: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    root: Path = Path(".")
    wrangler: Path | None = None  # a D1 service's wrangler.toml / wrangler.jsonc
    binding: str | None = None  # its d1_databases binding (None: the only one)
    explicit: frozenset[str] = frozenset()  # keys dbtool.toml set (they beat wrangler's)

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
    if not isinstance(services_data, dict):
        raise ConfigError("'services' must be a table of [services.NAME] sections", location=loc,
                          hint='write [services.NAME] with dialect = "sqlite" | "d1" | "postgres"')
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


def _check_keys(body: dict[str, Any], allowed: set[str], where: str, loc: SourceLocation) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {where}", location=loc,
            hint=f"allowed keys: {', '.join(sorted(allowed))}",
        )


def _build_service(name: str, body: Any, root: Path, loc: SourceLocation) -> Service:
    where = f"[services.{name}]"
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
    for key, value in (("schemas", schemas), ("exposed_schemas", exposed)):
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise ConfigError(f"{where} {key} must be a list of schema names", location=loc,
                              hint=f'e.g. {key} = ["public"]')
    unknown = sorted(set(exposed) - set(schemas))
    if unknown:
        raise ConfigError(f"{where} exposed_schemas names {unknown[0]!r}, which is not in schemas",
                          location=loc, hint="add it to schemas, so that dbtool inspects it")
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
        history_schema=str(body.get("history_schema", "public")),
        history_table=str(body.get("history_table", "d1_migrations")),
        lint=dict(body.get("lint", {})),
        root=root,
        wrangler=_wrangler_path(body, root, where, loc),
        binding=str(body["binding"]) if body.get("binding") else None,
        explicit=frozenset(body),
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
