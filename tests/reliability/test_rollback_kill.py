"""SIGKILL `dbtool rollback` at random moments on a database dbmate also records (a generated family).

A rollback deletes the dbmate row of the file it undoes in the same transaction as its own row
and the down file's statements: after a kill at any moment, the table the file made, dbtool's
row and dbmate's row are all there or all gone (a dbmate row left behind made `adopt` record
the file again without its effects). `ROLLBACK_KILL_SEED=N` replays a campaign.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.zygote import dbtool_popen, dbtool_run

KILLS = int(os.environ.get("ROLLBACK_KILL_ROUNDS", "8"))
UP = ("CREATE TABLE b (id INTEGER PRIMARY KEY, v TEXT);\n"
      "INSERT INTO b WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)\n"
      "  SELECT i, 'x' || i FROM n;\n")
DOWN = "DELETE FROM b WHERE id % 2 = 0;\nUPDATE b SET v = v || 'y' WHERE id > 0;\nDROP TABLE b;\n"


def _dbtool(*args: str) -> list[str]:
    return [sys.executable, "-m", "dbtool", *args]


def _state(db: Path) -> tuple[bool, bool, bool]:
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        ours = {r[0] for r in conn.execute("SELECT name FROM d1_migrations")}
        theirs = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
    return "b" in tables, "0002_b.sql" in ours, "0002" in theirs


def test_a_killed_rollback_keeps_the_file_and_both_histories_together(tmp_path: Path) -> None:
    seed = int(os.environ.get("ROLLBACK_KILL_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    folder = tmp_path / "migrations"
    (folder / "down").mkdir(parents=True)
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id INTEGER PRIMARY KEY);\n")
    (folder / "0002_b.sql").write_text(UP)
    (folder / "down" / "0002_b.sql").write_text(DOWN)
    outcomes = []

    def rollback_of_a_new_database(name: str) -> tuple[Path, str, subprocess.Popen, float]:
        db = tmp_path / f"{name}.db"
        url = f"sqlite:///{db}"
        dbtool_run(_dbtool("migrate", "--dir", str(folder), "--url", url), check=True,
                   capture_output=True)
        with sqlite3.connect(db) as conn:  # dbmate ran the same files
            conn.execute("CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)")
            conn.execute("INSERT INTO schema_migrations VALUES ('0001'), ('0002')")
        started = time.monotonic()
        return db, url, dbtool_popen(_dbtool("rollback", "--dir", str(folder), "--url", url, "--steps", "1"),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE), started

    _, _, whole, started = rollback_of_a_new_database("calibrate")
    assert whole.wait(timeout=120) == 0
    full = time.monotonic() - started  # a whole rollback here: the kill delays are drawn inside it
    for k in range(KILLS):
        db, url, run, _ = rollback_of_a_new_database(f"app{k}")
        delay = rng.uniform(0.0, 1.1) * full
        try:
            run.communicate(timeout=delay)
        except subprocess.TimeoutExpired:
            run.send_signal(signal.SIGKILL)
            run.communicate()
        state = _state(db)
        outcomes.append((round(delay, 3), run.returncode, state))
        assert len(set(state)) == 1, (
            f"ROLLBACK_KILL_SEED={seed}, kill {k} after {delay:.3f}s (exit {run.returncode}): table b, "
            f"dbtool's row and dbmate's row should agree, got {state}")
        if run.returncode == -signal.SIGKILL and state[0]:  # the re-run finishes the rollback
            again = dbtool_run(_dbtool("rollback", "--dir", str(folder), "--url", url, "--steps", "1"),
                                   capture_output=True, text=True, stdin=subprocess.DEVNULL)
            assert again.returncode == 0 and _state(db) == (False, False, False), (
                f"ROLLBACK_KILL_SEED={seed}, kill {k}: re-run exit {again.returncode} {again.stderr}")
    assert any(code == -signal.SIGKILL for _, code, _ in outcomes), (
        f"seed {seed}: no kill landed (a whole rollback took {full:.3f} s)")
