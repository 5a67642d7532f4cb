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


def test_next_timestamp_moves_on_as_a_time_not_as_a_number():
    """`new` at 23:59:59 on 31 December with that second taken: midnight of the next
    year, never `…235960` (which dbtool itself rejects as an invalid timestamp)."""
    eve = datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert next_name(["20251231235959_a.sql"], "b", TIMESTAMP, eve) == "20260101000000_b.sql"
    taken = ["20251231235959_a.sql", "20260101000000_b.sql"]
    assert next_name(taken, "c", TIMESTAMP, eve) == "20260101000001_c.sql"
    # a file from a clock ahead of ours: the new file still sorts last
    assert next_name(["20270101000000_future.sql"], "d", TIMESTAMP, eve) == "20270101000001_d.sql"


def test_next_timestamp_generated_clocks_and_taken_names():
    """Clocks on second/minute/hour/day/month/year boundaries (leap days included) and
    random taken names: the new name is a valid timestamp, later than every taken one,
    and not earlier than the clock."""
    import random
    from datetime import timedelta

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    for _ in range(500):
        year = rng.choice([1999, 2023, 2024, 2025, 2099])
        month = rng.choice([1, 2, 6, 12])
        day = {2: 29 if year % 4 == 0 and year % 100 else 28}.get(month, 30 if month == 6 else 31)
        clock = datetime(year, month, rng.choice([1, day]), rng.choice([0, 23]), rng.choice([0, 59]),
                         rng.choice([0, 58, 59]), rng.randrange(1_000_000), tzinfo=UTC)
        base = clock.replace(microsecond=0)
        taken = sorted({(base + timedelta(seconds=rng.randrange(-3, 4))).strftime("%Y%m%d%H%M%S")
                        for _ in range(rng.randrange(0, 5))})
        names = [f"{stamp}_t{i}.sql" for i, stamp in enumerate(taken)]
        try:
            made = next_name(names, "new", TIMESTAMP, clock)
        except MigrationFileError as exc:
            raise AssertionError(f"seed {seed}: clock {clock}, taken {taken}: {exc}") from exc
        stamp = made.split("_", 1)[0]
        assert parse_version(made, TIMESTAMP).number == int(stamp), (seed, clock, taken, made)
        assert all(stamp > t for t in taken), (seed, clock, taken, made)
        assert stamp >= base.strftime("%Y%m%d%H%M%S"), (seed, clock, taken, made)
