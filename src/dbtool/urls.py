"""Database URLs: parsing, engine selection by scheme, and masked display.

A URL's credentials are registered with `dbtool.secrets` before it is parsed
(`remember_url` works on malformed text too), so they are masked in every later
message — this module's own errors included — whatever path they take.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from dbtool import secrets
from dbtool.errors import UrlError

# scheme -> dialect; engines register their module by scheme in dbtool.engines.
SCHEMES: dict[str, str] = {
    "sqlite": "sqlite",
    "postgresql": "postgres",
    "postgres": "postgres",
    "postgresql+psycopg": "postgres",
    "d1-local": "d1",
    "d1": "d1",
}
URL_FORMS = (
    "sqlite:///relative.db, sqlite:////absolute/path.db, postgresql://USER:PASSWORD@HOST:5432/DB, "
    "d1-local://PROJECT_DIR?binding=DB, d1://ACCOUNT_ID/DATABASE_ID"
)


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed target URL. `raw` keeps the secret; `display` never does."""

    raw: str = field(repr=False)
    scheme: str
    dialect: str
    host: str | None = None
    port: int | None = None
    database: str | None = None
    username: str | None = None
    query: tuple[tuple[str, str], ...] = ()

    @property
    def display(self) -> str:
        return secrets.mask(self.raw)

    @property
    def sqlite_path(self) -> Path:
        """Filesystem path of a sqlite:/// URL (three slashes relative, four absolute)."""
        return Path(self.database or "")

    def param(self, name: str, default: str | None = None) -> str | None:
        return dict(self.query).get(name, default)

    def __str__(self) -> str:
        return self.display


def parse_url(raw: str) -> DatabaseUrl:
    """Parse and validate a target URL, failing with a one-line hint."""
    secrets.remember_url(raw)
    raw = raw.strip()
    if "://" not in raw:
        raise UrlError(
            f"not a database URL: {secrets.mask(raw)!r}",
            hint=f"use one of: {URL_FORMS}",
        )
    scheme = raw.split("://", 1)[0].lower()
    if scheme not in SCHEMES:
        raise UrlError(
            f"unknown URL scheme {scheme!r} in {secrets.mask(raw)}",
            hint=f"supported schemes: {', '.join(sorted(SCHEMES))}",
        )
    if scheme == "sqlite":
        return _parse_sqlite(raw)
    if scheme == "d1-local":
        return _parse_d1_local(raw)
    if scheme == "d1":
        return _parse_d1(raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        problem = secrets.mask(str(exc))  # urlsplit quotes what it read as the port: maybe a password
        raise UrlError(f"malformed URL {secrets.mask(raw)}: {problem}",
                       hint=f"expected {URL_FORMS}") from ValueError(problem)
    secrets.remember(parts.password)  # as urlsplit reads it, in case it differs
    database = unquote(parts.path.lstrip("/")) or None
    if SCHEMES[scheme] == "postgres" and not parts.hostname and "host" not in dict(parse_qsl(parts.query)):
        raise UrlError(
            f"URL {secrets.mask(raw)} names no host",
            hint="write postgresql://USER:PASSWORD@HOST:PORT/DATABASE (password and port optional)",
        )
    return DatabaseUrl(
        raw=raw,
        scheme=scheme,
        dialect=SCHEMES[scheme],
        host=parts.hostname,
        port=port,
        database=database,
        username=unquote(parts.username) if parts.username else None,
        query=tuple(parse_qsl(parts.query)),
    )


def _parse_sqlite(raw: str) -> DatabaseUrl:
    rest = raw.split("://", 1)[1]
    if not rest.startswith("/") or rest == "/":
        raise UrlError(
            f"SQLite URL {secrets.mask(raw)!r} has no file path",
            hint="write sqlite:///relative/path.db or sqlite:////absolute/path.db",
        )
    path, _, query = rest[1:].partition("?")
    if path in {"", ":memory:"}:
        raise UrlError(
            f"SQLite URL {secrets.mask(raw)!r} names no file",
            hint="migrations need a file: sqlite:///path/to/file.db",
        )
    return DatabaseUrl(raw=raw, scheme="sqlite", dialect="sqlite", database=unquote(path),
                       query=tuple(parse_qsl(query)))


def _parse_d1_local(raw: str) -> DatabaseUrl:
    """`d1-local://PROJECT_DIR?binding=DB[&persist_to=DIR]`: the folder is taken verbatim.

    A project folder is a path, not a host: urlsplit would read `d1-local://my:proj`
    as a host and a (bad) port, so the text after `://` is split only at `?`.
    """
    rest = raw.split("://", 1)[1]
    path, _, query = rest.partition("?")
    if not path:
        raise UrlError(f"d1-local URL {secrets.mask(raw)!r} names no project folder",
                       hint="write d1-local://PATH/TO/PROJECT?binding=DB (the folder of wrangler.toml)")
    return DatabaseUrl(raw=raw, scheme="d1-local", dialect="d1", database=unquote(path),
                       query=tuple(parse_qsl(query)))


def _parse_d1(raw: str) -> DatabaseUrl:
    """`d1://ACCOUNT_ID/DATABASE_ID`: the account goes in `host`, the database in `database`."""
    rest = raw.split("://", 1)[1]
    path, _, query = rest.partition("?")
    account, _, database = path.strip("/").partition("/")
    if not account or not database or "/" in database:
        raise UrlError(f"D1 URL {secrets.mask(raw)!r} must name an account and a database",
                       hint="write d1://ACCOUNT_ID/DATABASE_ID (wrangler d1 list shows the ids)")
    return DatabaseUrl(raw=raw, scheme="d1", dialect="d1", host=unquote(account),
                       database=unquote(database), query=tuple(parse_qsl(query)))


def with_persist_to(url: DatabaseUrl, folder: Path) -> DatabaseUrl:
    """A d1-local URL whose state lives under `folder` (wrangler's --persist-to)."""
    base = url.raw.split("?", 1)[0]
    query = [(k, v) for k, v in url.query if k != "persist_to"]
    query.append(("persist_to", str(folder.resolve())))
    return parse_url(f"{base}?{urlencode(query)}")


def with_database(url: DatabaseUrl, name: str) -> DatabaseUrl:
    """The same server URL (user, password, host, options) naming database `name`."""
    base, _, query = url.raw.partition("?")
    scheme, _, rest = base.partition("://")
    slash = rest.find("/", rest.rfind("@") + 1)  # the path starts after the host
    server = rest if slash < 0 else rest[:slash]
    return parse_url(f"{scheme}://{server}/{quote(name)}" + (f"?{query}" if query else ""))


def sqlite_url_for(path: Path) -> DatabaseUrl:
    return parse_url(f"sqlite:///{path}")
