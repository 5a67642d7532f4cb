"""Fleet specs: one text that names many databases of one service, and their expansion.

A fleet is a service's databases that share its migrations — a SQLite file, a
Postgres database or schema, or a D1 database per tenant. The forms:

* `sqlite:///data/tenants/*.db` — the files a glob matches (three slashes relative,
  four absolute, as for one SQLite URL);
* `postgresql://host:port/tenant_*` — the databases on that server whose names match
  (listed from pg_database);
* `postgresql://host/db?schema=tenant_*` — one schema per tenant in one database: each
  target is `…/db?schema=NAME`, whose history lives in that schema and whose files run
  with the search path set to it alone (`engines.postgres.tenant_schema`);
* `d1://ACCOUNT_ID/prefix*` — the account's D1 databases whose names match, listed
  through the REST API page by page;
* `@FILE` — one URL per line; blank lines and `#` comments are skipped;
* a bare NAME — `[services.SERVICE.fleets.NAME] spec = "…"` (or `spec_env = "VAR"`).

Expansion gives each target an *identity* — the database without credentials
(`host:port/db`, `host:port/db/schema`, `ACCOUNT/NAME` for a listed D1 database,
`ACCOUNT/UUID` from a file, the SQLite path as written) —
which names it in reports and decides its shard, so N machines split a fleet alike.
"""

from __future__ import annotations

import glob
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import Path

from dbtool import secrets
from dbtool.errors import ConfigError, UsageError
from dbtool.urls import DatabaseUrl, parse_url, with_database

PATTERN_CHARS = "*?["


class FleetKind(StrEnum):
    SQLITE_GLOB = "sqlite-glob"
    PG_DATABASES = "postgres-databases"
    PG_SCHEMAS = "postgres-schemas"
    D1_DATABASES = "d1-databases"
    URL_FILE = "url-file"


@dataclass(frozen=True)
class FleetSpec:
    """A parsed fleet spec: its kind, the text as given (masked in `display`), and the
    name pattern (glob) it selects with."""

    kind: FleetKind
    text: str
    pattern: str = ""

    @property
    def display(self) -> str:
        return secrets.mask(self.text)


@dataclass(frozen=True)
class FleetMember:
    """One database of a fleet: its URL and its identity (no credentials, stable)."""

    url: DatabaseUrl
    identity: str


def parse_fleet_spec(text: str, named: dict[str, str] | None = None) -> FleetSpec:
    """Read a spec (or a fleet name from dbtool.toml) without touching any database."""
    secrets.remember_url(text)
    text = text.strip()
    if not text:
        raise UsageError("--fleet is empty", hint="e.g. --fleet 'sqlite:///tenants/*.db'")
    if text.startswith("@"):
        return FleetSpec(FleetKind.URL_FILE, text, text[1:])
    if "://" not in text:
        if named and text in named:
            return parse_fleet_spec(named[text])
        known = ", ".join(sorted(named or {})) or "none configured"
        raise UsageError(f"--fleet {text!r} is neither a spec nor a fleet of this service",
                         hint=f"fleets in dbtool.toml: {known}; or give sqlite:///glob, "
                              "postgresql://host/pattern, postgresql://host/db?schema=pattern, "
                              "d1://ACCOUNT/prefix*, @FILE")
    scheme = text.split("://", 1)[0].lower()
    if scheme == "sqlite":
        return FleetSpec(FleetKind.SQLITE_GLOB, text, parse_url(text).database or "")
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        url = parse_url(text)
        if url.param("schema") is not None:
            return FleetSpec(FleetKind.PG_SCHEMAS, text, url.param("schema") or "")
        return FleetSpec(FleetKind.PG_DATABASES, text, url.database or "")
    if scheme == "d1":
        return FleetSpec(FleetKind.D1_DATABASES, text, parse_url(text).database or "")
    raise UsageError(f"a fleet cannot be listed from {scheme}:// URLs",
                     hint="use sqlite:///glob, postgresql://…, d1://ACCOUNT/prefix* or @FILE")


def expand(spec: FleetSpec) -> list[FleetMember]:
    """The fleet's databases, in a stable order (by identity), each once."""
    members = {
        FleetKind.SQLITE_GLOB: _sqlite_glob,
        FleetKind.PG_DATABASES: _pg_databases,
        FleetKind.PG_SCHEMAS: _pg_schemas,
        FleetKind.D1_DATABASES: _d1_databases,
        FleetKind.URL_FILE: _url_file,
    }[spec.kind](spec)
    unique = {m.identity: m for m in members}
    return [unique[k] for k in sorted(unique)]


def shard_of(identity: str, count: int) -> int:
    """The shard (1..count) a target belongs to: a hash of its identity, the same on
    every machine and in every run."""
    digest = hashlib.sha256(identity.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` with 1 ≤ I ≤ N."""
    index, _, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not 1 <= i <= n:
        raise UsageError(f"--shard {text!r} is not I/N with 1 ≤ I ≤ N",
                         hint="e.g. --shard 2/4 on the second of four CI jobs")
    return i, n


def identity_of(url: DatabaseUrl) -> str:
    """A database's identity: what names it, without user, password or options."""
    if url.scheme == "sqlite":
        return url.database or ""
    if url.scheme == "d1":
        return f"{url.host}/{url.database}"
    if url.scheme == "d1-local":
        return f"{url.database}#{url.param('binding') or ''}"
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    schema = url.param("schema")
    return f"{where}/{schema}" if schema else where


# -- the forms ---------------------------------------------------------------------------
def _sqlite_glob(spec: FleetSpec) -> list[FleetMember]:
    prefix = spec.text.split("://", 1)[0] + "://"
    found = sorted(glob.glob(spec.pattern)) if _is_pattern(spec.pattern) else (
        [spec.pattern] if Path(spec.pattern).exists() else [])
    return [FleetMember(parse_url(f"{prefix}/{path}"), path) for path in found
            if Path(path).is_file()]


def _pg_databases(spec: FleetSpec) -> list[FleetMember]:
    from dbtool.engines.pg_listing import list_databases

    base = parse_url(spec.text)
    names = list_databases(with_database(base, "postgres"))
    return [_member(with_database(base, name)) for name in names if fnmatchcase(name, spec.pattern)]


def _pg_schemas(spec: FleetSpec) -> list[FleetMember]:
    from dbtool.engines.pg_listing import list_schemas

    base = parse_url(spec.text)
    plain = _without_param(base, "schema")
    names = list_schemas(plain)
    joiner = "&" if "?" in plain.raw else "?"
    from urllib.parse import quote

    return [_member(parse_url(f"{plain.raw}{joiner}schema={quote(name)}")) for name in names
            if fnmatchcase(name, spec.pattern)]


def _d1_databases(spec: FleetSpec) -> list[FleetMember]:
    from dbtool.d1.remote import list_databases

    base = parse_url(spec.text)
    prefix = spec.pattern.split("*", 1)[0].split("?", 1)[0].split("[", 1)[0]
    listed = list_databases(base.host or "", name=prefix)
    query = spec.text.partition("?")[2]
    return [FleetMember(parse_url(f"d1://{base.host}/{uuid}" + (f"?{query}" if query else "")),
                        f"{base.host}/{name}")  # named as the user knows it: ACCOUNT/NAME
            for uuid, name in listed if fnmatchcase(name, spec.pattern)]


def _url_file(spec: FleetSpec) -> list[FleetMember]:
    path = Path(spec.pattern)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read the fleet file {path}: {exc.strerror}",
                         hint="--fleet @FILE names a file of URLs, one per line") from None
    members = []
    for number, line in enumerate(lines, 1):
        text = "" if line.lstrip().startswith("#") else re.sub(r"\s+#.*$", "", line).strip()
        if not text:
            continue
        try:
            members.append(_member(parse_url(text)))
        except Exception as exc:  # a bad line: say which one
            from dbtool.errors import DbtoolError, SourceLocation

            if isinstance(exc, DbtoolError):
                raise ConfigError(exc.message, location=SourceLocation(path, number, 1),
                                  hint=exc.hint) from None
            raise
    return members


def _member(url: DatabaseUrl) -> FleetMember:
    return FleetMember(url, identity_of(url))


def _is_pattern(text: str) -> bool:
    return any(c in text for c in PATTERN_CHARS)


def _without_param(url: DatabaseUrl, name: str) -> DatabaseUrl:
    from urllib.parse import urlencode

    base = url.raw.partition("?")[0]
    rest = [(k, v) for k, v in url.query if k != name]
    return parse_url(base + (f"?{urlencode(rest)}" if rest else ""))
