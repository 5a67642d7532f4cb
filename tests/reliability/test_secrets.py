"""Passwords and API tokens never leave dbtool: not on stdout or stderr, not in a
JSON document or a written report, not in an exception message, not in a
`--debug` traceback — on success paths and on the error paths that are most
likely to echo them (an unreachable server, a database error quoting the URL,
an API that echoes the request's Authorization header).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import run_dbtool

PASSWORD = "S3cret-Canary-Pw-7781"
TOKEN = "cfTokenCanary5529abcdefXYZ"
D1_URL = "d1://0123456789abcdef0123456789abcdef/4d3c2b1a-0000-4000-8000-000000000000"


def assert_hidden(proc, *files: Path, secret: str = PASSWORD, masked: bool = False) -> None:
    """The secret is nowhere in the output (or the files); `masked`: its *** stand-in is."""
    seen = proc.stdout + proc.stderr + "".join(f.read_text(errors="replace") for f in files)
    assert "Traceback (most recent call last)" not in proc.stderr or "--debug" in proc.args
    assert secret not in seen, seen[-2000:]
    if masked:
        assert "***" in seen, seen[-2000:]


def with_password(url: str) -> str:
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@", 1)


@pytest.fixture
def project(tmp_path: Path, pg_url: str) -> tuple[Path, str, dict[str, str]]:
    """A Postgres service whose database URL and scratch server URL carry the password."""
    root = tmp_path / "project"
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "0001_notes.sql").write_text(
        "CREATE TABLE notes (id int PRIMARY KEY, body text);\n"
        "CREATE FUNCTION touch() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';\n")
    (root / "dbtool.toml").write_text('[services.app]\ndialect = "postgres"\nmigrations = "migrations"\n'
                                      'url_env = "APP_DATABASE_URL"\nexposed_schemas = ["public"]\n')
    url = with_password(pg_url)
    env = {"APP_DATABASE_URL": url,
           "DBTOOL_SCRATCH_URL": with_password(pg_url.rpartition("/")[0] + "/postgres")}
    return root, url, env


@pytest.mark.postgres
def test_every_command_on_a_password_url_masks_it(project):
    root, url, env = project
    runs = [("migrate", "app", "--dry-run", "--sql"), ("migrate", "app", "--format", "json"),
            ("status", "app"), ("status", "app", "--format", "json"), ("snapshot", "app"),
            ("snapshot", "app", "--format", "json"), ("audit", "app", "--url", url),
            ("audit", "app", "--target", "default", "--format", "json"),
            ("audit", "app", "--format", "github"), ("check",), ("check", "--format", "json"),
            ("introspect", "app", "--format", "json"), ("introspect", "app"),
            ("status", "app", "--debug")]
    for args in runs:
        proc = run_dbtool(*args, cwd=root, env=env)
        assert proc.returncode in (0, 1), (args, proc.stderr)
        assert_hidden(proc)
    masked = run_dbtool("status", "app", "--format", "json", cwd=root, env=env)
    assert "postgres:***@" in json.loads(masked.stdout)["services"][0]["target"]


@pytest.mark.postgres
def test_written_reports_and_snapshots_hold_no_password(project):
    root, _, env = project
    outputs = [root / "report.md", root / "report.html", root / "report.json"]
    for out in outputs:
        proc = run_dbtool("introspect", "app", "--format", out.suffix.lstrip(".").replace("md", "markdown"),
                          "--output", str(out), cwd=root, env=env)
        assert proc.returncode == 0, proc.stderr
        assert_hidden(proc, out)
    assert_hidden(run_dbtool("snapshot", "app", cwd=root, env=env), root / "schemas" / "app.yaml")


@pytest.mark.postgres
def test_a_database_error_that_quotes_the_url_is_masked(project):
    root, url, env = project
    (root / "migrations" / "0002_fail.sql").write_text(
        f"DO $$ BEGIN RAISE EXCEPTION 'cannot reach {url}'; END $$;\n")
    for extra in ((), ("--format", "json"), ("--debug",)):
        proc = run_dbtool("migrate", "app", *extra, cwd=root, env=env)
        assert proc.returncode == 1 and "0002_fail.sql" in proc.stderr
        assert_hidden(proc, masked=True)


@pytest.mark.parametrize("command", ["status", "migrate", "audit", "introspect"])
def test_an_unreachable_server_never_shows_the_password(command, tmp_path):
    root = tmp_path / "project"
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "0001_a.sql").write_text("CREATE TABLE a (id int);\n")
    (root / "dbtool.toml").write_text('[services.app]\ndialect = "postgres"\nmigrations = "migrations"\n')
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/app"
    for debug in ((), ("--debug",)):
        proc = run_dbtool(command, "app", "--url", url, *debug, cwd=root)
        assert proc.returncode in (2, 3), proc.stderr
        assert_hidden(proc)


def test_exception_messages_hold_no_password(tmp_path):
    """What a program using dbtool as a library sees: message, hint, repr and causes."""
    from dbtool.core.status import status
    from dbtool.core.targets import TargetSpec
    from dbtool.errors import DbtoolError

    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (id int);\n")
    spec = TargetSpec(dir=tmp_path, url=f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/app")
    with pytest.raises(DbtoolError) as caught:
        status(spec)
    exc = caught.value
    texts = [str(exc), repr(exc), exc.one_line(), str(exc.hint), json.dumps(exc.to_dict())]
    texts += [str(e) for e in (exc.__cause__, exc.__context__) if e is not None]
    assert not [t for t in texts if PASSWORD in t]


# -- Cloudflare API token ------------------------------------------------------------------
class _EchoingApi(BaseHTTPRequestHandler):
    """A misbehaving API (or proxy) that quotes the request's headers in its error."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        message = f"bad request; you sent Authorization: {self.headers.get('Authorization')} and {body}"
        payload = json.dumps({"success": False, "errors": [{"code": 7400, "message": message}]})
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args: object) -> None:
        """Quiet: the test reads dbtool's output, not the server's."""


@pytest.fixture
def echoing_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/client/v4"
    server.shutdown()


@pytest.mark.parametrize("base", ["echoing", "unreachable"])
def test_the_api_token_never_appears(base, echoing_api, tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id TEXT);\n")
    env = {"CLOUDFLARE_API_TOKEN": TOKEN, "DBTOOL_D1_RETRIES": "1",
           "DBTOOL_D1_API_BASE": echoing_api if base == "echoing" else "http://127.0.0.1:1/client/v4"}
    for args in (("status",), ("status", "--format", "json"), ("migrate",), ("migrate", "--format", "json"),
                 ("migrate", "--debug"), ("introspect", "--format", "json")):
        proc = run_dbtool(*args, "--dir", str(folder), "--url", D1_URL, cwd=tmp_path, env=env)
        assert proc.returncode in (1, 3), (args, proc.stderr)
        assert_hidden(proc, secret=TOKEN, masked=base == "echoing")
