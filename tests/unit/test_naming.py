from datetime import UTC, datetime

import pytest

from dbtool.errors import MigrationFileError
from dbtool.migrations.naming import (
    SEQUENTIAL,
    TIMESTAMP,
    detect_scheme,
    next_name,
    parse_version,
    slugify,
)


def order(names: list[str], scheme: str) -> list[str]:
    return sorted(names, key=lambda n: parse_version(n, scheme))


def test_sequential_orders_by_number_then_name_with_substeps_and_duplicates():
    names = ["0012_2b_x.sql", "0010_b.sql", "0012_1_x.sql", "0008_z.sql", "0008_a.sql",
             "002_three_digit.sql", "0012_x.sql"]
    assert order(names, SEQUENTIAL) == [
        "002_three_digit.sql", "0008_a.sql", "0008_z.sql", "0010_b.sql",
        "0012_1_x.sql", "0012_2b_x.sql", "0012_x.sql",
    ]


def test_timestamp_date_only_sorts_as_midnight():
    names = ["20251201000002_b.sql", "20250107_a.sql", "20251201000001_c.sql", "20250107000001_d.sql"]
    assert order(names, TIMESTAMP) == [
        "20250107_a.sql", "20250107000001_d.sql", "20251201000001_c.sql", "20251201000002_b.sql",
    ]


def test_detect_scheme():
    assert detect_scheme(["0001_a.sql", "0002_b.sql"]) == SEQUENTIAL
    assert detect_scheme(["20251023000000_a.sql", "20250107_b.sql"]) == TIMESTAMP
    assert detect_scheme([]) == SEQUENTIAL


@pytest.mark.parametrize("name, fragment", [
    ("init.sql", "no leading version"),
    ("_0001.sql", "no leading version"),
    ("0001 add users.sql", "contains ' '"),
    ("0001_it's.sql", "contains \"'\""),
    ("0001_café.sql", "contains 'é'"),
    ("123456789012345_x.sql", "longer than 14 digits"),
])
def test_bad_names_are_errors_naming_the_file(name, fragment):
    with pytest.raises(MigrationFileError) as info:
        parse_version(name, SEQUENTIAL, "migrations/api")
    assert fragment in info.value.message
    assert name in str(info.value.location)


def test_invalid_timestamp_is_an_error():
    with pytest.raises(MigrationFileError, match="not a valid date"):
        parse_version("20251399000000_x.sql", TIMESTAMP)


def test_next_name_sequential_keeps_padding_and_slugifies():
    assert next_name(["0000_initial.sql", "0012_depth.sql"], "Add Goal-Progress!", SEQUENTIAL) == \
        "0013_add_goal_progress.sql"
    assert next_name([], "first", SEQUENTIAL) == "0001_first.sql"
    assert next_name(["001_a.sql"], "b", SEQUENTIAL) == "002_b.sql"


def test_next_name_timestamp_is_utc_and_never_collides():
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert next_name([], "x", TIMESTAMP, now) == "20260102030405_x.sql"
    assert next_name(["20260102030405_x.sql"], "y", TIMESTAMP, now) == "20260102030406_y.sql"


def test_slugify():
    assert slugify("  Héllo   World ") == "h_llo_world"
    assert slugify("!!!") == "migration"
