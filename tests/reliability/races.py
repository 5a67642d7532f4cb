"""Many `dbtool` processes on one database at once.

Writers: N processes run `migrate` together. Every process must exit 0 or 3
(the documented lock timeout, one line on stderr), every file must be applied
exactly once (no two processes report the same file; history and row digests
equal the full set's), and the database is never anything but a whole prefix.

Readers: `status` and `audit` run in a loop while a slowed-down `migrate`
(DBTOOL_FAULT sleeps between statements and before COMMIT) works. A reader's
view — the schema differences and the history it reports — must be exactly
what it would report on the database at some whole prefix of files.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.reliability.workload import (
    PG_ADMIN_URL,
    State,
    Target,
    dbtool_cmd,
    migrate_cmd,
    read_state,
    run,
    whole_prefix,
)
from tests.zygote import dbtool_popen, dbtool_run

SLOW_MIGRATE = "inside-file:sleep=0.03,after-statements:sleep=0.05,after-history:sleep=0.05"


@dataclass
class RaceStats:
    engine: str
    rounds: int = 0
    processes: int = 0
    exits: Counter[int] = field(default_factory=Counter)
    double_applied: int = 0  # a file reported applied by two processes (must stay 0)
    partial: int = 0  # a database left at no whole prefix (must stay 0)
    reader_views: int = 0  # status/audit outputs checked while migrate ran
    torn_views: int = 0  # reader views that matched no whole prefix (must stay 0)
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"engine": self.engine, "rounds": self.rounds, "processes": self.processes,
                "exit_codes": dict(sorted(self.exits.items())), "double_applications": self.double_applied,
                "partial_states": self.partial, "reader_views": self.reader_views,
                "torn_views": self.torn_views, "failures": self.failures}


def _timeouts(processes: int) -> list[str]:
    """Most writers wait long enough; every fourth gives up fast, so exit 3 is exercised."""
    return ["0.2" if i % 4 == 3 else "60" for i in range(processes)]


def race_round(target: Target, prefixes: list[State], stats: RaceStats, processes: int = 8) -> None:
    """N writers at once from an empty database."""
    target.reset()
    procs = [dbtool_popen(migrate_cmd(target, "--format", "json", "--lock-timeout", t),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for t in _timeouts(processes)]
    outputs = [p.communicate(timeout=300) for p in procs]
    stats.rounds += 1
    stats.processes += processes
    applied: Counter[str] = Counter()
    for proc, (out, err) in zip(procs, outputs, strict=True):
        stats.exits[proc.returncode] += 1
        if proc.returncode == 0:
            applied.update(a["name"] for a in json.loads(out)["services"][0]["applied"])
        elif proc.returncode != 3 or len(err.strip().splitlines()) != 1 or "Traceback" in err:
            stats.failures.append(f"writer exit {proc.returncode}: {err.strip()[:300]}")
    stats.double_applied += sum(n - 1 for n in applied.values() if n > 1)
    _settle(target, prefixes, stats)


def _settle(target: Target, prefixes: list[State], stats: RaceStats) -> None:
    """The database must be a whole prefix; a final run (no waiting) must complete it."""
    try:
        whole_prefix(read_state(target), prefixes, target.names)
    except AssertionError as exc:
        stats.partial += 1
        stats.failures.append(str(exc))
        return
    final = run(migrate_cmd(target, "--lock-timeout", "0"))
    if final.returncode != 0 or read_state(target) != prefixes[-1]:
        stats.failures.append(f"completing run: exit {final.returncode} {final.stderr.strip()}")


# -- readers -------------------------------------------------------------------------
def write_project(target: Target) -> Path:
    """dbtool.toml + snapshot of the full set, so `audit app --url` has something to compare."""
    from dbtool.config import load_project
    from dbtool.core.schema_ops import snapshot_service

    dialect = "d1" if target.engine == "d1-local" else target.dialect
    config = target.root / "dbtool.toml"
    config.write_text(f'scratch_url = "{PG_ADMIN_URL}"\n\n[services.app]\ndialect = "{dialect}"\n'
                      'migrations = "migrations"\nsnapshot = "schemas/app.yaml"\n')
    project = load_project(config)
    snapshot_service(project.services[0], project)
    return config


def _audit_view(document: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    service = document["services"][0]
    changes = tuple(sorted(c["message"] for c in service["changes"]))
    history = tuple(sorted(f"{h['migration']}:{h['state']}" for h in service["history"]))
    return changes, history


def prefix_audits(target: Target, config: Path) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """What `audit --format json` reports on the database at each whole prefix."""
    from dbtool.core.migrate import MigrateOptions, migrate
    from dbtool.core.schema_ops import audit
    from dbtool.core.targets import TargetSpec

    spec = TargetSpec(services=("app",), url=target.url, config=config)
    target.reset()
    views = []
    for k in range(len(target.names) + 1):
        if k:
            migrate(TargetSpec(dir=target.folder, url=target.url),
                    MigrateOptions(to=target.names[k - 1], lock_timeout=5))
        views.append(_audit_view({"services": [r.to_dict() for r in audit(spec)]}))
    target.reset()
    return views


def _reader(cmd: list[str], cwd: Path, done: threading.Event, out: list[tuple[int, str, str]]) -> None:
    while not done.is_set():
        proc = dbtool_run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
        out.append((proc.returncode, proc.stdout, proc.stderr))


def reader_round(target: Target, config: Path, audits: list[Any], stats: RaceStats) -> None:
    """One slowed migrate with a `status` reader and an `audit` reader looping beside it."""
    target.reset()
    done = threading.Event()
    seen: dict[str, list[tuple[int, str, str]]] = {"status": [], "audit": []}
    readers = [
        threading.Thread(target=_reader, args=(dbtool_cmd(kind, "app", "--url", target.url, "--format",
                                                          "json"), target.root, done, seen[kind]))
        for kind in seen
    ]
    for thread in readers:
        thread.start()
    writer = run(migrate_cmd(target, "--lock-timeout", "60"), env={"DBTOOL_FAULT": SLOW_MIGRATE})
    done.set()
    for thread in readers:
        thread.join()
    stats.rounds += 1
    stats.processes += 1
    stats.exits[writer.returncode] += 1
    if writer.returncode != 0:
        stats.failures.append(f"slowed migrate exit {writer.returncode}: {writer.stderr.strip()}")
    _check_status_views(target, seen["status"], stats)
    _check_audit_views(audits, seen["audit"], stats)


def _check_status_views(target: Target, outputs: list[tuple[int, str, str]], stats: RaceStats) -> None:
    for code, out, err in outputs:
        stats.reader_views += 1
        if code != 0:
            stats.failures.append(f"status exit {code}: {err.strip()}")
            continue
        states = [(m["name"], m["state"]) for m in json.loads(out)["services"][0]["migrations"]]
        applied = tuple(name for name, state in states if state == "applied")
        pending = tuple(name for name, state in states if state == "pending")
        if applied + pending != target.names:
            stats.torn_views += 1
            stats.failures.append(f"status saw a torn history: {states}")


def _check_audit_views(audits: list[Any], outputs: list[tuple[int, str, str]], stats: RaceStats) -> None:
    for code, out, err in outputs:
        stats.reader_views += 1
        if code not in (0, 1) or not out.strip():
            stats.failures.append(f"audit exit {code}: {err.strip()}")
            continue
        view = _audit_view(json.loads(out))
        if view not in audits:
            stats.torn_views += 1
            stats.failures.append(f"audit saw no whole prefix: {view}")
