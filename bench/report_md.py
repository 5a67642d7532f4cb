"""bench/RESULTS.md: the harness's section, written between its own markers.

Other scripts own other marked sections of the same file (bench/d1_local.py
writes `<!-- d1-local:start -->…<!-- d1-local:end -->`); everything outside
this harness's markers is kept byte for byte.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from bench.paths import BENCH
from bench.profiling import Profile
from bench.report import (
    FIT_MAX,
    Fit,
    Growth,
    Results,
    crossover_text,
    growth_series,
    ratio_text,
    row_ratio,
    seconds,
)
from bench.targets import TargetResult
from bench.timing import Row

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
TITLE = "# Benchmark results"
FINDINGS = BENCH / "FINDINGS.md"
COLUMNS = ("tool", "command", "median", "min", "max", "runs", "dbtool / peer")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return out


def _row_cells(work, row: Row) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    label = f"**{row.label}**" if row.subject else row.label
    if row.reason:
        return (row.tool, label, f"not measured: {row.reason}", "", "", "0", "")
    value, other = row_ratio(work, row)
    cell = ratio_text(value)
    if value is not None and (len(work.subjects()) > 1 or row.subject):
        cell += f" vs {other}"
    return (row.tool, label, seconds(row.median), seconds(row.low), seconds(row.high),
            str(len(row.times)), cell)


def workload_section(work) -> list[str]:  # type: ignore[no-untyped-def]
    out = [f"### {work.title}", "", work.description, ""]
    if work.rows:
        out += _table(COLUMNS, [_row_cells(work, r) for r in work.rows])
    out += [""] + [f"- {note}" for note in work.notes] + ([""] if work.notes else [])
    return out


def _fit_cell(fit: Fit | None) -> str:
    if fit is None:
        return "—"
    return f"{seconds(fit.fixed) if fit.fixed >= 0 else '≈0'} + {fit.per_unit * 1000:.2f} ms"


def growth_section(growth: Growth) -> list[str]:
    unit = growth.unit
    sizes = growth.sizes
    steps = list(itertools.pairwise(sizes))
    fits = growth.fits()
    header = ("command", *(f"{n:,} {unit}" for n in sizes),
              *(f"×({b:,}/{a:,}) [size ×{b / a:g}]" for a, b in steps),
              f"fixed + per {unit.removesuffix('s')} (fit ≤ {FIT_MAX:,})")
    rows = []
    for label, medians in growth.medians.items():
        cells = [seconds(medians.get(n)) if medians.get(n) is not None else "not run"
                 for n in sizes]
        factors = [f"×{medians[b] / medians[a]:.2f}" if medians.get(a) and medians.get(b) else "—"
                   for a, b in steps]
        rows.append((label, *cells, *factors, _fit_cell(fits[label])))
    single = len({subject for subject, _ in growth.pairs}) == 1
    for subject_label, peer_label in growth.pairs:
        subject, peer = growth.medians[subject_label], growth.medians[peer_label]
        name = "dbtool" if single else _short(subject_label)
        cells = [f"{subject[n] / peer[n]:.2f}" if subject.get(n) and peer.get(n) else "—"
                 for n in sizes]
        rows.append((f"*{name} / {_short(peer_label)}*", *cells, *([""] * len(steps)),
                     crossover_text(fits[subject_label], fits[peer_label], unit)))
    return [f"### {growth.family}: cost by number of {unit}", "", *_table(header, rows), ""]


def _short(label: str) -> str:
    """A row label cut at its first parenthesis or colon, for the ratio rows."""
    return label.split(" (", 1)[0].split(": ", 1)[0]


def _target_rows(targets: list[TargetResult]) -> list[tuple[str, ...]]:
    verdict = {True: "met", False: "**missed**", None: "not measured"}
    return [(t.target, t.measured, verdict[t.met]) for t in targets]


def profile_section(target: TargetResult, profile: Profile) -> list[str]:
    out = [f"#### Profile: {target.target} — `{profile.command}`", ""]
    if profile.error:
        return [*out, f"Profiling failed: {profile.error}", ""]
    out.append(f"One run under pyinstrument: {seconds(profile.total)} in the process; imports "
               f"{seconds(profile.import_total)}, the rest is work.")
    if profile.imports:
        top = ", ".join(f"{name} {s * 1000:.0f} ms" for name, s in profile.imports[:8])
        out.append(f"- import time by package (self time under module bodies): {top}")
    if profile.work:
        top = ", ".join(f"`{name}` {s * 1000:.0f} ms" for name, s in profile.work[:6] if s > 0)
        out.append(f"- work, self time by function (C calls such as execute/commit/fsync count "
                   f"in their Python caller): {top}")
    return [*out, "", "<details><summary>call tree</summary>", "", "```", profile.tree, "```",
            "", "</details>", ""]


def render_section(results: Results) -> str:
    out = [START, "", "_Written by `make bench` (`python -m bench`); edit the harness, not this "
           "section. Other marked sections of this file belong to other scripts._", "",
           "## Machine and versions", ""]
    out += [f"- {key}: {value}" for key, value in results.machine.items()]
    out += [f"- settings: {', '.join(f'{k}={v}' for k, v in results.settings.items())}",
            f"- total run time: {results.elapsed:.0f} s", ""]
    out += ["## Targets (DESIGN §9)", "", *_table(("target", "measured", "result"),
                                                   _target_rows(results.targets)), ""]
    out += ["## Workloads", "", "Times are medians of whole processes (start-up included) over "
            "runs alternated with the peers; *dbtool / peer* below 1 means dbtool is faster.", ""]
    for work in results.workloads:
        if work.headline:
            out += workload_section(work)
    growths = growth_series(results.workloads)
    if growths:
        out += ["## Growth", "", "How each cost grows with size. Linear growth shows the size "
                "factor minus the fixed start-up share; the ratio rows are dbtool / peer at each "
                "size. Each size is measured minutes after the previous one, so a change in the "
                "machine's load between sizes shows in the growth factors of every tool alike; "
                "the ratios at one size come from alternated runs and are the reliable figures. The last "
                f"column fits a straight line through the medians at sizes up to {FIT_MAX:,}: its "
                "fixed part is start-up, its slope the cost of each file or table; on a ratio row "
                "it says from which size dbtool is the faster of the two.", ""]
        for growth in growths:
            out += growth_section(growth)
    out += ["## Notes", ""] + [f"- {note}" for note in results.notes] + [""]
    if FINDINGS.is_file():  # hand-written analysis, kept across runs until its author updates it
        out += [FINDINGS.read_text(encoding="utf-8").strip(), ""]
    for target in results.targets:
        if target.profile is not None:
            out += profile_section(target, target.profile)
    return "\n".join([*out, END])


def merge(existing: str, section: str) -> str:
    """Replace this harness's section; keep every other byte of the file."""
    if START in existing and END in existing:
        head, _, rest = existing.partition(START)
        _, _, tail = rest.partition(END)
        return head + section + tail
    if existing.startswith("# "):
        title, _, body = existing.partition("\n")
        return f"{title}\n\n{section}\n\n{body.lstrip()}".rstrip() + "\n"
    return f"{TITLE}\n\n{section}\n\n{existing}".rstrip() + "\n"


def write_markdown(results: Results, path: Path) -> None:
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(merge(existing, render_section(results)), encoding="utf-8")
