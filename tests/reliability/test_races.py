"""Eight `dbtool migrate` processes on one database, and readers beside a writer.

Writers: every process exits 0 or 3 (the documented lock timeout; every fourth
process waits only 0.2 s), no file is reported applied twice, and the database
is always a whole prefix. Readers: `status` and `audit --url` running while a
slowed-down migrate works always report some whole prefix — never a file half
applied, never the schema of one moment with the history of another.
`bench/faults.py` runs 20 writer rounds per engine. The rounds run in conftest.py.
"""

from __future__ import annotations

from tests.reliability.conftest import CI_SIZES


def test_eight_writers_apply_each_file_exactly_once(report):
    stats, rounds = report.writers, CI_SIZES[report.engine].writer_rounds
    assert stats.failures == []
    assert (stats.double_applied, stats.partial) == (0, 0)
    assert set(stats.exits) <= {0, 3} and stats.exits[0] >= rounds
    assert (stats.rounds, stats.processes) == (rounds, 8 * rounds)


def test_readers_never_see_a_half_applied_file(report):
    assert report.distinct_audits == report.files + 1  # every prefix is told apart
    stats = report.readers
    assert stats.failures == []
    assert stats.torn_views == 0 and stats.reader_views >= 4
