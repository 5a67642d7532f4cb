"""The HTML report in a real browser: headless Chromium with networking cut off.

Checks what a reader sees: every table name visible, the ERD picture with one
node per table, no network request but the file itself, and the filter box
hiding non-matching tables — driven by typing into the box (DevTools), and by
the `#filter=` fragment the same script reads on load (`--dump-dom`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dbtool.report.html import render_html
from tests.report.browser import Browser, chromium, dump_dom, file_url
from tests.report.support import SERVICES, service_report

STATE = """(() => {
  const sections = [...document.querySelectorAll('section.table-section')];
  const shown = s => { const h = s.querySelector('h3');
    return !s.hidden && h.checkVisibility() && h.getClientRects().length > 0; };
  return {
    visible: sections.filter(shown).map(s => s.querySelector('h3').textContent),
    hidden: sections.filter(s => s.hidden).map(s => s.dataset.table),
    nodes: [...document.querySelectorAll('#erd-svg .erd-node')].map(n => ({
      table: n.dataset.table, width: n.getBBox().width, height: n.getBBox().height,
      dim: n.classList.contains('erd-dim')})),
    edges: document.querySelectorAll('#erd-svg .erd-edge').length,
    svg: document.getElementById('erd-svg').getBoundingClientRect().width,
    count: document.getElementById('filter-count').textContent,
    hash: location.hash,
  };
})()"""


def matching(report, query: str) -> set[str]:
    """What the filter should keep: tables whose name or a column name contains `query`."""
    q = query.lower()
    return {t.key for t in report.schema.tables
            if q in " ".join([t.key, *(c.name for c in t.columns)]).lower()}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium()
    b = Browser()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("html")


def page_for(folder: Path, service: str) -> Path:
    """The service's report page, written once per module."""
    path = folder / f"{service}.html"
    if not path.exists():
        path.write_text(render_html(service_report(service)), encoding="utf-8")
    return path


@pytest.mark.parametrize("service", SERVICES)
def test_every_table_visible_and_one_erd_node_per_table(
        service: str, browser: Browser, pages: Path) -> None:
    report = service_report(service)
    browser.open(file_url(page_for(pages, service)))
    state = browser.eval(STATE)
    keys = [t.key for t in report.schema.tables]
    assert state["visible"] == keys
    assert sorted(n["table"] for n in state["nodes"]) == sorted(keys)
    assert all(n["width"] > 100 and n["height"] > 20 and not n["dim"] for n in state["nodes"])
    assert state["edges"] == sum(len(t.foreign_keys) for t in report.schema.tables
                                 if all(fk.ref_key in keys for fk in t.foreign_keys))
    assert state["svg"] > 0 and state["count"] == f"{len(keys)} of {len(keys)} tables"
    assert [u for u in browser.requested_urls() if not u.startswith("file://")] == []


def test_typing_in_the_filter_box_hides_non_matching_tables(
        browser: Browser, pages: Path) -> None:
    report = service_report("registry")
    browser.open(file_url(page_for(pages, "registry")))
    browser.type_into("#filter", "motion_rhythm")  # a column name, not a table name
    state = browser.eval(STATE)
    assert state["visible"] == ["learned_motion"] == sorted(matching(report, "motion_rhythm"))
    assert len(state["hidden"]) == 20
    assert {n["table"] for n in state["nodes"] if not n["dim"]} == {"learned_motion"}
    assert state["count"] == "1 of 21 tables" and state["hash"] == "#filter=motion_rhythm"
    browser.eval("(() => { const i = document.getElementById('filter'); i.select(); })()")
    browser.type_into("#filter", "JOB")  # replaces the selection; case does not matter
    state = browser.eval(STATE)
    assert set(state["visible"]) == matching(report, "job") == {
        "jobs", "events", "feedback", "interpretations", "learning_runs"}
    browser.eval("(() => { const i = document.getElementById('filter'); i.select(); })()")
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Backspace",
                                            "windowsVirtualKeyCode": 8})
    browser.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Backspace",
                                            "windowsVirtualKeyCode": 8})
    state = browser.eval(STATE)
    assert len(state["visible"]) == 21 and state["hidden"] == []


@pytest.mark.parametrize(("service", "query"), [("registry", "job"), ("studio", "shot")])
def test_filter_from_the_url_fragment(service: str, query: str, pages: Path) -> None:
    report = service_report(service)
    dom = dump_dom(file_url(page_for(pages, service), f"#filter={query}"))
    sections = re.findall(r'<section class="table-section"[^>]*data-table="([^"]+)"[^>]*>', dom)
    hidden = set(re.findall(r'<section class="table-section"[^>]*data-table="([^"]+)"[^>]*'
                            r'hidden=""[^>]*>', dom))
    assert sorted(sections) == sorted(t.key for t in report.schema.tables)
    expected = matching(report, query)
    assert expected and hidden and set(sections) - hidden == expected
    assert f'data-filter="{query}"' in dom
    assert f"{len(expected)} of {len(sections)} tables" in dom
    dimmed = set(re.findall(r'<g class="erd-node erd-dim" data-table="([^"]+)"', dom))
    assert dimmed == hidden
