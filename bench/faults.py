"""Fault harness: crashes, races and bad input, at full size, with the figures published.

    .venv/bin/python bench/faults.py [--kills 200] [--rounds 20] [--format text|json]
                                     [--engines sqlite,d1-local,postgres] [--jobs 3] [--no-write]

Per engine (SQLite, wrangler's local D1 state, Postgres — Postgres only when
the server on $DBTOOL_TEST_PG_URL answers): `--kills` SIGKILLs of a real
`dbtool migrate` (one at each injected point, the rest half at injected points
and half after random delays), each followed by the checks — the database is a
whole prefix of files, the history names that prefix, nothing holds the lock,
a re-run that may not wait finishes the set; `--rounds` rounds of 8 racing
writers; readers (status, audit) beside a slowed writer. Then the bad-input
corpus of tests/reliability. The machinery is tests/reliability's (one
implementation for the CI subset and this harness); only the sizes differ.

Prints a table (or one JSON document), rewrites the "Faults and races" section
of bench/RESULTS.md (between its own markers; the rest of the file belongs to
the other harnesses) unless --no-write, and exits 1 if anything was lost,
applied twice, torn, or rejected uncleanly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # the machinery lives in tests/reliability

from tests.reliability.campaign import POINTS, EngineReport, Sizes, run_all  # noqa: E402
from tests.reliability.workload import PG_ADMIN_URL  # noqa: E402

RESULTS = REPO / "bench" / "RESULTS.md"
START, END = "<!-- faults:start -->", "<!-- faults:end -->"
ENGINES = ("sqlite", "d1-local", "postgres")
ROWS = {"sqlite": 60_000, "d1-local": 20_000, "postgres": 60_000}
READER_ROUNDS = 5
FOUND = ("Found by this harness and its CI subset, and fixed: a read-only open (`status`, and "
         "`migrate`'s first history read) failed with \"attempt to write a readonly database\" on a "
         "SQLite file whose writer was killed after its transaction spilled to disk (a hot journal), "
         "locking everyone out until a manual repair; `audit --url` read the schema and the history "
         "in separate transactions (and Postgres' catalog queries each in its own), so beside a "
         "running `migrate` it reported the schema of one moment with the history of another.")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200, help="SIGKILLs per engine (default 200)")
    parser.add_argument("--rounds", type=int, default=20, help="8-writer race rounds per engine")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset")
    parser.add_argument("--jobs", type=int, default=3, help="engines run side by side")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    if args.kills < len(POINTS) or args.rounds < 1:
        parser.error(f"--kills must be at least {len(POINTS)} (one per injected point), --rounds >= 1")
    return args


def postgres_version() -> str | None:
    """The server's version, or None when no server answers (Postgres is then left out)."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # any failure means: no Postgres here
        return None


def machine(pg: str | None) -> dict[str, str]:
    """What the figures were measured on (the load matters: other jobs may share the box)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return {"system": f"{platform.system()} {platform.machine()}", "cpu": cpu,
            "cpus": str(os.cpu_count()), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "postgres": pg or "not available",
            "load": " / ".join(f"{x:.2f}" for x in os.getloadavg())}


def run_corpus(workdir: Path, with_pg: bool) -> dict[str, Any]:
    """The tests' bad-input corpus; the wrong-password case needs a private scram
    cluster (the test suite starts one) and is left out here."""
    import tests.reliability.cases_files
    import tests.reliability.cases_setup  # noqa: F401 - registers the cases
    from tests.reliability.corpus import CASES, make_base, run_cases

    base = make_base(workdir / "base")
    pg_url = _shared_pg(base) if with_pg else None
    try:
        verdicts = run_cases(CASES, base, workdir / "cases", pg=pg_url)
    finally:
        if pg_url:
            _drop(pg_url)
    problems = {case_id: problem for case_id, (_out, problem) in verdicts.items() if problem}
    return {"corpus": len(CASES), "tried": len(verdicts), "clean": len(verdicts) - len(problems),
            "skipped": sorted(c.id for c in CASES if c.id not in verdicts), "problems": problems}


def _shared_pg(base: Path) -> str:
    import uuid

    import psycopg

    from dbtool.core.migrate import MigrateOptions, migrate
    from dbtool.core.targets import TargetSpec

    name = f"dbtool_faults_corpus_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rpartition("/")[0] + "/" + name
    migrate(TargetSpec(dir=base / "migrations" / "pg", url=url), MigrateOptions())
    return url


def _drop(url: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')


def engine_figures(report: EngineReport) -> dict[str, Any]:
    crashes, writers, readers = report.totals(), report.writers, report.readers
    assert writers is not None and readers is not None
    return {
        "kills": crashes.kills, "partial_states": crashes.partial, "reruns_completed": crashes.reruns_ok,
        "hot_journals": crashes.hot_journals, "max_lock_release_s": round(crashes.max_lock_wait, 3),
        "prefixes_hit": dict(sorted(crashes.landed.items())),
        "race_rounds": writers.rounds, "writers": writers.processes,
        "lock_timeouts": writers.exits.get(3, 0), "double_applications": writers.double_applied,
        "race_partial_states": writers.partial, "reader_views": readers.reader_views,
        "torn_views": readers.torn_views,
        "failures": crashes.failures + writers.failures + readers.failures,
    }


def passed(doc: dict[str, Any]) -> bool:
    bad = [e for e in doc["engines"].values()
           if e["partial_states"] or e["double_applications"] or e["race_partial_states"]
           or e["torn_views"] or e["failures"] or e["reruns_completed"] != e["kills"]]
    return not bad and not doc["bad_inputs"]["problems"]


def render_text(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    lines = [f"dbtool fault harness — {doc['date']}, {doc['seconds']:.0f} s",
             f"{m['system']}, {m['cpu']}, {m['cpus']} CPUs, load {m['load']}; Python {m['python']}, "
             f"SQLite {m['sqlite']}, PostgreSQL {m['postgres']}", ""]
    head = ("engine", "kills", "partial", "re-runs ok", "hot journals", "lock free (s)", "rounds",
            "writers", "exit 3", "double", "reader views", "torn")
    keys = ("kills", "partial_states", "reruns_completed", "hot_journals", "max_lock_release_s",
            "race_rounds", "writers", "lock_timeouts", "double_applications", "reader_views", "torn_views")
    rows = [head] + [(name, *(str(e[k]) for k in keys)) for name, e in doc["engines"].items()]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    b = doc["bad_inputs"]
    lines += ["", f"bad inputs: {b['tried']} tried, {b['clean']} rejected cleanly "
                  f"(one line, documented exit code, database unchanged); skipped: {b['skipped'] or 'none'}"]
    for name, e in doc["engines"].items():
        lines += [f"{name}: {failure}" for failure in e["failures"]]
    lines += [f"bad input {k}: {v}" for k, v in b["problems"].items()]
    lines.append("verdict: " + ("PASS — nothing lost, nothing applied twice" if doc["passed"] else "FAIL"))
    return "\n".join(lines)


def render_markdown(doc: dict[str, Any]) -> str:
    m, b = doc["machine"], doc["bad_inputs"]
    out = [START, "## Faults and races (bench/faults.py)", "",
           f"`.venv/bin/python bench/faults.py --kills {doc['kills']} --rounds {doc['rounds']}`: "
           "SIGKILLs of a real `dbtool migrate` at the six injected points (`DBTOOL_FAULT`) and "
           "after random delays, each followed by the checks (whole prefix of files in schema, rows "
           "and history; no lock or hot journal left; a re-run with `--lock-timeout 0` finishes); "
           "rounds of 8 racing writers (every fourth with `--lock-timeout 0.2`); `status`/`audit` "
           "readers beside a slowed writer; the bad-input corpus of tests/reliability.", "",
           f"- date: {doc['date']} ({doc['seconds']:.0f} s)",
           f"- machine: {m['system']}, {m['cpu']}, {m['cpus']} CPUs, load {m['load']} (shared box); "
           f"Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {m['postgres']}", "",
           "| engine | kills | partial states | re-runs completed | hot journals recovered | "
           "lock free after a kill (max) | race rounds (writers) | exit 3 (lock timeout) | "
           "double applications | reader views | torn views |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, e in doc["engines"].items():
        out.append(f"| {name} | {e['kills']} | **{e['partial_states']}** | {e['reruns_completed']} | "
                   f"{e['hot_journals']} | {e['max_lock_release_s']:.3f} s | "
                   f"{e['race_rounds']} ({e['writers']}) | {e['lock_timeouts']} | "
                   f"**{e['double_applications']}** | {e['reader_views']} | **{e['torn_views']}** |")
    out += ["", f"Bad inputs: **{b['tried']} tried, {b['clean']} clean rejections** (one stderr line "
                f"with a hint, the documented exit code, no traceback, database unchanged)"
                + (f"; not run here: {', '.join(b['skipped'])} (needs a private scram cluster; "
                   "it runs in the test suite)" if b["skipped"] else "") + ".",
            "", f"Verdict: **{'PASS' if doc['passed'] else 'FAIL'}**.", "", FOUND, END]
    return "\n".join(out)


def write_section(path: Path, section: str) -> None:
    """Replace this harness's section, or append it; nothing else in the file changes."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    pg = postgres_version()
    engines = [e for e in args.engines.split(",") if e in ENGINES and (e != "postgres" or pg)]
    sizes = {e: Sizes(rows=ROWS[e], kills=args.kills - len(POINTS), writer_rounds=args.rounds,
                      reader_rounds=READER_ROUNDS) for e in engines}
    workdir = Path(tempfile.mkdtemp(prefix="dbtool-faults-"))
    reports = run_all(engines, sizes, jobs=args.jobs, workdir=workdir / "engines")
    doc: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(pg),
        "kills": args.kills, "rounds": args.rounds,
        "engines": {e: engine_figures(reports[e]) for e in engines},
        "bad_inputs": run_corpus(workdir / "corpus", pg is not None),
    }
    doc["seconds"] = time.monotonic() - started
    doc["passed"] = passed(doc)
    print(json.dumps(doc, indent=2) if args.format == "json" else render_text(doc))
    if not args.no_write:
        write_section(RESULTS, render_markdown(doc))
    return 0 if doc["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
