from pathlib import Path

import pytest

from dbtool.config import load_project
from dbtool.core.targets import TargetSpec, resolve
from dbtool.errors import ConfigError, UsageError

GOOD = """
[services.app]
dialect = "d1"
migrations = "m"

[services.pg]
dialect = "postgres"
url_env = "PG_URL_FOR_TEST"

[services.pg.targets.prod]
url_env = "PG_PROD_FOR_TEST"
"""


def project(tmp_path: Path, text: str = GOOD, name: str = "dbtool.toml"):
    (tmp_path / name).write_text(text)
    return load_project(cwd=tmp_path)


def test_loads_services_and_targets(tmp_path: Path):
    proj = project(tmp_path)
    app = proj.service("app")
    assert app.dialect == "d1" and app.migrations == tmp_path / "m"
    assert app.embedded_path == tmp_path / ".dbtool" / "local" / "app.db"
    pg = proj.service("pg")
    assert [t.name for t in pg.targets] == ["default", "prod"]
    assert pg.history_schema == "dbtool"  # dbtool's own schema, which no API serves


def test_pyproject_tool_table(tmp_path: Path):
    proj = project(tmp_path, "[tool.dbtool.services.x]\ndialect = 'sqlite'\n", "pyproject.toml")
    assert [s.name for s in proj.services] == ["x"]


@pytest.mark.parametrize("text, fragment", [
    ("[services.a\n", "invalid TOML"),
    ("[services.a]\ndialect='sqlite'\nmigratoins='x'\n", "unknown key 'migratoins'"),
    ("[services.a]\ndialect='mysql'\n", "dialect must be one of"),
    ("[services.a]\ndialect='sqlite'\ndialect='d1'\n", "invalid TOML"),
    ("[services.a]\ndialect='sqlite'\nnaming='random'\n", "naming must be"),
    ("[services.a]\ndialect='postgres'\n[services.a.targets.p]\nprelude=true\n", "needs url_env"),
    ("bogus = 1\n", "unknown key 'bogus'"),
    ("[services.a]\ndialect='postgres'\nhistory_table='schema_migrations'\n",
     "history_table applies to sqlite and d1 services only"),
    ("[services.a]\ndialect='postgres'\nexposed_schemas=['public']\nhistory_schema='public'\n",
     "[services.a] history_schema 'public' is in exposed_schemas"),
])
def test_bad_configs_are_one_line_errors(tmp_path: Path, text: str, fragment: str):
    with pytest.raises(ConfigError) as info:
        project(tmp_path, text)
    assert fragment in info.value.one_line()
    assert "\n" not in info.value.one_line()


def test_no_config_found(tmp_path: Path):
    with pytest.raises(ConfigError, match="no dbtool.toml"):
        load_project(cwd=tmp_path)


def test_resolution_embedded_skip_env_and_errors(tmp_path: Path, monkeypatch):
    proj = project(tmp_path)
    monkeypatch.delenv("PG_URL_FOR_TEST", raising=False)
    monkeypatch.delenv("PG_PROD_FOR_TEST", raising=False)
    app, pg = resolve(TargetSpec(all=True), proj)
    assert app.url.sqlite_path == tmp_path / ".dbtool/local/app.db" and app.label == "embedded"
    assert pg.skipped and "PG_URL_FOR_TEST" in pg.skip_reason
    monkeypatch.setenv("PG_URL_FOR_TEST", "postgresql://u:pw@localhost/db")
    assert resolve(TargetSpec(services=("pg",)), proj)[0].url.database == "db"
    with pytest.raises(ConfigError, match=r"\$PG_PROD_FOR_TEST is not set"):
        resolve(TargetSpec(services=("pg",), target="prod"), proj)
    with pytest.raises(ConfigError, match="has no target 'staging'"):
        resolve(TargetSpec(services=("pg",), target="staging"), proj)
    with pytest.raises(ConfigError, match="unknown service 'nope'"):
        resolve(TargetSpec(services=("nope",)), proj)
    with pytest.raises(UsageError, match="cannot serve several"):
        resolve(TargetSpec(all=True, url="sqlite:///x.db"), proj)
    with pytest.raises(UsageError, match="--dir needs --url"):
        resolve(TargetSpec(dir=tmp_path), proj)
