"""`new`: create the next migration file in the service's naming scheme."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dbtool.config import Service
from dbtool.core.targets import wrangler_aware
from dbtool.errors import UsageError
from dbtool.migrations.files import discover, is_parked
from dbtool.migrations.naming import next_name

HEADER = "-- Migration: {label}\n-- Created: {created} (UTC) by dbtool new\n\n"
DOWN_HEADER = ("-- Rollback of {name}: undo what it does, newest change first.\n"
               "-- `dbtool rollback` runs this file atomically with the removal of its history row.\n\n")


def new_migration(service: Service, label: str, now: datetime | None = None, *,
                  with_down: bool = False) -> Path:
    """Write an empty migration with a header; never overwrites an existing file.

    `with_down` also writes `down/<same name>.sql`, the file `dbtool rollback` runs.
    The folder is the one every other command reads: a service that names its wrangler
    file gets the file in wrangler's `migrations_dir`.
    """
    if not label.strip():
        raise UsageError("the migration needs a name", hint='e.g. dbtool new api "add goal progress"')
    service = wrangler_aware(service)
    service.migrations.mkdir(parents=True, exist_ok=True)
    files, scheme = discover(service.migrations, service.naming, service.ignore)
    now = now or datetime.now(UTC)
    name = next_name([f.name for f in files], label, scheme, now)
    if is_parked(name, service.ignore):
        raise UsageError(f"{name} would match an ignore glob of service {service.name}, so it would "
                         "never run", hint="choose another name, or change ignore in dbtool.toml")
    path = service.migrations / name
    down = service.migrations / "down" / name
    if with_down and down.exists():
        raise UsageError(f"{down} already exists", hint="dbtool new never overwrites; pick another name")
    _create(path, HEADER.format(label=label.strip(), created=now.strftime("%Y-%m-%d %H:%M:%S")))
    if with_down:
        down.parent.mkdir(exist_ok=True)
        _create(down, DOWN_HEADER.format(name=name))
    return path


def _create(path: Path, text: str) -> None:
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError as exc:
        raise UsageError(f"{path} already exists", hint="dbtool new never overwrites; pick another name") from exc
