"""Generated migration files that mix ordinary statements with transaction control.

`make_file(rng, dialect, tag)` writes one random file: a few ordinary DDL/DML
statements (tables, inserts, indexes, views, and the look-alikes that are *not*
transaction control: trigger and function bodies with BEGIN ... END, `BEGIN
ATOMIC`, `DO` blocks, CASE ... END, strings and comments holding `COMMIT;`,
quoted identifiers named "end"/"commit"), sometimes a transaction-control
statement in a random spelling (case, whitespace, comments between the
keywords, TRANSACTION/WORK suffixes) at a random position, sometimes a failing
statement at the end, and CRLF line endings now and then. It returns the text
and what a user would expect: where the first transaction-control statement
starts (`line`, `col`), which objects the file creates, whether it must fail.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Transaction control per dialect, as keyword lists; "sp"/"'gid'" are the operands.
SQLITE_CONTROL = [
    ["BEGIN"], ["BEGIN", "TRANSACTION"], ["BEGIN", "DEFERRED"], ["BEGIN", "IMMEDIATE", "TRANSACTION"],
    ["BEGIN", "EXCLUSIVE"], ["COMMIT"], ["COMMIT", "TRANSACTION"], ["END"], ["END", "TRANSACTION"],
    ["ROLLBACK"], ["ROLLBACK", "TRANSACTION"], ["SAVEPOINT", "sp"], ["RELEASE", "sp"],
    ["RELEASE", "SAVEPOINT", "sp"], ["ROLLBACK", "TO", "sp"], ["ROLLBACK", "TRANSACTION", "TO", "SAVEPOINT", "sp"],
]
POSTGRES_CONTROL = [
    ["BEGIN"], ["BEGIN", "WORK"], ["BEGIN", "TRANSACTION"], ["BEGIN", "ISOLATION", "LEVEL", "SERIALIZABLE"],
    ["START", "TRANSACTION"], ["START", "TRANSACTION", "READ", "WRITE"], ["COMMIT"], ["COMMIT", "WORK"],
    ["COMMIT", "TRANSACTION"], ["COMMIT", "AND", "NO", "CHAIN"], ["END"], ["END", "WORK"],
    ["END", "TRANSACTION"], ["ROLLBACK"], ["ROLLBACK", "WORK"], ["ABORT"], ["ABORT", "TRANSACTION"],
    ["SAVEPOINT", "sp"], ["RELEASE", "sp"], ["RELEASE", "SAVEPOINT", "sp"], ["ROLLBACK", "TO", "sp"],
    ["ROLLBACK", "WORK", "TO", "SAVEPOINT", "sp"], ["PREPARE", "TRANSACTION", "'gid'"],
    ["COMMIT", "PREPARED", "'gid'"], ["ROLLBACK", "PREPARED", "'gid'"],
]


@dataclass
class Generated:
    text: str
    control_at: tuple[int, int] | None  # (line, col) of the first transaction-control statement
    tables: list[str] = field(default_factory=list)  # tables the file creates (when it applies)
    fails: bool = False  # ends with a statement that fails


def _case(rng: random.Random, word: str) -> str:
    if word.startswith("'") or word == "sp":
        return word
    return rng.choice([word.upper(), word.lower(), word.capitalize(),
                       "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)])


def _gap(rng: random.Random) -> str:
    """What separates two keywords: whitespace, and sometimes a comment."""
    return rng.choice([" ", "  ", "\t", "\n", " /* x; */ ", " -- note;\n", "\n  /* a\n b */\n", " "])


def spell(rng: random.Random, words: list[str]) -> str:
    out = _case(rng, words[0])
    for word in words[1:]:
        out += _gap(rng) + _case(rng, word)
    return out


def ordinary(rng: random.Random, dialect: str, tag: str) -> tuple[list[str], list[str]]:
    """A valid sequence of ordinary statements (each without its `;`) and the tables it makes."""
    table, other = f"t_{tag}", f"u_{tag}"
    statements = [f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, note TEXT, \"end\" TEXT)",
                  f"INSERT INTO {table} (id, note, \"end\") VALUES (1, 'COMMIT; END; ROLLBACK', 'x')"]
    extra = [
        f"CREATE INDEX ix_{tag} ON {table} (note)",
        f"CREATE VIEW v_{tag} AS SELECT id, CASE WHEN id > 0 THEN 'pos' ELSE 'neg' END AS sign FROM {table}",
        f"-- a comment that says COMMIT;\nINSERT INTO {table} (id, note) VALUES (2, 'begin')",
        f"CREATE TABLE {other} (\"commit\" TEXT, \"begin\" INTEGER)",
    ]
    if dialect == "postgres":
        extra += [
            (f"CREATE FUNCTION f_{tag}() RETURNS integer LANGUAGE plpgsql AS $$\nBEGIN\n"
             f"  RETURN (SELECT count(*) FROM {table});\nEND;\n$$"),
            f"CREATE FUNCTION g_{tag}() RETURNS integer LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\nEND",
            "DO $do$ BEGIN PERFORM 1; END $do$",
        ]
    else:
        extra.append(f"CREATE TRIGGER tr_{tag} AFTER INSERT ON {table}\nBEGIN\n"
                     f"  UPDATE {table} SET note = 'END' WHERE id = NEW.id;\nEND")
    chosen = rng.sample(extra, rng.randint(1, 3))
    tables = [table, other] if f"CREATE TABLE {other}" in " ".join(chosen) else [table]
    return statements + chosen, tables


def make_file(rng: random.Random, dialect: str, tag: str, *, control: bool, fails: bool) -> Generated:
    body, tables = ordinary(rng, dialect, tag)
    spelled: list[tuple[str, bool]] = [(s, False) for s in body]
    if control:
        kinds = POSTGRES_CONTROL if dialect == "postgres" else SQLITE_CONTROL
        for _ in range(rng.randint(1, 2)):
            spelled.insert(rng.randint(0, len(spelled)), (spell(rng, rng.choice(kinds)), True))
    if fails:
        spelled.append(("INSERT INTO no_such_table_anywhere VALUES (1)", False))
    newline = "\r\n" if rng.random() < 0.3 else "\n"
    text, control_at = f"-- generated ({tag})\n", None
    for sql, is_control in spelled:
        lead = rng.choice(["", "", "/* lead */ ", "-- lead\n"])
        text += lead
        if is_control and control_at is None:
            line = text.count("\n") + 1
            control_at = (line, len(text) - (text.rfind("\n") + 1) + 1)
        text += sql + rng.choice([";\n", ";\n\n", " ;\n"])
    return Generated(text.replace("\n", newline), control_at, tables, fails)
