"""What the history commands write: history rows and audit-trail entries.

Engines receive these plain values and write them in one transaction, so the
core decides *what* changes and each engine only decides *how* its database
stores it. Nothing here touches a database.
"""

from __future__ import annotations

import functools
import getpass
import uuid
from dataclasses import dataclass, field

from dbtool.errors import MigrationFileError
from dbtool.migrations.files import MigrationFile, decode

LOG_TABLE = "dbtool_history_log"
# A file's text is stored with its history row so `repair` can show a line diff
# later. Larger files are recorded without it: D1 caps one statement at 100 KB
# and the text travels inside the INSERT.
BODY_LIMIT = 60_000
ACTIONS = ("adopt", "baseline", "mark", "repair", "rollback")


@functools.cache
def current_user() -> str:
    """The login name for the audit trail; containers without one say so. Cached: it is
    asked once per applied file and costs a getpwuid() each time (11 ms per 200 files)."""
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def new_batch() -> str:
    """An id shared by every audit row one command writes (and D1 retries look up)."""
    return uuid.uuid4().hex


def limited(text: str | None) -> str | None:
    """`text` if it fits in a history row, else None (the row then has no text)."""
    if text is None or len(text.encode("utf-8")) + text.count("'") > BODY_LIMIT:  # quotes double
        return None
    return text


def body_of(file: MigrationFile) -> str | None:
    """The file's text for the history row, or None when too large or not UTF-8."""
    try:
        return limited(decode(file))
    except MigrationFileError:
        return None


@dataclass(frozen=True)
class HistoryEntry:
    """One history row to write: the file's identity, checksum and where it came from.

    `source` says how the row got there (`dbtool` for migrate, else `wrangler`,
    `supabase`, `dbmate`, `baseline`, `baseline-forced`, `mark`), so `status`
    can show the truth about rows dbtool did not apply itself.
    """

    name: str
    version: str
    checksum: str
    body: str | None = None
    source: str = "dbtool"

    @classmethod
    def for_file(cls, file: MigrationFile, source: str) -> HistoryEntry:
        return cls(file.name, file.version_text, file.checksum, body_of(file), source)


@dataclass(frozen=True)
class LogEntry:
    """One audit-trail row: who changed which history row, how, and why."""

    action: str
    name: str
    old_checksum: str | None = None
    new_checksum: str | None = None
    forced: bool = False
    note: str | None = None
    batch: str = field(default_factory=new_batch)
    user: str = field(default_factory=current_user)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown history action {self.action!r}")
