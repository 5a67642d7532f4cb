from pathlib import Path

import pytest

from dbtool.errors import MigrationFileError
from dbtool.migrations.files import checksum, decode, directives, discover, load
from dbtool.migrations.splitter import scan


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_checksum_ignores_crlf_and_bom_but_not_edits():
    base = checksum(b"CREATE TABLE a(id INT);\nSELECT 1;\n")
    assert checksum(b"CREATE TABLE a(id INT);\r\nSELECT 1;\r\n") == base
    assert checksum(b"\xef\xbb\xbfCREATE TABLE a(id INT);\nSELECT 1;\n") == base
    assert checksum(b"CREATE TABLE a(id INT);\nSELECT 2;\n") != base


def test_discover_ignores_other_files_and_subfolders(tmp_path: Path):
    write(tmp_path, "0002_b.sql", "SELECT 2;")
    write(tmp_path, "0001_a.sql", "SELECT 1;")
    write(tmp_path, "list.json", "{}")
    write(tmp_path, "0003_c.sql.rollback", "x")
    write(tmp_path, "README.md", "# hi")
    (tmp_path / "down").mkdir()
    write(tmp_path / "down", "0001_a.sql", "DROP TABLE a;")
    files, scheme = discover(tmp_path)
    assert [f.name for f in files] == ["0001_a.sql", "0002_b.sql"]
    assert scheme == "sequential"


def test_discover_fails_on_a_sql_file_with_no_scheme(tmp_path: Path):
    write(tmp_path, "0001_a.sql", "SELECT 1;")
    write(tmp_path, "schema.sql", "SELECT 1;")
    with pytest.raises(MigrationFileError, match="schema.sql"):
        discover(tmp_path)


def test_missing_folder_is_an_error(tmp_path: Path):
    with pytest.raises(MigrationFileError, match="does not exist"):
        discover(tmp_path / "nope")


def test_non_utf8_names_line_and_column(tmp_path: Path):
    write(tmp_path, "0001_a.sql", b"SELECT 1;\nSELECT '\xff';\n")
    files, _ = discover(tmp_path)
    with pytest.raises(MigrationFileError) as info:
        decode(files[0])
    assert str(info.value.location).endswith("0001_a.sql:2:9")
    assert "UTF-8" in info.value.message


def test_nul_byte_is_rejected(tmp_path: Path):
    write(tmp_path, "0001_a.sql", b"SELECT 1;\x00\n")
    files, _ = discover(tmp_path)
    with pytest.raises(MigrationFileError, match="NUL"):
        decode(files[0])


def test_directives_known_unknown_and_placement(tmp_path: Path):
    write(tmp_path, "0001_a.sql", "-- dbtool:no-transaction\nCREATE INDEX CONCURRENTLY i ON t(a);\n")
    write(tmp_path, "0002_b.sql", "-- dbtool:no-transactoin\nSELECT 1;\n")
    write(tmp_path, "0003_c.sql", "SELECT 1;\n-- dbtool:no-transaction\nSELECT 2;\n")
    files, _ = discover(tmp_path)
    assert "no-transaction" in _directives(files[0])
    assert not load(files[0], "postgres").transactional
    with pytest.raises(MigrationFileError, match="unknown directive 'dbtool:no-transactoin'"):
        _directives(files[1])
    with pytest.raises(MigrationFileError, match="leading comments"):
        _directives(files[2])


def _directives(file, dialect: str = "postgres") -> frozenset[str]:
    text = decode(file)
    return directives(file, text, scan(text, dialect))


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
@pytest.mark.parametrize("body, transactional", [
    # the directive's words inside a multi-line string, a block comment, a dollar quote or a
    # quoted name are text: the file stays transactional, and nothing is refused (#15)
    ("INSERT INTO notes VALUES ('a note that says\n-- dbtool:no-transaction\nin a string');\n", True),
    ("/* commented out:\n-- dbtool:no-transaction\n*/\nCREATE TABLE a (id int);\n", True),
    ("CREATE TABLE a (id int);\n/*\n-- dbtool:no-transaction\n*/\n", True),
    ('CREATE TABLE "x\n-- dbtool:no-transaction\n" (id int);\n', True),
    # a block comment before the directive is part of the leading comments
    ("/* Migration: add an index\n   without locking writes */\n-- dbtool:no-transaction\n"
     "CREATE INDEX CONCURRENTLY i ON t (a);\n", False),
    ("/* a */ /* b\n */\n\n-- note\n  -- dbtool:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
     False),
    # a remark after code on the same line is not a directive
    ("SELECT 1; -- dbtool:no-transaction\n", True),
])
def test_directives_are_real_comments_only(tmp_path: Path, dialect: str, body: str, transactional: bool):
    if dialect == "sqlite" and "CONCURRENTLY" in body:
        body = body.replace("CONCURRENTLY ", "")
    write(tmp_path, "0001_a.sql", body)
    files, _ = discover(tmp_path)
    assert load(files[0], dialect).transactional is transactional


def test_directives_in_dollar_quotes_are_text(tmp_path: Path):
    write(tmp_path, "0001_a.sql", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$\n"
                                  "-- dbtool:no-transaction\n-- dbtool:nonsense\nSELECT 1 $body$;\n")
    files, _ = discover(tmp_path)
    assert load(files[0], "postgres").transactional
    write(tmp_path, "0002_b.sql", "/* x */\n-- dbtool:nonsense\nSELECT 1;\n")
    files, _ = discover(tmp_path)
    with pytest.raises(MigrationFileError, match="unknown directive"):
        load(files[1], "postgres")


def test_load_splits_with_file_positions(tmp_path: Path):
    write(tmp_path, "0001_a.sql", "-- header\r\nCREATE TABLE a(id INT);\r\n\r\n  SELECT 1;")
    files, _ = discover(tmp_path)
    loaded = load(files[0], "sqlite")
    assert [(s.line, s.col) for s in loaded.statements] == [(2, 1), (4, 3)]
