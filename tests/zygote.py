"""A fork server ("zygote") for the suite's `python -m dbtool` processes.

The suite starts hundreds of real dbtool processes (kills, signals, races need them),
and ~75% of each one's CPU went to imports (psycopg, typer/click, dbtool). Each pytest
process starts one zygote lazily: an interpreter with those modules imported once, that
forks a child per request. The child is a real process (own pid, killable, own fds
0/1/2 received with SCM_RIGHTS) that runs what `python -m dbtool` runs.

Only modules that cannot observe the request are preloaded: `dbtool.faults` reads
DBTOOL_FAULT at import and the engines bind `fault` at import, so neither is loaded in
the zygote (asserted); a request whose environment differs in what the interpreter reads
at startup (PYTHON*, LC_*, LANG, LANGUAGE, PSYCOPG*) gets a real process instead.

DBTOOL_TEST_ZYGOTE=0 turns it off: every call is a real `python -m dbtool` (a fidelity
check: the same tests must pass either way).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import io
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_STARTUP_PREFIXES = ("PYTHON", "LC_", "PSYCOPG")
_STARTUP_NAMES = ("LANG", "LANGUAGE")
# What `migrate`/`status`/`rollback` import on SQLite and Postgres (python -X importtime),
# minus dbtool.faults and the engines that import it.
PRELOAD = (
    "psycopg", "psycopg.pq", "psycopg.dbapi20", "sqlite3", "json", "typer", "click", "shellingham",
    "dbtool.cli.app", "dbtool.cli.render", "dbtool.cli.fleet_cmd", "dbtool.cli.options", "dbtool.api",
    "dbtool.core.migrate", "dbtool.core.status", "dbtool.core.rollback", "dbtool.core.history_ops",
    "dbtool.core.targets", "dbtool.core.foreign_history", "dbtool.core.results.history",
    "dbtool.core.results.run", "dbtool.core.results.schema", "dbtool.core.results.status",
    "dbtool.d1.wrangler", "dbtool.engines.history_postgres", "dbtool.engines.history_shape",
    "dbtool.engines.history_sqlite", "dbtool.engines.pg_own_tables", "dbtool.engines.run_lock",
    "dbtool.inspect.sqlite_runner", "dbtool.lint.prefilters", "dbtool.lint.refusals",
    "dbtool.migrations.splitter", "dbtool._command_module",
)
# Popen arguments the zygote reproduces; anything else (preexec_fn, user, pass_fds...) -> real exec.
_SUPPORTED = {"stdin", "stdout", "stderr", "cwd", "env", "text", "encoding", "errors",
              "universal_newlines", "bufsize", "start_new_session", "close_fds"}


def _startup_env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(_STARTUP_PREFIXES) or k in _STARTUP_NAMES}


# ---- client side (the pytest process) ----

class _Client:
    """This process's zygote: started on first use, stopped at exit (or when we die: EOF on its stdin)."""

    _lock = threading.Lock()
    _current: _Client | None = None

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="dbtool-zygote-")
        self.path = os.path.join(self.folder, "sock")
        self.env = {k: v for k, v in os.environ.items() if k != "DBTOOL_FAULT"}
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.zygote", self.path], cwd=REPO,
                                     env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if self.proc.stdout.readline() != b"ready\n":
            raise RuntimeError("the test zygote did not start (see its stderr)")
        self.pid = os.getpid()
        atexit.register(self.stop)

    @classmethod
    def get(cls) -> _Client:
        with cls._lock:
            current = cls._current
            if current is None or current.pid != os.getpid() or current.proc.poll() is not None:
                cls._current = cls()
            return cls._current

    def stop(self) -> None:
        if self.pid == os.getpid():
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
            self.proc.stdout.close()
            for name in os.listdir(self.folder):
                os.unlink(os.path.join(self.folder, name))
            os.rmdir(self.folder)


class ZygotePopen(subprocess.Popen):
    """A Popen whose child is forked by the zygote; its exit status comes back on `_conn`."""

    def __init__(self, args, *, start_new_session: bool = False, **kw) -> None:
        self._new_session = start_new_session
        self._conn: socket.socket | None = None
        super().__init__(args, **kw)

    def _execute_child(self, args, executable, preexec_fn, close_fds, pass_fds, cwd, env,
                       startupinfo, creationflags, shell, p2cread, p2cwrite, c2pread, c2pwrite,
                       errread, errwrite, *rest) -> None:
        client = _Client.get()
        fds = [fd if fd != -1 else std for fd, std in ((p2cread, 0), (c2pwrite, 1), (errwrite, 2))]
        request = {"argv": [os.fsdecode(a) for a in args[3:]], "cwd": os.fsdecode(cwd or os.getcwd()),
                   "env": {os.fsdecode(k): os.fsdecode(v) for k, v in (os.environ if env is None else env).items()},
                   "new_session": self._new_session}
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            conn.connect(client.path)
            socket.send_fds(conn, [json.dumps(request).encode()], fds)
            reply = conn.recv(64)
            if not reply.startswith(b"pid "):
                raise OSError(f"the test zygote failed to fork: {reply!r}")
            self.pid = int(reply[4:])
            self._child_created = True
            self._conn = conn
        except BaseException:
            conn.close()
            raise
        finally:
            self._close_pipe_fds(p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite)

    def _status(self, block: bool) -> int | None:
        """The raw wait status once the zygote reported it (it sends it when it reaps the child)."""
        self._conn.setblocking(block)
        try:
            data = self._conn.recv(64)
        except BlockingIOError:
            return None
        self._conn.close()
        if not data.startswith(b"status "):
            raise OSError(f"the test zygote went away before pid {self.pid} ended")
        return int(data[7:])

    def _internal_poll(self, _deadstate=None, **_):
        if self.returncode is None and self._waitpid_lock.acquire(False):
            try:
                if self.returncode is None:
                    sts = self._status(block=False)
                    if sts is not None:
                        self._handle_exitstatus(sts)
            except OSError:
                if _deadstate is None:
                    raise
                self.returncode = _deadstate
            finally:
                self._waitpid_lock.release()
        return self.returncode

    def _try_wait(self, wait_flags):
        sts = self._status(block=not wait_flags & os.WNOHANG)
        return (0, 0) if sts is None else (self.pid, sts)


def _zygote_can_run(cmd, kw: dict) -> bool:
    if os.environ.get("DBTOOL_TEST_ZYGOTE") == "0" or set(kw) - _SUPPORTED:
        return False
    if list(cmd[:3]) != [sys.executable, "-m", "dbtool"] or kw.get("close_fds") is False:
        return False
    env = kw.get("env")
    return _startup_env(os.environ if env is None else env) == _startup_env(_Client.get().env)


def dbtool_popen(cmd, **kw) -> subprocess.Popen:
    """`subprocess.Popen(cmd, **kw)`, forked by the zygote when `cmd` is `python -m dbtool ...`."""
    return ZygotePopen(cmd, **kw) if _zygote_can_run(cmd, kw) else subprocess.Popen(cmd, **kw)


def dbtool_run(cmd, *, input=None, capture_output=False, timeout=None, check=False, **kw):
    """`subprocess.run(cmd, ...)`, forked by the zygote when `cmd` is `python -m dbtool ...`
    (the body of subprocess.run, with dbtool_popen for Popen)."""
    if input is not None:
        kw["stdin"] = subprocess.PIPE
    if capture_output:
        kw["stdout"] = kw["stderr"] = subprocess.PIPE
    with dbtool_popen(cmd, **kw) as process:
        try:
            stdout, stderr = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        except BaseException:
            process.kill()
            raise
        retcode = process.poll()
        if check and retcode:
            raise subprocess.CalledProcessError(retcode, process.args, output=stdout, stderr=stderr)
    return subprocess.CompletedProcess(process.args, retcode, stdout, stderr)


# ---- server side (the zygote process; single-threaded, it forks) ----

def serve(path: str) -> dict | None:
    """Run the zygote until its parent goes; in a forked child, return that child's request."""
    for name in PRELOAD:
        importlib.import_module(name)
    assert "dbtool.faults" not in sys.modules, "a preloaded module imports dbtool.faults"
    wake_r, wake_w = socket.socketpair()
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno())
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to get the wakeup byte
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    sel = selectors.DefaultSelector()
    for obj in (listener, wake_r, sys.stdin):
        sel.register(obj, selectors.EVENT_READ)
    conns: dict[int, socket.socket] = {}  # child pid -> its request's connection
    gc.freeze()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        for key, _ in sel.select():
            if key.fileobj is sys.stdin:
                return None  # our parent closed the pipe or died
            if key.fileobj is wake_r:
                wake_r.recv(4096)
                while True:
                    try:
                        pid, sts = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    conn = conns.pop(pid, None)
                    if conn is not None:
                        with contextlib.suppress(OSError):  # the client went away
                            conn.send(b"status %d" % sts)
                        conn.close()
                continue
            conn, _ = listener.accept()
            msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                sel.close()
                for sock in (listener, wake_r, wake_w, conn, *conns.values()):
                    sock.close()
                for target, fd in enumerate(fds):
                    os.dup2(fd, target)
                os.closerange(3, 1 << 16)  # as close_fds=True
                return json.loads(msg)
            for fd in fds:
                os.close(fd)
            conns[pid] = conn
            conn.send(b"pid %d" % pid)


def _fresh_stdio() -> None:
    """New sys.stdin/stdout/stderr over fds 0/1/2, as the interpreter builds them at startup."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        old = getattr(sys, name)
        buffer = open(fd, mode + "b", closefd=False)  # noqa: SIM115 - lives as sys.std*
        line = os.isatty(fd) or fd == 2
        stream = io.TextIOWrapper(buffer, encoding=old.encoding, errors=old.errors, newline="\n",
                                  line_buffering=line)
        stream.mode = mode
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def run_child(request: dict) -> None:
    """In the forked child: become `python -m dbtool ARGV` and run it; SystemExit and errors
    propagate to the interpreter, which exits as a real process would."""
    import runpy

    _fresh_stdio()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if request["new_session"]:
        os.setsid()
    sys.argv = ["-m", *request["argv"]]
    sys.path[0] = os.getcwd()  # as `-m` sets it (modules already imported stay the zygote's)
    runpy.run_module("dbtool", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    child_request = serve(sys.argv[1])
    if child_request is not None:
        run_child(child_request)
