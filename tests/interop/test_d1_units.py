"""The D1 building blocks without Node: wrangler config, state paths, URLs, targets,
error location and retry policy. (The interop tests prove them against wrangler.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from dbtool.config import load_project
from dbtool.core.targets import TargetSpec, resolve
from dbtool.d1 import local, wrangler
from dbtool.d1.locate import clean_message, locate
from dbtool.d1.remote import RetryPolicy
from dbtool.errors import ConfigError, UrlError, UsageError
from dbtool.migrations.splitter import split
from dbtool.urls import parse_url


def test_object_name_matches_a_file_wrangler_created() -> None:
    # wrangler 4.86 `d1 migrations apply DB --local` with this database_id wrote this file
    name = local.object_name("00000000-1111-2222-3333-444444444444")
    assert name == "faa5247d82602259a44f0c0d79d8cc4c0fa0c23be17aa0e32578bd1ef6ddf4e6"


def test_state_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    default = local.database_path(Path("proj"), "id-1")
    assert default == (tmp_path / "proj/.wrangler/state/v3/d1/miniflare-D1DatabaseObject"
                       / f"{local.object_name('id-1')}.sqlite")
    persisted = local.database_path(Path("proj"), "id-1", "elsewhere")  # relative to cwd, like wrangler
    assert persisted.parent == tmp_path / "elsewhere/v3/d1/miniflare-D1DatabaseObject"


def test_created_file_matches_wrangler(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "x.sqlite"
    local.create_database(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT sql FROM sqlite_master").fetchall() == [
            ("CREATE TABLE _cf_METADATA (\n        key INTEGER PRIMARY KEY,\n        value BLOB\n      )",)]
        assert conn.execute("SELECT key, value FROM _cf_METADATA").fetchall() == [(2, 0)]


def test_jsonc_comments_and_trailing_commas() -> None:
    text = '{\n  // c\n  "a": "x // not a comment, /* nor this */",\n  "b": [1, 2,], /* c */\n  "c": {"d": 1,},\n}\n'
    assert wrangler.parse_jsonc(text) == {"a": "x // not a comment, /* nor this */", "b": [1, 2],
                                          "c": {"d": 1}}
    with pytest.raises(ConfigError) as info:
        wrangler.parse_jsonc('{\n  "a": 1\n  "b": 2\n}', "w.jsonc")
    assert str(info.value.location) == "w.jsonc:3:3"


def _toml(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "wrangler.toml").write_text(body)
    return folder


TWO = ('[[d1_databases]]\nbinding = "DB"\ndatabase_name = "main-db"\ndatabase_id = "id-main"\n'
       '[[d1_databases]]\nbinding = "CACHE"\ndatabase_name = "cache-db"\n'
       'migrations_dir = "cache-migrations"\nmigrations_table = ""\n')


def test_binding_selection_and_defaults(tmp_path: Path) -> None:
    folder = _toml(tmp_path / "w", TWO)
    by_name = wrangler.find_binding(folder, "main-db")
    assert (by_name.binding, by_name.local_id, by_name.migrations_table) == ("DB", "id-main", "d1_migrations")
    cache = wrangler.find_binding(folder, "CACHE")
    assert cache.local_id == "CACHE"  # no database_id: wrangler falls back to the binding
    assert cache.migrations_path == (folder / "cache-migrations").resolve()
    assert cache.migrations_table == "d1_migrations"  # empty string means default, as in wrangler
    with pytest.raises(ConfigError, match="several D1 databases"):
        wrangler.find_binding(folder)
    with pytest.raises(ConfigError, match="no D1 database with binding or name 'NOPE'") as info:
        wrangler.find_binding(folder, "NOPE")
    assert info.value.hint == "bindings in this file: DB, CACHE"


def test_config_file_preference(tmp_path: Path) -> None:
    folder = _toml(tmp_path, '[[d1_databases]]\nbinding = "TOML"\n')
    (folder / "wrangler.jsonc").write_text('{"d1_databases": [{"binding": "JSONC"}]}')
    assert wrangler.find_binding(folder).binding == "JSONC"  # json, then jsonc, then toml
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no wrangler.json"):
        wrangler.find_config(tmp_path / "empty")


def test_urls() -> None:
    local_url = parse_url("d1-local://../my:proj%20x?binding=DB&persist_to=s")
    assert (local_url.database, local_url.param("binding"), local_url.param("persist_to")) == (
        "../my:proj x", "DB", "s")
    remote = parse_url("d1://ACC123/6f1b2b0e-4a1c")
    assert (remote.host, remote.database) == ("ACC123", "6f1b2b0e-4a1c")
    for bad in ("d1://acc", "d1://acc/", "d1-local://", "d1://acc/db/extra"):
        with pytest.raises(UrlError):
            parse_url(bad)


def test_service_takes_wrangler_settings_unless_dbtool_sets_them(tmp_path: Path) -> None:
    _toml(tmp_path / "worker", TWO)
    (tmp_path / "dbtool.toml").write_text(
        '[services.cache]\ndialect = "d1"\nwrangler = "worker/wrangler.toml"\nbinding = "CACHE"\n'
        '[services.main]\ndialect = "d1"\nwrangler = "worker"\nbinding = "DB"\n'
        'migrations = "sql"\nhistory_table = "history"\n')
    project = load_project(tmp_path / "dbtool.toml")
    cache, main = resolve(TargetSpec(all=True), project)
    assert cache.url is not None and cache.url.scheme == "d1-local" and cache.label == "wrangler local"
    assert cache.service.migrations == (tmp_path / "worker/cache-migrations").resolve()
    assert (main.service.migrations, main.service.history_table) == (tmp_path / "sql", "history")
    persisted = resolve(TargetSpec(all=True, persist_to=tmp_path / "st"), project)
    assert all(t.url.param("persist_to") == str(tmp_path / "st") for t in persisted if t.url)


def test_wrangler_config_key_checks(tmp_path: Path) -> None:
    config = tmp_path / "dbtool.toml"
    config.write_text('[services.a]\ndialect = "sqlite"\nwrangler = "wrangler.toml"\n')
    with pytest.raises(ConfigError, match="d1 services only"):
        load_project(config)
    config.write_text('[services.a]\ndialect = "d1"\nbinding = "DB"\n')
    with pytest.raises(ConfigError, match="binding needs wrangler"):
        load_project(config)


def test_persist_to_needs_a_local_d1_target(tmp_path: Path) -> None:
    spec = TargetSpec(dir=tmp_path, url=f"sqlite:///{tmp_path}/x.db", persist_to=tmp_path)
    with pytest.raises(UsageError, match="--persist-to"):
        resolve(spec)


STATEMENTS = split("CREATE TABLE a (x);\nINSERT INTO a VALUES (1);\n\nINSERT INTO\n  users VALUES (2);\n",
                   "sqlite", Path("f.sql"))


@pytest.mark.parametrize("message, where", [
    ("no such table: users: SQLITE_ERROR", (5, 3)),
    ('near "VALUES": syntax error at offset 14: SQLITE_ERROR', (2, 15)),
    ("table a already exists: SQLITE_ERROR", (1, 14)),
    ("UNIQUE constraint failed: users.id: SQLITE_CONSTRAINT", (5, 3)),
    ("UNIQUE constraint failed: a.x: SQLITE_CONSTRAINT", None),  # two statements write a
    ("something else entirely", None),
])
def test_locate_from_d1_messages(message: str, where: tuple[int, int] | None) -> None:
    found = locate(message, STATEMENTS)
    assert (found[1:] if found else None) == where


def test_clean_message() -> None:
    assert clean_message("D1_ERROR: no such table: x: SQLITE_ERROR") == "no such table: x"
    text = "UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
    assert clean_message(text) == "UNIQUE constraint failed: t.id"


def test_backoff_is_bounded_and_jittered() -> None:
    policy = RetryPolicy(attempts=5, base=0.5, cap=4.0)
    delays = [policy.delay(n) for n in range(1, 8) for _ in range(20)]
    assert all(0.25 <= d <= 4.0 for d in delays)
    assert len({round(d, 6) for d in delays}) > 10
    assert policy.delay(1, retry_after=30) == 4.0
