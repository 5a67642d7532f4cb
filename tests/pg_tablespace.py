"""The tests' Postgres relation files on a tmpfs tablespace, when the server is on this machine.

On an ext4 file system without a journal (this machine's), creating a file soon after many
were deleted scans past every inode freed in the last minutes; the suite creates and drops
tens of thousands of relation files, so that scan was the largest single cost of the
Postgres server (a quarter of all CPU in the Postgres-heavy tests). The tests therefore ask
the server for a tablespace in /dev/shm and point `default_tablespace` at it (PGOPTIONS,
which every libpq client of the session reads, dbtool's own connections included): the
server, its catalogs and its WAL stay as they are; only where tables and indexes keep their
bytes changes. Nothing of dbtool reads tablespaces, so what the tests see does not change.

It needs the server on this machine and a process that may give the folder to the server's
user (root, or that user); otherwise, or with DBTOOL_TEST_TABLESPACE=0, nothing changes.
After a reboot the folder is gone: the tablespace is dropped and made again.
"""

from __future__ import annotations

import os
from pathlib import Path

NAME = "dbtool_tests_tmpfs"
SHM = Path("/dev/shm")


def ensure(admin_url: str) -> str | None:
    """The tablespace's name, created when missing; None when it cannot be had here."""
    if os.environ.get("DBTOOL_TEST_TABLESPACE") == "0" or not SHM.is_dir():
        return None
    import psycopg

    try:
        # options: not PGOPTIONS, which may already name the tablespace this creates
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5,
                             options="-c default_tablespace=") as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext('dbtool tests tablespace'))")
            return _ensure(conn)
    except (psycopg.Error, OSError):
        return None


def _ensure(conn) -> str | None:
    row = conn.execute("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = %s",
                       (NAME,)).fetchone()
    if row is not None and Path(row[0]).is_dir():
        return NAME
    if row is not None:  # its folder went with a reboot: nothing can be in it any more
        conn.execute(f"DROP TABLESPACE {NAME}")
    data = Path(conn.execute("SHOW data_directory").fetchone()[0])
    if not data.is_dir():  # the server is not on this machine
        return None
    owner = data.stat()
    place = folder(conn.execute("SHOW port").fetchone()[0])
    place.mkdir(mode=0o700, exist_ok=True)
    if place.stat().st_uid != owner.st_uid:
        os.chown(place, owner.st_uid, owner.st_gid)  # PermissionError unless root: no tablespace
    if any(place.iterdir()):
        return None  # someone else's files: leave them alone
    conn.execute(f"CREATE TABLESPACE {NAME} LOCATION '{place}'")
    conn.execute(f"GRANT CREATE ON TABLESPACE {NAME} TO PUBLIC")  # the tests' unprivileged roles
    return NAME


def folder(port: int | str) -> Path:
    """The tablespace's folder for the server on `port` (one per server of this machine)."""
    return SHM / f"dbtool-tests-pg-{port}"


def in_use() -> bool:
    """Whether this process's connections default to the tablespace (see `use`)."""
    return f"default_tablespace={NAME}" in os.environ.get("PGOPTIONS", "")


def use(admin_url: str) -> str | None:
    """Make every libpq connection of this process and its children default to the tablespace."""
    name = ensure(admin_url)
    if name is not None:
        setting = f"-c default_tablespace={name}"
        current = os.environ.get("PGOPTIONS", "")
        if setting not in current:
            os.environ["PGOPTIONS"] = f"{current} {setting}".strip()
    return name
