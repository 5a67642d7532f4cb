"""Bad-input cases, part 2: configuration, database URLs and command-line misuse."""

from __future__ import annotations

from tests.reliability.corpus import BASE_CONFIG, Sandbox, case

APP = '[services.app]\ndialect = "sqlite"\nmigrations = "migrations/app"\n'

# -- configuration: (id, dbtool.toml text, fragments) — `status app`, exit 2 ------------
BAD_CONFIGS: list[tuple[str, str, tuple[str, ...]]] = [
    ("config-unterminated-string", '[services.app]\ndialect = "sqlite\n', ("dbtool.toml:2", "invalid TOML")),
    ("config-duplicate-key", APP + 'dialect = "d1"\n', ("dbtool.toml:4", "invalid TOML")),
    ("config-unknown-top-key", 'colour = "red"\n' + APP, ("unknown key 'colour' in top level",)),
    ("config-unknown-service-key", APP + 'migration_dir = "x"\n', ("unknown key 'migration_dir'",)),
    ("config-unknown-target-key", APP + '[services.app.targets.prod]\nurl_env = "X"\nurl = "sqlite:///x"\n',
     ("unknown key 'url' in [services.app.targets.prod]",)),
    ("config-missing-folder", APP.replace("migrations/app", "migrations/nope"), ("does not exist",)),
    ("config-two-dialects", APP.replace('"sqlite"', '["sqlite", "postgres"]'), ("dialect must be one of",)),
    ("config-no-dialect", '[services.app]\nmigrations = "migrations/app"\n', ("dialect must be one of",)),
    ("config-bad-naming", APP + 'naming = "random"\n', ("naming must be",)),
    ("config-negative-lock-timeout", "lock_timeout = -1\n" + APP, ("lock_timeout",)),
    ("config-text-lock-timeout", 'lock_timeout = "soon"\n' + APP, ("lock_timeout", "'soon'")),
    ("config-bool-lock-timeout", "lock_timeout = true\n" + APP, ("lock_timeout", "True")),
    ("config-infinite-lock-timeout", "lock_timeout = inf\n" + APP, ("lock_timeout", "inf")),
    ("config-nan-lock-timeout", "lock_timeout = nan\n" + APP, ("lock_timeout", "nan")),
    ("config-services-not-table", "services = 3\n", ("services must be a table",)),
    ("config-service-not-table", "[services]\napp = 3\n", ("[services.app]",)),
    ("config-targets-not-table", APP + "targets = 3\n", ("targets",)),
    ("config-target-without-env", APP + "[services.app.targets.prod]\nprelude = true\n", ("needs url_env",)),
    ("config-schemas-not-list", APP + 'schemas = "public"\n', ("schemas must be an array",)),
    # every key's type is checked (#15): each of these used to be a traceback or silently ignored
    ("config-lint-not-table", APP + "lint = 3\n", ("lint must be a table", "[services.app.lint]")),
    ("config-history-schema-empty", APP + 'history_schema = ""\n', ("history_schema must be a non-empty",)),
    ("config-url-env-number", APP + "url_env = 7\n", ("url_env must be the name of an environment variable",)),
    ("config-url-env-holds-url", APP + 'url_env = "postgresql://u:pw@db.example/app"\n',
     ("url_env holds a URL",)),
    ("config-target-url-env-lowercase-url", APP + '[services.app.targets.prod]\nurl_env = "sqlite:///x.db"\n',
     ("url_env holds a URL",)),
    ("config-target-prelude-text", APP + '[services.app.targets.prod]\nurl_env = "X"\nprelude = "yes"\n',
     ("prelude must be true or false",)),
    ("config-migrations-number", APP.replace('"migrations/app"', "5"), ("migrations must be a non-empty string",)),
    ("config-snapshot-array", APP + "snapshot = []\n", ("snapshot must be a non-empty string",)),
    ("config-prelude-number", APP + "prelude = 1\n", ("prelude must be a non-empty string",)),
    ("config-history-table-empty", APP + 'history_table = ""\n', ("history_table must be a non-empty",)),
    ("config-ignore-not-array", APP + 'ignore = "*.draft.sql"\n', ("ignore must be an array",)),
    ("config-ignore-empty-glob", APP + 'ignore = [""]\n', ("ignore must be an array of non-empty strings",)),
    ("config-description-number", APP + "description = 5\n", ("description must be a string",)),
    ("config-scratch-url-env-number", "scratch_url_env = 5\n" + APP, ("scratch_url_env must be",)),
    ("config-service-name-path", '[services."../../x"]\ndialect = "sqlite"\n', ("service name '../../x'",)),
    ("config-service-name-slash", '[services."a/b"]\ndialect = "sqlite"\n', ("service name 'a/b'",)),
    ("config-service-name-dot", '[services."."]\ndialect = "sqlite"\n', ("service name '.'",)),
    ("config-exposed-not-inspected", APP + 'exposed_schemas = ["api"]\n', ("exposed_schemas names 'api'",)),
    ("config-wrangler-on-sqlite", APP + 'wrangler = "wrangler.toml"\n', ("d1 services only",)),
]


def _bad_config(text: str) -> object:
    def build(s: Sandbox) -> list[str]:
        s.config(text)
        return ["status", "app"]
    return build


for _id, _text, _fragments in BAD_CONFIGS:
    case(_id, 2, *_fragments)(_bad_config(_text))


@case("config-not-utf8", 2, "not UTF-8")
def _not_utf8(s: Sandbox) -> list[str]:
    (s.root / "dbtool.toml").write_bytes(BASE_CONFIG.encode() + b"# caf\xe9\n")
    return ["status", "app"]


@case("config-lint-unknown-key", 2, "unknown key 'enabled' in [services.app.lint]")
def _lint_key(s: Sandbox) -> list[str]:
    s.config(BASE_CONFIG + "\n[services.app.lint]\nenabled = []\n")
    return ["lint", "app"]


@case("config-lint-bad-severity", 2, "severity of DL101", "got 'loud'")
def _lint_severity(s: Sandbox) -> list[str]:
    s.config(BASE_CONFIG + '\n[services.app.lint]\nseverity = { DL101 = "loud" }\n')
    return ["lint", "app"]


@case("config-none-found", 2, "no dbtool.toml found")
def _no_config(s: Sandbox) -> list[str]:
    (s.root / "dbtool.toml").unlink()
    return ["status", "app"]


@case("config-file-missing", 2, "does not exist")
def _config_path(s: Sandbox) -> list[str]:
    return ["--config", "nope.toml", "status", "app"]


@case("config-unknown-service", 2, "unknown service 'nope'", "known services: app, edge, ts")
def _unknown_service(s: Sandbox) -> list[str]:
    return ["migrate", "nope"]


@case("config-target-env-unset", 2, "$DBTOOL_TEST_PROD_URL is not set")
def _env_unset(s: Sandbox) -> list[str]:
    s.env["DBTOOL_TEST_PROD_URL"] = ""
    return ["migrate", "app", "--target", "prod"]


@case("config-default-env-unset", 2, "service app: $DBTOOL_TEST_APP_URL is not set")
def _default_env_unset(s: Sandbox) -> list[str]:
    """A default target whose variable is unset used to migrate the embedded file instead."""
    s.config(BASE_CONFIG.replace('migrations = "migrations/app"\n',
                                 'migrations = "migrations/app"\nurl_env = "DBTOOL_TEST_APP_URL"\n', 1))
    s.env["DBTOOL_TEST_APP_URL"] = ""
    s.add("app", "0002_more.sql", "CREATE TABLE more (id TEXT);\n")
    return ["migrate", "app"]


def _foreign_table(database: str, table: str, columns: str) -> object:
    """A table of dbtool's history names, but another tool's: swapped in before the run."""
    def build(s: Sandbox) -> list[str]:
        import sqlite3

        conn = sqlite3.connect(s.root / ".dbtool" / "local" / f"{database}.db")
        with conn:
            conn.execute(f"ALTER TABLE {table} RENAME TO {table}_ours")
            conn.execute(f"CREATE TABLE {table} ({columns})")
        conn.close()
        s.add(database, "0002_more.sql" if database != "ts" else "20250102000000_more.sql",
              "CREATE TABLE more (id TEXT);\n")
        return ["migrate", database]
    return build


for _db, _table, _columns, _fragments in [
    ("app", "d1_migrations", "version TEXT, ran_at TEXT", ("table d1_migrations", "history_table")),
    ("edge", "d1_migrations", "id INTEGER PRIMARY KEY, name TEXT", ("lacks applied_at",)),
    ("ts", "dbtool_migrations", "migration TEXT, ok INTEGER", ("table dbtool_migrations", "lacks name")),
]:
    case(f"history-foreign-{_db}-{_table}", 2, *_fragments)(_foreign_table(_db, _table, _columns))


@case("audit-ad-hoc-without-snapshot", 2, "--snapshot PATH")
def _audit_adhoc(s: Sandbox) -> list[str]:
    return ["audit", "--dir", "migrations/app", "--url", "sqlite:///.dbtool/local/app.db"]


@case("snapshot-unknown-key", 2, "app.yaml:8:", "defualt", "tables.a.columns.id")
def _snapshot_key(s: Sandbox) -> list[str]:
    (s.root / "schemas").mkdir()
    (s.root / "schemas" / "app.yaml").write_text(
        "service: app\ndialect: sqlite\ntables:\n  a:\n    columns:\n      id:\n        type: TEXT\n"
        "        defualt: 'x'\n        nullable: false\n    primary_key: {columns: [id]}\n")
    return ["audit", "app"]


@case("snapshot-unknown-top-key", 2, "app.yaml:3:", "tabels")
def _snapshot_top_key(s: Sandbox) -> list[str]:
    (s.root / "schemas").mkdir()
    (s.root / "schemas" / "app.yaml").write_text("service: app\ndialect: sqlite\ntabels: {}\n")
    return ["audit", "app"]


@case("config-unknown-target", 2, "has no target 'staging'", "prod")
def _unknown_target(s: Sandbox) -> list[str]:
    return ["migrate", "app", "--target", "staging"]


@case("config-prelude-missing", 2, "prelude", "does not exist")
def _prelude(s: Sandbox) -> list[str]:
    s.config(BASE_CONFIG.replace('migrations = "migrations/app"\n',
                                 'migrations = "migrations/app"\nprelude = "nope.sql"\n', 1))
    s.add("app", "0002_more.sql", "CREATE TABLE more (id TEXT);\n")
    return ["migrate", "app", "--prelude"]


@case("env-fault-hook-invalid", 2, "DBTOOL_FAULT is invalid")
def _fault_env(s: Sandbox) -> list[str]:
    s.env["DBTOOL_FAULT"] = "sometime:kill"
    s.add("app", "0002_more.sql", "CREATE TABLE more (id TEXT);\n")
    return ["migrate", "app"]


# -- URLs: (id, url, code, fragments) — `migrate app --url URL` --------------------------
BAD_URLS: list[tuple[str, str, int, tuple[str, ...]]] = [
    ("url-unknown-scheme", "mongodb://127.0.0.1/app", 2, ("unknown URL scheme 'mongodb'",)),
    ("url-no-scheme", "app.db", 2, ("not a database URL",)),
    ("url-port-out-of-range", "postgresql://postgres@127.0.0.1:99999/app", 2, ("malformed URL",)),
    ("url-port-not-a-number", "postgresql://postgres@127.0.0.1:abc/app", 2, ("malformed URL",)),
    ("url-sqlite-no-path", "sqlite://", 2, ("has no file path",)),
    ("url-sqlite-memory", "sqlite:///:memory:", 2, ("names no file",)),
    ("url-postgres-no-host", "postgresql:///app", 2, ("names no host",)),
    ("url-d1-no-database", "d1://account-only", 2, ("must name an account and a database",)),
    ("url-d1-local-no-project", "d1-local://", 2, ("names no project folder",)),
    ("url-wrong-dialect", "postgresql://postgres@127.0.0.1:5432/postgres", 2,
     ("a sqlite service cannot use the postgresql:// URL",)),
    ("url-unreachable-port", "postgresql://postgres@127.0.0.1:1/app", 3,
     ("cannot connect to PostgreSQL at 127.0.0.1:1",)),
    ("url-unresolvable-host", "postgresql://postgres@no-such-host.invalid/app", 3,
     ("no-such-host.invalid",)),
    ("url-unknown-query-parameter", "postgresql://postgres@127.0.0.1:5432/postgres?colour=red", 2,
     ("option PostgreSQL rejects", "colour")),
    ("url-bad-sslmode", "postgresql://postgres@127.0.0.1:5432/postgres?sslmode=sometimes", 2,
     ("invalid sslmode value",)),
]


def _bad_url(url: str, service: str) -> object:
    def build(s: Sandbox) -> list[str]:
        return ["migrate", "--dir", f"migrations/{service}", "--url", url] if service == "pg" \
            else ["migrate", service, "--url", url]
    return build


for _id, _url, _code, _fragments in BAD_URLS:
    case(_id, _code, *_fragments)(_bad_url(_url, "app" if _id == "url-wrong-dialect" else "pg"))


@case("url-database-missing", 3, "database 'dbtool_no_such_db' does not exist", needs="postgres")
def _db_missing(s: Sandbox) -> list[str]:
    url = (s.pg or "").rpartition("/")[0] + "/dbtool_no_such_db"
    return ["migrate", "--dir", "migrations/pg", "--url", url]


@case("url-role-missing", 3, "role 'dbtool_no_such_role' does not exist", needs="postgres")
def _role_missing(s: Sandbox) -> list[str]:
    url = (s.pg or "").replace("://postgres@", "://dbtool_no_such_role@")
    return ["status", "--dir", "migrations/pg", "--url", url]


@case("url-wrong-password", 3, "authentication failed for user 'postgres'", needs="password_pg")
def _wrong_password(s: Sandbox) -> list[str]:
    url, _ = s.password_pg or ("", "")
    return ["status", "--dir", "migrations/pg", "--url", url.replace("postgres@", "postgres:Wr0ng@")]


@case("url-sqlite-not-a-database", 2, "is not a SQLite database")
def _not_sqlite(s: Sandbox) -> list[str]:
    (s.root / "notes.db").write_text("these are my notes, not a database\n" * 100)
    return ["status", "app", "--url", "sqlite:///notes.db"]


@case("url-sqlite-is-a-folder", 2, "migrations is a folder, not a SQLite file")
def _sqlite_folder(s: Sandbox) -> list[str]:
    return ["migrate", "app", "--url", "sqlite:///migrations"]


@case("url-d1-no-token", 2, "CLOUDFLARE_API_TOKEN is not set")
def _d1_token(s: Sandbox) -> list[str]:
    s.env["CLOUDFLARE_API_TOKEN"] = ""
    return ["status", "edge", "--url", "d1://0123456789abcdef/4d3c2b1a-0000-4000-8000-000000000000"]


@case("url-d1-api-unreachable", 3, "127.0.0.1:1")
def _d1_unreachable(s: Sandbox) -> list[str]:
    s.env.update(CLOUDFLARE_API_TOKEN="tok-not-used-0123456789", DBTOOL_D1_API_BASE="http://127.0.0.1:1",
                 DBTOOL_D1_RETRIES="1")
    return ["status", "edge", "--url", "d1://0123456789abcdef/4d3c2b1a-0000-4000-8000-000000000000"]


@case("url-d1-local-no-wrangler-config", 2, "wrangler")
def _d1_local(s: Sandbox) -> list[str]:
    return ["status", "edge", "--url", f"d1-local://{s.root / 'migrations'}?binding=DB"]


# -- command-line misuse: (id, args, fragments) — exit 2 ---------------------------------
MISUSE: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("cli-unknown-option", ["status", "app", "--frobnicate"], ("No such option",)),
    ("cli-unknown-command", ["migrat", "app"], ("No such command",)),
    ("cli-url-and-target", ["migrate", "app", "--target", "prod", "--url", "sqlite:///x.db"], ("not both",)),
    ("cli-all-and-names", ["status", "app", "--all"], ("not both",)),
    ("cli-no-service", ["migrate"], ("name a service or pass --all",)),
    ("cli-new-missing-arguments", ["new"], ("Missing argument",)),
    ("cli-bad-format", ["status", "app", "--format", "xml"], ("Invalid value", "xml")),
    ("cli-negative-lock-timeout", ["migrate", "app", "--lock-timeout", "-1"], ("Invalid value", "-1")),
    ("cli-text-lock-timeout", ["migrate", "app", "--lock-timeout", "soon"], ("Invalid value", "soon")),
    ("cli-infinite-lock-timeout", ["migrate", "app", "--lock-timeout", "inf"], ("Invalid value", "inf")),
    ("cli-nan-lock-timeout", ["migrate", "app", "--lock-timeout", "nan"], ("Invalid value", "nan")),
    ("cli-huge-lock-timeout", ["migrate", "app", "--lock-timeout", "1e308"], ("Invalid value",)),
    ("cli-dir-without-url", ["migrate", "--dir", "migrations/app"], ("--dir needs --url",)),
    ("cli-dir-with-service", ["migrate", "app", "--dir", "migrations/app", "--url", "sqlite:///x.db"],
     ("--dir replaces the service names",)),
    ("cli-url-for-all", ["migrate", "--all", "--url", "sqlite:///x.db"], ("--url names one database",)),
    ("cli-to-unknown-file", ["migrate", "app", "--to", "0009_nope.sql"], ("--to '0009_nope.sql'",)),
    ("cli-persist-to-on-sqlite", ["migrate", "app", "--persist-to", "state"], ("--persist-to",)),
    ("cli-lint-bad-dialect", ["lint", "--dialect", "oracle", "migrations/app"], ("Invalid value", "oracle")),
    ("cli-introspect-unknown-table", ["introspect", "app", "--table", "nope"], ("nope",)),
    ("cli-audit-without-snapshot", ["audit", "app", "--url", "sqlite:///.dbtool/local/app.db"], ("app.yaml",)),
]


def _misuse(args: list[str]) -> object:
    return lambda s: list(args)


for _id, _args, _fragments in MISUSE:
    case(_id, 2, *_fragments)(_misuse(_args))


@case("cli-to-a-deleted-file", 2, "--to '0001_init.sql' names no migration file")
def _to_missing(s: Sandbox) -> list[str]:
    (s.root / "migrations" / "app" / "0001_init.sql").unlink()
    return ["migrate", "app", "--allow-missing", "--to", "0001_init.sql"]
