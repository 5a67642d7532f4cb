"""The generated registry document reproduces every fact of seed 000's two tables.

Seed 000 is the hand-written document `introspect --format markdown` replaces:
its "Table → registry mapping" and "Migrations (in order)" tables are parsed
and every row must appear in the generated document's tables of the same name
(rows compared as sets, bold and backticks normalised). The mapping comes from
the snapshot's annotations; the migration contents come from analysing the
statements of migrations/registry — nothing is typed in by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

from dbtool.report.markdown import render_markdown
from tests.conftest import REPO
from tests.helpers import run_dbtool
from tests.report.support import service_report

SEED = next((REPO.parent / "shared" / "seeds").glob("000_*.txt"), None) \
    if (REPO.parent / "shared" / "seeds").is_dir() else None
SEED_COPY = Path(__file__).resolve().parent / "golden" / "seed_000_tables.md"


def _seed_text() -> str:
    """The seed itself when the shared folder is there, else the copy of its two tables."""
    return SEED.read_text(encoding="utf-8") if SEED else SEED_COPY.read_text(encoding="utf-8")


def _normalise(cell: str) -> str:
    return " ".join(cell.replace("**", "").replace("`", "").replace("\\|", "|").split())


def markdown_table(text: str, heading: str) -> list[dict[str, str]]:
    """The first pipe table after `## heading`, as rows keyed by normalised header."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"## {heading}")
    rows: list[list[str]] = []
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            rows.append([_normalise(c) for c in cells])
        elif rows:
            break
    header, _rule, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


def _rows(table: list[dict[str, str]], *keys: str) -> set[tuple[str, ...]]:
    return {tuple(row[k] for k in keys) for row in table}


def test_seed_copy_is_the_seed() -> None:
    """The copy used when ../shared is absent holds the seed's two tables verbatim."""
    if SEED is None:
        return
    seed, copy = _seed_text(), SEED_COPY.read_text(encoding="utf-8")
    for heading, keys in (("Table → registry mapping", ("Table", "Registry", "Purpose")),
                          ("Migrations (in order)", ("Migration", "Contents"))):
        assert _rows(markdown_table(seed, heading), *keys) == _rows(markdown_table(copy, heading), *keys)


def test_registry_mapping_matches_seed_000() -> None:
    generated = render_markdown(service_report("registry"))
    keys = ("Table", "Registry", "Purpose")
    seed_rows = _rows(markdown_table(_seed_text(), "Table → registry mapping"), *keys)
    ours = _rows(markdown_table(generated, "Table → registry mapping"), *keys)
    assert len(seed_rows) == 21
    assert seed_rows - ours == set(), f"rows of seed 000 missing: {sorted(seed_rows - ours)}"
    assert ours == seed_rows  # and nothing the seed does not list


def test_migrations_in_order_match_seed_000() -> None:
    generated = render_markdown(service_report("registry"))
    seed_table = markdown_table(_seed_text(), "Migrations (in order)")
    ours_table = markdown_table(generated, "Migrations (in order)")
    seed_rows, ours = _rows(seed_table, "Migration", "Contents"), _rows(ours_table, "Migration", "Contents")
    assert len(seed_rows) == 13
    assert seed_rows - ours == set(), f"rows of seed 000 missing: {sorted(seed_rows - ours)}"
    assert [r["Migration"] for r in ours_table] == [r["Migration"] for r in seed_table]  # in order
    contents = dict(_rows(ours_table, "Migration", "Contents"))
    assert contents["0003_learned_knowledge.sql"].count(",") == 8  # the 9 tables it creates
    assert contents["0008_aspect_coverage.sql"] == (
        "ALTERs: static_colors (luminance, chroma, opacity), "
        "learned_motion (motion_direction, motion_rhythm)")


def test_the_cli_writes_the_same_tables() -> None:
    proc = run_dbtool("introspect", "registry", "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    keys = ("Migration", "Contents")
    assert _rows(markdown_table(proc.stdout, "Migrations (in order)"), *keys) >= \
        _rows(markdown_table(_seed_text(), "Migrations (in order)"), *keys)
