"""Smoke test of the benchmark harness (the benchmarks themselves never run in `make test`).

One tiny workload (apply 10 and 20 files to SQLite), no peers installed, no
profiles: the harness must still produce a result table with its columns,
report the missing peers as "not measured", and keep sections of RESULTS.md
that other scripts own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 CLI")

FOREIGN = "<!-- d1-local:start -->\n## D1 local apply\nkept as is\n<!-- d1-local:end -->\n"


def test_quick_run_writes_tables_with_the_expected_columns(tmp_path: Path) -> None:
    md, js = tmp_path / "RESULTS.md", tmp_path / "results.json"
    md.write_text("# Benchmark results\n\n" + FOREIGN)
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--runs", "1", "--no-peers", "--no-profile", "--only",
         "apply-sqlite", "--format", "json", "--output", str(md), "--json", str(js),
         "--work", str(tmp_path / "work")],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr

    text = md.read_text()
    assert "| tool | command | median | min | max | runs | dbtool / peer |" in text
    assert "### apply 20 migrations to SQLite" in text
    assert "## Targets (DESIGN §9)" in text and "## Notes" in text
    assert FOREIGN in text  # the D1 helper's section survives, byte for byte
    assert "not measured: peers not installed (--no-peers)" in text

    data = json.loads(js.read_text())
    assert json.loads(proc.stdout) == data
    work = next(w for w in data["workloads"] if w["key"] == "apply-sqlite-20")
    rows = {r["command"]: r for r in work["rows"]}
    dbtool = rows["dbtool migrate --dir … --url sqlite:///…"]
    assert dbtool["dbtool"] and dbtool["runs"] >= 1 and dbtool["median_s"] > 0
    assert rows["sqlite3 db < all.sql"]["median_s"] > 0
    assert rows["dbmate migrate"]["not_measured"] and rows["dbmate migrate"]["runs"] == 0
    assert {t["target"] for t in data["targets"]} >= {"`dbtool --version` ≤ 0.15 s"}


def test_rewriting_keeps_other_sections(tmp_path: Path) -> None:
    from bench.report_md import END, START, merge

    first = merge("# Benchmark results\n\n" + FOREIGN, f"{START}\nold\n{END}")
    second = merge(first, f"{START}\nnew\n{END}")
    assert FOREIGN in second and "new" in second and "old" not in second
