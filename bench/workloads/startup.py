"""CLI start-up, and `status` with nothing pending.

Start-up is what every deploy and CI job pays before any work: `dbtool
--version` and `--help` against the interpreter's own floor (`python -c pass`)
and the cost of importing SQLAlchemy, which `--help` must not pay.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench.generate import small_migration, write_migrations
from bench.model import Context, Workload
from bench.peers import clean_env
from bench.timing import Case, Cmd


def startup(ctx: Context) -> list[Workload]:
    py = ctx.python
    cases = [
        Case("dbtool", "dbtool --version", lambda _s: [Cmd((*ctx.dbtool, "--version"))], subject=True),
        Case("dbtool", "dbtool --help", lambda _s: [Cmd((*ctx.dbtool, "--help"))], subject=True),
        Case("python", "python -c pass", lambda _s: [Cmd((py, "-c", "pass"))]),
        Case("python", 'python -c "import sqlalchemy"',
             lambda _s: [Cmd((py, "-c", "import sqlalchemy"))]),
    ]
    rows = ctx.measure(cases)  # the baselines' ratios are taken against --version
    return [Workload("startup", "startup", "CLI start-up",
                     "A fresh process each run; the same interpreter (the dev venv's Python) for "
                     "dbtool and the baselines.", rows)]


def _prepare_status(ctx: Context, files: int) -> tuple[Path, dict[str, Path]]:
    """The migrations, applied once by each tool to its own database (untimed)."""
    root = ctx.work / f"status-{files}"
    tools = ["dbtool", "dbmate", "yoyo"]
    mig = write_migrations(root, [small_migration(i) for i in range(1, files + 1)], tools=tools)
    dbs = {tool: root / f"{tool}.db" for tool in tools}
    apply = {
        "dbtool": (*ctx.dbtool, "migrate", "--dir", str(mig.dir("dbtool")), "--url",
                   f"sqlite:///{dbs['dbtool']}"),
        "dbmate": (*ctx.peers.get("dbmate").argv, "--url", f"sqlite:{dbs['dbmate']}",
                   "--migrations-dir", str(mig.dir("dbmate")), "--no-dump-schema", "migrate"),
        "yoyo": (*ctx.peers.get("yoyo").argv, "apply", "--batch", "--no-config-file",
                 "--database", f"sqlite:///{dbs['yoyo']}", str(mig.dir("yoyo"))),
    }
    for tool, argv in apply.items():
        if tool == "dbtool" or ctx.peers.get(tool).available:
            subprocess.run(argv, check=True, capture_output=True, env=clean_env())
    return root, dbs


def status(ctx: Context) -> list[Workload]:
    files = ctx.sizes.status_files
    root, dbs = _prepare_status(ctx, files)
    dbmate, yoyo = ctx.peers.get("dbmate"), ctx.peers.get("yoyo")
    cases = [
        Case("dbtool", f"dbtool status --dir … --url sqlite:///… ({files} applied)",
             lambda _s: [Cmd((*ctx.dbtool, "status", "--dir", str(root / "dbtool"),
                              "--url", f"sqlite:///{dbs['dbtool']}"))], subject=True),
        Case("dbmate", "dbmate status", lambda _s: [Cmd((
            *dbmate.argv, "--url", f"sqlite:{dbs['dbmate']}", "--migrations-dir",
            str(root / "dbmate"), "status"))], reason=dbmate.missing),
        Case("yoyo", "yoyo list", lambda _s: [Cmd((
            *yoyo.argv, "list", "--no-config-file", "--database", f"sqlite:///{dbs['yoyo']}",
            str(root / "yoyo")))], reason=yoyo.missing),
    ]
    return [Workload("status", "status", f"status with nothing pending (SQLite, {files} files)",
                     "Every file applied; each tool reads its own history table and the "
                     "migrations folder and reports.", ctx.measure(cases), size=files, unit="files")]

