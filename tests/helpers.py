"""Test helpers shared by the service and CLI tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_dbtool(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dbtool", *args],
        cwd=cwd or REPO, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


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
