"""The run lock of a file database (SQLite, wrangler's local D1): `flock` on a sidecar file.

Every dbtool command that writes history takes it before it reads the history
its decisions depend on, and keeps it until its last write, so two runs never
decide from the same history (Postgres has its advisory lock for this).

Why a sidecar file and `flock`:

* SQLite's own locks are POSIX `fcntl` byte-range locks on the database file.
  Opening that file a second time and closing it would drop every `fcntl` lock
  this process holds on it (POSIX semantics), so dbtool never touches the
  database file itself. `flock` locks on Linux and the BSDs are independent of
  `fcntl` locks, and the sidecar is a different file anyway: SQLite, wrangler
  and miniflare never see it.
* The kernel releases a `flock` when its holder dies (SIGKILL included), so a
  crashed run never leaves a stale lock behind.
* The file (`<database>.dbtool-lock`) is deleted on release. A waiter that
  locked a file someone deleted meanwhile notices (the path no longer leads to
  the inode it holds) and starts again, so deleting it is race-free.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dbtool.errors import ConnectionFailed, LockTimeout

SUFFIX = ".dbtool-lock"


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + SUFFIX)


@contextmanager
def held(database: Path, timeout: float) -> Iterator[None]:
    """Hold the run lock of `database` (exclusive), waiting up to `timeout` seconds."""
    import fcntl

    path = lock_path(database)
    fd = _acquire(path, database, timeout, fcntl)
    try:
        yield
    finally:
        try:
            path.unlink(missing_ok=True)  # while still held: no one else can own this inode's lock
        finally:
            os.close(fd)  # releases the flock


def _acquire(path: Path, database: Path, timeout: float, fcntl: object) -> int:
    deadline = time.monotonic() + max(0.0, timeout)
    delay = 0.005
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConnectionFailed(f"cannot create the folder of {path.parent}: {exc.strerror}",
                               hint="check that the database's folder can be created and written") from exc
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise ConnectionFailed(f"cannot create the lock file {path}: {exc.strerror}",
                                   hint="the database's folder must be writable for a run that writes") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[attr-defined]
        except BlockingIOError:
            os.close(fd)
            now = time.monotonic()
            if now >= deadline:
                raise LockTimeout(
                    f"another dbtool run holds the migration lock on {database} "
                    f"(waited {timeout:g}s)",
                    hint="wait for it to finish, or raise --lock-timeout") from None
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, 0.1)
            continue
        except BaseException:
            os.close(fd)
            raise
        if _still_there(path, fd):
            return fd
        os.close(fd)  # the holder before us deleted it on release: lock the new file


def _still_there(path: Path, fd: int) -> bool:
    """Whether `path` still names the file `fd` locked (the previous holder may have unlinked it)."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)
