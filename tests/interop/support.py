"""Helpers for the D1 interop tests: the npm install, wrangler runs, the REST test server.

Everything Node-side is installed from `tests/interop/package-lock.json` into
`tests/interop/node_modules` (git-ignored) once per session. wrangler always
runs with DESIGN §7's offline settings and a throwaway XDG_CONFIG_HOME.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

INTEROP = Path(__file__).resolve().parent
NODE_MODULES = INTEROP / "node_modules"
STAMP = NODE_MODULES / ".dbtool-npm-ci"
WRANGLER_JS = NODE_MODULES / "wrangler" / "bin" / "wrangler.js"
WRANGLER_CLI = NODE_MODULES / "wrangler" / "wrangler-dist" / "cli.js"  # what bin/wrangler.js starts
CACHED_START = INTEROP / "wrangler_cached.cjs"
NODE_FLAGS = ("--no-warnings", "--experimental-vm-modules")  # bin/wrangler.js's own
SERVER_JS = INTEROP / "d1_server" / "server.mjs"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
OFFLINE = {
    "WRANGLER_SEND_METRICS": "false",
    "WRANGLER_HIDE_BANNER": "true",
    "CLOUDFLARE_CF_FETCH_ENABLED": "false",
    "CI": "true",
}
# Variables that would make wrangler or dbtool talk to a real account.
SCRUBBED = ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "CF_API_TOKEN", "DBTOOL_D1_API_BASE")


def need(reason: str) -> None:
    """Fail loudly in CI (npm is reachable there); skip locally, with the reason."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def _lock_hash() -> str:
    return hashlib.sha256((INTEROP / "package-lock.json").read_bytes()).hexdigest()


def install_node_packages() -> float | None:
    """`npm ci` into tests/interop/node_modules unless the lock file's install is there.

    Returns the install time in seconds, or None when nothing had to be installed.
    A file lock keeps two pytest processes from installing at once.
    """
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        need("npm/node not found on PATH (the D1 interop tests need Node 20+ and npm)")
    wanted = _lock_hash()
    lock_path = Path(tempfile.gettempdir()) / "dbtool-interop-npm.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if STAMP.is_file() and STAMP.read_text() == wanted and WRANGLER_JS.is_file():
            return None
        started = time.monotonic()
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(INTEROP)],
            cwd=INTEROP, capture_output=True, text=True, timeout=900,
            env={**os.environ, "npm_config_update_notifier": "false"},
        )
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            need(f"`npm ci` in tests/interop failed ({proc.returncode}): {' | '.join(tail)}")
        STAMP.write_text(wanted)
        return time.monotonic() - started


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(extra)
    return env


@dataclass
class Wrangler:
    """Runs the pinned wrangler offline, as a user would from the project folder."""

    config_home: Path

    def run(self, *args: str, cwd: Path, check: bool = True,
            timeout: float = 240) -> subprocess.CompletedProcess[str]:
        env = clean_env(**OFFLINE, XDG_CONFIG_HOME=str(self.config_home), NO_COLOR="1",
                        WRANGLER_CODE_CACHE=str(NODE_MODULES / ".dbtool-wrangler-cli.v8"))
        # cli.js started as bin/wrangler.js starts it, minus that launcher process and with
        # V8's code cache (tests/interop/wrangler_cached.cjs): same code, same flags, same argv
        node = shutil.which("node") or "node"
        proc = subprocess.run([node, *NODE_FLAGS, str(CACHED_START), str(WRANGLER_CLI), *args], cwd=cwd,
                              env=env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"wrangler {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc

    def query(self, sql: str, *, cwd: Path, extra: tuple[str, ...] = ()) -> list[dict]:
        """Rows of `wrangler d1 execute DB --local --json --command SQL`."""
        proc = self.run("d1", "execute", "DB", "--local", "--json", "--command", sql, *extra, cwd=cwd)
        return json.loads(proc.stdout)[0]["results"]


@dataclass
class D1TestServer:
    """The Node stand-in for D1's REST API (tests/interop/d1_server/server.mjs)."""

    process: subprocess.Popen
    origin: str
    account: str
    token: str
    forbidden_token: str
    databases: list[str]
    _next: int = field(default=0)

    @property
    def api_base(self) -> str:
        return f"{self.origin}/client/v4"

    def fresh_database(self) -> str:
        if self._next >= len(self.databases):
            raise AssertionError("the test server's database pool is used up; raise POOL_SIZE")
        self._next += 1
        return self.databases[self._next - 1]

    def env(self, token: str | None = None) -> dict[str, str]:
        """Environment for a dbtool subprocess that talks to this server."""
        return {"CLOUDFLARE_API_TOKEN": token if token is not None else self.token,
                "DBTOOL_D1_API_BASE": self.api_base, "DBTOOL_D1_BACKOFF": "0.05"}

    def control(self, action: str, body: dict | None = None) -> dict:
        data = None if action.startswith("stats") else json.dumps(body or {}).encode()
        request = urllib.request.Request(f"{self.origin}/__control/{action}", data=data,
                                         method="GET" if data is None else "POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def fail_next(self, mode: str, count: int = 1, match: str = "") -> None:
        self.control("fail", {"mode": mode, "count": count, "match": match})

    def stats(self, match: str = "") -> dict:
        """Query requests received / committed whose SQL contains `match`."""
        return self.control("stats?match=" + urllib.parse.quote(match))

    def query(self, database: str, sql: str, params: list | None = None) -> list[dict]:
        """Rows of the last statement, straight over HTTP (not through dbtool)."""
        url = f"{self.api_base}/accounts/{self.account}/d1/database/{database}/query"
        body = json.dumps({"sql": sql, "params": params or []}).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["result"][-1]["results"]


POOL_SIZE = 40


def start_server(log_path: Path, *, names: list[str] | None = None) -> Iterator[D1TestServer]:
    """The server with POOL_SIZE databases (named db-0 …), or one database per name."""
    account = uuid.uuid4().hex
    token = f"dbtool-interop-SECRET-{uuid.uuid4().hex[:12]}"
    forbidden = f"dbtool-interop-READONLY-{uuid.uuid4().hex[:12]}"
    databases = [str(uuid.uuid4()) for _ in range(len(names) if names else POOL_SIZE)]
    env = clean_env(D1_TEST_TOKEN=token, D1_TEST_FORBIDDEN_TOKEN=forbidden, D1_TEST_ACCOUNT=account,
                    D1_TEST_DATABASES=",".join(databases), D1_TEST_ECHO_TOKEN="1", PORT="0",
                    D1_TEST_NAMES=",".join(names or []))
    with open(log_path, "w") as log:
        proc = subprocess.Popen([shutil.which("node") or "node", str(SERVER_JS)], cwd=INTEROP,
                                env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            origin = _read_origin(proc, log_path)
            yield D1TestServer(proc, origin, account, token, forbidden, databases)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _read_origin(proc: subprocess.Popen, log_path: Path, timeout: float = 60) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("listening "):
        proc.kill()
        raise AssertionError(f"D1 test server did not start: {line!r}\n{log_path.read_text()[-2000:]}")
    return line.split(" ", 1)[1].strip()
