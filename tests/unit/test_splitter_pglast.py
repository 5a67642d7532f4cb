"""Differential test: the Postgres splitter against PostgreSQL's own parser (pglast).

For every Postgres file in the repository (the scenes and studio migrations, their
rollback files, the preludes), every Postgres input of the test corpus (the
splitter's golden files, the reliability corpus) and a seeded generator of tricky
statements (rule actions in parentheses, strings, dollar quotes, comments, BEGIN
ATOMIC bodies ...), the statements dbtool cuts a file into start and end exactly
where PostgreSQL's parser says its statements do (`pglast.split`, from the raw
parse tree's statement locations). A file the parser rejects (a typo: dbtool
sends it anyway, and the server names the error) is compared with psql's rule
applied to PostgreSQL's own tokens (pglast's scanner): a `;` ends a statement
outside parentheses and outside a CREATE FUNCTION/PROCEDURE's BEGIN … END.
A file even the scanner rejects (an unterminated string) must be refused by the
splitter too.

Both sides are normalised the same way: a statement runs from its first token to
its last token that is not a comment (pglast's last statement keeps the comments
after it; dbtool's leaves them out, so adding its `;` does not change its text).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dbtool.errors import SqlSyntaxError
from dbtool.migrations.splitter import split
from tests.helpers import REPO

pglast = pytest.importorskip("pglast")

_COMMENTS = {"SQL_COMMENT", "C_COMMENT"}


def _line_starts(text: str) -> list[int]:
    """Offsets where lines start, with CRLF and a lone CR each one break (as the splitter)."""
    flat = text.replace("\r\n", " \n").replace("\r", "\n")
    return [0] + [i + 1 for i, ch in enumerate(flat) if ch == "\n"]


def _token_span(tokens: list, start: int, stop: int) -> tuple[int, int] | None:
    """(first, last + 1) of the non-comment tokens inside [start, stop)."""
    inside = [t for t in tokens if t.start >= start and t.end < stop and t.name not in _COMMENTS]
    return (inside[0].start, inside[-1].end + 1) if inside else None


def ours(text: str) -> list[tuple[int, int]] | str:
    """dbtool's statement boundaries, or "error" when it refuses the text."""
    try:
        statements = split(text, "postgres")
    except SqlSyntaxError:
        return "error"
    starts = _line_starts(text)
    spans = []
    for s in statements:
        begin = starts[s.line - 1] + s.col - 1
        assert text[begin:begin + len(s.sql)] == s.sql, (s, text[begin:begin + 40])
        spans.append((begin, begin + len(s.sql)))
    return _normalised(text, spans)


def theirs(text: str) -> list[tuple[int, int]] | str:
    """PostgreSQL's statement boundaries (parser, else psql's rule on its tokens), or "error"."""
    try:
        slices = pglast.split(text, with_parser=True, only_slices=True)
    except pglast.parser.ParseError:
        try:
            tokens = list(pglast.parser.scan(text))
        except Exception:  # the lexer itself gave up: an unterminated construct
            return "error"
        return psql_rule(text, tokens)
    return _normalised(text, [(s.start, s.stop) for s in slices])


_FUNCTION_PREFIXES = (("CREATE", "FUNCTION"), ("CREATE", "PROCEDURE"),
                      ("CREATE", "OR", "REPLACE", "FUNCTION"), ("CREATE", "OR", "REPLACE", "PROCEDURE"))


def psql_rule(text: str, tokens: list) -> list[tuple[int, int]]:
    """psql's statement ends (psqlscan.l): a `;` outside parentheses, and inside CREATE
    [OR REPLACE] FUNCTION/PROCEDURE outside BEGIN … END (CASE … END nests in there)."""
    spans, current, depth, begins, words = [], [], 0, 0, []
    for token in tokens:
        if token.name in _COMMENTS:
            continue
        if token.name == "ASCII_59" and depth == 0 and begins == 0:
            if current:
                spans.append((current[0].start, current[-1].end + 1))
            current, words = [], []
            continue
        current.append(token)
        word = text[token.start] != '"' and (token.kind != "NO_KEYWORD" or token.name == "IDENT")
        if token.name == "ASCII_40":
            depth += 1
        elif token.name == "ASCII_41":
            depth = max(0, depth - 1)
        elif word:
            words.append(token.name.removesuffix("_P"))
            if depth == 0 and any(tuple(words[:len(p)]) == p for p in _FUNCTION_PREFIXES):
                name = words[-1]
                if name == "BEGIN" or (name == "CASE" and begins):
                    begins += 1
                elif name == "END" and begins:
                    begins -= 1
    if current:
        spans.append((current[0].start, current[-1].end + 1))
    return spans


def _normalised(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    tokens = list(pglast.parser.scan(text))
    return [span for start, stop in spans if (span := _token_span(tokens, start, stop))]


def _agree(text: str, label: str) -> None:
    mine, parser = ours(text), theirs(text)
    if mine != parser:
        def show(spans: object) -> object:
            return spans if isinstance(spans, str) else [text[a:b][:70] for a, b in spans]
        raise AssertionError(f"{label}: splitter and pglast disagree\n  splitter: {show(mine)}\n"
                             f"  pglast:   {show(parser)}")


# -- the repository's Postgres files and the test corpus ---------------------------------
def _repository_files() -> list[Path]:
    from dbtool.config import load_project

    project = load_project(REPO / "dbtool.toml")
    found: list[Path] = []
    for service in project.services:
        if service.dialect != "postgres":
            continue
        found += sorted(service.migrations.glob("*.sql")) + sorted(service.migrations.glob("down/*.sql"))
        if service.prelude is not None:
            found.append(service.prelude)
    found += sorted((REPO / "preludes").glob("*.sql"))
    found += sorted((REPO / "tests" / "golden" / "splitter").glob("*.postgres.sql"))
    return sorted(set(found))


def test_the_repository_has_postgres_files_to_compare():
    files = _repository_files()
    assert len([f for f in files if "studio" in f.parts]) >= 17
    assert any("scenes" in f.parts for f in files) and any(f.parent.name == "preludes" for f in files)


@pytest.mark.parametrize("path", _repository_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_repository_file(path: Path):
    text = path.read_bytes().decode("utf-8")
    _agree(text.removeprefix("\ufeff"), str(path.relative_to(REPO)))


def _corpus_texts() -> list[tuple[str, str]]:
    from tests.reliability.cases_files import PG_BODIES
    from tests.reliability.corpus import INITIAL

    texts = [(f"corpus {name}", body) for name, body in INITIAL.items() if name.startswith("pg/")]
    texts += [(f"corpus {case_id}", body.decode("utf-8")) for case_id, body, *_ in PG_BODIES]
    return texts


@pytest.mark.parametrize("label, text", _corpus_texts(), ids=lambda v: v if v.startswith("corpus") else "")
def test_reliability_corpus(label: str, text: str):
    _agree(text, label)


# -- generated: statements where a `;` is not the end -------------------------------------
def _ident(rng: random.Random) -> str:
    return rng.choice(["t", "a_b", "x1", '"Mixed Case"', '"semi;colon"', '"paren("', "ü", '"q""uote"'])


def _string(rng: random.Random) -> str:
    body = "".join(rng.choice(["a", ";", "(", ")", "--", "/*", "*/", "$$", "''", " ", "\\", "é"])
                   for _ in range(rng.randrange(0, 8)))
    kind = rng.randrange(4)
    if kind == 0:
        return f"E'{body.replace(chr(92), chr(92) * 2)}\\''"
    if kind == 1:
        tag = rng.choice(["", "x", "fn_1"])
        return f"${tag}${body.replace('$', '')}${tag}$"
    if kind == 2:
        return f"U&'{body.replace(chr(92), '')}'"
    return f"'{body}'"


def _comment(rng: random.Random) -> str:
    text = rng.choice(["note", "a;b", "(", ")", "it's", '"', "$$", "ünï"])
    if rng.random() < 0.5:
        return f"-- {text}\n"
    inner = f"/* {text} */" if rng.random() < 0.3 else text
    return f"/* {inner} */"


def _gap(rng: random.Random) -> str:
    return rng.choice([" ", "\n", "\r\n", "\t", " ", " " + _comment(rng) + " "])


def _value(rng: random.Random, depth: int = 0) -> str:
    kind = rng.randrange(5 if depth < 4 else 3)
    if kind == 0:
        return str(rng.randrange(100))
    if kind == 1:
        return _string(rng)
    if kind == 2:
        return "NULL"
    if kind == 3:
        return f"({_value(rng, depth + 1)}{_gap(rng)}+ {_value(rng, depth + 1)})"
    return f"coalesce({_value(rng, depth + 1)},{_gap(rng)}{_value(rng, depth + 1)})"


def _statement(rng: random.Random) -> str:
    g = lambda: _gap(rng)  # noqa: E731
    name = _ident(rng)
    kind = rng.randrange(9)
    if kind == 0:  # the case of issue #15: rule actions in parentheses, `;` between them
        actions = ";".join(f"{g()}INSERT INTO {_ident(rng)} VALUES ({_value(rng)}){g()}"
                           for _ in range(rng.randrange(1, 4)))
        also = rng.choice(["ALSO", "INSTEAD", ""])
        tail = rng.choice([";", "", ";" + g()])
        return f"CREATE RULE r AS ON INSERT TO {name}{g()}DO {also} ({actions}{tail})"
    if kind == 1:
        return f"CREATE OR REPLACE RULE r AS ON UPDATE TO {name} DO INSTEAD NOTHING"
    if kind == 2:
        return f"INSERT INTO {name} VALUES ({_value(rng)},{g()}{_value(rng)})"
    if kind == 3:
        body = ";".join(f" SELECT {_value(rng)}" for _ in range(rng.randrange(1, 3)))
        return (f"CREATE FUNCTION {name}() RETURNS int LANGUAGE sql{g()}BEGIN ATOMIC{body}; "
                f"SELECT CASE WHEN true THEN (1) ELSE 2 END;{g()}END")
    if kind == 4:
        return "DO $do$ BEGIN PERFORM 1; RAISE NOTICE '%', ';'; END $do$"
    if kind == 5:
        return f"CREATE TABLE {name} (id int{g()}CHECK ((id > 0) AND (id < 9)), note text DEFAULT {_string(rng)})"
    if kind == 6:
        return f"SELECT {_value(rng)} AS {_ident(rng)},{g()}1 - -1, 4 / 2, v$x FROM {name}"
    if kind == 7:
        return f"COMMENT ON TABLE {name} IS {_string(rng)}"
    return f"CREATE VIEW v AS SELECT (SELECT ({_value(rng)})) AS c"


def _file(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randrange(1, 6)):
        parts.append(rng.choice(["", _comment(rng)]) + _statement(rng))
        parts.append(rng.choice([";", ";\n", " ;\r\n", ";" + _comment(rng), ";;\n", ";\n\n"]))
    if rng.random() < 0.3:  # the last statement without its `;`, maybe with comments after it
        parts[-1] = rng.choice(["", "\n", "\n-- trailing\n", " /* end */"])
    return "".join(parts)


def test_generated_tricky_statements():
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    for index in range(400):
        text = _file(rng)
        try:
            _agree(text, f"generated #{index}")
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}: {exc}\n  text: {text!r}") from None
