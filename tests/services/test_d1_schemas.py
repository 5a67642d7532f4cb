"""Table-driven schema checks for the four D1 services with full expectation tables
(registry, api, scores, dictionary): every table, column, index, unique set, CHECK,
updated_at trigger and foreign key the seeds describe, on a database dbtool built.

Each service's own module keeps its file-list and behaviour tests.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.services.d1_expectations import (
    API,
    DICTIONARY,
    REGISTRY,
    SCORES,
    Service,
    assert_check,
    assert_columns,
    assert_foreign_key,
    assert_index,
    assert_samples_fit,
    assert_tables,
    assert_unique,
    assert_updated_at_trigger,
    build,
    connect,
    copy_db,
    d1_violations,
    migration_files,
)

SERVICES = (REGISTRY, API, SCORES, DICTIONARY)


def _cases(items: Callable[[Service], list], ident: Callable[[object], str]) -> list:
    return [pytest.param(svc, item, id=f"{svc.name}-{ident(item)}")
            for svc in SERVICES for item in items(svc)]


@pytest.fixture(scope="module")
def built_by_service(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Service], Path]:
    """Each service built once by dbtool, on first use."""
    paths: dict[str, Path] = {}

    def get(svc: Service) -> Path:
        if svc.name not in paths:
            paths[svc.name] = build(svc.name, tmp_path_factory.mktemp(svc.name) / f"{svc.name}.db")
        return paths[svc.name]
    return get


@pytest.fixture
def open_db(built_by_service: Callable[[Service], Path], tmp_path: Path) -> Iterator[Callable]:
    """A connection to a private copy of the service's database (tests may write)."""
    opened: list[sqlite3.Connection] = []

    def get(svc: Service) -> sqlite3.Connection:
        folder = tmp_path / svc.name
        folder.mkdir(exist_ok=True)
        opened.append(connect(copy_db(built_by_service(svc), folder)))
        return opened[-1]
    yield get
    for conn in opened:
        conn.close()


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.name)
def test_all_tables_exist(open_db, svc: Service) -> None:
    assert_tables(open_db(svc), svc)


@pytest.mark.parametrize(("svc", "table"), _cases(lambda s: sorted(s.tables), str))
def test_columns(open_db, svc: Service, table: str) -> None:
    assert_columns(open_db(svc), table, svc.tables[table])


@pytest.mark.parametrize(("svc", "name"), _cases(lambda s: sorted(s.indexes), str))
def test_indexes(open_db, svc: Service, name: str) -> None:
    assert_index(open_db(svc), name, svc.indexes[name])


@pytest.mark.parametrize(("svc", "unique"), _cases(lambda s: list(s.uniques),
                                                   lambda u: f"{u[0]}-{'+'.join(u[1])}"))
def test_unique_constraints(open_db, svc: Service, unique: tuple) -> None:
    table, ucols = unique
    assert_unique(open_db(svc), svc, table, ucols)


@pytest.mark.parametrize(("svc", "check"), _cases(lambda s: list(s.checks),
                                                  lambda c: f"{c.table}.{c.column}"))
def test_checks(open_db, svc: Service, check) -> None:
    assert_check(open_db(svc), svc, check)


@pytest.mark.parametrize(("svc", "name"), _cases(lambda s: sorted(s.triggers), str))
def test_updated_at_triggers(open_db, svc: Service, name: str) -> None:
    assert_updated_at_trigger(open_db(svc), svc, name, svc.triggers[name])


@pytest.mark.parametrize(("svc", "fk"), _cases(lambda s: list(s.foreign_keys),
                                               lambda f: f"{f.table}.{f.column}"))
def test_foreign_keys(open_db, svc: Service, fk) -> None:
    assert_foreign_key(open_db(svc), fk)


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.name)
def test_a_row_per_table_fits_the_schema(open_db, svc: Service) -> None:
    assert_samples_fit(open_db(svc), svc)


@pytest.mark.parametrize(("svc", "path"), _cases(lambda s: migration_files(s.name), lambda p: p.name))
def test_files_obey_d1_rules(svc: Service, path: Path) -> None:
    assert d1_violations(path) == []
