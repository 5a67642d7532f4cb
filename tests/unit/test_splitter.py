"""The dialect-aware statement splitter: golden files, positions and errors.

Golden inputs are tests/golden/splitter/<case>.<dialect>.sql, read as bytes so
CRLF, lone CR and a BOM reach the splitter unchanged; the expected statements
are in the matching .json. `DBTOOL_UPDATE_GOLDEN=1` rewrites the .json files
from the current splitter -- review the diff by eye before keeping it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from dbtool.errors import SqlSyntaxError
from dbtool.migrations.splitter import Statement, split

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "splitter"
INPUTS = sorted(GOLDEN.glob("*.sql"))
UPDATE = os.environ.get("DBTOOL_UPDATE_GOLDEN") == "1"


def _read(path: Path) -> str:
    """The file's text with its bytes untouched (no newline translation, BOM kept)."""
    return path.read_bytes().decode("utf-8")


def _dialect(path: Path) -> str:
    return path.name.removesuffix(".sql").rsplit(".", 1)[1]


def _as_json(statements: list[Statement]) -> list[dict[str, object]]:
    return [
        {
            "sql": s.sql,
            "line": s.line,
            "col": s.col,
            "end_line": s.end_line,
            "leading_comments": list(s.leading_comments),
        }
        for s in statements
    ]


# -- golden files -------------------------------------------------------------


def test_golden_inputs_exist_for_both_dialects() -> None:
    dialects = {_dialect(path) for path in INPUTS}
    assert dialects == {"sqlite", "postgres"}
    for path in INPUTS:
        assert path.with_suffix(".json").exists() or UPDATE, f"missing {path.with_suffix('.json')}"


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    statements = split(_read(path), _dialect(path), path)
    actual = _as_json(statements)
    expected_path = path.with_suffix(".json")
    if UPDATE:
        text = json.dumps(actual, indent=2, ensure_ascii=False) + "\n"
        expected_path.write_text(text, encoding="utf-8", newline="\n")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected
    assert [s.index for s in statements] == list(range(len(statements)))


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_golden_statements_split_back_to_themselves(path: Path) -> None:
    """Joining the statements with `;` and splitting again changes nothing."""
    dialect = _dialect(path)
    sqls = [s.sql for s in split(_read(path), dialect)]
    rejoined = "".join(f"{sql}\n;\n" for sql in sqls)
    assert [s.sql for s in split(rejoined, dialect)] == sqls


@pytest.mark.parametrize(
    "path", [p for p in INPUTS if _dialect(p) == "sqlite"], ids=lambda p: p.name
)
def test_sqlite_statements_are_complete_for_sqlite_itself(path: Path) -> None:
    """Cross-check with SQLite's own tokenizer: each statement plus `;` is complete."""
    for statement in split(_read(path), "sqlite"):
        assert sqlite3.complete_statement(statement.sql + "\n;"), statement.sql


def test_line_ending_fixtures_kept_their_bytes() -> None:
    """A checkout that normalised line endings would make the CRLF cases meaningless."""
    assert b"\r\n" in (GOLDEN / "trigger_crlf.sqlite.sql").read_bytes()
    for name in ("bom_crlf.sqlite.sql", "bom_crlf.postgres.sql"):
        raw = (GOLDEN / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    lone_cr = (GOLDEN / "lone_cr.sqlite.sql").read_bytes()
    assert b"\r" in lone_cr and b"\n" not in lone_cr
    assert (GOLDEN / "empty.sqlite.sql").read_bytes() == b""


# -- positions ----------------------------------------------------------------


def test_statements_starting_mid_line() -> None:
    first, second = split("SELECT 1; SELECT 2;", "sqlite")
    assert (first.sql, first.line, first.col, first.index) == ("SELECT 1", 1, 1, 0)
    assert (second.sql, second.line, second.col, second.index) == ("SELECT 2", 1, 11, 1)


def test_positions_on_a_multi_line_file() -> None:
    text = "CREATE TABLE t (\n  id INT\n);  INSERT INTO t\nVALUES (1); SELECT\n\n  1;\n\tSELECT 2"
    got = [(s.line, s.col, s.end_line) for s in split(text, "postgres")]
    assert got == [(1, 1, 3), (3, 5, 4), (4, 13, 6), (7, 2, 7)]


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_positions_do_not_depend_on_line_endings(eol: str) -> None:
    text = eol.join(["-- c", "SELECT", "  1; SELECT 'a", "b';", "", "  SELECT 3"])
    for bom in ("", "\ufeff"):
        statements = split(bom + text, "sqlite")
        assert [(s.line, s.col, s.end_line) for s in statements] == [
            (2, 1, 3), (3, 6, 4), (6, 3, 6),
        ]
        assert statements[1].sql == f"SELECT 'a{eol}b'"  # line endings inside are kept
        assert statements[0].leading_comments == ("c",)


def test_statement_is_a_frozen_dataclass_with_the_agreed_fields() -> None:
    fields = [f.name for f in dataclasses.fields(Statement)]
    assert fields == ["sql", "line", "col", "index", "end_line", "leading_comments"]
    statement = split("SELECT 1", "sqlite")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        statement.sql = "x"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["", "   \n\t\r\n", ";;\n;", "-- x;\n/* y; */", "\ufeff"])
@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_nothing_to_run_gives_no_statements(text: str, dialect: str) -> None:
    assert split(text, dialect) == []


def test_d1_is_split_like_sqlite_and_unknown_dialects_are_refused() -> None:
    text = "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END; SELECT 2"
    assert split(text, "d1") == split(text, "sqlite")
    with pytest.raises(ValueError, match="mysql"):
        split("SELECT 1", "mysql")


def test_body_keywords_match_whole_words_only() -> None:
    text = "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE x SET backend = 1, end_time = t.end; END; SELECT 2;"
    assert [s.sql[:6] for s in split(text, "sqlite")] == ["CREATE", "SELECT"]


# -- errors -------------------------------------------------------------------


def _error(text: str, dialect: str, path: str | Path = "m.sql") -> SqlSyntaxError:
    with pytest.raises(SqlSyntaxError) as caught:
        split(text, dialect, path)
    return caught.value


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_unterminated_string(dialect: str) -> None:
    error = _error("SELECT 1;\nSELECT 'it''s\n;", dialect)
    assert "unterminated string literal" in error.message
    assert str(error.location) == "m.sql:2:8"
    assert error.hint and "''" in error.hint


@pytest.mark.parametrize(
    ("text", "dialect", "where"),
    [
        ('SELECT "a;b FROM t;', "sqlite", "m.sql:1:8"),
        ('SELECT "a;b FROM t;', "postgres", "m.sql:1:8"),
        ("SELECT 1;\n  SELECT `a;b;", "sqlite", "m.sql:2:10"),
        ("SELECT [a;b FROM t", "sqlite", "m.sql:1:8"),
    ],
)
def test_unterminated_quoted_identifier(text: str, dialect: str, where: str) -> None:
    error = _error(text, dialect)
    assert "unterminated quoted identifier" in error.message
    assert str(error.location) == where


def test_unterminated_escape_string() -> None:
    error = _error("SELECT 1;\r\nSELECT E'it\\'s;", "postgres")
    assert error.message == "unterminated escape string E'...'"
    assert str(error.location) == "m.sql:2:8"  # at the E


def test_unterminated_dollar_quote() -> None:
    text = "SELECT 1;\nCREATE FUNCTION f() RETURNS int AS $fn$\nBEGIN RETURN 1; END;\n$FN$;\n"
    error = _error(text, "postgres")
    assert error.message == "unterminated dollar-quoted string $fn$"
    assert str(error.location) == "m.sql:2:36"
    assert error.hint and "$fn$" in error.hint
    assert "$fn$" in error.one_line() and "m.sql:2:36: " in error.one_line()


@pytest.mark.parametrize(
    ("text", "dialect", "where"),
    [
        ("SELECT 1 /* never; closed", "sqlite", "m.sql:1:10"),
        ("SELECT 1;\n/* gap comment", "sqlite", "m.sql:2:1"),
        ("SELECT 1 /* a /* b */ still open;", "postgres", "m.sql:1:10"),
    ],
)
def test_unterminated_block_comment(text: str, dialect: str, where: str) -> None:
    error = _error(text, dialect)
    assert error.message == "unterminated block comment /*"
    assert str(error.location) == where


def test_sqlite_does_not_nest_block_comments() -> None:
    assert [s.sql for s in split("/* a /* b */ SELECT 1;", "sqlite")] == ["SELECT 1"]


def test_trigger_without_end() -> None:
    text = (
        "CREATE TABLE t (id INT);\r\n"
        "create trigger t_ai after insert on t\r\n"
        "  begin\r\n"
        "    update t set id = case when new.id > 0 then 1 end;\r\n"
        "  -- END; is only in this comment\r\n"
    )
    error = _error(text, "sqlite")
    assert error.message == "unterminated CREATE TRIGGER body: BEGIN has no matching END"
    assert str(error.location) == "m.sql:3:3"  # at the BEGIN
    assert error.hint and "END" in error.hint


def test_begin_atomic_without_end() -> None:
    text = "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n"
    error = _error(text, "postgres")
    assert error.message == "unterminated BEGIN ATOMIC body: BEGIN has no matching END"
    assert str(error.location) == "m.sql:2:1"


def test_error_location_keeps_the_given_path() -> None:
    error = _error("SELECT 'x", "sqlite", path=Path("migrations/0001_a.sql"))
    assert error.location is not None
    assert Path(error.location.path) == Path("migrations/0001_a.sql")
    assert str(error.location).endswith("0001_a.sql:1:8")


def test_default_path() -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        split("SELECT 'x", "sqlite")
    assert str(caught.value.location) == "<sql>:1:8"


# -- speed ----------------------------------------------------------------------


def test_large_file_splits_in_linear_time() -> None:
    """A guard against accidental quadratic behaviour, with a generous bound."""
    chunk = (
        "-- row\nINSERT INTO t VALUES (1, 'a;b', \"c\", 2 - 1); /* x; */\n"
        "CREATE TRIGGER g AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; END;\r\n"
    )
    text = chunk * (2_000_000 // len(chunk))
    started = time.perf_counter()
    statements = split(text, "sqlite")
    elapsed = time.perf_counter() - started
    assert len(statements) == 2 * (2_000_000 // len(chunk))
    assert statements[-1].line == text.count("\n")
    assert elapsed < 5, f"2 MB took {elapsed:.2f}s"
