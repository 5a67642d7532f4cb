"""`new`: create the next migration file in the service's naming scheme."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dbtool.config import Service
from dbtool.errors import UsageError
from dbtool.migrations.files import discover
from dbtool.migrations.naming import next_name

HEADER = "-- Migration: {label}\n-- Created: {created} (UTC) by dbtool new\n\n"


def new_migration(service: Service, label: str, now: datetime | None = None) -> Path:
    """Write an empty migration with a header; never overwrites an existing file."""
    if not label.strip():
        raise UsageError("the migration needs a name", hint='e.g. dbtool new api "add goal progress"')
    service.migrations.mkdir(parents=True, exist_ok=True)
    files, scheme = discover(service.migrations, service.naming)
    now = now or datetime.now(UTC)
    name = next_name([f.name for f in files], label, scheme, now)
    path = service.migrations / name
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(HEADER.format(label=label.strip(), created=now.strftime("%Y-%m-%d %H:%M:%S")))
    except FileExistsError as exc:
        raise UsageError(f"{path} already exists", hint="dbtool new never overwrites; pick another name") from exc
    return path
