"""`new`: create the next migration file in the service's naming scheme."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dbtool.config import Service
from dbtool.core.targets import TargetSpec, Use, resolve_targets
from dbtool.errors import UsageError
from dbtool.migrations.files import discover, is_parked
from dbtool.migrations.naming import next_name

HEADER = "-- Migration: {label}\n-- Created: {created} (UTC) by dbtool new\n\n"
DOWN_HEADER = ("-- Rollback of {name}: undo what it does, newest change first.\n"
               "-- `dbtool rollback` runs this file atomically with the removal of its history row.\n\n")


@dataclass(frozen=True)
class NewMigration:
    """The file `dbtool new` created (and its rollback file with `--with-down`)."""

    service: str
    path: Path
    down: Path | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"service": self.service, "path": str(self.path), "name": self.path.name,
                "down": str(self.down) if self.down else None}


def new(spec: TargetSpec, label: str, *, with_down: bool = False, now: datetime | None = None
        ) -> NewMigration:
    """Create the next migration of the one service `spec` names (or of `--dir DIR`), in
    the folder every other command reads (a wrangler-linked service: its migrations_dir)."""
    service = resolve_targets(spec, Use.FOLDER).one.service
    path = new_migration(service, label, now, with_down=with_down)
    return NewMigration(service.name, path, path.parent / "down" / path.name if with_down else None)


def new_migration(service: Service, label: str, now: datetime | None = None, *,
                  with_down: bool = False) -> Path:
    """Write an empty migration with a header into a resolved service's folder (see
    `dbtool.core.targets`); never overwrites an existing file.

    `with_down` also writes `down/<same name>.sql`, the file `dbtool rollback` runs.
    """
    if not label.strip():
        raise UsageError("the migration needs a name", hint='e.g. dbtool new api "add goal progress"')
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
