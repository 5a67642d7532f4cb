"""The seven bundled services lint clean: every finding they keep is silenced with a reason."""

from __future__ import annotations

import pytest

from dbtool.config import load_project
from dbtool.lint.service import lint_service
from tests.helpers import REPO

PROJECT = load_project(REPO / "dbtool.toml")
SERVICES = [service.name for service in PROJECT.services]


def test_all_seven_services_are_configured() -> None:
    assert sorted(SERVICES) == ["api", "dictionary", "export", "registry", "scenes", "scores", "studio"]


@pytest.mark.parametrize("name", SERVICES)
def test_service_lints_clean(name: str) -> None:
    report = lint_service(PROJECT.service(name))
    shown = "\n".join(f"{d.location}: {d.severity.value} {d.code} {d.message}" for d in report.active)
    assert not report.failed, f"error-level findings in {name}:\n{shown}"
    assert report.active == (), f"findings kept without a lint-ignore reason in {name}:\n{shown}"
    assert all(d.suppressed_by for d in report.suppressed)


def test_conventions_follow_the_seeds() -> None:
    enabled = {s.name: set(s.lint.get("enable", [])) for s in PROJECT.services}
    for name in ("api", "scores", "dictionary"):  # seed 001
        assert {"CV101", "CV102"} <= enabled[name]
    assert "CV102" not in enabled["scenes"] and "CV101" not in enabled["scenes"]  # seed 002: SERIAL, 'A'
    assert {"CV104", "CV105"} <= enabled["studio"]  # seed 004: RLS everywhere
