"""Test helpers shared by the service and CLI tests."""

from __future__ import annotations

import contextlib
import gc
import io
import os
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# DBTOOL_TEST_PROCESS=1 runs every CLI call of the suite in its own process, as before
# the in-process runner (a fidelity check: the same tests must pass either way).
ALWAYS_PROCESS = os.environ.get("DBTOOL_TEST_PROCESS") == "1"
# read once, when dbtool is imported: a call that sets them needs a process of its own
_IMPORT_TIME_VARIABLES = ("DBTOOL_FAULT",)
_in_process = threading.Lock()  # held for a whole in-process call
_swap = threading.Lock()  # held while the process environment is swapped or read
_outside: dict[str, str] | None = None  # the real environment while an in-process call runs


def run_dbtool(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
               timeout: float = 120, process: bool = False, real_exec: bool = False
               ) -> subprocess.CompletedProcess[str]:
    """Run the real CLI (`dbtool.cli.main`) as a user would, with its stdout, stderr and exit code.

    By default the command runs in this process, under the environment and working folder
    it would get as a subprocess (a new interpreter costs 0.2 s of CPU per call, most of the
    suite's time). `process=True` runs it as `python -m dbtool` instead: kills, signals,
    pipes, races between processes, and output that only a real process prints (psycopg's
    logging, interpreter warnings) need one. A call made while another thread's call runs
    in-process gets a process too, so commands started side by side still overlap.
    A process is forked by the test zygote (tests/zygote.py) unless `real_exec`: then it is
    a fresh interpreter, as for a user.
    """
    in_process = not (process or ALWAYS_PROCESS) and _in_process.acquire(blocking=False)
    try:
        with _swap:
            full_env = dict(os.environ if _outside is None else _outside)
        full_env.pop("NO_COLOR", None)
        full_env.update(env or {})
        if in_process and not any(full_env.get(name) for name in _IMPORT_TIME_VARIABLES):
            return _run_in_process(list(args), full_env, cwd or REPO)
    finally:
        if in_process:
            _in_process.release()
    from tests.zygote import dbtool_run

    return (subprocess.run if real_exec else dbtool_run)(
        [sys.executable, "-m", "dbtool", *args],
        cwd=cwd or REPO, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


def _run_in_process(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The caller holds `_in_process`."""
    from dbtool import secrets
    from dbtool.cli import main

    out, err = _Captured("surrogateescape"), _Captured("backslashreplace")  # as Python sets them up
    with _environment(env), _working_folder(cwd), _streams(out, err), _process_output(err):
        known = set(secrets._known)
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            secrets._known.clear()
            secrets._known.update(known)
            gc.unfreeze()  # main() freezes the heap for a fast interpreter exit; this one goes on
    return subprocess.CompletedProcess(["dbtool", *args], code, out.text(), err.text())


class _Captured(io.TextIOWrapper):
    """A pipe-like text stream: not a terminal, no file descriptor, UTF-8 bytes underneath."""

    def __init__(self, errors: str) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors=errors, newline="\n", write_through=True)

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]


@contextlib.contextmanager
def _environment(env: dict[str, str]):
    global _outside
    with _swap:
        _outside = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
    try:
        yield
    finally:
        with _swap:
            os.environ.clear()
            os.environ.update(_outside)
            _outside = None


@contextlib.contextmanager
def _working_folder(folder: Path):
    saved = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(saved)


@contextlib.contextmanager
def _process_output(err: io.TextIOBase):
    """What a real process would print on stderr besides dbtool's own lines, where pytest
    would otherwise catch it: log records (Python's last-resort handler prints WARNING and
    above when no handler is configured, as in `python -m dbtool`), warnings under the
    interpreter's default filters, and exceptions ignored in __del__ or in threads. A test
    of "one line on stderr" then fails in-process for the same stray line as in a process."""
    import logging
    import warnings

    handler = logging.StreamHandler(err)
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    saved_hooks = sys.unraisablehook, threading.excepthook

    def unraisable(info: object) -> None:
        err.write(f"Exception ignored in: {getattr(info, 'object', None)!r}\n{getattr(info, 'exc_value', None)!r}\n")

    def thread_failed(args: threading.ExceptHookArgs) -> None:
        err.write(f"Exception in thread {args.thread.name if args.thread else '?'}: {args.exc_value!r}\n")

    root.addHandler(handler)
    sys.unraisablehook, threading.excepthook = unraisable, thread_failed
    try:
        with warnings.catch_warnings():
            warnings.resetwarnings()
            for action, category in (("ignore", DeprecationWarning), ("ignore", PendingDeprecationWarning),
                                     ("ignore", ImportWarning), ("ignore", ResourceWarning)):
                warnings.simplefilter(action, category)
            warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: err.write(
                warnings.formatwarning(message, category, filename, lineno, line))
            yield
    finally:
        root.removeHandler(handler)
        sys.unraisablehook, threading.excepthook = saved_hooks


@contextlib.contextmanager
def _streams(out: io.TextIOBase, err: io.TextIOBase):
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


def migrate_service(service: str, url: str, *, to: str | None = None) -> None:
    """Build a bundled service on `url` with dbtool's own `migrate`.

    `to` stops after the named file (inclusive). The studio service gets its
    Supabase prelude, as a local build does.
    """
    args = ["migrate", service, "--url", url, "--format", "json"]
    if to:
        args += ["--to", to]
    if service == "studio":
        args += ["--prelude"]
    proc = run_dbtool(*args)
    if proc.returncode != 0:
        raise AssertionError(f"dbtool migrate {service} failed ({proc.returncode}):\n{proc.stderr}\n{proc.stdout}")
