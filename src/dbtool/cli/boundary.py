"""The one error boundary: typed errors -> one masked stderr line + exit code.

Tracebacks appear only with --debug, and even then pass through the masker.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from dbtool.errors import DbtoolError, ExitCode
from dbtool.secrets import mask

SIGPIPE_EXIT = 141  # 128 + SIGPIPE: how a shell reports a tool stopped by a closed pipe


def _stderr(line: str) -> None:
    try:
        sys.stderr.write(mask(line) + "\n")
        sys.stderr.flush()
    except OSError:  # stderr closed too: nothing left to tell
        pass


class ClosedPipeSafe:
    """stdout for a reader that may go away (`dbtool migrate | head -1`). A closed pipe
    is not the command's failure: the rest of the output goes to /dev/null and the
    command finishes its work and exits with its own code, instead of stopping
    between two files with a BrokenPipeError."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self.discard()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self.discard()

    def discard(self) -> None:
        """From now on stdout is /dev/null (the buffered text too, at exit)."""
        self.reader_gone = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # no file descriptor (a test's StringIO)
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:  # the hot path of scripts and health checks: no CLI framework
        from dbtool import __version__

        sys.stdout.write(f"dbtool {__version__}\n")
        sys.exit(0)
    if args in (["--help"], ["-h"]):  # the same text click prints, stored (help_text.py)
        from dbtool.cli import help_text

        if help_text.terminal_is_wide_enough():
            sys.stdout.write(help_text.TOP_LEVEL)
            sys.exit(0)
    debug = "--debug" in args  # accepted anywhere on the line, not only before the command
    remember_secrets(args)
    stdout = sys.stdout = ClosedPipeSafe(sys.stdout)  # type: ignore[assignment]
    code = run([a for a in args if a != "--debug"], debug=debug)
    stdout.flush()  # a reader that left after the last line must not cost exit 120 at shutdown
    import gc

    gc.freeze()  # nothing is left to collect: skip the collector's pass over psycopg & co at exit
    sys.exit(int(code))


def remember_secrets(args: list[str]) -> None:
    """Before anything runs: every URL on the command line and in the environment, parsed or
    not, and every variable named like a credential, so no later message can show them."""
    from dbtool import secrets

    secrets.remember_environment()
    for arg in args:
        secrets.remember_url(arg.split("=", 1)[1] if arg.startswith("--url=") else arg)


def _click():
    """Typer ≥ 0.2x vendors click as typer._click; older releases use click itself."""
    try:
        from typer._click import exceptions  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click import exceptions
    return exceptions


def run(args: list[str], *, debug: bool = False) -> int:
    import typer

    from dbtool.cli.app import command

    click = _click()

    try:
        result = command(args).main(args=args, prog_name="dbtool", standalone_mode=False)
    except DbtoolError as exc:
        _trace(debug)
        _stderr(f"dbtool: error: {exc.one_line()}")
        return exc.exit_code
    except click.UsageError as exc:
        if type(exc).__name__.startswith("NoArgsIsHelp") and exc.ctx is not None:
            sys.stdout.write(exc.ctx.get_help() + "\n")  # bare `dbtool`: show the help
            return ExitCode.USAGE
        hint = f"see '{exc.ctx.command_path} --help'" if exc.ctx else "see 'dbtool --help'"
        _stderr(f"dbtool: error: {_once(exc.format_message())} — {hint}")
        return ExitCode.USAGE
    except click.ClickException as exc:
        _stderr(f"dbtool: error: {exc.format_message()}")
        return ExitCode.USAGE
    except BrokenPipeError:  # output that bypassed ClosedPipeSafe (click's help): stop quietly
        if isinstance(sys.stdout, ClosedPipeSafe):
            sys.stdout.discard()
        return SIGPIPE_EXIT
    except (typer.Abort, KeyboardInterrupt):
        _stderr("dbtool: interrupted; files already applied stay applied, the current one was rolled back")
        return ExitCode.INTERRUPTED
    except Exception as exc:  # the last line of defence: still one line, still masked
        _trace(debug)
        _stderr(f"dbtool: internal error: {type(exc).__name__}: {exc} — rerun with --debug and report it")
        return ExitCode.PROBLEMS
    return int(result or 0)


def _once(message: str) -> str:
    """click and typer both append "Did you mean …?" to an unknown command; say it once."""
    import re

    return re.sub(r"(Did you mean [^?]*\?)(?:\s+\1)+", r"\1", message)


def _trace(debug: bool) -> None:
    if debug:
        import traceback

        sys.stderr.write(mask(traceback.format_exc()))
