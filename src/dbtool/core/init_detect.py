"""`init`, part one: find the migrations a project already has, the way its tools keep them.

Four layouts, each read as its own tool reads it:

* wrangler (`wrangler.json` / `.jsonc` / `.toml`, the root and up to three folders
  down): one D1 service per `d1_databases` entry, named after `database_name`;
* Supabase (`supabase/migrations`): Postgres, timestamp names, the built-in
  `supabase` prelude, `public` served by the API;
* dbmate (`db/migrations`): the dialect from `.env`'s `DATABASE_URL` scheme, else
  `--dialect`; a `-- migrate:down` section must leave the file before dbtool runs it;
* a plain `migrations/` folder (of files, or of one folder per service): `--dialect`.

A folder that one layout claims is not detected again by a later one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbtool.engines import capabilities
from dbtool.errors import UsageError

DIALECTS = ("sqlite", "d1", "postgres")
SKIP_DIRS = {"node_modules", "vendor", "target", "dist", "build", "__pycache__"}
WRANGLER_DEPTH = 3
DBMATE_SCHEMES = {"postgres": "postgres", "postgresql": "postgres", "sqlite": "sqlite",
                  "sqlite3": "sqlite"}
_DOWN = re.compile(r"^--\s*migrate:down\b.*$", re.MULTILINE)
_NO_TX = re.compile(r"^--\s*migrate:up\b.*transaction:false", re.MULTILINE)


@dataclass(frozen=True)
class Detected:
    """One service `init` will write, and why it looks the way it does."""

    name: str
    dialect: str
    source: str  # wrangler | supabase | dbmate | migrations
    migrations: str  # relative to the project root, forward slashes
    files: int
    naming: str | None = None
    wrangler: str | None = None
    binding: str | None = None
    prelude: str | None = None
    exposed_schemas: tuple[str, ...] = ()
    url_env: str | None = None
    comments: tuple[str, ...] = ()  # written above the service in dbtool.toml
    down_sections: tuple[str, ...] = ()  # dbmate files with SQL after `-- migrate:down`

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dialect": self.dialect, "source": self.source,
                "migrations": self.migrations, "files": self.files, "naming": self.naming,
                "wrangler": self.wrangler, "binding": self.binding, "prelude": self.prelude,
                "exposed_schemas": list(self.exposed_schemas), "url_env": self.url_env,
                "down_sections": list(self.down_sections)}


@dataclass
class Detection:
    root: Path
    services: list[Detected] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    claimed: set[Path] = field(default_factory=set)

    def add(self, service: Detected, folder: Path) -> None:
        taken = {s.name for s in self.services}
        name, n = service.name, 2
        while name in taken:
            name, n = f"{service.name}-{n}", n + 1
        if name != service.name:
            self.notes.append(f"{service.name!r} was taken: {service.migrations} became service {name!r}")
        from dataclasses import replace

        self.services.append(replace(service, name=name))
        self.claimed.add(folder.resolve())


def service_name(text: str) -> str:
    """A valid service name (it becomes file names): lower case, [a-z0-9_-], no path parts."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.strip().lower()).strip("-_")
    return slug or "app"


def env_name(service: str) -> str:
    """The environment variable of a service's URL: API_DATABASE_URL for `api`."""
    stem = re.sub(r"[^A-Z0-9]+", "_", service.upper()).strip("_") or "APP"
    return f"{'DB_' if stem[0].isdigit() else ''}{stem}_DATABASE_URL"


def relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return path.resolve().as_posix()


def sql_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".sql")


def naming_of(folder: Path, default: str) -> str:
    from dbtool.migrations.naming import detect_scheme

    names = [p.name for p in sql_files(folder)]
    return detect_scheme(names) if names else default


def detect(root: Path, dialect: str | None = None) -> Detection:
    """Every service the project's files describe, in a stable order."""
    found = Detection(root)
    for step in (_wrangler, _supabase, _dbmate, _plain):
        step(found, dialect)
    if not found.services:
        raise UsageError(
            f"found no migrations in {root}: no wrangler config with d1_databases, no "
            "supabase/migrations, db/migrations or migrations/ folder",
            hint="run dbtool init in the project's root folder, or write dbtool.toml by hand (README "
                 "'Configuration')")
    return found


# -- wrangler ---------------------------------------------------------------------
def _wrangler_folders(root: Path, depth: int = 0) -> Iterator[Path]:
    from dbtool.d1.wrangler import CONFIG_NAMES

    if any((root / name).is_file() for name in CONFIG_NAMES):
        yield root
    if depth >= WRANGLER_DEPTH:
        return
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return
    for child in children:
        if not child.name.startswith(".") and child.name not in SKIP_DIRS and not child.is_symlink():
            yield from _wrangler_folders(child, depth + 1)


def _wrangler(found: Detection, _dialect: str | None) -> None:
    from dbtool.d1.wrangler import find_binding, find_config, read_config

    for folder in _wrangler_folders(found.root):
        config = find_config(folder)
        entries = read_config(config).get("d1_databases") or []
        entries = [e for e in entries if isinstance(e, dict) and e.get("binding")]
        for entry in entries:
            binding = find_binding(config, str(entry["binding"]))
            migrations = binding.migrations_path
            files = len(sql_files(migrations))
            comments = [f"D1 binding {binding.binding} of {relative(config, found.root)}: "
                        f"migrations in {relative(migrations, found.root)}, history in "
                        f"{binding.migrations_table} (wrangler's own table)"]
            if not migrations.is_dir():
                comments.append(f"{relative(migrations, found.root)} does not exist yet: "
                                "`dbtool new` creates it")
            found.add(Detected(
                service_name(binding.database_name or binding.binding), "d1", "wrangler",
                relative(migrations, found.root), files, wrangler=relative(config, found.root),
                binding=binding.binding if len(entries) > 1 else None, comments=tuple(comments)),
                migrations)


# -- Supabase ---------------------------------------------------------------------
def _supabase(found: Detection, _dialect: str | None) -> None:
    folder = found.root / "supabase" / "migrations"
    if not folder.is_dir() or folder.resolve() in found.claimed:
        return
    name = service_name(_supabase_project_id(found.root) or found.root.resolve().name)
    variable = env_name(name)
    found.add(Detected(
        name, "postgres", "supabase", "supabase/migrations", len(sql_files(folder)), "timestamp",
        prelude="supabase", exposed_schemas=("public",), url_env=variable,
        comments=("Supabase migrations. The built-in `supabase` prelude stands in for Supabase's auth "
                  "schema, API roles, realtime publication and storage when dbtool builds a scratch "
                  "or local database (check, snapshot, migrate --prelude); it never runs on a target "
                  "without --prelude.",
                  f"${variable}: the database to migrate — the local one's URL is the \"DB URL\" "
                  "that `supabase status` prints; a hosted project's is under Connect in its "
                  "dashboard.",
                  "exposed_schemas: the schemas Supabase's API serves; `dbtool audit` checks "
                  "row-level security there.")), folder)


def _supabase_project_id(root: Path) -> str | None:
    import tomllib

    path = root / "supabase" / "config.toml"
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get("project_id")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return value if isinstance(value, str) and value.strip() else None


# -- dbmate -----------------------------------------------------------------------
def _dbmate(found: Detection, dialect: str | None) -> None:
    folder = found.root / "db" / "migrations"
    if not folder.is_dir() or folder.resolve() in found.claimed:
        return
    scheme = dotenv_scheme(found.root / ".env")
    from_env = DBMATE_SCHEMES.get(scheme or "")
    if scheme and from_env is None and dialect is None:
        raise UsageError(f"db/migrations is dbmate's, but .env's DATABASE_URL is {scheme}:, which "
                         "dbtool does not support", hint="dbtool supports sqlite, d1 and postgres; "
                         "pass --dialect if the files are for one of them")
    chosen = dialect or from_env
    if chosen is None:
        raise UsageError("db/migrations looks like dbmate's, but its dialect is unknown: no "
                         "DATABASE_URL in .env", hint="pass --dialect sqlite or --dialect postgres")
    how = f"--dialect {dialect}" if dialect else f".env's DATABASE_URL ({scheme}:)"
    comments = [f"dbmate migrations; dialect {chosen} from {how}."]
    if not capabilities(chosen).embedded:
        comments.append("$DATABASE_URL is dbmate's variable: dbtool reads the environment, not .env.")
    else:
        comments.append("With no URL dbtool builds .dbtool/local/NAME.db; dbmate's sqlite:PATH URL "
                        "reads as sqlite:///PATH in dbtool (set url_env to a variable holding it).")
    paths = sql_files(folder)
    no_tx = [p.name for p in paths if _NO_TX.search(_text(p))]
    if no_tx:
        comments.append(f"{', '.join(no_tx)}: dbmate's transaction:false reads as a comment; add "
                        "`-- dbtool:no-transaction` to their leading comments")
    found.add(Detected(
        service_name(found.root.resolve().name), chosen, "dbmate", "db/migrations", len(paths),
        naming_of(folder, "timestamp"), url_env=None if capabilities(chosen).embedded else "DATABASE_URL",
        comments=tuple(comments), down_sections=tuple(p.name for p in paths if down_section(_text(p)))),
        folder)


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def dotenv_scheme(path: Path) -> str | None:
    """The URL scheme of DATABASE_URL in a .env file (`export`, quotes and comments allowed)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        match = re.match(r"\s*(?:export\s+)?DATABASE_URL\s*=\s*['\"]?([A-Za-z][A-Za-z0-9+.-]*):", line)
        if match:
            return match.group(1).lower()
    return None


def down_section(text: str) -> str | None:
    """What follows `-- migrate:down` when it holds SQL (not only blanks and comments)."""
    match = _DOWN.search(text)
    if match is None:
        return None
    rest = text[match.end():]
    code = [ln for ln in rest.splitlines() if ln.strip() and not ln.strip().startswith("--")]
    return rest if code else None


# -- plain migrations/ ------------------------------------------------------------
def _plain(found: Detection, dialect: str | None) -> None:
    folder = found.root / "migrations"
    if not folder.is_dir() or folder.resolve() in found.claimed:
        return
    if sql_files(folder):
        groups = [(service_name(found.root.resolve().name), folder)]
    else:
        groups = [(service_name(sub.name), sub) for sub in sorted(folder.iterdir())
                  if sub.is_dir() and sql_files(sub) and sub.resolve() not in found.claimed]
    if not groups:
        return
    if dialect is None:
        raise UsageError(f"{relative(folder, found.root)}/ holds SQL migrations of no known tool, so "
                         "their dialect is unknown", hint="pass --dialect sqlite, d1 or postgres")
    for name, sub in groups:
        comments = [f"plain SQL migrations; dialect {dialect} from --dialect."]
        found.add(Detected(name, dialect, "migrations", relative(sub, found.root), len(sql_files(sub)),
                           naming_of(sub, "sequential"),
                           url_env=None if capabilities(dialect).embedded else env_name(name),
                           comments=tuple(comments)), sub)
