"""The bad-input corpus: machinery to run one malformed input and judge the result.

A case prepares a sandbox (a copy of a small migrated project) and returns the
dbtool command line to run in it. The verdict is what a user sees: exactly one
line on stderr, `dbtool: error: WHAT — WHAT TO DO`, the documented exit code,
no traceback, and the database unchanged (the SQLite files byte for byte, the
Postgres catalog object for object). Used by tests/reliability/test_bad_input.py
(one test per case) and by bench/faults.py (the counts).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.reliability.fingerprint import pg_catalog, sqlite_bytes

BASE_CONFIG = """\
[services.app]
dialect = "sqlite"
migrations = "migrations/app"

[services.app.targets.prod]
url_env = "DBTOOL_TEST_PROD_URL"

[services.edge]
dialect = "d1"
migrations = "migrations/edge"

[services.ts]
dialect = "sqlite"
naming = "timestamp"
migrations = "migrations/ts"
"""
INITIAL = {
    "app/0001_init.sql": "CREATE TABLE a (id TEXT PRIMARY KEY);\n",
    "edge/0001_init.sql": "CREATE TABLE e (id TEXT PRIMARY KEY);\n",
    "ts/20250101000000_init.sql": "CREATE TABLE t (id TEXT PRIMARY KEY);\n",
    "pg/0001_init.sql": "CREATE TABLE p (id int PRIMARY KEY, note text);\n",
}
SQLITE_DBS = ("app", "edge", "ts")


@dataclass
class Sandbox:
    """A private copy of the project; `pg` is a shared, migrated Postgres database (or None)."""

    root: Path
    pg: str | None = None
    password_pg: tuple[str, str] | None = None
    env: dict[str, str] = field(default_factory=dict)

    def add(self, service: str, name: str | bytes, body: str | bytes) -> Path:
        """Write a migration file (a bytes name may be any byte sequence the OS allows)."""
        folder = self.root / "migrations" / service
        path = Path(os.fsdecode(os.fsencode(folder) + b"/" + name)) if isinstance(name, bytes) \
            else folder / name
        path.write_bytes(body.encode() if isinstance(body, str) else body)
        return path

    def config(self, text: str) -> None:
        (self.root / "dbtool.toml").write_text(text)

    def fingerprint(self) -> tuple[object, ...]:
        local = self.root / ".dbtool" / "local"
        files = tuple(sqlite_bytes(local / f"{name}.db") for name in SQLITE_DBS)
        return files + ((pg_catalog(self.pg),) if self.pg else ())


@dataclass(frozen=True)
class Case:
    id: str
    code: int
    fragments: tuple[str, ...]
    build: Callable[[Sandbox], list[str]]
    needs: str = ""  # "" | "postgres" | "password_pg"


CASES: list[Case] = []


def case(case_id: str, code: int, *fragments: str, needs: str = "") -> Callable:
    """Register a case: `build(sandbox)` prepares the input and returns dbtool's arguments."""
    def register(build: Callable[[Sandbox], list[str]]) -> Callable[[Sandbox], list[str]]:
        if any(c.id == case_id for c in CASES):
            raise ValueError(f"duplicate case id {case_id}")
        CASES.append(Case(case_id, code, fragments, build, needs))
        return build
    return register


def make_base(root: Path, pg_url: str | None = None) -> Path:
    """The project every case starts from: three SQLite services and a Postgres folder,
    each migrated once (SQLite into .dbtool/local/, Postgres into `pg_url`)."""
    from dbtool.core.migrate import MigrateOptions, migrate
    from dbtool.core.targets import TargetSpec

    root.mkdir(parents=True, exist_ok=True)
    (root / "dbtool.toml").write_text(BASE_CONFIG)
    for rel, body in INITIAL.items():
        path = root / "migrations" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    migrate(TargetSpec(services=SQLITE_DBS, config=root / "dbtool.toml"), MigrateOptions())
    if pg_url:
        migrate(TargetSpec(dir=root / "migrations" / "pg", url=pg_url), MigrateOptions())
    return root


def fresh_sandbox(base: Path, where: Path, **kwargs: object) -> Sandbox:
    shutil.copytree(base, where)
    return Sandbox(where, **kwargs)  # type: ignore[arg-type]


def run_case(item: Case, sandbox: Sandbox, *, process: bool = False
             ) -> tuple[subprocess.CompletedProcess[str], str | None]:
    """Run one case; returns the result and a description of what is wrong (None: clean).

    In this process by default (tests.helpers.run_dbtool: the real CLI with its own stdout,
    stderr, environment and folder); `process=True` runs `python -m dbtool`, a real exec
    (not the test zygote's fork: this sample exists to exercise the real entry point)."""
    from tests.helpers import run_dbtool

    args = item.build(sandbox)
    before = sandbox.fingerprint()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "DBTOOL_FAULT")}
    env.update(sandbox.env)
    proc = run_dbtool(*args, env=env, cwd=sandbox.root, process=process, real_exec=process)
    problem = judge(proc, item.code, item.fragments)
    if problem is None and sandbox.fingerprint() != before:
        problem = "the database changed"
    return proc, problem


def judge(proc: subprocess.CompletedProcess[str], code: int, fragments: tuple[str, ...]) -> str | None:
    """What a user would object to in the way dbtool rejected the input (None: nothing)."""
    err = proc.stderr.strip()
    if proc.returncode != code:
        return f"exit {proc.returncode}, documented {code}: {err[:300]}"
    if "Traceback" in proc.stderr + proc.stdout:
        return "a traceback was shown"
    if len(err.splitlines()) != 1 or not err.startswith("dbtool: error: "):
        return f"not exactly one 'dbtool: error:' line on stderr: {err[:300]!r}"
    if " — " not in err:
        return f"no hint (' — what to do') in: {err}"
    missing = [f for f in fragments if f not in err]
    return f"{missing} not named in: {err}" if missing else None


Verdict = tuple[str, str | None]  # (stdout tail, problem or None)


def process_sample(cases: list[Case], size: int, seed: int) -> set[str]:
    """The ids of the cases also run as real processes: what only a process prints (at
    start-up or exit) is checked on a seeded sample, different on each seed."""
    import random

    ids = sorted(c.id for c in cases)
    return set(random.Random(seed).sample(ids, min(size, len(ids))))


def run_cases(cases: list[Case], base: Path, workdir: Path, *, pg: str | None = None,
              password_pg: tuple[str, str] | None = None, jobs: int = 4,
              in_processes: set[str] = frozenset()) -> dict[str, Verdict]:
    """Run every case in its own sandbox under `workdir`, in this process, one after another
    (so a change to the shared Postgres database is pinned on its cause); the cases named in
    `in_processes` run a second time, as real processes, `jobs` at a time. Cases whose
    server is not given are left out of the result."""
    available = {"": True, "postgres": pg is not None, "password_pg": password_pg is not None}
    runnable = [c for c in cases if available[c.needs]]

    def one(item: Case, process: bool) -> tuple[str, Verdict]:
        where = workdir / ("process" if process else "inline") / item.id[:60] / "project"
        sandbox = fresh_sandbox(base, where, pg=pg, password_pg=password_pg)
        proc, problem = run_case(item, sandbox, process=process)
        if problem and process:
            problem = f"as a real process: {problem}"
        return item.id, (proc.stdout[-500:], problem)

    sampled = [c for c in runnable if c.id in in_processes and not c.needs]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, c, True) for c in sampled]
        verdicts = dict(one(c, False) for c in runnable)
        for future in futures:  # a process's complaint wins over a clean in-process run
            case_id, verdict = future.result()
            if verdict[1]:
                verdicts[case_id] = verdict
    return verdicts
