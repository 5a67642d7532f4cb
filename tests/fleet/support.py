"""Helpers of the fleet tests: a service with N numbered migrations, tenants at chosen
starting versions, and the fleet's JSON report from the real CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.helpers import run_dbtool

FILES = 6


def write_migrations(folder: Path, count: int = FILES) -> list[str]:
    """`count` files; each creates one table and inserts one row (a file applied twice
    would fail on its CREATE TABLE, so "applied once" is visible in the data too)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(1, count + 1):
        name = f"{i:03d}_step{i}.sql"
        (folder / name).write_text(f"CREATE TABLE step{i} (id integer PRIMARY KEY, note text);\n"
                                   f"INSERT INTO step{i} (id, note) VALUES ({i}, 'from {name}');\n")
        names.append(name)
    return names


def fleet_json(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, dict]:
    proc = run_dbtool(*args, "--format", "json", cwd=cwd, env=env)
    assert proc.stdout.strip(), f"no JSON (exit {proc.returncode}): {proc.stderr}"
    return proc.returncode, json.loads(proc.stdout)


def by_identity(report: dict) -> dict[str, dict]:
    return {t["identity"]: t for t in report["targets"]}


def sqlite_applied(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM dbtool_migrations ORDER BY name")]


def sqlite_tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return sorted(r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'step%'"))
