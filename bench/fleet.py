"""Fleets (issue #18): one service, many databases — dbtool against loops of dbmate, in one run.

    .venv/bin/python -m bench.fleet                      # the sizes of the issue
    .venv/bin/python -m bench.fleet --sqlite 200 --pg 50 --d1 30 --status 2000   # smaller

Cases (each on fresh tenants, every result verified afterwards):

* SQLite, N tenant files × F files: `dbtool migrate --fleet` (threads, `--jobs J`), the same
  split over J processes (`--shard i/J`, one job each), a shell loop of `dbmate migrate` per
  file, and a shell loop of single `dbtool migrate --url` calls;
* Postgres, N tenant databases × F files, and N tenant schemas in one database:
  `dbtool migrate --fleet` against a shell loop of dbmate (`search_path=` for schemas);
  the per-file round trips of dbtool's apply, counted from a libpq trace;
* D1, N databases through the REST test server (miniflare behind it) with injected 429s
  and 503s: all at head, each file's row inserted once, the 429's Retry-After respected;
* `status --fleet` over M SQLite targets: wall time per target and the peak RSS.

Writes bench/.work/fleet.json and bench/.work/fleet.md (pasted into RESULTS.md's Fleets
section). Not part of `make bench`: a full run takes many minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import small_migration, write_migrations
from bench.paths import PEERS, WORK
from bench.peers import clean_env, dbmate_binary

REPO = Path(__file__).resolve().parents[1]
DBTOOL = REPO / ".venv" / "bin" / "dbtool"
PG = "postgresql://postgres@127.0.0.1:5432"
DBMATE_PG = "postgres://postgres@127.0.0.1:5432"
ROOT = WORK / "fleet"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def timed(argv: list[str] | str, *, env: dict[str, str] | None = None, shell: bool = False) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, shell=shell, env=env or clean_env(), capture_output=True, text=True,
                          executable="/bin/bash" if shell else None)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0,):
        raise SystemExit(f"failed ({proc.returncode}): {argv}\n{proc.stderr[-2000:]}\n{proc.stdout[-500:]}")
    return seconds


def timed_parallel(commands: list[list[str]]) -> float:
    started = time.perf_counter()
    procs = [subprocess.Popen(c, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for c in commands]
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"failed: {proc.args}: {proc.stderr.read().decode()[-2000:]}")
    return time.perf_counter() - started


def migrations(files: int) -> Path:
    root = ROOT / f"migrations-{files}"
    if not root.exists():
        write_migrations(root, [small_migration(i) for i in range(1, files + 1)],
                         tools=("dbtool", "dbmate"))
    return root


# -- SQLite ------------------------------------------------------------------------------
def sqlite_tenants(name: str, count: int) -> Path:
    folder = ROOT / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"tenant{i:05d}.db").touch()
    return folder


def sqlite_verify(folder: Path, history: str, files: int) -> None:
    for path in folder.glob("*.db"):
        with sqlite3.connect(path) as conn:
            got = conn.execute(f"SELECT count(*) FROM {history}").fetchone()[0]
        if got != files:
            raise SystemExit(f"{path}: {got} history rows, expected {files}")


def bench_sqlite(tenants: int, files: int, jobs: int, loop_tenants: int) -> dict:
    mig = migrations(files)
    dbmate = dbmate_binary(PEERS / "dbmate")
    out: dict = {"tenants": tenants, "files": files, "jobs": jobs, "dbtool_loop_tenants": loop_tenants}
    folder = sqlite_tenants("sq-threads", tenants)
    out["fleet_threads_s"] = timed([str(DBTOOL), "migrate", "--dir", str(mig / "dbtool"), "--fleet",
                                    f"sqlite:///{folder}/*.db", "-j", str(jobs), "--format", "json"])
    sqlite_verify(folder, "dbtool_migrations", files)
    folder = sqlite_tenants("sq-procs", tenants)
    out["fleet_processes_s"] = timed_parallel([
        [str(DBTOOL), "migrate", "--dir", str(mig / "dbtool"), "--fleet", f"sqlite:///{folder}/*.db",
         "-j", "1", "--shard", f"{i}/{jobs}", "--format", "json"] for i in range(1, jobs + 1)])
    sqlite_verify(folder, "dbtool_migrations", files)
    folder = sqlite_tenants("sq-threads1", tenants)
    out["fleet_one_job_s"] = timed([str(DBTOOL), "migrate", "--dir", str(mig / "dbtool"), "--fleet",
                                    f"sqlite:///{folder}/*.db", "-j", "1", "--format", "json"])
    folder = sqlite_tenants("sq-dbmate", tenants)
    out["dbmate_loop_s"] = timed(
        f'for f in {folder}/*.db; do {dbmate} --url "sqlite:$f" --migrations-dir {mig / "dbmate"} '
        f"--no-dump-schema migrate >/dev/null || exit 1; done", shell=True)
    sqlite_verify(folder, "schema_migrations", files)
    folder = sqlite_tenants("sq-dbtool-loop", loop_tenants)
    seconds = timed(f'for f in {folder}/*.db; do {DBTOOL} migrate --dir {mig / "dbtool"} '
                    f'--url "sqlite:///$f" >/dev/null || exit 1; done', shell=True)
    sqlite_verify(folder, "dbtool_migrations", files)
    out["dbtool_loop_s"] = seconds * tenants / loop_tenants  # scaled when fewer were run
    out["ratio_fleet_vs_dbmate"] = out["fleet_threads_s"] / out["dbmate_loop_s"]
    out["ratio_processes_vs_threads"] = out["fleet_processes_s"] / out["fleet_threads_s"]
    out["ratio_dbtool_loop_vs_dbmate"] = out["dbtool_loop_s"] / out["dbmate_loop_s"]
    return out


# -- Postgres ----------------------------------------------------------------------------
def pg_admin(*statements: str, db: str = "postgres") -> None:
    import psycopg

    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def pg_drop(prefix: str, count: int) -> None:
    pg_admin(*(f'DROP DATABASE IF EXISTS "{prefix}{i:04d}" WITH (FORCE)' for i in range(count)))


def pg_databases(prefix: str, count: int) -> None:
    pg_drop(prefix, count)
    pg_admin(*(f'CREATE DATABASE "{prefix}{i:04d}"' for i in range(count)))


def pg_count(url: str, table: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def bench_pg_databases(count: int, files: int, jobs: int) -> dict:
    mig = migrations(files)
    dbmate = dbmate_binary(PEERS / "dbmate")
    out: dict = {"databases": count, "files": files, "jobs": jobs}
    pg_databases("fleetbench_a_", count)
    out["fleet_s"] = timed([str(DBTOOL), "migrate", "--dir", str(mig / "dbtool"), "--fleet",
                            f"{PG}/fleetbench_a_*", "-j", str(jobs), "--format", "json"])
    assert pg_count(f"{PG}/fleetbench_a_{count - 1:04d}", "dbtool.dbtool_migrations") == files
    pg_drop("fleetbench_a_", count)
    pg_databases("fleetbench_b_", count)
    out["dbmate_loop_s"] = timed(
        f"for i in $(seq -f %04g 0 {count - 1}); do {dbmate} --url "
        f'"{DBMATE_PG}/fleetbench_b_$i?sslmode=disable" --migrations-dir {mig / "dbmate"} '
        "--no-dump-schema migrate >/dev/null || exit 1; done", shell=True)
    assert pg_count(f"{PG}/fleetbench_b_{count - 1:04d}", "schema_migrations") == files
    pg_drop("fleetbench_b_", count)
    out["ratio_fleet_vs_dbmate"] = out["fleet_s"] / out["dbmate_loop_s"]
    return out


def bench_pg_schemas(count: int, files: int, jobs: int) -> dict:
    mig = migrations(files)
    dbmate = dbmate_binary(PEERS / "dbmate")
    out: dict = {"schemas": count, "files": files, "jobs": jobs}
    for case in ("fleet", "dbmate"):
        db = f"fleetbench_schemas_{case}"
        pg_admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')
        pg_admin(*(f"CREATE SCHEMA tenant_{i:04d}" for i in range(count)), db=db)
    out["fleet_s"] = timed([str(DBTOOL), "migrate", "--dir", str(mig / "dbtool"), "--fleet",
                            f"{PG}/fleetbench_schemas_fleet?schema=tenant_*", "-j", str(jobs),
                            "--format", "json"])
    assert pg_count(f"{PG}/fleetbench_schemas_fleet", f"tenant_{count - 1:04d}.dbtool_migrations") == files
    out["dbmate_loop_s"] = timed(
        f"for i in $(seq -f %04g 0 {count - 1}); do {dbmate} --url "
        f'"{DBMATE_PG}/fleetbench_schemas_dbmate?sslmode=disable&search_path=tenant_$i" '
        f'--migrations-dir {mig / "dbmate"} --no-dump-schema migrate >/dev/null || exit 1; done',
        shell=True)
    assert pg_count(f"{PG}/fleetbench_schemas_dbmate", f"tenant_{count - 1:04d}.schema_migrations") == files
    for case in ("fleet", "dbmate"):
        pg_admin(f'DROP DATABASE IF EXISTS "fleetbench_schemas_{case}" WITH (FORCE)')
    out["ratio_fleet_vs_dbmate"] = out["fleet_s"] / out["dbmate_loop_s"]
    return out


def pg_round_trips(files: int) -> dict:
    """Round trips per file of one tenant's run, with the pipeline (now) and without it
    (before: BEGIN, each statement, the history INSERT and COMMIT one by one)."""
    from dbtool.engines import postgres

    after = _pg_trips(files)
    pipelinable = postgres.pipelinable
    postgres.pipelinable = lambda _migration: False
    try:
        before = _pg_trips(files)
    finally:
        postgres.pipelinable = pipelinable
    return {"files": files, "before": before, "after": after, "before_per_file": before / files,
            "after_per_file": after / files}


def _pg_trips(files: int) -> int:
    """Round trips of one tenant's run, from a libpq trace of every connection."""
    import tempfile

    from psycopg.pq import Trace

    from dbtool.core.migrate import MigrateOptions, migrate_target
    from dbtool.core.targets import TargetSpec, resolve_targets
    from dbtool.engines import postgres

    db = "fleetbench_trips"
    pg_admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')
    traces = []
    original = postgres.connect

    def traced(url, **kwargs):
        conn = original(url, **kwargs)
        trace = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed below, after the run
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
        traces.append(trace)
        return conn

    postgres.connect = traced
    try:
        target = resolve_targets(TargetSpec(dir=migrations(files) / "dbtool", url=f"{PG}/{db}")).one
        migrate_target(target, MigrateOptions())
    finally:
        postgres.connect = original
    trips = 0
    for trace in traces:
        trace.seek(0)
        trips += sum(1 for line in trace if line.startswith("B\t") and "\tReadyForQuery\t" in line)
        trace.close()
    pg_admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return trips


# -- D1 ----------------------------------------------------------------------------------
def bench_d1(count: int, files: int, jobs: int) -> dict:
    sys.path.insert(0, str(REPO))
    from tests.interop.support import start_server

    mig = migrations(files)
    names = [f"tenant-{i:04d}" for i in range(count)]
    gen = start_server(ROOT / "d1-server.log", names=names)
    server = next(gen)
    try:
        server.control("reset")
        faults = max(2, count // 5)  # 20 + 20 for 100 databases
        server.fail_next("429", faults, match="CREATE TABLE")
        server.fail_next("503", faults, match="INSERT INTO t")
        server.control("fail", {"mode": "429", "count": 1, "match": "LIST", "retry_after": 0.5})
        # the faults fall on the first matching requests of 4 jobs: one request may meet
        # several in a row, so 10 attempts (the default 5 could give up: exit 3, and a
        # re-run would finish — measured here is the run that rides the faults out)
        env = {**clean_env(), **server.env(), "DBTOOL_D1_BACKOFF": "0.05", "DBTOOL_D1_RETRIES": "10"}
        started = time.perf_counter()
        proc = subprocess.run([str(DBTOOL), "migrate", "--dir", str(mig / "dbtool"), "--fleet",
                               f"d1://{server.account}/tenant-*", "-j", str(jobs), "--format", "json"],
                              env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        report = json.loads(proc.stdout)
        if proc.returncode:
            raise SystemExit(f"d1 fleet exit {proc.returncode}: {report['counts']} {[t['error'] for t in report['targets']]} "
                             f"{proc.stderr[-1000:]}")
        twice = 0
        for uuid in server.databases:
            for i in range(1, files + 1, 2):  # odd files create a table; even ones insert 3 rows
                rows = server.query(uuid, f"SELECT count(*) AS c FROM t{i:05d}")[0]["c"]
                twice += rows != (3 if i + 1 <= files else 0)
        listing = server.control("log?match=LIST")
        stats = server.stats()
        return {"databases": count, "files": files, "jobs": jobs, "seconds": seconds,
                "exit": proc.returncode, "at_head": report["counts"]["at-head"],
                "files_applied_twice_or_missing": twice, "faults_injected": 2 * faults + 1,
                "faults_left": stats["faults_left"], "requests": stats["requests"],
                "retry_after_respected_ms": listing[1]["at"] - listing[0]["at"]}
    finally:
        gen.close()


# -- status over many targets ------------------------------------------------------------
def bench_status(count: int, files: int) -> dict:
    mig = migrations(files)
    folder = ROOT / f"status-{count}"
    if not folder.exists() or len(list(folder.glob("*.db"))) != count:
        template = ROOT / "status-template.db"
        template.unlink(missing_ok=True)
        subprocess.run([str(DBTOOL), "migrate", "--dir", str(mig / "dbtool"), "--url",
                        f"sqlite:///{template}"], check=True, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i in range(count):
            shutil.copyfile(template, folder / f"tenant{i:05d}.db")
    argv = [str(DBTOOL), "status", "--dir", str(mig / "dbtool"), "--fleet",
            f"sqlite:///{folder}/*.db", "--format", "json"]
    # a fresh Python runs the command alone, so RUSAGE_CHILDREN is that one process's peak
    probe = ("import json, resource, subprocess, sys, time\n"
             "t = time.perf_counter()\n"
             "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "s = time.perf_counter() - t\n"
             "r = json.loads(p.stdout)\n"
             "print(json.dumps({'seconds': s, 'at_head': r['counts']['at-head'], 'bytes': len(p.stdout),"
             " 'rss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))\n")
    proc = subprocess.run([sys.executable, "-c", probe, *argv], env=clean_env(), capture_output=True,
                          text=True, check=True)
    got = json.loads(proc.stdout)
    assert got["at_head"] == count, proc.stderr[-500:]
    return {"targets": count, "files": files, "seconds": got["seconds"],
            "ms_per_target": got["seconds"] * 1000 / count, "peak_rss_mb": got["rss_kb"] / 1024,
            "json_bytes": got["bytes"]}


def markdown(results: dict) -> str:
    lines = ["| case | dbtool | baseline | ratio |", "|---|---|---|---|"]
    if "sqlite" in results:
        s = results["sqlite"]
        lines += [
            f"| SQLite {s['tenants']} tenants × {s['files']}: `migrate --fleet -j {s['jobs']}` (threads) vs "
            f"dbmate loop | {s['fleet_threads_s']:.1f} s | {s['dbmate_loop_s']:.1f} s | "
            f"**{s['ratio_fleet_vs_dbmate']:.2f}×** |",
            f"| same, {s['jobs']} processes (`--shard i/{s['jobs']}`) vs threads | "
            f"{s['fleet_processes_s']:.1f} s | {s['fleet_threads_s']:.1f} s | "
            f"{s['ratio_processes_vs_threads']:.2f}× |",
            f"| same, `-j 1` | {s['fleet_one_job_s']:.1f} s | | |",
            f"| loop of single `dbtool migrate` ({s['dbtool_loop_tenants']} run, scaled) vs dbmate loop | "
            f"{s['dbtool_loop_s']:.1f} s | {s['dbmate_loop_s']:.1f} s | "
            f"{s['ratio_dbtool_loop_vs_dbmate']:.2f}× |"]
    for key, title in (("pg_databases", "Postgres {databases} databases × {files}"),
                       ("pg_schemas", "Postgres {schemas} schemas in one database × {files}")):
        if key in results:
            r = results[key]
            lines.append(f"| {title.format(**r)}: `migrate --fleet -j {r['jobs']}` vs dbmate loop | "
                         f"{r['fleet_s']:.1f} s | {r['dbmate_loop_s']:.1f} s | "
                         f"**{r['ratio_fleet_vs_dbmate']:.2f}×** |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet")
    parser.add_argument("--sqlite", type=int, default=1000)
    parser.add_argument("--dbtool-loop", type=int, default=1000, help="tenants for the dbtool loop")
    parser.add_argument("--pg", type=int, default=200)
    parser.add_argument("--d1", type=int, default=100)
    parser.add_argument("--status", type=int, default=10000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--only", nargs="+", default=["sqlite", "pg", "trips", "d1", "status"])
    args = parser.parse_args(argv)
    ROOT.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": f"{os.cpu_count()} cores", "started": time.strftime("%Y-%m-%d %H:%M")}
    if "sqlite" in args.only:
        log("sqlite …")
        results["sqlite"] = bench_sqlite(args.sqlite, args.files, args.jobs, args.dbtool_loop)
    if "pg" in args.only:
        log("postgres databases …")
        results["pg_databases"] = bench_pg_databases(args.pg, args.files, args.jobs)
        log("postgres schemas …")
        results["pg_schemas"] = bench_pg_schemas(args.pg, args.files, args.jobs)
    if "trips" in args.only:
        results["pg_round_trips"] = pg_round_trips(args.files)
    if "d1" in args.only:
        log("d1 …")
        results["d1"] = bench_d1(args.d1, args.files, args.jobs)
    if "status" in args.only:
        log("status …")
        results["status"] = bench_status(args.status, args.files)
    (ROOT / "fleet.json").write_text(json.dumps(results, indent=2) + "\n")
    (ROOT / "fleet.md").write_text(markdown(results))
    print(json.dumps(results, indent=2))
    print(markdown(results))


if __name__ == "__main__":
    main()
