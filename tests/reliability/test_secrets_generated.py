"""Every error path for secrets (issue #15, item 2), generated.

Seeded random secrets — chunks of letters and digits joined by the characters that
break URL parsers (`/ @ : # ? & = %`, quotes, backslashes, blanks, non-ASCII) — are
put in every credential position (the URL's password, raw and percent-encoded; the
`password`/`sslpassword` options; a libpq key=value string; the D1 API token) of
URLs malformed in random ways (bad ports, scheme typos, missing `//`, unreachable
and unresolvable hosts, options libpq rejects, blanks, a URL inside a longer text),
and passed to every command that takes a URL — with `--url` and through a target's
environment variable, with and without `--debug` and `--format json`.

What must hold: neither the secret nor any piece of it (4+ characters between two
delimiters) appears in stdout, stderr, an exception dbtool raises to a library caller
(message, hint, repr, JSON, causes); every failure is one `dbtool: error:` line with a
documented exit code (2 or 3) and no traceback unless --debug.

Most cases run in one process (the library API, and the CLI's own entry point with
captured output); a smaller random set runs as real CLI processes. The seed is printed
on failure; DBTOOL_SECRETS_SEED=N replays one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.helpers import run_dbtool

CHUNK = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
DELIMITERS = ["/", "@", ":", "#", "?", "&", "=", "%", "%2F", "%40", "%ZZ", " ", "'", '"', "\\", "+", ";",
              ",", "ü", "é", "中", "€", "!", "$", "*", "(", ")", "[", "]", "{", "}", "|", "^", "`", "~",
              "<", ">", "\t"]
HOSTS = ["127.0.0.1:1", "127.0.0.1:1", "localhost:1", "[::1]:1", "nohost.invalid", "127.0.0.1:x9",
         "127.0.0.1:99999", ""]
COMMANDS = ["migrate", "status", "audit", "introspect", "baseline", "mark", "repair", "rollback", "adopt"]
TOKEN_URL = "d1://0123456789abcdef0123456789abcdef/4d3c2b1a-0000-4000-8000-000000000000"


def make_secret(rng: random.Random) -> str:
    def chunk() -> str:
        return "".join(rng.choice(CHUNK) for _ in range(rng.randrange(5, 9)))
    secret = chunk()
    for _ in range(rng.randrange(0, 4)):
        secret += rng.choice(DELIMITERS) + chunk()
    return secret


def pieces(secret: str) -> list[str]:
    """The secret and every run of 4+ letters/digits in it: none of them may be shown."""
    import re

    return [secret, *(p for p in re.findall(r"[A-Za-z0-9]{4,}", secret))]


@dataclass(frozen=True)
class Case:
    secret: str
    url: str
    env: dict[str, str]  # CLOUDFLARE_API_TOKEN for token cases
    placement: str
    malformation: str


def make_case(rng: random.Random) -> Case:
    secret = make_secret(rng)
    placement = rng.choice(["password", "password", "password-encoded", "password-partly-encoded",
                            "option-password", "option-sslpassword", "option-among-others",
                            "conninfo", "token", "bare-in-variable"])
    if placement == "token":
        return Case(secret, TOKEN_URL, {"CLOUDFLARE_API_TOKEN": secret, "DBTOOL_D1_RETRIES": "1",
                                        "DBTOOL_D1_API_BASE": "http://127.0.0.1:1/client/v4"},
                    placement, "")
    if placement == "bare-in-variable":  # a password put where the URL belongs (env only)
        return Case(secret, secret, {}, placement, "not a URL")
    if placement == "conninfo":  # libpq's key=value form, the password quoted as libpq wants
        quoted = "'" + secret.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return Case(secret, f"host=127.0.0.1 port=1 user=app password={quoted} dbname=x", {},
                    placement, "not a URL")
    host = rng.choice(HOSTS)
    scheme = rng.choice(["postgresql", "postgres", "postgresql+psycopg", "POSTGRESQL", "postgress",
                         "sqlite", "d1-local", "mysql"])
    separator = rng.choice(["://", "://", "://", "://", ":/", "//", ":"])
    userinfo, query = "app", ""
    if placement == "password":
        userinfo = f"app:{secret}"
    elif placement == "password-encoded":
        userinfo = f"app:{quote(secret, safe='')}"
    elif placement == "password-partly-encoded":
        userinfo = f"app:{quote(secret, safe='@/:?#')}"
    elif placement == "option-password":
        query = f"?password={secret}"
    elif placement == "option-sslpassword":
        query = f"?sslpassword={rng.choice([secret, quote(secret, safe='')])}"
    else:
        query = f"?sslmode=disable&password={secret}&application_name=dbtool"
    bad_option = rng.choice(["", "", "", "&sslmode=bogus", "&colour=red"])
    if bad_option and not query:
        bad_option = "?" + bad_option[1:]
    url = f"{scheme}{separator}{userinfo}@{host}/appdb{query}{bad_option}"
    wrap = rng.choice(["", "", "", "  {}  ", "DATABASE_URL={}", "'{}'", "{} ; echo done"])
    if wrap:
        url = wrap.format(url)
    return Case(secret, url, {}, placement, f"{scheme}{separator} host={host!r} {bad_option} {wrap!r}")


# -- a project in which every command can be pointed at a URL ---------------------------------
CONFIG = """
[services.app]
dialect = "{dialect}"
migrations = "migrations"
snapshot = "schema.yaml"
url_env = "APP_TEST_DATABASE_URL"
"""


def make_project(root: Path, dialect: str) -> Path:
    (root / "migrations" / "down").mkdir(parents=True, exist_ok=True)
    (root / "migrations" / "0001_a.sql").write_text("CREATE TABLE a (id TEXT PRIMARY KEY);\n")
    (root / "migrations" / "down" / "0001_a.sql").write_text("DROP TABLE a;\n")
    (root / "schema.yaml").write_text(f"service: app\ndialect: {dialect}\ntables: {{}}\n")
    (root / "dbtool.toml").write_text(CONFIG.format(dialect=dialect))
    return root


def arguments(command: str, via: str, url: str, flags: list[str]) -> list[str]:
    target = ["--url", url] if via == "url" else ["--target", "default"]
    if command in ("status", "migrate", "audit", "introspect", "repair", "rollback"):
        extra = []
    elif command == "baseline":
        extra = ["--to", "0001_a.sql"]
    elif command == "mark":
        extra = ["0001_a.sql", "--applied", "--yes"]
    else:  # adopt
        extra = ["--from", "supabase"]
    if command in ("repair",):
        extra = ["--yes"]
    return [command, "app", *extra, *target, *flags]


def dialect_of(case: Case) -> str:
    return "d1" if case.placement == "token" else "postgres"


def judge(case: Case, args: list[str], code: int, out: str, err: str, seed: int) -> None:
    debug = "--debug" in args
    where = f"seed {seed}: {case.placement} / {case.malformation} / dbtool {' '.join(args[:2])} …"
    shown = out + err
    leaked = [p for p in pieces(case.secret) if p in shown]
    assert not leaked, f"{where}: {leaked} shown in:\n{shown[-3000:]}"
    assert code in (2, 3), f"{where}: exit {code}, not a documented failure code\n{err[-2000:]}"
    assert "internal error" not in err, f"{where}: {err[-2000:]}"
    if not debug:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("dbtool: error: ") and " — " in lines[0], \
            f"{where}: not one error line: {err[-2000:]!r}"
        assert "Traceback" not in shown, f"{where}: traceback without --debug"


def _seed() -> int:
    return int(os.environ.get("DBTOOL_SECRETS_SEED") or random.randrange(2**32))


# -- in process: the library API and the CLI's entry point -----------------------------------
def test_library_errors_never_hold_a_secret(tmp_path: Path, monkeypatch):
    """status/migrate as a program calls them: the raised error and its causes."""
    from dbtool.core.migrate import MigrateOptions, migrate
    from dbtool.core.status import status
    from dbtool.core.targets import TargetSpec
    from dbtool.errors import DbtoolError

    seed = _seed()
    rng = random.Random(seed)
    folder = make_project(tmp_path / "lib", "postgres") / "migrations"
    for _ in range(400):
        case = make_case(rng)
        if case.placement == "bare-in-variable":
            continue  # a value typed after --url is the user's own to see; see the CLI tests
        spec = TargetSpec(dir=folder, url=case.url)
        call = rng.choice([partial(status, spec), partial(migrate, spec, MigrateOptions(dry_run=True))])
        with monkeypatch.context() as env:
            for key, value in case.env.items():
                env.setenv(key, value)
            try:
                call()
            except DbtoolError as exc:
                texts = _error_texts(exc)
            else:
                raise AssertionError(f"seed {seed}: {case.url!r} did not fail")
        leaked = [p for p in pieces(case.secret) for t in texts if p in t]
        assert not leaked, f"seed {seed}: {case.placement} / {case.malformation}: {leaked} in {texts}"


def _error_texts(exc: BaseException) -> list[str]:
    """What a library caller can read of an error: message, hint, repr, JSON and causes."""
    texts = [str(exc), repr(exc), exc.one_line(), str(exc.hint),  # type: ignore[attr-defined]
             json.dumps(exc.to_dict()), json.dumps(exc.to_dict(), ensure_ascii=False)]  # type: ignore[attr-defined]
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        texts.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    return texts


def test_cli_entry_point_in_process_never_shows_a_secret(tmp_path: Path, monkeypatch):
    """The CLI's own entry point (`remember_secrets` + `run`), many cases in one process:
    every command, --url or the target's variable, --debug and --format json at random."""
    from dbtool.cli.boundary import remember_secrets, run

    seed = _seed()
    rng = random.Random(seed)
    projects = {d: make_project(tmp_path / d, d) for d in ("postgres", "d1")}
    for _ in range(300):
        case = make_case(rng)
        via = "env" if case.placement == "bare-in-variable" else rng.choice(["url", "env"])
        flags = [f for f in ("--debug", "--format json") if rng.random() < 0.4]
        command = rng.choice(COMMANDS)
        args = arguments(command, via, case.url, " ".join(flags).split())
        env = {**case.env, "APP_TEST_DATABASE_URL": case.url if via == "env" else ""}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(projects[dialect_of(case)])
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            remember_secrets(args)
            code = run([a for a in args if a != "--debug"], debug="--debug" in args)
        judge(case, args, int(code), out.getvalue(), err.getvalue(), seed)


# -- real CLI processes ---------------------------------------------------------------------
def test_real_cli_processes_never_show_a_secret(tmp_path: Path):
    seed = _seed()
    rng = random.Random(seed)
    projects = {d: make_project(tmp_path / d, d) for d in ("postgres", "d1")}
    runs = []
    for index in range(48):
        case = make_case(rng)
        via = "env" if case.placement == "bare-in-variable" else ["url", "env"][index % 2]
        flags = [["--debug"], ["--format", "json"], [], ["--debug", "--format", "json"]][index // 2 % 4]
        command = COMMANDS[index % len(COMMANDS)]
        runs.append((case, arguments(command, via, case.url, flags),
                     {**case.env, "APP_TEST_DATABASE_URL": case.url if via == "env" else ""}))

    def one(item: tuple[Case, list[str], dict[str, str]]) -> tuple[Case, list[str], subprocess.CompletedProcess]:
        case, args, env = item
        return case, args, run_dbtool(*args, cwd=projects[dialect_of(case)], env=env, timeout=120)

    with ThreadPoolExecutor(max_workers=3) as pool:
        for case, args, proc in pool.map(one, runs):
            judge(case, args, proc.returncode, proc.stdout, proc.stderr, seed)


@pytest.mark.parametrize("url, fragment", [
    ("postgresql://u:pa/SECRETpw9@127.0.0.1/db", "malformed URL"),
    ("postgresql://u:p@SECRETpw9@nohost.invalid/db", "cannot connect"),
    ("postgresql://u@127.0.0.1:1/db?sslpassword=SECRETpw9", "cannot connect"),
    ("postgresql://u@127.0.0.1:1/db?sslpassword=SECRETpw9&sslmode=bogus", "sslmode"),
    ("postgresql://u@127.0.0.1:1/db?password=ab&SECRETpw9", "cannot read the URL"),
    ("postgresql:/u:SECRETpw9@127.0.0.1/db", "not a database URL"),
    ("postgresql//u:pa/SECRETpw9@127.0.0.1/db", "not a database URL"),
    ("host=127.0.0.1 password=SECRETpw9", "not a database URL"),
], ids=lambda v: "")  # (pytest puts the id in $PYTEST_CURRENT_TEST, which dbtool reads as a URL)
def test_the_reported_leaks(url: str, fragment: str):
    """The shapes the issue names, each through the real CLI with and without --debug."""
    for extra in ((), ("--debug",), ("--format", "json")):
        proc = run_dbtool("status", "--dir", "migrations/scenes", "--url", url, *extra)
        assert "SECRETpw9" not in proc.stdout + proc.stderr, (url, extra, proc.stderr)
        assert proc.returncode in (2, 3) and fragment in proc.stderr, (url, proc.stderr)
