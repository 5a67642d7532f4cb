"""`dbtool diff … --to live --mark-applied`: record the captured file on the live target.

The new file describes changes someone already made on the live database (in a
dashboard, with psql), so running it there would fail or do them twice: it is
recorded as applied instead. That is only true when the live database was built
by every existing migration (checked before anything is written) and when the
migrations plus the new file build exactly the live schema (the proof in
`generate`, which must leave no residue before this module is called).
"""

from __future__ import annotations

from dbtool.config import Service
from dbtool.engines import open_engine
from dbtool.errors import HistoryConflict
from dbtool.migrations.audit import HistoryEntry, LogEntry
from dbtool.migrations.files import discover, parked_names
from dbtool.migrations.history import State, compute_states
from dbtool.urls import DatabaseUrl

NOTE = "captured from the live database by dbtool diff --to live"


def unapplied(service: Service, url: DatabaseUrl) -> list[str]:
    """Migration files the live database's history does not hold as applied (any state
    other than applied or ignored: pending, changed, missing ...)."""
    files, _ = discover(service.migrations, service.naming, service.ignore)
    engine = open_engine(url, service.dialect, history_table=service.history_table,
                         history_schema=service.history_schema)
    try:
        applied = engine.history()
    finally:
        engine.close()
    states = compute_states(files, applied, parked_names(service.migrations, service.ignore))
    return [f"{s.name} ({s.state.value})" for s in states if s.state not in (State.APPLIED, State.IGNORED)]


def record_applied(service: Service, url: DatabaseUrl, names: list[str], lock_timeout: float) -> None:
    """Record the new files as applied, under the run lock, after checking again that
    nothing else is unapplied (another run may have migrated meanwhile)."""
    files, _ = discover(service.migrations, service.naming, service.ignore)
    by_name = {f.name: f for f in files}
    engine = open_engine(url, service.dialect, history_table=service.history_table,
                         history_schema=service.history_schema, lock_timeout=lock_timeout)
    try:
        with engine.lock(lock_timeout):
            states = compute_states(files, engine.history(), parked_names(service.migrations, service.ignore))
            other = [s.name for s in states if s.name not in names
                     and s.state not in (State.APPLIED, State.IGNORED)]
            if other:
                raise HistoryConflict(f"{service.name}: {other[0]} is not applied on the live database, so "
                                      "the captured file cannot be recorded",
                                      hint=f"look at `dbtool status {service.name}`; the file was written")
            entries = [HistoryEntry.for_file(by_name[n], "mark") for n in names]
            engine.record(entries, [LogEntry("mark", n, None, by_name[n].checksum, note=NOTE) for n in names])
    finally:
        engine.close()
