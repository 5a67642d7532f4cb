"""`prelude = "supabase"` names the prelude shipped in the package; a path still works."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbtool.config import load_project
from dbtool.errors import ConfigError
from dbtool.preludes import BUILTIN_DIR, builtin_names
from tests.helpers import run_dbtool


def project(root: Path, prelude: str) -> Path:
    (root / "dbtool.toml").write_text(
        f'[services.app]\ndialect = "postgres"\nmigrations = "m"\nprelude = "{prelude}"\n')
    (root / "m").mkdir()
    (root / "m" / "0001_init.sql").write_text("CREATE TABLE t (id int PRIMARY KEY);\n")
    return root


def test_the_package_ships_the_supabase_prelude() -> None:
    assert "supabase" in builtin_names()
    assert (BUILTIN_DIR / "supabase.sql").read_text(encoding="utf-8").count("auth.uid()") > 1


def test_a_built_in_name_resolves_inside_the_package(tmp_path: Path) -> None:
    service = load_project(cwd=project(tmp_path, "supabase")).service("app")
    assert service.prelude == BUILTIN_DIR / "supabase.sql"
    assert service.prelude.is_file()


@pytest.mark.parametrize("value", ["db/prelude.sql", "prelude.sql", "sub\\\\x.SQL", "supabase.sql"])
def test_a_path_is_relative_to_the_config_folder(tmp_path: Path, value: str) -> None:
    service = load_project(cwd=project(tmp_path, value)).service("app")
    assert service.prelude == tmp_path / value.replace("\\\\", "\\")


def test_an_unknown_name_is_a_config_error_naming_the_built_in_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_project(cwd=project(tmp_path, "supabse"))
    line = caught.value.one_line()
    assert "'supabse'" in line and "built-in: supabase" in line and "path" in line

    proc = run_dbtool("status", "app", cwd=tmp_path)
    assert proc.returncode == 2
    [stderr] = proc.stderr.splitlines()
    assert "no built-in prelude 'supabse' (built-in: supabase)" in stderr
    assert "Traceback" not in proc.stderr
