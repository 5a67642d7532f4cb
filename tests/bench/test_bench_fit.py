"""The growth tables' straight-line fit: the start-up share and the per-file cost
that explain why a ratio changes with size (bench/report.py)."""

from __future__ import annotations

import pytest
from bench.report import Fit, Growth, crossover_text, linear_fit
from bench.report_md import growth_section


def test_fit_recovers_start_up_and_per_file_cost() -> None:
    medians = {n: 0.115 + 0.00044 * n for n in (100, 200, 1_000)} | {5_000: 9.9}
    fit = linear_fit(medians)
    assert fit is not None
    assert fit.fixed == pytest.approx(0.115) and fit.per_unit == pytest.approx(0.00044)


def test_fit_skips_unmeasured_sizes_and_needs_two_points() -> None:
    assert linear_fit({100: 0.2, 200: None, 5_000: 3.0}) is None
    fit = linear_fit({100: 0.2, 200: 0.3, 1_000: None})
    assert fit is not None
    assert (fit.fixed, fit.per_unit) == pytest.approx((0.1, 0.001))


def test_crossover_says_from_which_size_dbtool_is_faster() -> None:
    dbtool, dbmate = Fit(0.115, 0.00044), Fit(0.019, 0.00086)
    assert crossover_text(dbtool, dbmate, "files") == "faster above ~229 files"
    assert crossover_text(Fit(0.01, 0.001), Fit(0.02, 0.002), "files") == "faster at every size"
    assert crossover_text(Fit(0.05, 0.003), Fit(0.02, 0.002), "tables") == "slower at every size up to 1,000"
    assert crossover_text(Fit(0.01, 0.003), Fit(0.02, 0.002), "files") == "faster below ~10 files"
    assert crossover_text(Fit(0.1149, 0.00044), Fit(0.115, 0.00086), "files") == "faster at every size"
    assert crossover_text(Fit(0.03, 0.001), Fit(0.02, 0.001), "files") == "slower at every size up to 1,000"
    assert crossover_text(None, dbmate, "files") == "—"


def test_growth_table_shows_the_fit_and_the_crossover() -> None:
    sizes = [100, 200, 1_000]
    dbtool = {n: 0.115 + 0.00044 * n for n in sizes}
    dbmate = {n: 0.019 + 0.00086 * n for n in sizes}
    growth = Growth("apply-sqlite", "files", sizes, {"dbtool migrate": dbtool, "dbmate migrate": dbmate},
                    {}, [("dbtool migrate", "dbmate migrate")])
    text = "\n".join(growth_section(growth))
    assert "fixed + per file (fit ≤ 1,000)" in text
    assert "| dbtool migrate | 159 ms | 203 ms | 555 ms | ×1.28 | ×2.73 | 115 ms + 0.44 ms |" in text
    assert "faster above ~229 files |" in text
    assert growth.to_dict()["fit"]["dbmate migrate"] == {"fixed_s": 0.019, "per_unit_ms": 0.86}
