"""Shared helpers for the report tests: reports of the seven services, goldens, Rich text."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from tests.conftest import PG_ADMIN_URL, REPO, require_postgres

SERVICES = ("registry", "api", "scores", "dictionary", "export", "scenes", "studio")
PG_SERVICES = frozenset({"scenes", "studio"})
GOLDEN = Path(__file__).resolve().parent / "golden"
DOCS = REPO / "docs" / "schema"
SCHEMA_FILE = REPO / "src" / "dbtool" / "data" / "introspect.schema.json"
UPDATE = os.environ.get("DBTOOL_UPDATE_GOLDEN") == "1"


@contextmanager
def scratch_env(url: str = PG_ADMIN_URL) -> Iterator[None]:
    """$DBTOOL_SCRATCH_URL for the duration of a build, restored afterwards."""
    old = os.environ.get("DBTOOL_SCRATCH_URL")
    os.environ["DBTOOL_SCRATCH_URL"] = url
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("DBTOOL_SCRATCH_URL", None)
        else:
            os.environ["DBTOOL_SCRATCH_URL"] = old


def pg_env(service: str) -> dict[str, str]:
    """Environment for a CLI run of `service` (a scratch server for Postgres ones)."""
    if service in PG_SERVICES:
        require_postgres()
        return {"DBTOOL_SCRATCH_URL": PG_ADMIN_URL}
    return {}


@cache
def _build(service: str) -> Any:
    from dbtool.config import load_project
    from dbtool.core.introspect import scratch_report

    project = load_project(REPO / "dbtool.toml")
    with scratch_env():
        return scratch_report(project.service(service), project)


def service_report(service: str) -> Any:
    """The scratch-built report of a bundled service (built once per test session)."""
    if service in PG_SERVICES:
        require_postgres()
    return _build(service)


def rich_text(renderables: list[Any], width: int = 200) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    for item in renderables:
        console.print(item)
    return buffer.getvalue()


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/report/golden/<name>; DBTOOL_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8", newline="\n")
        if not UPDATE:
            raise AssertionError(f"golden file {path} did not exist; it was written — review it")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file " \
        "(DBTOOL_UPDATE_GOLDEN=1 pytest tests/report rewrites it after review)"


def validator() -> Any:
    import json

    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def assert_valid(document: Any) -> None:
    errors = sorted(validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
