"""The machine and tool versions a run was measured on (figures mean nothing without them)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import subprocess
from importlib import metadata

from bench.paths import REPO
from bench.peers import Peers
from bench.pg import PgServer


def _first_line(argv: list[str]) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return f"{pages * size / 2**30:.1f} GiB"
    except (ValueError, OSError):
        return "unknown"


def _dist(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def describe(peers: Peers, pg: PgServer | None) -> dict[str, str | None]:
    """Ordered facts for the report's header (None: not available on this machine)."""
    sqlite_cli = _first_line(["sqlite3", "--version"])
    commit = _first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = _first_line(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"])
    facts: dict[str, str | None] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, nproc {os.cpu_count()}, "
                   f"{_memory()} RAM, {_cpu_model()}",
        "load average at start (1/5/15 min)": load_average(),
        "dbtool": f"{_dist('dbtool')} (commit {commit}{', with local changes' if dirty else ''})",
        "Python": platform.python_version(),
        "SQLite": f"library {sqlite3.sqlite_version}, CLI {sqlite_cli.split()[0] if sqlite_cli else 'missing'}",
        "PostgreSQL": f"server {pg.version}" if pg else "unreachable",
        "psql / pg_dump": _first_line(["pg_dump", "--version"]),
        "SQLAlchemy / psycopg (dbtool's venv)": f"{_dist('sqlalchemy')} / {_dist('psycopg')}",
        "node": _first_line(["node", "--version"]),
    }
    for peer in peers.all():
        facts[peer.name] = peer.version or f"not measured: {peer.reason}"
    return facts
