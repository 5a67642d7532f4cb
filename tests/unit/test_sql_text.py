"""The one SQL text layer (dbtool.sql): the lexer's promises, the paren matcher, and the
dialect-neutral facts the SQLite and Postgres analyses report alike."""

from __future__ import annotations

import random

import pytest

from dbtool.sql.lexer import (
    IDENT,
    LBRACKET,
    STRING,
    WORD,
    closing_paren,
    split_top_level,
    tokenize,
)
from dbtool.sql.postgres import parse
from dbtool.sql.sqlite import analyze

SEED = 41
_PIECES = ["(", ")", ",", ";", ".", "'a'", "'it''s'", "''", '"q"', '"a""b"', "`b`", "[br]", "[",
           "]", "-- c\n", "/* c */", "/* * / */", "$$x;y$$", "$t$ z $t$", "E'a\\'b'", "x'0f'",
           "::", "->>", "||", "<>", "=-", "-", "+", "?", ":n", "@n", "$1", "1.5e3", ".5", "0x1F",
           "CREATE", "table", "IN", "ARRAY", "a", "B_c", "ñame", " ", "  ", "\n", "\r\n", "\t"]


def _texts(count: int) -> list[str]:
    rng = random.Random(SEED)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 30))) for _ in range(count)]


@pytest.mark.parametrize("sqlite", [False, True])
def test_tokens_and_gaps_are_the_text_and_gaps_hold_only_blanks_and_comments(sqlite: bool) -> None:
    """Offsets are exact: the text between tokens is whitespace and comments, nothing else."""
    for text in _texts(3000):
        tokens = tokenize(text, sqlite=sqlite)
        pos = 0
        for token in tokens:
            assert token.start >= pos and text[token.start : token.end] == token.text, (SEED, text)
            gap = text[pos : token.start]
            assert tokenize(gap, sqlite=sqlite) == [], (SEED, text, gap)
            pos = token.end
        assert tokenize(text[pos:], sqlite=sqlite) == [], (SEED, text)


def test_sqlite_lexis_reads_brackets_as_names_and_knows_no_postgres_strings() -> None:
    sql = "ALTER TABLE t RENAME TO [main]; SELECT a[1], E'x', $$y$$"
    sqlite = tokenize(sql, sqlite=True)
    assert [t.value for t in sqlite if t.kind == IDENT] == ["main", "1"]
    assert [t.value for t in sqlite if t.kind == STRING] == ["x"]  # E is a word, $$ no string
    mixed = tokenize(sql)
    assert [t.value for t in mixed if t.kind == IDENT] == []  # `TO [` and `a[` read by context
    assert any(t.kind == LBRACKET for t in mixed)
    assert [t.value for t in mixed if t.kind == STRING] == ["x", "y"]


def test_words_are_upper_cased_values_and_names_fold_case() -> None:
    [word, quoted, string] = tokenize('Users "Mixed""Case" \'it\'\'s\'')
    assert (word.kind, word.value, word.name, word.unquoted) == (WORD, "USERS", "users", "Users")
    assert (quoted.value, quoted.name) == ('Mixed"Case', 'mixed"case')
    assert string.value == "it's"


def test_closing_paren_of_an_unclosed_group_is_the_end() -> None:
    tokens = tokenize("(a, (b), c")
    assert closing_paren(tokens, 0) == len(tokens)  # the group runs to the end
    assert closing_paren(tokens, 3) == 5
    assert [[t.text for t in part] for part in split_top_level(tokens[1:])] == \
        [["a"], ["(", "b", ")"], ["c"]]


# -- the two analyses report the same facts for portable SQL ---------------------------------

_TABLES = ["users", "jobs", "orders_new"]


def _portable(rng: random.Random) -> str:
    t, u = rng.sample(_TABLES, 2)
    return rng.choice([
        f"CREATE TABLE {t} (id TEXT PRIMARY KEY, parent TEXT REFERENCES {u} (id) ON DELETE CASCADE,"
        f" status TEXT CHECK (status IN ('open', 'Done')))",
        f"DROP TABLE {t}", f"DROP TABLE IF EXISTS {t}",
        f"ALTER TABLE {t} RENAME TO {u}", f"ALTER TABLE {t} RENAME COLUMN a TO b",
        f"ALTER TABLE {t} ADD COLUMN note TEXT", f"ALTER TABLE {t} DROP COLUMN note",
        f"DELETE FROM {t}", f"DELETE FROM {t} WHERE id = 'x'",
        f"UPDATE {t} SET a = 1, b = 2", f"UPDATE {t} SET a = 1 WHERE b IS NULL",
        f"INSERT INTO {t} (id) SELECT id FROM {u}", f"INSERT INTO {t} (id) VALUES ('x')",
        "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT s", f"SELECT * FROM {t}",
    ])


def _neutral(facts: object, qualify: str) -> dict:
    def name(table: str) -> str:
        return table.removeprefix(qualify)
    f = facts  # type: ignore[assignment]
    return {
        "created": [name(t) for t in f.created_tables],
        "dropped": [(name(d.table), d.if_exists) for d in f.dropped_tables],
        "renamed_tables": [(name(r.table), name(r.old), name(r.new)) for r in f.renamed_tables],
        "renamed_columns": [(name(r.table), r.old, r.new) for r in f.renamed_columns],
        "added": [(name(t), c) for t, c in f.added_columns],
        "dropped_columns": [(name(t), c) for t, c in f.dropped_columns],
        "insert": f.insert and (name(f.insert.table), tuple(map(name, f.insert.sources))),
        "delete": f.unfiltered_delete and name(f.unfiltered_delete.table),
        "update": f.unfiltered_update and (name(f.unfiltered_update.table),
                                           f.unfiltered_update.columns),
        "transaction": f.controls_transaction,
        "enums": [(name(e.table or ""), e.column, e.values) for e in f.enum_lists],
    }


def test_sqlite_and_postgres_analyses_agree_on_portable_statements() -> None:
    """Rules are written once over these facts, so both dialects must report them alike."""
    rng = random.Random(SEED)
    for _ in range(400):
        sql = _portable(rng)
        pg = parse(sql)
        assert pg.error is None, (SEED, sql)
        assert _neutral(analyze(sql), "") == _neutral(pg, "public."), (SEED, sql)


def test_the_sql_layer_imports_nothing_above_it() -> None:
    """dbtool.sql is the bottom of the text stack: lint, reports, inspection, the differ and
    the planner import it, never the other way round."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "src" / "dbtool" / "sql"
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("dbtool"):
                    assert name.startswith("dbtool.sql"), f"{path.name} imports {name}"
