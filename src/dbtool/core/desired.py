"""Where `dbtool diff` takes the desired schema from, besides the snapshot.

- `--to live`: a live database (a configured target or `--url`), as the dashboard
  left it. dbtool's own tables are never part of an inspected schema; the objects
  the service's prelude creates (Supabase's auth schema, roles, extensions ...) are
  the prelude's, not the service's: whatever the live database says of them, the
  desired schema keeps them as the migrations' build has them, so they are never
  captured. A publication's membership is the exception: the prelude creates
  `supabase_realtime` empty, and the tables in it are the service's.
- `--to sql:DIR` (or `declared = "DIR"` in dbtool.toml): a folder of SQL files
  (Supabase's `supabase/schemas/` layout), run in file-name order on a scratch
  database that has the prelude, then inspected.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dbtool.config import Project, Service
from dbtool.errors import DbtoolError, MigrationFileError, UsageError

if TYPE_CHECKING:
    from dbtool.model import Schema
    from dbtool.urls import DatabaseUrl

LIVE = "live"
SQL_PREFIX = "sql:"
# Kinds whose objects a prelude creates but the service fills (see the module docstring).
_SERVICE_FILLED = frozenset({"publications"})


@dataclass(frozen=True)
class DesiredSource:
    """`kind` is snapshot | live | sql; `folder` for sql."""

    kind: str = "snapshot"
    folder: Path | None = None

    @classmethod
    def parse(cls, text: str | None, root: Path) -> DesiredSource:
        if text is None:
            return cls()
        if text == LIVE:
            return cls(LIVE)
        if text.startswith(SQL_PREFIX) and text[len(SQL_PREFIX):].strip():
            folder = Path(text[len(SQL_PREFIX):].strip())
            return cls("sql", folder if folder.is_absolute() else root / folder)
        raise UsageError(f"--to {text!r} is not `live` or `sql:DIR` (with SERVICE NAME)",
                         hint="dbtool diff SERVICE NAME --to live, or --to sql:supabase/schemas")


def sql_files(folder: Path) -> list[Path]:
    """The folder's .sql files, in file-name order (subfolders included, by path)."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder of SQL files",
                         hint="give the folder that holds the schema's .sql files")
    files = sorted((p for p in folder.rglob("*.sql") if p.is_file()),
                   key=lambda p: p.relative_to(folder).as_posix())
    if not files:
        raise UsageError(f"{folder} holds no .sql file", hint="declare the schema in DIR/*.sql")
    return files


def declared_schema(service: Service, project: Project | None, folder: Path) -> Schema:
    """The schema the folder's SQL files build on a scratch database with the prelude.

    The files are applied as migrations of a copy of the service (numbered in file-name
    order), so each runs in its transaction unless it says `-- dbtool:no-transaction`,
    and an error names the declared file and line."""
    from dbtool.core.migrate import MigrateOptions, migrate_target
    from dbtool.core.schema_ops import inspect_url
    from dbtool.core.scratch import scratch_url
    from dbtool.core.targets import ResolvedTarget

    files = sql_files(folder)
    with scratch_url(service, project) as url, _no_migrations(service) as copy:
        names = {}
        for n, path in enumerate(files, 1):
            name = f"{n:04d}_{path.stem}.sql"
            (copy.migrations / name).write_bytes(path.read_bytes())
            names[str(copy.migrations / name)] = str(path)
        try:
            migrate_target(ResolvedTarget(replace(copy, naming="sequential", ignore=()), url, "scratch",
                                          prelude=True), MigrateOptions(prelude=True, lock_timeout=30.0))
        except DbtoolError as exc:
            text = exc.one_line()
            for temporary, original in names.items():
                text = text.replace(temporary, original)
            raise MigrationFileError(f"the declared SQL in {folder} failed: {text}",
                                     hint="fix the declared SQL; nothing was written") from exc
        return inspect_url(service, url)


@contextmanager
def _no_migrations(service: Service) -> Iterator[Service]:
    """The service with an empty migrations folder: a build of it is the prelude alone."""
    with tempfile.TemporaryDirectory(prefix="dbtool-prelude-") as folder:
        yield replace(service, migrations=Path(folder))


def prelude_schema(service: Service, project: Project | None) -> Schema | None:
    """What the prelude alone creates in the service's schemas (None without a prelude)."""
    if service.prelude is None:
        return None
    from dbtool.core.schema_ops import inspect_url
    from dbtool.core.scratch import built_scratch

    with _no_migrations(service) as empty, built_scratch(empty, project) as (url, _run):
        return inspect_url(service, url)


def without_prelude(live: Schema, current: Schema, prelude: Schema | None) -> Schema:
    """`live`, with every object the prelude creates taken from `current` instead (see the
    module docstring): the prelude's objects are never captured."""
    if prelude is None:
        return live
    from dataclasses import fields

    from dbtool.model import Schema as SchemaModel

    kwargs = {}
    for f in fields(SchemaModel):
        if f.metadata.get("derived") or f.name in _SERVICE_FILLED:
            continue
        owned = {o.key for o in getattr(prelude, f.name)}
        kept = [o for o in getattr(live, f.name) if o.key not in owned]
        kept += [o for o in getattr(current, f.name) if o.key in owned]
        kwargs[f.name] = tuple(kept)
    return replace(live, **kwargs)


def live_schema(url: DatabaseUrl, service: Service) -> Schema:
    from dbtool.core.schema_ops import inspect_url

    return inspect_url(service, url)
