"""The test zygote (tests/zygote.py) gives what a real `python -m dbtool` gives."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import zygote
from tests.zygote import ZygotePopen, dbtool_popen, dbtool_run

DBTOOL = [sys.executable, "-m", "dbtool"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "0001_a.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    return tmp_path


def _migrate(project: Path, *extra: str) -> list[str]:
    return [*DBTOOL, "migrate", "--dir", str(project / "m"), "--url", f"sqlite:///{project / 'x.db'}", *extra]


def _env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "DBTOOL_FAULT"}, **extra}


@pytest.fixture(autouse=True)
def _zygote_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBTOOL_TEST_ZYGOTE", raising=False)


def test_calls_go_to_the_zygote_only_when_it_can_reproduce_them(project: Path) -> None:
    with dbtool_popen([*DBTOOL, "--help"], stdout=subprocess.DEVNULL) as proc:
        assert isinstance(proc, ZygotePopen)
    for cmd, kw in (([sys.executable, "-c", "pass"], {}), ([*DBTOOL, "--help"], {"preexec_fn": os.getpid}),
                    ([*DBTOOL, "--help"], {"env": _env(PYTHONUTF8="0")}), ([*DBTOOL, "--help"], {"pass_fds": (0,)})):
        with dbtool_popen(cmd, stdout=subprocess.DEVNULL, **kw) as proc:
            assert not isinstance(proc, ZygotePopen), (cmd, kw)


def test_zygote_and_real_process_print_and_exit_alike(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = [_migrate(project), [*DBTOOL, "status", "--dir", str(project / "m"), "--url",
                                    f"sqlite:///{project / 'x.db'}", "--format", "json"],
                [*DBTOOL, "migrate", "--dir", str(project / "nowhere"), "--url", "sqlite:///y.db"],
                [*DBTOOL, "no-such-command"], [*DBTOOL, "--help"]]
    results = {}
    for mode in ("1", "0"):
        monkeypatch.setenv("DBTOOL_TEST_ZYGOTE", mode)
        (project / "x.db").unlink(missing_ok=True)
        results[mode] = [(p.returncode, p.stdout, p.stderr.replace(" ms", ""))
                         for p in (dbtool_run(c, capture_output=True, text=True, cwd=project) for c in commands)]
    strip = [[(c, "".join(ch for ch in o if not ch.isdigit()), "".join(ch for ch in e if not ch.isdigit()))
              for c, o, e in rs] for rs in results.values()]
    assert strip[0] == strip[1]
    codes = [r[0] for r in results["1"]]
    assert codes[:2] == [0, 0] and codes[2] not in (0, None) and codes[3:] == [2, 0]


def test_cwd_env_and_stdin(project: Path) -> None:
    # a relative --dir and URL resolve in the requested working folder; stdin is a pipe
    proc = dbtool_run(_migrate(project, "--dry-run"), capture_output=True, text=True, cwd=project,
                      env=_env(), input="ignored\n")
    assert proc.returncode == 0, proc.stderr
    probe = [*DBTOOL, "migrate", "--dir", "m", "--url", "sqlite:///rel.db"]
    assert dbtool_run(probe, cwd=project, capture_output=True).returncode == 0
    assert (project / "rel.db").exists()


def test_fault_hook_is_read_in_the_child(project: Path) -> None:
    proc = dbtool_run(_migrate(project), env=_env(DBTOOL_FAULT="before-file:kill"), capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(project / "x.db") as db:
        assert db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'a'").fetchone() == (0,)
    assert dbtool_run(_migrate(project), env=_env(), capture_output=True).returncode == 0


def _until_locked(db: Path) -> None:
    """Until the run holds its lock: the sidecar exists only then (its mere presence is read,
    never locked here, so the run's own locking is untouched)."""
    deadline = time.monotonic() + 30
    while not Path(f"{db}.dbtool-lock").exists():
        assert time.monotonic() < deadline, "the run never took its lock"
        time.sleep(0.01)
    time.sleep(0.1)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_signals_end_the_child_as_a_real_process(project: Path, sig: int) -> None:
    codes = []
    for popen in (dbtool_popen, subprocess.Popen):
        for leftover in ("x.db", "x.db.dbtool-lock"):  # a killed run leaves its sidecar
            (project / leftover).unlink(missing_ok=True)
        proc = popen(_migrate(project), env=_env(DBTOOL_FAULT="while-locked:sleep=30"),
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _until_locked(project / "x.db")  # inside the 30 s sleep, after the imports
        assert proc.poll() is None
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        codes.append((proc.returncode, out.count("\n"), err.count("\n")))
        proc.send_signal(sig)  # after the status arrived: nothing happens, as with Popen
    assert codes[0] == codes[1]
    if sig == signal.SIGKILL:
        assert codes[0][0] == -signal.SIGKILL


def test_wait_timeout_and_zygote_is_per_process() -> None:
    proc = dbtool_popen([*DBTOOL, "--help"], stdout=subprocess.PIPE)
    assert proc.wait(timeout=30) == 0
    assert proc.stdout.read().startswith(b"Usage")
    proc.stdout.close()
    assert zygote._Client.get() is zygote._Client.get()


def test_a_dead_zygote_is_replaced() -> None:
    old = zygote._Client.get()
    old.proc.kill()
    old.proc.wait(timeout=10)
    assert dbtool_run([*DBTOOL, "--help"], capture_output=True).returncode == 0
    assert zygote._Client.get() is not old
