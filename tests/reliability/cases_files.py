"""Bad-input cases, part 1: migration file names and file contents.

Every case adds one bad file next to an applied one and runs `migrate`; the
applied database must stay byte for byte (or catalog for catalog) the same.
"""

from __future__ import annotations

from tests.reliability.corpus import Sandbox, case

OK_SQL = "CREATE TABLE x (id TEXT);\n"

# -- file names: (id, name, fragments) — exit 2, the name quoted in the message ----------
BAD_NAMES: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("name-unicode", "0002_café.sql", ("0002_café.sql", "contains 'é'")),
    ("name-emoji", "0002_🚀_launch.sql", ("contains '🚀'",)),
    ("name-space", "0002_add users.sql", ("'0002_add users.sql'", "contains ' '")),
    ("name-single-quote", "0002_it's.sql", ("0002_it's.sql", "wrangler")),
    ("name-double-quote", '0002_say"hi".sql', ("0002_say",)),
    ("name-backslash", "0002_a\\b.sql", ("contains '\\\\'",)),
    ("name-newline", "0002_a\nb.sql", ("'0002_a\\nb.sql'",)),
    ("name-tab", "0002_a\tb.sql", ("'0002_a\\tb.sql'",)),
    ("name-not-utf8", b"0002_\xff.sql", ("0002_\\udcff.sql",)),
    ("name-no-version", "add_users.sql", ("add_users.sql", "no leading version")),
    ("name-dash-first", "-0002_x.sql", ("no leading version",)),
    ("name-version-overflow", "123456789012345_x.sql", ("longer than 14 digits",)),
    ("name-version-huge", "9" * 40 + "_x.sql", ("longer than 14 digits",)),
]


def _bad_name(name: str | bytes) -> object:
    def build(s: Sandbox) -> list[str]:
        s.add("app", name, OK_SQL)
        return ["migrate", "app"]
    return build


for _id, _name, _fragments in BAD_NAMES:
    case(_id, 2, *_fragments)(_bad_name(_name))


@case("name-timestamp-bad-date", 2, "20251301000000_bad.sql", "not a valid date")
def _ts_date(s: Sandbox) -> list[str]:
    s.add("ts", "20251301000000_bad.sql", OK_SQL)
    return ["migrate", "ts"]


@case("name-timestamp-short", 2, "202501_x.sql", "YYYYMMDD")
def _ts_short(s: Sandbox) -> list[str]:
    s.add("ts", "202501_x.sql", OK_SQL)
    return ["status", "ts"]


# -- contents: (id, service, body, code, fragments) ---------------------------------------
BAD_BODIES: list[tuple[str, str, bytes, int, tuple[str, ...]]] = [
    ("body-latin1", "app", b"-- caf\xe9\nCREATE TABLE x (id TEXT);\n", 2,
     ("0002_bad.sql:1:7", "not valid UTF-8")),
    ("body-utf16", "app", "CREATE TABLE x (id TEXT);\n".encode("utf-16"), 2, ("not valid UTF-8",)),
    ("body-binary", "app", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 2, ("not valid UTF-8",)),
    ("body-nul", "app", b"CREATE TABLE x (id TEXT);\x00\n", 2, ("NUL",)),
    ("body-empty", "app", b"", 2, ("contains no SQL statements",)),
    ("body-whitespace", "app", b"  \n\t\r\n", 2, ("contains no SQL statements",)),
    ("body-block-comment-only", "app", b"/* later */\n", 2, ("contains no SQL statements",)),
    ("body-semicolons-only", "app", b";;\n;\n", 2, ("contains no SQL statements",)),
    ("body-unterminated-string", "app", b"INSERT INTO a VALUES ('abc);\n", 2, ("0002_bad.sql:1:",)),
    ("body-unterminated-identifier", "app", b'CREATE TABLE "abc (id TEXT);\n', 2, ("0002_bad.sql:1:",)),
    ("body-unterminated-block-comment", "app", b"CREATE TABLE x (id TEXT);\n/* never closed\n", 2,
     ("0002_bad.sql:2:",)),
    ("body-unterminated-trigger", "app",
     b"CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\n", 2, ("0002_bad.sql:1:",)),
    ("body-unknown-directive", "app", b"-- dbtool:frobnicate\nCREATE TABLE x (id TEXT);\n", 2,
     ("unknown directive 'dbtool:frobnicate'",)),
    ("body-late-directive", "app", b"CREATE TABLE x (id TEXT);\n-- dbtool:no-transaction\n", 2,
     ("leading comments",)),
    ("body-runtime-error", "app", b"CREATE TABLE half (id TEXT);\nINSERT INTO nowhere VALUES (1);\n", 1,
     ("0002_bad.sql:2:1", "no such table: nowhere")),
    ("body-syntax-error", "app", b"CREAT TABLE x (id TEXT);\n", 1, ("0002_bad.sql:1:", "syntax error")),
    ("d1-ten-megabyte-statement", "edge",
     b"INSERT INTO e VALUES ('" + b"x" * 10_000_000 + b"');\n", 1, ("0002_bad.sql:1:1", "100")),
    ("d1-begin", "edge", b"BEGIN TRANSACTION;\nCREATE TABLE x (id TEXT);\nCOMMIT;\n", 1, ("0002_bad.sql:1:1",)),
    ("d1-savepoint", "edge", b"SAVEPOINT s1;\n", 1, ("0002_bad.sql:1:1",)),
    ("d1-pragma", "edge", b"PRAGMA journal_mode = DELETE;\n", 1, ("0002_bad.sql:1:8", "PRAGMA journal_mode")),
    ("d1-attach", "edge", b"ATTACH DATABASE 'other.db' AS other;\n", 1, ("0002_bad.sql:1:1",)),
    ("d1-cf-name", "edge", b"CREATE TABLE _cf_evil (id TEXT);\n", 1, ("_cf_",)),
    ("d1-temp-table", "edge", b"CREATE TEMP TABLE scratch (id TEXT);\n", 1, ("0002_bad.sql:1:1",)),
]


def _bad_body(service: str, body: bytes) -> object:
    def build(s: Sandbox) -> list[str]:
        s.add(service, "0002_bad.sql", body)
        return ["migrate", service]
    return build


for _id, _service, _body, _code, _fragments in BAD_BODIES:
    case(_id, _code, *_fragments)(_bad_body(_service, _body))


# -- Postgres contents: the shared database's catalog must not move --------------------
PG_BODIES: list[tuple[str, bytes, int, tuple[str, ...]]] = [
    ("pg-unterminated-dollar-quote", b"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1;\n",
     2, ("0002_bad.sql:1:",)),
    ("pg-mismatched-dollar-tags", b"DO $body$ BEGIN NULL; END $bod$;\n", 2, ("0002_bad.sql:1:",)),
    ("pg-unterminated-block-comment", b"CREATE TABLE y (id int);\n/* /* nested */\n", 2,
     ("0002_bad.sql:2:",)),
    ("pg-unterminated-escape-string", b"INSERT INTO p VALUES (1, E'it\\'s);\n", 2, ("0002_bad.sql:1:",)),
    ("pg-runtime-error", b"CREATE TABLE half (id int);\nALTER TABLE half ADD COLUMN x nosuchtype;\n", 1,
     ("0002_bad.sql:2:", 'type "nosuchtype" does not exist')),
    ("pg-syntax-error", b"CREATE TABLE y (id int);\nSELEC 1;\n", 1, ("0002_bad.sql:2:1", "syntax error")),
    ("pg-concurrently-in-transaction", b"CREATE INDEX CONCURRENTLY p_note ON p (note);\n", 1,
     ("cannot run inside a transaction block",)),
]


def _pg_body(body: bytes) -> object:
    def build(s: Sandbox) -> list[str]:
        s.add("pg", "0002_bad.sql", body)
        return ["migrate", "--dir", "migrations/pg", "--url", s.pg or ""]
    return build


for _id, _body, _code, _fragments in PG_BODIES:
    case(_id, _code, *_fragments, needs="postgres")(_pg_body(_body))
