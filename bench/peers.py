"""The peer tools, installed on demand into bench/.peers/ (git-ignored).

npm: `wrangler` and `dbmate` (whose npm package ships the Go binary for this
platform through an optional dependency, `@dbmate/linux-x64`); PyPI:
`yoyo-migrations` and `alembic` in their own venv, so their SQLAlchemy never
meets dbtool's; `migra` (with psycopg2) in another, its dependencies being its own. A peer that cannot be installed is kept with the reason, so the
report says "not measured: <reason>" instead of dropping it.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.paths import PEERS, WORK

WRANGLER_VERSION = "4.86.0"
DBMATE_VERSION = "2.36.0"
PY_PEERS = {"yoyo": "yoyo-migrations", "alembic": "alembic"}
MIGRA = ("migra", "psycopg2-binary")  # in its own venv: it connects through SQLAlchemy + psycopg2
TIMES_FILE = "install-times.json"
# wrangler offline (DESIGN §7): no metrics, no banner, no fetches, no prompts.
WRANGLER_ENV = {"WRANGLER_SEND_METRICS": "false", "WRANGLER_HIDE_BANNER": "true",
                "CLOUDFLARE_CF_FETCH_ENABLED": "false", "CI": "true"}


@dataclass
class Peer:
    """One peer tool: how to run it, its version, and why not, if it is missing."""

    name: str
    argv: tuple[str, ...] = ()
    version: str | None = None
    install_seconds: float | None = None  # seconds the install took when it happened
    installed_now: bool = False
    reason: str | None = None  # "not measured" reason
    env: dict[str, str] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return self.reason is None and bool(self.argv)

    @property
    def missing(self) -> str | None:
        """Why this peer cannot be measured (None when it can)."""
        return None if self.available else (self.reason or "not installed")


@dataclass
class Peers:
    by_name: dict[str, Peer] = field(default_factory=dict)

    def get(self, name: str) -> Peer:
        return self.by_name.get(name) or Peer(name, reason="peers not installed (--no-peers)")

    def all(self) -> list[Peer]:
        return list(self.by_name.values())


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=True, **kwargs)  # type: ignore[call-overload]


def _tail(exc: BaseException) -> str:
    """The last meaningful line of a failed install, for the report."""
    text = getattr(exc, "stderr", None) or getattr(exc, "stdout", None) or str(exc)
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip() and "npm warn" not in ln]
    return (lines[-1] if lines else type(exc).__name__)[:200]


class _Installer:
    """Installs each peer once, remembering how long the install took."""

    def __init__(self, root: Path, log: Callable[[str], None]) -> None:
        self.root = root
        self.log = log
        self.times_path = root / TIMES_FILE
        self.times: dict[str, float] = (json.loads(self.times_path.read_text())
                                        if self.times_path.is_file() else {})

    def ensure(self, name: str, present: Callable[[], bool], install: Callable[[], None]) -> Peer:
        peer = Peer(name)
        try:
            if not present():
                self.log(f"installing {name} into {self.root} …")
                started = time.perf_counter()
                install()
                self.times[name] = round(time.perf_counter() - started, 1)
                peer.installed_now = True
                self.root.mkdir(parents=True, exist_ok=True)
                self.times_path.write_text(json.dumps(self.times, indent=2))
                if not present():
                    raise RuntimeError("installed, but its executable is missing")
        except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
            peer.reason = f"install failed: {_tail(exc)}"
        peer.install_seconds = self.times.get(name)
        return peer


def _npm_install(prefix: Path, spec: str) -> None:
    if shutil.which("npm") is None:
        raise RuntimeError("npm is not installed")
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "package.json").write_text(json.dumps({"name": f"bench-{prefix.name}", "private": True}))
    _run(["npm", "install", "--no-audit", "--no-fund", "--save-exact", "--prefix", str(prefix), spec])


def _wrangler(inst: _Installer) -> Peer:
    prefix = inst.root / "wrangler"
    script = prefix / "node_modules" / "wrangler" / "bin" / "wrangler.js"
    peer = inst.ensure("wrangler", script.is_file,
                       lambda: _npm_install(prefix, f"wrangler@{WRANGLER_VERSION}"))
    if peer.reason is None:
        peer.argv = ("node", str(script))
        package = json.loads((prefix / "node_modules" / "wrangler" / "package.json").read_text())
        peer.version = package["version"]
        peer.env = dict(WRANGLER_ENV, XDG_CONFIG_HOME=str(inst.root / "xdg"))
    return peer


def dbmate_binary(prefix: Path) -> Path:
    """The platform binary the npm package installs (what `npx dbmate` execs)."""
    arch = {"x86_64": "x64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return prefix / "node_modules" / "@dbmate" / f"{sys.platform}-{arch}" / "bin" / "dbmate"


def _dbmate(inst: _Installer) -> Peer:
    prefix = inst.root / "dbmate"
    binary = dbmate_binary(prefix)
    peer = inst.ensure("dbmate", binary.is_file, lambda: _npm_install(prefix, f"dbmate@{DBMATE_VERSION}"))
    if peer.reason is None:
        try:  # offline check: the binary runs from node_modules with no download step
            out = _run([str(binary), "--version"], timeout=30).stdout.strip()
            peer.argv, peer.version = (str(binary),), out.split()[-1]
        except (OSError, subprocess.SubprocessError) as exc:
            peer.reason = f"dbmate binary does not run: {_tail(exc)}"
    return peer


def _venv_python(root: Path) -> Path:
    return root / "venv" / "bin" / "python"


def _pip_install(root: Path, *specs: str) -> None:
    if not _venv_python(root).is_file():
        _run([sys.executable, "-m", "venv", str(root / "venv")])
    _run([str(_venv_python(root)), "-m", "pip", "install", "-q", "--disable-pip-version-check", *specs])


def _py_version(root: Path, dist: str) -> str | None:
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    try:
        return _run([str(_venv_python(root)), "-c", code]).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _python_peer(inst: _Installer, name: str, script: str) -> Peer:
    dist = PY_PEERS[name]
    peer = inst.ensure(name, lambda: _py_version(inst.root, dist) is not None,
                       lambda: _pip_install(inst.root, dist, "psycopg[binary]"))
    if peer.reason is None:
        peer.argv = (str(inst.root / "venv" / "bin" / script),)
        peer.version = _py_version(inst.root, dist)
    return peer


def _migra(inst: _Installer) -> Peer:
    root = inst.root / "migra"
    peer = inst.ensure("migra", lambda: _py_version(root, "migra") is not None,
                       lambda: _pip_install(root, *MIGRA))
    if peer.reason is None:
        peer.argv = (str(root / "venv" / "bin" / "migra"),)
        peer.version = _py_version(root, "migra")
    return peer


def install_peers(log: Callable[[str], None], root: Path = PEERS) -> Peers:
    """Install (or find) every peer; failures become reasons, never exceptions."""
    inst = _Installer(root, log)
    peers = [_wrangler(inst), _dbmate(inst), _python_peer(inst, "yoyo", "yoyo"),
             _python_peer(inst, "alembic", "alembic"), _migra(inst)]
    for peer in peers:
        state = f"not measured: {peer.reason}" if peer.reason else f"{peer.version}"
        log(f"peer {peer.name}: {state}")
    return Peers({p.name: p for p in peers})


def ensure_pyinstrument(log: Callable[[str], None], root: Path = PEERS) -> Path | None:
    """pyinstrument in its own --target folder, put on PYTHONPATH only while profiling."""
    target = root / "pyinstrument"
    if (target / "pyinstrument").is_dir():
        return target
    log("installing pyinstrument for the profiles …")
    try:
        _run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
              "--target", str(target), "pyinstrument"])
    except (OSError, subprocess.CalledProcessError) as exc:
        log(f"pyinstrument unavailable: {_tail(exc)}")
        return None
    return target


def clean_env() -> dict[str, str]:
    """The environment every timed command gets: no cloud credentials, no colour codes.

    Bytecode caching is on (a pip-installed tool has its .pyc files; this
    session's PYTHONDONTWRITEBYTECODE=1 would make every run recompile dbtool's
    source), with the caches under bench/.work/pycache instead of the source tree.
    """
    drop = ("CLOUDFLARE_API", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(NO_COLOR="1", TERM="dumb", PYTHONPYCACHEPREFIX=str(WORK / "pycache"))
    return env
