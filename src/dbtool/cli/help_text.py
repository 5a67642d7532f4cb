"""`dbtool --help` without the CLI framework.

Importing typer/click and building the command tree costs ~0.1 s, most of the
0.15 s budget for `--help`. The top-level help is static, so it is kept here as
text generated from the Typer app; tests/cli/test_help_fast_path.py fails when
it drifts. Regenerate with `python -m dbtool.cli.help_text --write`.
"""

from __future__ import annotations

import os
import sys

# click wraps help to min(terminal columns, 80) - 2; the text below is that width.
WIDTH = 80

TOP_LEVEL = """\
Usage: dbtool [OPTIONS] COMMAND [ARGS]...

  Ordered raw-SQL migrations for SQLite, Cloudflare D1 and PostgreSQL.

  Exit codes: 0 success · 1 the check found problems (drift, lint errors,
  modified history, failed migration) · 2 usage, config or input error · 3
  database unreachable or locked past the timeout.

Options:
  -c, --config FILE  Config file (default: nearest dbtool.toml or
                     pyproject.toml [tool.dbtool]).
  --debug            Show tracebacks (secrets still masked).
  --version          Print the version and exit.
  -h, --help         Show this message and exit.

Commands:
  migrate     Apply pending migrations in order, each file atomically...
  status      Show every migration's state: applied (with time), pending,...
  new         Create the next migration file in the service's naming...
  diff        Write the next migration from the declared schema.
  snapshot    (Re)write schemas/<service>.yaml from the migrations:...
  audit       Compare a database with its snapshot: the live target when...
  check       The CI entry point.
  lint        Static rules on migration files: D1 compatibility, data...
  introspect  Write a report of one service's schema: tables, columns,...
  adopt       Adopt a database whose history another tool wrote, without...
  baseline    Mark every file up to NAME as applied without running it —...
  mark        Fix one history row: --applied records NAME as applied (the...
  repair      Record the current checksum of applied files that were...
  rollback    Roll back applied migrations newest first by running...
  init        Write a dbtool.toml for the migrations this project already...
  guard       Refuse edits to migration files that are already committed:...
"""


def terminal_is_wide_enough() -> bool:
    """True when click would wrap at the same width the stored text was made for."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns) >= WIDTH
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns >= WIDTH
    except (AttributeError, ValueError, OSError):
        return True  # not a terminal: click falls back to 80 columns too


def generate() -> str:
    """The top-level help as the Typer app prints it to a pipe (click's 80-column fallback)."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    code = "from dbtool.cli.boundary import run; run(['--help'])"  # run(): no fast path
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True).stdout


def _write() -> None:
    from pathlib import Path

    path = Path(__file__)
    text = path.read_text(encoding="utf-8")
    start = text.index('TOP_LEVEL = """\\\n') + len('TOP_LEVEL = """\\\n')
    end = text.index('"""', start)
    body = generate().replace("\\", "\\\\")
    path.write_text(text[:start] + body + text[end:], encoding="utf-8")


if __name__ == "__main__":
    _write()
