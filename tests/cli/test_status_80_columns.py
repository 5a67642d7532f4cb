"""Output for people and logs (issue #19, item 7), read as a CI log shows it: at COLUMNS=80,
from the real CLI, over real SQLite and Postgres histories.

- `status`: no line wider than 80 columns, file names whole, no column that is empty in every
  row, one time format (UTC, `2026-12-06 15:42:55`) for SQLite and Postgres, `--pending` and
  `--summary` for long histories;
- `migrate`: every per-file line names its service (`--all`), and a failure ends with
  `SERVICE: N applied, stopped at FILE`.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from dbtool.cli.status_table import Row, layout, utc_time
from tests.helpers import run_dbtool

TIME = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\b")
LONG = [f"{n:04d}_{name}.sql" for n, name in enumerate([  # 40-46 characters: the time fits
    "create_users_with_email_verification",       # beside them at 80 columns, the source not
    "add_billing_plans_and_subscriptions",
    "backfill_subscriptions_from_invoices_v2",
    "index_subscriptions_on_customer_period"], 1)]


def _folder(path: Path, names: list[str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for n, name in enumerate(names, 1):
        (path / name).write_text(f"CREATE TABLE t{n} (id integer PRIMARY KEY);\n")
    return path


def _run(*args: str, code: int = 0, cwd: Path | None = None) -> str:
    proc = run_dbtool(*args, env={"COLUMNS": "80"}, cwd=cwd)
    assert proc.returncode == code, proc.stdout + proc.stderr
    return proc.stdout


def _table(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    return lines[next(i for i, text in enumerate(lines) if text.startswith("migration")):]


def _fits(stdout: str, names: list[str]) -> None:
    assert max(len(text) for text in stdout.splitlines()) <= 80, stdout
    for name in names:  # every file name whole, on some line
        assert any(name in text.split() for text in stdout.splitlines()), (name, stdout)


def test_sqlite_history_fits_80_columns_with_one_time_format(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "billing", LONG[:3])
    (folder / "_draft_rename_subscription_history_columns.sql").write_text("SELECT 1;\n")  # parked
    url = "sqlite:///billing.db"
    _run("migrate", "--dir", "billing", "--url", url, cwd=tmp_path)
    _folder(folder, LONG)  # one more file: pending
    out = _run("status", "--dir", "billing", "--url", url, cwd=tmp_path)
    _fits(out, LONG)
    table = _table(out)
    assert table[0].split() == ["migration", "state", "applied", "at", "(UTC)"]  # no source here
    with sqlite3.connect(tmp_path / "billing.db") as conn:
        recorded = dict(conn.execute("SELECT name, applied_at FROM dbtool_migrations"))
    for name in LONG[:3]:
        (row,) = [t for t in table if t.startswith(name)]
        assert TIME.findall(row) == [recorded[name][:19].replace("T", " ")], row
        assert table[table.index(row) + 1] == "    source: dbtool"  # moved below, not cut
    (pending,) = [t for t in table if t.startswith(LONG[3])]
    assert pending.split() == [LONG[3], "pending"]
    parked = table.index(next(t for t in table if t.startswith("_draft")))
    assert table[parked].split() == ["_draft_rename_subscription_history_columns.sql", "ignored"]
    assert "note" not in table[0]  # the note lives on the line below its row
    assert table[parked + 1].startswith("    note: parked: never applied")  # the note moved below


def test_pending_and_summary_for_long_histories(tmp_path: Path) -> None:
    names = [f"{n:04d}_step_{n}.sql" for n in range(1, 41)]
    _folder(tmp_path / "app", names)
    args = ("--dir", "app", "--url", "sqlite:///app.db")
    _run("migrate", *args, "--to", names[36], cwd=tmp_path)
    pending = _run("status", *args, "--pending", cwd=tmp_path)
    assert pending.splitlines()[0] == "app (--url: sqlite:///app.db) — 37 applied, 3 pending"
    assert [t.split() for t in _table(pending)] == [["migration", "state"]] + [
        [n, "pending"] for n in names[37:]]
    summary = _run("status", *args, "--summary", cwd=tmp_path)
    lines = summary.splitlines()
    assert len(lines) == 3 and "migration" not in summary
    assert re.fullmatch(rf"    last applied: {names[36]} \({TIME.pattern}\)", lines[1])
    assert lines[2] == f"    next: {names[37]} (pending) and 2 more"
    caught_up = _run("migrate", *args, cwd=tmp_path).splitlines()
    assert [re.sub(r" \(\d+\.\d ms\)$", "", text) for text in caught_up[:3]] == [
        f"app: applied {n}" for n in names[37:]]
    assert _run("status", *args, "--pending", cwd=tmp_path).splitlines()[1:] == ["    nothing pending"]


@pytest.mark.postgres
def test_postgres_times_read_like_sqlite_in_utc(tmp_path: Path, pg_url: str) -> None:
    _folder(tmp_path / "billing", LONG)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # a server that is not in UTC
        conn.execute(f"ALTER DATABASE \"{pg_url.rpartition('/')[2]}\" SET timezone = 'Asia/Kolkata'")
    _run("migrate", "--dir", "billing", "--url", pg_url, cwd=tmp_path)
    out = _run("status", "--dir", "billing", "--url", pg_url, cwd=tmp_path)
    _fits(out, LONG)
    with psycopg.connect(pg_url) as conn:
        recorded = {name: when.astimezone(UTC) for name, when in conn.execute(
            "SELECT name, applied_at FROM dbtool.dbtool_migrations")}
    for name in LONG:
        (row,) = [t for t in _table(out) if t.startswith(name)]
        (shown,) = TIME.findall(row)
        assert datetime.strptime(shown, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) == \
            recorded[name].replace(microsecond=0), row
        assert "+" not in row and "." not in row.replace(".sql", "")


def test_migrate_all_names_the_service_per_file_and_where_it_stopped(tmp_path: Path) -> None:
    _folder(tmp_path / "migrations" / "accounts", ["0001_users.sql", "0002_sessions.sql"])
    orders = _folder(tmp_path / "migrations" / "orders", ["0001_orders.sql", "0002_items.sql"])
    (orders / "0003_totals.sql").write_text("CREATE TABLE totals (id int);\nINSERT INTO nowhere VALUES (1);\n")
    _folder(tmp_path / "migrations" / "zeta", ["0001_z.sql"])
    (tmp_path / "dbtool.toml").write_text("".join(
        f'[services.{s}]\ndialect = "sqlite"\nmigrations = "migrations/{s}"\n\n'
        for s in ("accounts", "orders", "zeta")))
    proc = run_dbtool("migrate", "--all", cwd=tmp_path, env={"COLUMNS": "80"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        *[line for line in proc.stdout.splitlines()[:4]],
        "orders: 2 applied, stopped at 0003_totals.sql"]
    per_file = [text.split(" (")[0] for text in proc.stdout.splitlines()[:4]]
    assert per_file == ["accounts: applied 0001_users.sql", "accounts: applied 0002_sessions.sql",
                        "orders: applied 0001_orders.sql", "orders: applied 0002_items.sql"]
    assert "0003_totals.sql:2" in proc.stderr and "no such table: nowhere" in proc.stderr


def test_the_layout_moves_what_does_not_fit_and_never_cuts_a_name() -> None:
    name = "0001_" + "x" * 90 + ".sql"
    rows = [Row((name, "applied", "2026-12-06 15:42:55", "dbtool", "")),
            Row(("0002_b.sql", "pending", "", "", ""))]
    lines = layout(rows, 80)
    assert [line.text.split() for line in lines] == [["migration", "state"], [name, "applied"],
                                                      ["0002_b.sql", "pending"]]
    assert lines[1].more == ("    applied at (UTC): 2026-12-06 15:42:55; source: dbtool",)
    assert lines[1].text[lines[1].state] == "applied"


@pytest.mark.parametrize(("recorded", "shown"), [
    ("2026-12-06 15:44:00.444162+00", "2026-12-06 15:44:00"),  # Postgres, session in UTC
    ("2026-12-06 21:14:00.444162+05:30", "2026-12-06 15:44:00"),  # Postgres, another zone
    ("2026-12-06 10:44:00-05", "2026-12-06 15:44:00"),
    ("2026-12-06 15:42:55", "2026-12-06 15:42:55"),  # SQLite CURRENT_TIMESTAMP (UTC)
    ("2026-12-06T15:42:55Z", "2026-12-06 15:42:55"),  # ISO with Z
    ("yesterday", "yesterday"),  # unknown: shown as recorded
    (None, ""),
])
def test_times_are_shown_in_utc_alike(recorded: str | None, shown: str) -> None:
    assert utc_time(recorded) == shown
