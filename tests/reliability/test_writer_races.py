"""Every pair of writing commands racing, on SQLite and Postgres (issue #15, item 5).

See tests/reliability/writer_races.py for the rounds and the oracle: the two
processes' result must be what the two commands do one after the other (in
some order), exit codes are 0, 1 or 3 (2 for `adopt` once a rollback emptied dbmate's
table, as in that serial order), stderr is at most one clean line, and
for pairs without `mark` the history stays a prefix of the files that agrees
with the schema. Before the fix `rollback` racing `migrate` left 0001, 0002,
0004 applied with 0003 undone, both exiting 0.

Each of the 21 pairs (self-pairs included) runs once per engine; more rounds
with DBTOOL_RACE_ROUNDS=N, one run replayed with DBTOOL_RACE_SEED.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.reliability.writer_races import PAIRS, PostgresRace, SqliteRace, race

SEED = int(os.environ.get("DBTOOL_RACE_SEED") or random.randrange(2**32))
ROUNDS = int(os.environ.get("DBTOOL_RACE_ROUNDS") or len(PAIRS))


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_every_pair_of_writers(engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine == "postgres":
        from tests.conftest import PG_ADMIN_URL, require_postgres

        require_postgres()
        monkeypatch.setenv("DBTOOL_SCRATCH_URL", PG_ADMIN_URL)  # baseline's scratch builds
        db = PostgresRace(tmp_path, PG_ADMIN_URL)
    else:
        db = SqliteRace(tmp_path)
    try:
        stats = race(db, SEED, ROUNDS)
    finally:
        db.close()
    where = f"DBTOOL_RACE_SEED={SEED} DBTOOL_RACE_ROUNDS={ROUNDS} ({engine})"
    assert stats.failures == [], f"{where}:\n" + "\n".join(stats.failures)
    # exit 2 only for `adopt` after a rollback emptied dbmate's table (see _emptied_dbmate)
    assert stats.rounds == ROUNDS and set(stats.exits) <= {0, 1, 2, 3}, where
    if len(PAIRS) <= ROUNDS:
        assert stats.pairs == set(PAIRS), where
