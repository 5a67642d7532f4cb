"""Other tools' histories (Supabase, dbmate) where `status` and `migrate` meet them.

Kept apart from the history commands (`dbtool.core.history_ops`), so `status` loads
only what it reads.
"""

from __future__ import annotations

from dbtool.engines.base import Engine
from dbtool.errors import HistoryConflict
from dbtool.migrations.files import MigrationFile
from dbtool.migrations.foreign import unadopted, with_foreign
from dbtool.migrations.history import AppliedMigration, MigrationState


def history_with_foreign(engine: Engine, files: list[MigrationFile]) -> list[AppliedMigration]:
    """dbtool's history plus Supabase/dbmate rows not adopted yet (for `status`)."""
    applied = engine.history()
    return with_foreign(applied, engine.foreign_history(), files)


def refuse_unadopted(engine: Engine, files: list[MigrationFile], states: list[MigrationState],
                     service: str) -> None:
    """Stop `migrate` from re-running files another tool (Supabase, dbmate) already applied."""
    refuse_unadopted_rows(engine, files, [s.applied for s in states if s.applied is not None],
                          service)


def refuse_unadopted_rows(engine: Engine, files: list[MigrationFile], applied: list[AppliedMigration],
                          service: str) -> None:
    """The same for `rollback`: undoing dbtool's newest file beneath files only another tool
    recorded would leave a history that is no prefix of the files once those are adopted."""
    found = [(row, file) for row, file in unadopted(engine.foreign_history(), files, applied) if file]
    if not found:
        return
    source, waiting = found[0][0].source, [file for _row, file in found]
    names = ", ".join(f.name for f in waiting[:3]) + (" …" if len(waiting) > 3 else "")
    raise HistoryConflict(
        f"{len(waiting)} migration(s) are recorded as applied by {source} but not in dbtool's "
        f"history: {names}",
        hint=f"adopt them first: `dbtool adopt {service} --from {source}` (then --apply)",
    )
