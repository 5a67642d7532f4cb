"""File-name schemes: sequential (`0001_x.sql`) and timestamp (`20251201000002_x.sql`).

Identity is the file name (as wrangler's d1_migrations.name); order is the
leading version, then the full name, so duplicate versions are legal and stable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dbtool.errors import MigrationFileError, SourceLocation

SEQUENTIAL = "sequential"
TIMESTAMP = "timestamp"
_NAME = re.compile(r"^(?P<version>\d+)(?:[_\-](?P<label>.*))?\.sql$", re.IGNORECASE)
_MAX_VERSION_DIGITS = 14
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


@dataclass(frozen=True, order=True)
class Version:
    """Sort key of a file: numeric version first, then the whole name."""

    number: int
    name: str


def parse_version(name: str, scheme: str | None, folder: object = "") -> Version:
    """Return the ordering key of a migration file name, or fail naming the file."""
    match = _NAME.match(name)
    where = SourceLocation(f"{folder}/{name}" if folder else name)
    bad = _UNSAFE.search(name)
    if bad:
        raise MigrationFileError(
            f"migration file name {name!r} contains {bad.group()!r}",
            location=where,
            hint="use only ASCII letters, digits, '_', '-' and '.' (wrangler breaks on quotes)",
        )
    if match is None:
        raise MigrationFileError(
            f"migration file name {name!r} has no leading version",
            location=where,
            hint="name it NNNN_description.sql or YYYYMMDDHHMMSS_description.sql",
        )
    digits = match.group("version")
    if len(digits) > _MAX_VERSION_DIGITS:
        raise MigrationFileError(
            f"version {digits} in {name!r} is longer than {_MAX_VERSION_DIGITS} digits",
            location=where,
            hint="use a 4-digit sequence or a YYYYMMDDHHMMSS timestamp",
        )
    if scheme == TIMESTAMP:
        return Version(_timestamp_number(digits, name, where), name)
    return Version(int(digits), name)


def _timestamp_number(digits: str, name: str, where: SourceLocation) -> int:
    """Timestamps order as YYYYMMDDHHMMSS; a date-only prefix counts as midnight."""
    if len(digits) not in (8, 12, 14):
        raise MigrationFileError(
            f"{name!r} does not start with a YYYYMMDD[HHMM[SS]] timestamp",
            location=where,
            hint="timestamp services name files YYYYMMDDHHMMSS_description.sql",
        )
    padded = digits.ljust(14, "0")
    try:
        datetime.strptime(padded, "%Y%m%d%H%M%S")
    except ValueError as exc:
        raise MigrationFileError(
            f"{name!r} starts with {digits}, which is not a valid date and time",
            location=where,
            hint="use a real UTC timestamp, e.g. `dbtool new` writes one",
        ) from exc
    return int(padded)


def _is_datetime(digits: str) -> bool:
    """A YYYYMMDD[HHMM[SS]] prefix that is a real date and time (any century)."""
    if len(digits) not in (8, 12, 14):
        return False
    try:
        datetime.strptime(digits.ljust(14, "0"), "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


def looks_like_timestamp(digits: str) -> bool:
    return _is_datetime(digits) and digits[:2] in {"19", "20"}


def detect_scheme(names: list[str]) -> str:
    """Timestamp when every versioned name starts with a plausible timestamp."""
    versions = [m.group("version") for n in names if (m := _NAME.match(n))]
    if versions and all(looks_like_timestamp(v) for v in versions):
        return TIMESTAMP
    return SEQUENTIAL


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug or "migration"


def next_name(existing: list[str], label: str, scheme: str, now: datetime | None = None) -> str:
    """The next file name in the scheme: max+1 zero-padded to 4, or a UTC timestamp."""
    slug = slugify(label)
    if scheme == TIMESTAMP:
        return f"{next_timestamp(existing, now or datetime.now(UTC))}_{slug}.sql"
    numbers = [int(m.group("version")) for n in existing if (m := _NAME.match(n))]
    widths = [len(m.group("version")) for n in existing if (m := _NAME.match(n))]
    width = max(widths) if widths else 4  # keep the folder's own padding
    return f"{(max(numbers) + 1 if numbers else 1):0{width}d}_{slug}.sql"


def next_timestamp(existing: list[str], now: datetime) -> str:
    """`now` as YYYYMMDDHHMMSS, moved on by whole seconds — as a time, so 23:59:59 on
    31 December becomes midnight of the next year, never second 60 — until it is
    later than every existing version: a new file sorts last even when two `new`
    calls share a second or a file carries a timestamp from a clock ahead of ours."""
    stamp = now.replace(microsecond=0, tzinfo=None)
    newest = max((int(v.ljust(14, "0")) for n in existing if (m := _NAME.match(n))
                  and _is_datetime(v := m.group("version"))), default=None)
    if newest is not None and int(stamp.strftime("%Y%m%d%H%M%S")) <= newest:
        try:
            stamp = datetime.strptime(str(newest), "%Y%m%d%H%M%S") + timedelta(seconds=1)
        except OverflowError:
            raise MigrationFileError(f"no timestamp is later than {newest}",
                                     hint="rename the file with the year-9999 timestamp") from None
    return stamp.strftime("%Y%m%d%H%M%S")
