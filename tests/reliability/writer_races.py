"""Every pair of writing commands, run concurrently as real `dbtool` processes.

A round picks a start state (some prefix of the files applied, sometimes with
an applied file edited, rows that a hand-built or dbmate-built database lacks,
or wrangler rows without dbtool checksums), two commands among migrate,
rollback, mark, repair, baseline and adopt with arguments that fit that state,
and random delays for each process (DBTOOL_FAULT sleeps before and while
holding the run lock, between statements). The two processes start together.

The oracle is serializability: the database afterwards (history names,
checksums and sources; schema) and the two exit codes must equal what the two
commands produce one after the other, in one order or the other — computed
in-process on the same start state with the same code. A command that waited
for the lock in vain (exit 3) or refused because the history changed under it
(exit 1, "changed while") wrote nothing, so the other command alone is then
an allowed outcome too. On top of that, every round checks the promises a user
reads in the README: exit codes 0, 1 or 3; at most one line on stderr; no
internal error; and for pairs without `mark` (which by contract records or
removes a row without touching the schema) the history is a prefix of the
files and, when it was so at the start, the schema is the one that prefix
builds — migrate and rollback change a file's effects and its row in one
transaction, repair and adopt only checksums or rows of files whose effects
are present, baseline records only what it proved.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tests.history.support import PG_DOWN, PG_UP, SQLITE_DOWN, SQLITE_UP
from tests.zygote import dbtool_popen

KINDS = ("migrate", "rollback", "mark", "repair", "baseline", "adopt")
PAIRS = [(a, b) for i, a in enumerate(KINDS) for b in KINDS[i:]]  # 21, self-pairs included


@dataclass(frozen=True)
class Command:
    kind: str
    options: tuple[str, ...]  # after the target options, as the CLI takes them
    fault: str = ""  # DBTOOL_FAULT of the concurrent process

    def argv(self, folder: Path, url: str) -> list[str]:
        head = [self.kind] + ([self.options[0]] if self.kind == "mark" else [])
        rest = list(self.options[1:] if self.kind == "mark" else self.options)
        return [*head, "--dir", str(folder), "--url", url, *rest]

    def call(self, folder: Path, url: str) -> int:
        """The same command in this process (the serial reference): its exit code."""
        from dbtool.errors import DbtoolError

        try:
            return _call(self, folder, url)
        except DbtoolError as exc:
            return int(exc.exit_code)

    def __str__(self) -> str:
        return " ".join((self.kind, *self.options)) + (f" [{self.fault}]" if self.fault else "")


def _call(command: Command, folder: Path, url: str) -> int:
    from dbtool.core.targets import TargetSpec

    spec = TargetSpec(dir=folder, url=url)
    opts = command.options
    if command.kind == "migrate":
        from dbtool.core.migrate import MigrateOptions, migrate

        to = opts[opts.index("--to") + 1] if "--to" in opts else None
        migrate(spec, MigrateOptions(to=to, lock_timeout=float(opts[opts.index("--lock-timeout") + 1])))
        return 0
    if command.kind == "rollback":
        from dbtool.core.rollback import RollbackOptions, rollback

        return rollback(spec, RollbackOptions(steps=1)).exit_code
    if command.kind == "mark":
        from dbtool.core.repair import mark

        return mark(spec, opts[0], applied="--applied" in opts).exit_code
    if command.kind == "repair":
        from dbtool.core.repair import repair

        return repair(spec).exit_code
    if command.kind == "baseline":
        from dbtool.core.baseline import baseline

        return baseline(spec, opts[1]).exit_code
    from dbtool.core.adopt import adopt

    return adopt(spec, opts[1], apply=True).exit_code


@dataclass(frozen=True)
class Start:
    k: int  # files recorded by dbtool (a prefix)
    j: int  # files whose effects are in the schema (j >= k)
    edited: int | None = None  # index of an applied file edited after it ran
    foreign: tuple[int, ...] = ()  # sqlite: applied files whose side row is gone (wrangler rows)
    dbmate: bool = False  # postgres: a dbmate schema_migrations table lists files[:j]

    @property
    def agrees(self) -> bool:
        return self.j == self.k


@dataclass
class Round:
    seed: int
    start: Start
    a: Command
    b: Command

    def __str__(self) -> str:
        return f"seed {self.seed}: start {self.start}; A = {self.a}; B = {self.b}"


class RaceDatabase:
    """One database (SQLite file or Postgres database) and its migrations folder."""

    dialect = ""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / "migrations"
        up, down = (PG_UP, PG_DOWN) if self.dialect == "postgres" else (SQLITE_UP, SQLITE_DOWN)
        self.up, self.down = up, down
        self.names = tuple(sorted(up))
        self.url = ""

    def write_files(self, edited: int | None) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        (self.folder / "down").mkdir(parents=True)
        for index, name in enumerate(self.names):
            extra = "-- edited after it ran\n" if index == edited else ""
            (self.folder / name).write_text(self.up[name] + extra)
            (self.folder / "down" / name).write_text(self.down[name])

    def setup(self, start: Start) -> None:
        """Put the database into `start`: effects of files[:j], dbtool rows for files[:k]."""
        from dbtool.core.migrate import MigrateOptions, migrate
        from dbtool.core.targets import TargetSpec

        self.reset()
        self.write_files(None)
        if start.j:
            migrate(TargetSpec(dir=self.folder, url=self.url),
                    MigrateOptions(to=self.names[start.j - 1], lock_timeout=10))
        self.forget(self.names[start.k:start.j], start)
        self.write_files(start.edited)

    def state(self) -> tuple[Any, ...]:
        """What a user would check: history rows (name, checksum, source) and the schema."""
        from dbtool.engines import open_engine
        from dbtool.urls import parse_url

        engine = open_engine(parse_url(self.url), self.dialect, lock_timeout=0)
        try:
            history = tuple((r.name, r.checksum, r.source) for r in engine.history())
            schema = engine.inspect(("public",)) if self.dialect == "postgres" else engine.inspect(())
        finally:
            engine.close()
        tables = tuple(t for t in schema.tables if t.name.rsplit(".", 1)[-1] != "schema_migrations")
        return history, replace(schema, tables=tables)

    def reset(self) -> None:
        raise NotImplementedError

    def forget(self, names: tuple[str, ...], start: Start) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SqliteRace(RaceDatabase):
    dialect = "sqlite"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.path = root / "app.db"
        self.url = f"sqlite:///{self.path}"

    def reset(self) -> None:
        for leftover in self.root.glob("app.db*"):
            leftover.unlink()

    def forget(self, names: tuple[str, ...], start: Start) -> None:
        if not self.path.exists():
            return
        with sqlite3.connect(self.path) as conn:
            for name in names:
                conn.execute("DELETE FROM d1_migrations WHERE name = ?", (name,))
                conn.execute("DELETE FROM dbtool_migrations WHERE name = ?", (name,))
            for index in start.foreign:  # wrangler applied these: no dbtool checksum
                conn.execute("DELETE FROM dbtool_migrations WHERE name = ?", (self.names[index],))
        conn.close()


class PostgresRace(RaceDatabase):
    dialect = "postgres"

    def __init__(self, root: Path, admin_url: str) -> None:
        import psycopg

        super().__init__(root)
        self.admin_url = admin_url
        self.dbname = f"dbtool_race_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.dbname}"')
        self.url = admin_url.rpartition("/")[0] + "/" + self.dbname
        self.conn = psycopg.connect(self.url, autocommit=True)

    def reset(self) -> None:
        for (schema,) in self.conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                "AND nspname <> 'information_schema'").fetchall():
            self.conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        self.conn.execute("CREATE SCHEMA public")

    def forget(self, names: tuple[str, ...], start: Start) -> None:
        from dbtool.engines import open_engine
        from dbtool.urls import parse_url

        engine = open_engine(parse_url(self.url), "postgres")
        try:
            table = engine.table  # wherever this dbtool keeps its history
        finally:
            engine.close()
        for name in names:
            self.conn.execute(f"DELETE FROM {table} WHERE name = %s", (name,))
        if start.dbmate:
            self.conn.execute("CREATE TABLE public.schema_migrations (version varchar PRIMARY KEY)")
            for name in self.names[:start.j]:
                self.conn.execute("INSERT INTO public.schema_migrations VALUES (%s)", (name[:4],))

    def close(self) -> None:
        import psycopg

        self.conn.close()
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')


# -- choosing a round ------------------------------------------------------------------
def _fault(rng: random.Random) -> str:
    # up to 0.15 s: several times a command's own run (tens of ms once started; a zygote start
    # takes ~10 ms), so either command can hold the lock, wait for it or overtake the other
    delay = lambda: f"{rng.uniform(0, 0.15):.3f}"  # noqa: E731
    return rng.choice(["", f"before-lock:sleep={delay()}", f"while-locked:sleep={delay()}",
                       f"inside-file:sleep={delay()}",
                       f"before-lock:sleep={delay()},while-locked:sleep={delay()}"])


def _command(rng: random.Random, kind: str, db: RaceDatabase, start: Start) -> Command:
    names = db.names
    applied, pending = names[:start.k], names[start.k:]
    if kind == "migrate":
        to = ("--to", rng.choice(names)) if rng.random() < 0.4 else ()
        timeout = "0.1" if rng.random() < 0.3 else "30"
        options: tuple[str, ...] = (*to, "--lock-timeout", timeout)
    elif kind == "rollback":
        options = ("--steps", "1")
    elif kind == "mark":
        if applied and (not pending or rng.random() < 0.5):
            options = (rng.choice(applied), "--pending", "--yes")
        else:
            options = (rng.choice(pending), "--applied", "--yes")
    elif kind == "repair":
        options = ("--yes",)
    elif kind == "baseline":
        options = ("--to", names[start.j - 1] if start.j > start.k else rng.choice(names))
    else:
        options = ("--from", "dbmate" if db.dialect == "postgres" else "wrangler", "--apply")
    return Command(kind, options, _fault(rng))


def choose(rng: random.Random, seed: int, pair: tuple[str, str], db: RaceDatabase) -> Round:
    """A start state that gives the pair's commands something to do (most of the time)."""
    n = len(db.names)
    k = rng.randint(0, n)
    dbmate = db.dialect == "postgres" and "adopt" in pair
    unrecorded = 0.8 if "baseline" in pair or dbmate else 0.2  # a schema ahead of the history
    j = rng.randint(k + 1, n) if k < n and rng.random() < unrecorded else k
    if dbmate and j == 0:
        j = 1  # an empty dbmate table is "no dbmate history" (a usage error), not a race
    edited = rng.randrange(k) if k and rng.random() < (0.8 if "repair" in pair else 0.2) else None
    wrangler = db.dialect == "sqlite" and k and rng.random() < (0.9 if "adopt" in pair else 0.2)
    foreign = tuple(sorted(rng.sample(range(k), rng.randint(1, k)))) if wrangler else ()
    start = Start(k, j, edited, foreign, dbmate)
    a, b = (_command(rng, kind, db, start) for kind in pair)
    return Round(seed, start, a, b)


# -- running a round --------------------------------------------------------------------
@dataclass
class Outcome:
    state: Any
    codes: tuple[int, int]
    stderr: tuple[str, str] = ("", "")


@dataclass
class RaceStats:
    engine: str
    rounds: int = 0
    pairs: set[tuple[str, str]] = field(default_factory=set)
    exits: dict[int, int] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)  # which serial outcome matched
    failures: list[str] = field(default_factory=list)


def _serial(db: RaceDatabase, start: Start, first: Command | None, second: Command | None) -> Outcome:
    db.setup(start)
    codes = [first.call(db.folder, db.url) if first else -1, second.call(db.folder, db.url) if second else -1]
    return Outcome(db.state(), (codes[0], codes[1]))


def _concurrent(db: RaceDatabase, rnd: Round, rng: random.Random) -> Outcome:
    db.setup(rnd.start)
    procs = []
    for index, command in enumerate((rnd.a, rnd.b)):
        env = {k: v for k, v in os.environ.items() if k != "DBTOOL_FAULT"}
        if command.fault:
            env["DBTOOL_FAULT"] = command.fault
        if index:
            time.sleep(rng.uniform(0, 0.05))
        procs.append(dbtool_popen([sys.executable, "-m", "dbtool", *command.argv(db.folder, db.url)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    outputs = [p.communicate(timeout=300) for p in procs]
    return Outcome(db.state(), (procs[0].returncode, procs[1].returncode),
                   (outputs[0][1], outputs[1][1]))


def _wrote_nothing(code: int, stderr: str) -> bool:
    """Exit 3 (the lock never came) or a refusal because the history changed meanwhile."""
    return code == 3 or (code == 1 and "changed while" in stderr)


def run_round(db: RaceDatabase, rnd: Round, prefix_schemas: list[Any], stats: RaceStats,
              rng: random.Random) -> None:
    got = _concurrent(db, rnd, rng)
    stats.rounds += 1
    stats.pairs.add((rnd.a.kind, rnd.b.kind))
    for code in got.codes:
        stats.exits[code] = stats.exits.get(code, 0) + 1
    problems = _promises(db, rnd, got, prefix_schemas)
    expected = {"A then B": _serial(db, rnd.start, rnd.a, rnd.b)}
    flipped = _serial(db, rnd.start, rnd.b, rnd.a)
    expected["B then A"] = Outcome(flipped.state, (flipped.codes[1], flipped.codes[0]))
    if _wrote_nothing(got.codes[1], got.stderr[1]):
        alone = _serial(db, rnd.start, rnd.a, None)
        expected["A alone"] = Outcome(alone.state, (alone.codes[0], got.codes[1]))
    if _wrote_nothing(got.codes[0], got.stderr[0]):
        alone = _serial(db, rnd.start, None, rnd.b)
        expected["B alone"] = Outcome(alone.state, (got.codes[0], alone.codes[1]))
    matched = [name for name, out in expected.items() if (out.state, out.codes) == (got.state, got.codes)]
    if not matched:
        problems.append(f"no serial order explains the outcome: exits {got.codes} (serial: "
                        + ", ".join(f"{n} {o.codes}" for n, o in expected.items())
                        + f"); history {[h[0] for h in got.state[0]]} vs "
                        + ", ".join(f"{n} {[h[0] for h in o.state[0]]}" for n, o in expected.items()))
    if matched:  # which outcomes explain it ("A then B|B then A": the order did not matter)
        key = "|".join(matched)
        stats.orders[key] = stats.orders.get(key, 0) + 1
    if problems:
        stats.failures.append(f"{rnd}: " + "; ".join(problems)
                              + f" | stderr A: {got.stderr[0].strip()[:300]} | B: {got.stderr[1].strip()[:300]}")


def _emptied_dbmate(command: Command, code: int, stderr: str) -> bool:
    """`adopt --from dbmate` after a rollback that undid every file dbmate recorded: the
    rollback deleted dbmate's rows too, and an empty dbmate table is "no dbmate history" (the
    documented usage error, exit 2), in that serial order as well (the order check compares it)."""
    return command.kind == "adopt" and code == 2 and "found no dbmate history" in stderr


def _promises(db: RaceDatabase, rnd: Round, got: Outcome, prefix_schemas: list[Any]) -> list[str]:
    problems = []
    for command, code, err in zip((rnd.a, rnd.b), got.codes, got.stderr, strict=True):
        if code not in (0, 1, 3) and not _emptied_dbmate(command, code, err):
            problems.append(f"{command.kind} exit {code} (documented: 0, 1, 3)")
        if len(err.strip().splitlines()) > 1 or "Traceback" in err or "internal error" in err:
            problems.append(f"{command.kind} stderr is not one clean line: {err.strip()[:300]}")
    if "mark" in (rnd.a.kind, rnd.b.kind):
        return problems  # mark edits rows without running files: no prefix/agreement promise
    names = tuple(h[0] for h in got.state[0])
    if names != db.names[:len(names)]:
        problems.append(f"history {list(names)} is not a prefix of the files")
    elif rnd.start.agrees and got.state[1] != prefix_schemas[len(names)]:
        problems.append(f"the schema is not the one the {len(names)} recorded file(s) build")
    return problems


def prefix_schemas(db: RaceDatabase) -> list[Any]:
    """The schema after each whole prefix of files (as `state()` reports it)."""
    schemas = []
    for k in range(len(db.names) + 1):
        db.setup(Start(k, k))
        schemas.append(db.state()[1])
    return schemas


def race(db: RaceDatabase, seed: int, rounds: int) -> RaceStats:
    """`rounds` rounds from `seed`; every pair of commands comes up once per 21 rounds."""
    rng = random.Random(seed)
    stats = RaceStats(db.dialect)
    schemas = prefix_schemas(db)
    order = []
    while len(order) < rounds:
        batch = list(PAIRS)
        rng.shuffle(batch)
        order += batch
    for pair in order[:rounds]:
        rnd = choose(rng, seed, pair, db)
        run_round(db, rnd, schemas, stats, rng)
    return stats
