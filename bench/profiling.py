"""Profiles of missed targets: where a dbtool command's time goes.

A missed target is profiled by re-running its dbtool row once, on the same
kind of fresh state, under pyinstrument (bench/profile_driver.py). The
summary separates import time (by package) from work (self time by
function), which is what decides the fix: lazy imports vs fewer round trips.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.model import Context
from bench.paths import BENCH
from bench.peers import clean_env, ensure_pyinstrument
from bench.timing import Row

DRIVER = BENCH / "profile_driver.py"


@dataclass
class Profile:
    command: str
    total: float
    imports: list[tuple[str, float]] = field(default_factory=list)
    work: list[tuple[str, float]] = field(default_factory=list)
    tree: str = ""
    error: str | None = None

    @property
    def import_total(self) -> float:
        return sum(seconds for _, seconds in self.imports)

    def to_dict(self) -> dict[str, Any]:
        return {"command": self.command, "total_s": self.total, "error": self.error,
                "imports_s": self.imports, "work_self_s": self.work}


def _mode(ctx: Context, argv: tuple[str, ...]) -> list[str] | None:
    """The driver's arguments for a dbtool or `python -c` command line, else None."""
    n = len(ctx.dbtool)
    if argv[:n] == ctx.dbtool:
        return ["main", *argv[n:]]
    if argv[:2] == (ctx.python, "-c"):
        return ["code", *argv[2:]]
    return None


def profile_row(ctx: Context, row: Row) -> Profile | None:
    """Profile one run of `row`'s case; None when it is not a dbtool process."""
    case = row.case
    library = ensure_pyinstrument(ctx.log)
    if case is None or library is None:
        return None
    with case.fresh() as state, tempfile.TemporaryDirectory() as tmp:
        cmd = case.commands(state)[0]
        mode = _mode(ctx, cmd.argv)
        if mode is None:
            return None
        out = Path(tmp) / "profile.json"
        env = {**clean_env(), **(cmd.env or {}), "PYTHONPATH": str(library)}
        proc = subprocess.run((ctx.python, str(DRIVER), str(out), *mode), cwd=cmd.cwd, env=env,
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0 or not out.is_file():
            return Profile(row.label, 0.0, error=(proc.stderr.strip().splitlines() or ["?"])[-1])
        data = json.loads(out.read_text())
    return Profile(row.label, data["total"], [tuple(x) for x in data["imports"]],
                   [tuple(x) for x in data["work"]], _trim(data["tree"]))


def _trim(tree: str, limit: int = 60) -> str:
    """The call tree without pyinstrument's banner, at most `limit` lines."""
    lines = tree.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("Profile at")), -1) + 1
    body = [ln for ln in lines[start:] if ln.strip()]
    return "\n".join(body[:limit] + (["…"] if len(body) > limit else []))
