"""The studio service (seed 004, Postgres in its Supabase flavour).

Built by `dbtool migrate studio --prelude` on a real, plain PostgreSQL, the
built-in prelude (`prelude = "supabase"`, shipped in src/dbtool/data/preludes/)
standing in for Supabase's auth, roles, realtime publication and storage. Table-driven schema checks against the
seed, then the behaviour the seed describes: the five variant-sync triggers,
the shot_data denormalisation, the six utility functions, RLS between two
users and anon, the storage buckets, the append-only credits ledger, and the
prelude's own guarantees.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql

from dbtool.preludes import BUILTIN_DIR
from tests.helpers import REPO, migrate_service
from tests.services import pg_expectations as expect

pytestmark = pytest.mark.postgres

MIGRATIONS = REPO / "migrations" / "studio"
PRELUDE = BUILTIN_DIR / "supabase.sql"


class Studio:
    """A migrated studio database and helpers to fill it with sample rows."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def execute(self, query: str, params: tuple | dict = ()) -> psycopg.Cursor:
        return self.conn.execute(query, params)

    def one(self, query: str, params: tuple | dict = ()) -> Any:
        row = self.conn.execute(query, params).fetchone()
        assert row is not None, query
        return row if len(row) > 1 else row[0]

    def all(self, query: str, params: tuple | dict = ()) -> list[tuple]:
        return self.conn.execute(query, params).fetchall()

    def insert(self, table: str, **values: Any) -> Any:
        """Insert one row, return its id."""
        cols = list(values)
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
            sql.Identifier(*table.split(".")),
            sql.SQL(", ").join(map(sql.Identifier, cols)),
            sql.SQL(", ").join(sql.Placeholder() * len(cols)),
        )
        params = [json.dumps(v) if isinstance(v, dict | list) else v for v in values.values()]
        return self.conn.execute(query, params).fetchone()[0]

    # sample data -----------------------------------------------------------
    def user(self, email: str = "a@example.com") -> str:
        return str(self.insert("auth.users", email=email))

    def project(self, user_id: str, name: str = "Project") -> str:
        return str(self.insert("projects", user_id=user_id, name=name))

    def shot(self, project_id: str, name: str = "Shot", order: int = 0, **extra: Any) -> str:
        return str(self.insert("shots", project_id=project_id, name=name, order=order, **extra))

    def generation(self, project_id: str, **cols: Any) -> str:
        return str(self.insert("generations", project_id=project_id, **cols))

    def variant(self, generation_id: str, location: str, **cols: Any) -> str:
        return str(self.insert("generation_variants", generation_id=generation_id,
                               location=location, **cols))

    def link(self, shot_id: str, generation_id: str, **cols: Any) -> str:
        return str(self.insert("shot_generations", shot_id=shot_id,
                               generation_id=generation_id, **cols))

    # reads -----------------------------------------------------------------
    def gen(self, generation_id: str) -> dict[str, Any]:
        cur = self.conn.execute("SELECT * FROM generations WHERE id = %s", (generation_id,))
        row = cur.fetchone()
        assert row is not None, f"generation {generation_id} missing"
        return {d.name: (str(v) if isinstance(v, uuid.UUID) else v)
                for d, v in zip(cur.description, row, strict=True)}

    def variants(self, generation_id: str) -> dict[str, tuple]:
        """variant id -> (variant_type, is_primary, location)."""
        rows = self.all(
            "SELECT id::text, variant_type, is_primary, location FROM generation_variants"
            " WHERE generation_id = %s", (generation_id,))
        return {row[0]: row[1:] for row in rows}

    def primary_of(self, generation_id: str) -> str:
        rows = self.all("SELECT id::text FROM generation_variants"
                        " WHERE generation_id = %s AND is_primary", (generation_id,))
        assert len(rows) == 1, f"{len(rows)} primary variants for {generation_id}"
        return rows[0][0]

    def links(self, shot_id: str) -> list[tuple]:
        """(generation_id, position, timeline_frame) of a shot, in order."""
        return [
            (str(g), p, f) for g, p, f in self.all(
                "SELECT generation_id, position, timeline_frame FROM shot_generations"
                " WHERE shot_id = %s ORDER BY position NULLS LAST, timeline_frame, created_at",
                (shot_id,))
        ]


@pytest.fixture
def studio(pg_url: str) -> Iterator[Studio]:
    migrate_service("studio", pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield Studio(conn)


@contextmanager
def as_role(conn: psycopg.Connection, role: str, user_id: str | None = None,
            *, claims_json: bool = False) -> Iterator[psycopg.Connection]:
    """One transaction as an API role, with auth.uid() = user_id (like PostgREST)."""
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
        if user_id and claims_json:
            conn.execute("SELECT set_config('request.jwt.claims', %s, true)",
                         (json.dumps({"sub": user_id, "role": role}),))
        elif user_id:
            conn.execute("SELECT set_config('request.jwt.claim.sub', %s, true)", (user_id,))
        yield conn


def ids(conn: psycopg.Connection, query: str, params: tuple = ()) -> set[str]:
    return {str(row[0]) for row in conn.execute(query, params).fetchall()}


def rejected(conn: psycopg.Connection, error: type[Exception], query: str,
             params: tuple | list = ()) -> None:
    with pytest.raises(error), conn.transaction():
        conn.execute(query, params)


# ===========================================================================
# files
# ===========================================================================

def test_migration_files_are_timestamp_named() -> None:
    names = sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    for name in expect.STUDIO_REQUIRED_FILES:
        assert name in names
    pattern = re.compile(r"^(\d{14})_[a-z0-9_]+\.sql$")
    for name in names:
        match = pattern.match(name)
        assert match, f"{name} is not YYYYMMDDHHMMSS_name.sql"
        stamp = match.group(1)
        assert stamp[:4] >= "2025" and "01" <= stamp[4:6] <= "12" and "01" <= stamp[6:8] <= "31"
    # the schema evolves over many files, not one flat CREATE file
    assert len(names) >= 10
    assert names.index("20251201000002_create_variant_sync_triggers.sql") < names.index(
        "20251209000001_fix_shot_data_sync.sql")


def test_fix_shot_data_sync_is_a_fix() -> None:
    text = (MIGRATIONS / "20251209000001_fix_shot_data_sync.sql").read_text(encoding="utf-8")
    assert "CREATE OR REPLACE FUNCTION public.sync_shot_to_generation()" in text
    assert re.search(r"^UPDATE public\.generations", text, re.MULTILINE), "no backfill"
    earlier = [p for p in MIGRATIONS.glob("*.sql") if p.name < "20251209000001"]
    assert any("FUNCTION public.sync_shot_to_generation()" in p.read_text(encoding="utf-8")
               for p in earlier), "the fix must replace an earlier version"


# ===========================================================================
# schema, table-driven
# ===========================================================================

def test_every_table_and_column_of_the_seed(studio: Studio) -> None:
    assert expect.tables(studio.conn) == set(expect.STUDIO_COLUMNS)
    problems = []
    for table, expected in expect.STUDIO_COLUMNS.items():
        actual = expect.columns(studio.conn, table)
        for name, column in expected.items():
            if actual.get(name) != column:
                problems.append(f"{table}.{name}: expected {column}, got {actual.get(name)}")
        for name in set(actual) - set(expected):
            problems.append(f"{table}.{name}: not expected")
    assert problems == []


def test_ids_are_uuids_generated_by_gen_random_uuid(studio: Studio) -> None:
    for table in expect.STUDIO_COLUMNS:
        pk = studio.all(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
            " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = %s::regclass AND i.indisprimary", (f"public.{table}",))
        assert pk == [("id",)], table
        column = expect.columns(studio.conn, table)["id"]
        assert column.type == "uuid", table
        # users.id is auth.users.id; every other table generates its own
        assert column.default == (None if table == "users" else "gen_random_uuid()"), table


def test_foreign_keys_carry_the_relationships(studio: Studio) -> None:
    actual = expect.foreign_keys(studio.conn)
    missing = [fk for fk in expect.STUDIO_FOREIGN_KEYS if fk not in actual]
    assert missing == []


def test_check_constraints_reject_bad_and_accept_good_values(studio: Studio) -> None:
    user = studio.user()
    project = studio.project(user)
    shot = studio.shot(project)
    gen = studio.generation(project)
    batch = studio.insert("training_data_batches", user_id=user, name="b")
    video = studio.insert("training_data", batch_id=batch, filename="v.mp4", url="u")
    base_rows: dict[str, dict[str, Any]] = {
        "tasks": {"project_id": project, "task_type": "single_image"},
        "workers": {"name": "w"},
        # both prices set, so either billing type passes the price check
        "task_types": {"name": "check_me", "unit_cost": 1, "base_cost_per_second": 1},
        "credits_ledger": {"user_id": user, "amount": 1, "type": "manual"},
        "shot_generations": {"shot_id": shot, "generation_id": gen},
        "training_data_segments": {"video_id": video, "start_time": 10, "end_time": 20},
    }
    checks = expect.check_constraints(studio.conn)
    for check in expect.STUDIO_CHECKS:
        assert check.name in checks, f"CHECK {check.name} missing"
        assert checks[check.name][0] == check.table
        bad = {**base_rows[check.table], check.column: check.bad}
        with pytest.raises(errors.CheckViolation), studio.conn.transaction():
            studio.insert(check.table, **bad)
        good = {**base_rows[check.table], check.column: check.good}
        with studio.conn.transaction():
            studio.insert(check.table, **good)
            raise psycopg.Rollback


def test_task_types_bill_per_second_or_per_unit(studio: Studio) -> None:
    seeded = dict(studio.all("SELECT name, billing_type FROM task_types"))
    assert set(seeded.values()) == {"per_second", "per_unit"}
    # each billing model needs its price
    rejected(studio.conn, errors.CheckViolation,
             "INSERT INTO task_types (name, billing_type, base_cost_per_second)"
             " VALUES ('x', 'per_unit', 0.1)")
    rejected(studio.conn, errors.CheckViolation,
             "INSERT INTO task_types (name, billing_type, unit_cost) VALUES ('x', 'per_second', 1)")
    studio.execute("INSERT INTO task_types (name, billing_type, unit_cost, cost_factors)"
                   " VALUES ('upscale_4k', 'per_unit', 0.02, '{\"resolution\": {\"4k\": 2}}')")
    rejected(studio.conn, errors.UniqueViolation,
             "INSERT INTO task_types (name, billing_type, unit_cost) VALUES ('upscale_4k', 'per_unit', 1)")
    assert ("task_types", ("name",)) in expect.unique_constraints(studio.conn)


def test_every_index_by_name_and_definition(studio: Studio) -> None:
    actual = expect.indexes(studio.conn)
    problems = [
        f"{name}: expected {wanted}, got {actual.get(name)}"
        for name, wanted in expect.STUDIO_INDEXES.items()
        if actual.get(name) != wanted
    ]
    assert problems == []
    # the CONCURRENTLY builds (a no-transaction file) left no INVALID index behind
    assert studio.all("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid") == []


def test_variant_sync_and_other_triggers_by_name_and_table(studio: Studio) -> None:
    actual = expect.triggers(studio.conn)
    assert len(expect.VARIANT_SYNC_TRIGGERS) == 5
    problems = [
        f"{name}: expected {wanted}, got {actual.get(name)}"
        for name, wanted in expect.STUDIO_TRIGGERS.items()
        if actual.get(name) != wanted
    ]
    assert problems == []


def test_functions_with_the_seed_signatures(studio: Studio) -> None:
    actual = expect.functions(studio.conn)
    for name, (args, result) in expect.STUDIO_FUNCTIONS.items():
        assert name in actual, f"function {name} missing"
        assert (actual[name]["args"], actual[name]["result"]) == (args, result), name
    # with_position may be left out
    assert studio.one(
        "SELECT pg_get_function_arguments('public.add_generation_to_shot'::regproc)"
    ).endswith("with_position boolean DEFAULT true")
    # SECURITY DEFINER functions pin their search_path (and so do the others)
    for name, info in actual.items():
        assert any(c.startswith("search_path=") for c in info["config"]), name
    definers = {name for name, info in actual.items() if info["security_definer"]}
    assert definers == {"handle_new_user", "apply_credits_ledger_entry"}


def test_rls_is_enabled_on_every_table(studio: Studio) -> None:
    flags = expect.rls_enabled(studio.conn)
    assert set(flags) == set(expect.STUDIO_COLUMNS)
    assert [table for table, on in flags.items() if not on] == []
    assert studio.one("SELECT relrowsecurity FROM pg_class WHERE oid = 'storage.objects'::regclass")


def test_policies_per_table(studio: Studio) -> None:
    actual = expect.policies(studio.conn)
    for key, wanted in expect.STUDIO_POLICIES.items():
        assert actual.get(key) == wanted, key
    # every public table has at least one policy
    for table in expect.STUDIO_COLUMNS:
        assert actual.get(("public", table)), f"{table} has no policy"
    # owner policies compare auth.uid() with the owner column
    qual = studio.one("SELECT qual FROM pg_policies WHERE tablename = 'projects'"
                      " AND policyname = 'Users can view own projects'")
    assert qual == "(auth.uid() = user_id)"
    assert studio.one("SELECT qual FROM pg_policies WHERE tablename = 'resources'"
                      " AND policyname = 'Public can view resources'") == "true"
    # the ledger: readable by its owner, no write policy at all
    assert set(actual[("public", "credits_ledger")].values()) == {
        ("SELECT", frozenset({"authenticated"}))}


def test_realtime_publication_has_exactly_the_four_tables(studio: Studio) -> None:
    assert expect.publication_tables(studio.conn, "supabase_realtime") == expect.REALTIME_TABLES


def test_shot_generations_joins_realtime_in_its_own_migration(pg_url: str) -> None:
    migrate_service("studio", pg_url, to="20250601000000_add_generation_performance_indexes.sql")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert expect.publication_tables(conn, "supabase_realtime") == {"generations", "tasks"}
    migrate_service("studio", pg_url, to="20251023000000_add_shot_generations_to_realtime.sql")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert expect.publication_tables(conn, "supabase_realtime") == {
            "generations", "tasks", "shot_generations"}


def test_storage_buckets(studio: Studio) -> None:
    buckets = dict(studio.all("SELECT id, public FROM storage.buckets"))
    assert buckets == expect.STORAGE_BUCKETS


# ===========================================================================
# accounts
# ===========================================================================

def test_sign_up_creates_the_profile_row(studio: Studio) -> None:
    uid = studio.insert("auth.users", email="new@example.com",
                        raw_user_meta_data={"full_name": "New User"})
    row = studio.one("SELECT email, name, credits, settings FROM users WHERE id = %s", (uid,))
    assert row == ("new@example.com", "New User", 0, {})


# ===========================================================================
# the five variant-sync triggers
# ===========================================================================

def test_legacy_insert_creates_an_original_primary_variant(studio: Studio) -> None:
    project = studio.project(studio.user())
    gen = studio.generation(project, location="https://cdn/a.png", thumbnail_url="https://cdn/a_t.png",
                            params={"prompt": "a cat"}, name="cat")
    variants = studio.all(
        "SELECT id::text, variant_type, is_primary, location, thumbnail_url, params, name,"
        " project_id::text FROM generation_variants WHERE generation_id = %s", (gen,))
    assert len(variants) == 1
    vid, vtype, primary, location, thumb, params, name, vproject = variants[0]
    assert (vtype, primary, location, thumb, params, name, vproject) == (
        "original", True, "https://cdn/a.png", "https://cdn/a_t.png", {"prompt": "a cat"}, "cat",
        project)
    assert studio.gen(gen)["primary_variant_id"] == vid

    # without a location (a generation still being produced): no variant
    pending = studio.generation(project)
    assert studio.variants(pending) == {}
    assert studio.gen(pending)["primary_variant_id"] is None


def test_only_one_primary_variant_per_generation(studio: Studio) -> None:
    project = studio.project(studio.user())
    gen = studio.generation(project, location="orig.png")
    original = studio.primary_of(gen)

    upscaled = studio.variant(gen, "up.png", variant_type="upscaled", is_primary=True)
    assert studio.variants(gen) == {
        original: ("original", False, "orig.png"),
        upscaled: ("upscaled", True, "up.png"),
    }
    assert studio.gen(gen)["primary_variant_id"] == upscaled

    # a non-primary variant changes nothing
    edit = studio.variant(gen, "edit.png", variant_type="edit")
    assert studio.primary_of(gen) == upscaled

    # switching by UPDATE demotes the current primary
    studio.execute("UPDATE generation_variants SET is_primary = true WHERE id = %s", (edit,))
    assert studio.primary_of(gen) == edit
    assert studio.gen(gen)["primary_variant_id"] == edit

    # another generation's primary is untouched
    other = studio.generation(project, location="other.png")
    other_primary = studio.primary_of(other)
    studio.variant(gen, "up2.png", variant_type="upscaled", is_primary=True)
    assert studio.primary_of(other) == other_primary


def test_primary_variant_data_is_synced_to_the_generation(studio: Studio) -> None:
    project = studio.project(studio.user())
    gen = studio.generation(project, location="orig.png", name="first")
    # modern flow: the variant carries the data (project_id comes from the generation)
    upscaled = studio.variant(gen, "up.png", thumbnail_url="up_t.png", params={"scale": 2},
                              name="upscaled x2", variant_type="upscaled", is_primary=True)
    g = studio.gen(gen)
    assert (g["location"], g["thumbnail_url"], g["params"], g["name"], g["primary_variant_id"]) == (
        "up.png", "up_t.png", {"scale": 2}, "upscaled x2", upscaled)
    assert str(studio.one("SELECT project_id FROM generation_variants WHERE id = %s",
                          (upscaled,))) == project

    # editing the primary variant flows to the generation
    studio.execute("UPDATE generation_variants SET location = 'up_v2.png', name = 'v2'"
                   " WHERE id = %s", (upscaled,))
    g = studio.gen(gen)
    assert (g["location"], g["name"]) == ("up_v2.png", "v2")

    # editing a non-primary variant does not
    original = next(v for v, (t, _, _) in studio.variants(gen).items() if t == "original")
    studio.execute("UPDATE generation_variants SET location = 'orig_v2.png' WHERE id = %s",
                   (original,))
    assert studio.gen(gen)["location"] == "up_v2.png"


def test_deleting_the_primary_promotes_the_most_recently_created_variant(studio: Studio) -> None:
    project = studio.project(studio.user())
    gen = studio.generation(project, location="orig.png")
    original = studio.primary_of(gen)
    # inserted out of creation order: promotion follows created_at, not insert order
    newest = studio.variant(gen, "newest.png", variant_type="edit",
                            created_at="2099-01-03T00:00:00Z")
    middle = studio.variant(gen, "middle.png", variant_type="upscaled",
                            created_at="2099-01-02T00:00:00Z")
    primary = studio.variant(gen, "primary.png", variant_type="edit", is_primary=True,
                             created_at="2099-01-01T00:00:00Z")
    assert studio.primary_of(gen) == primary

    studio.execute("DELETE FROM generation_variants WHERE id = %s", (primary,))
    assert studio.primary_of(gen) == newest
    g = studio.gen(gen)
    assert (g["primary_variant_id"], g["location"]) == (newest, "newest.png")

    # deleting a non-primary variant changes nothing
    studio.execute("DELETE FROM generation_variants WHERE id = %s", (original,))
    assert studio.primary_of(gen) == newest

    studio.execute("DELETE FROM generation_variants WHERE id = %s", (newest,))
    assert studio.primary_of(gen) == middle
    assert studio.gen(gen)["location"] == "middle.png"

    # the last one: the generation stays, without a primary variant
    studio.execute("DELETE FROM generation_variants WHERE id = %s", (middle,))
    assert studio.variants(gen) == {}
    assert studio.gen(gen)["primary_variant_id"] is None


def test_generation_updates_sync_to_the_primary_variant(studio: Studio) -> None:
    project = studio.project(studio.user())
    gen = studio.generation(project, location="orig.png")
    original = studio.primary_of(gen)
    edit = studio.variant(gen, "edit.png", variant_type="edit")

    # a legacy writer updates generations directly
    studio.execute("UPDATE generations SET location = 'fixed.png', thumbnail_url = 'fixed_t.png',"
                   " params = '{\"seed\": 7}', name = 'renamed' WHERE id = %s", (gen,))
    row = studio.one("SELECT location, thumbnail_url, params, name, is_primary"
                     " FROM generation_variants WHERE id = %s", (original,))
    assert row == ("fixed.png", "fixed_t.png", {"seed": 7}, "renamed", True)
    assert studio.variants(gen)[edit] == ("edit", False, "edit.png")  # untouched

    # moving the pointer switches the primary variant, whose data wins
    studio.execute("UPDATE generations SET primary_variant_id = %s WHERE id = %s", (edit, gen))
    assert studio.primary_of(gen) == edit
    assert studio.gen(gen)["location"] == "edit.png"
    assert studio.variants(gen)[original] == ("original", False, "fixed.png")

    # a generation finished later by a legacy writer gets its original variant
    later = studio.generation(project)
    studio.execute("UPDATE generations SET location = 'late.png' WHERE id = %s", (later,))
    only = studio.primary_of(later)
    assert studio.variants(later) == {only: ("original", True, "late.png")}
    assert studio.gen(later)["primary_variant_id"] == only


def test_deleting_a_generation_takes_its_variants(studio: Studio) -> None:
    project = studio.project(studio.user())
    gen = studio.generation(project, location="orig.png")
    studio.variant(gen, "up.png", variant_type="upscaled", is_primary=True)
    studio.variant(gen, "edit.png", variant_type="edit")
    studio.execute("DELETE FROM generations WHERE id = %s", (gen,))
    assert studio.one("SELECT count(*) FROM generation_variants") == 0
    # a whole project goes too
    other = studio.generation(project, location="x.png")
    studio.variant(other, "y.png", is_primary=True)
    studio.execute("DELETE FROM projects WHERE id = %s", (project,))
    assert studio.one("SELECT count(*) FROM generations") == 0


# ===========================================================================
# generation relationships: lineage and parent/child
# ===========================================================================

def test_lineage_and_parent_child_relationships(studio: Studio) -> None:
    project = studio.project(studio.user())
    source = studio.generation(project, location="a.png")
    edit = studio.generation(project, location="b.png", based_on=source)
    assert studio.gen(edit)["based_on"] == source

    video = studio.generation(project, type="video", location="travel.mp4")
    seg1 = studio.generation(project, type="video", location="s1.mp4", is_child=True,
                             parent_generation_id=video, child_order=1)
    seg0 = studio.generation(project, type="video", location="s0.mp4", is_child=True,
                             parent_generation_id=video, child_order=0)
    assert studio.gen(video)["children"] == [{"id": seg0, "order": 0}, {"id": seg1, "order": 1}]
    assert studio.gen(seg0)["is_child"] is True
    assert studio.gen(source)["is_child"] is False  # default

    # the gallery shows parents and lineage items, not segments
    gallery = ids(studio.conn, "SELECT id FROM generations WHERE NOT is_child")
    assert gallery == {source, edit, video}

    # a child needs a parent
    rejected(studio.conn, errors.CheckViolation,
             "INSERT INTO generations (project_id, is_child) VALUES (%s, true)", (project,))

    studio.execute("DELETE FROM generations WHERE id = %s", (seg0,))
    assert studio.gen(video)["children"] == [{"id": seg1, "order": 1}]

    # deleting the source keeps the derived item; deleting the parent takes its segments
    studio.execute("DELETE FROM generations WHERE id = %s", (source,))
    assert studio.gen(edit)["based_on"] is None
    studio.execute("DELETE FROM generations WHERE id = %s", (video,))
    assert ids(studio.conn, "SELECT id FROM generations") == {edit}


# ===========================================================================
# shot_data denormalisation
# ===========================================================================

def test_shot_data_follows_shot_generations(studio: Studio) -> None:
    project = studio.project(studio.user())
    s1, s2, s3 = (studio.shot(project, f"s{i}", i) for i in (1, 2, 3))
    g1 = studio.generation(project, location="1.png")
    g2 = studio.generation(project, location="2.png")

    def state(gen: str) -> tuple:
        g = studio.gen(gen)
        return g["shot_data"], g["shot_id"], g["timeline_frame"]

    assert state(g1) == ({}, None, None)

    link1 = studio.link(s1, g1, position=0, timeline_frame=30)
    assert state(g1) == ({s1: 30}, s1, 30)

    link2 = studio.link(s2, g1, timeline_frame=60)
    assert state(g1) == ({s1: 30, s2: 60}, s1, 30)  # the first link stays primary

    studio.execute("UPDATE shot_generations SET timeline_frame = 90 WHERE id = %s", (link2,))
    studio.execute("UPDATE shot_generations SET timeline_frame = 10 WHERE id = %s", (link1,))
    assert state(g1) == ({s1: 10, s2: 90}, s1, 10)

    # moving a link to another shot leaves no stale key
    studio.execute("UPDATE shot_generations SET shot_id = %s WHERE id = %s", (s3, link2))
    assert state(g1) == ({s1: 10, s3: 90}, s1, 10)

    # moving it to another generation updates both generations
    studio.execute("UPDATE shot_generations SET generation_id = %s WHERE id = %s", (g2, link2))
    assert state(g1) == ({s1: 10}, s1, 10)
    assert state(g2) == ({s3: 90}, s3, 90)

    # deleting the primary link falls back to the next one
    studio.link(s2, g1, timeline_frame=5)
    studio.execute("DELETE FROM shot_generations WHERE id = %s", (link1,))
    assert state(g1) == ({s2: 5}, s2, 5)

    # a generation twice in one shot keeps its key until its last link goes
    dup = studio.link(s3, g2, timeline_frame=120)
    studio.execute("DELETE FROM shot_generations WHERE id = %s", (link2,))
    assert state(g2) == ({s3: 120}, s3, 120)
    studio.execute("DELETE FROM shot_generations WHERE id = %s", (dup,))
    assert state(g2) == ({}, None, None)

    # deleting a shot removes it from its generations
    studio.execute("DELETE FROM shots WHERE id = %s", (s2,))
    assert state(g1) == ({}, None, None)

    # an unpositioned link is still an association (null frame)
    studio.link(s1, g1)
    assert state(g1) == ({s1: None}, s1, None)


def test_shot_membership_query_uses_the_gin_index(studio: Studio) -> None:
    project = studio.project(studio.user())
    shot = studio.shot(project)
    members = {studio.generation(project, location=f"{i}.png") for i in range(3)}
    for gen in members:
        studio.link(shot, gen, timeline_frame=0)
    studio.generation(project, location="outside.png")
    assert ids(studio.conn, "SELECT id FROM generations WHERE shot_data ? %s", (shot,)) == members
    with studio.conn.transaction():
        studio.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in studio.all(
            "EXPLAIN SELECT id FROM generations WHERE shot_data ? %s", (shot,)))
    assert "idx_generations_shot_data" in plan


# ===========================================================================
# the six utility functions
# ===========================================================================

def test_add_generation_to_shot(studio: Studio) -> None:
    project = studio.project(studio.user())
    shot = studio.shot(project)
    g1, g2, g3 = (studio.generation(project, location=f"{i}.png") for i in (1, 2, 3))

    def add(gen: str, *with_position: bool) -> tuple:
        args = ", %s" if with_position else ""
        return studio.one(
            f"SELECT id::text, position, timeline_frame FROM add_generation_to_shot(%s, %s{args})",
            (shot, gen, *with_position))

    first = add(g1, True)
    assert first[1:] == (0, 0)
    assert add(g2)[1:] == (1, 50)  # with_position defaults to true

    loose = add(g3, False)
    assert loose[1:] == (None, None)
    assert add(g3, False) == loose  # already associated: returned as is

    placed = add(g3, True)  # the unpositioned link gets positioned
    assert placed == (loose[0], 2, 100)
    assert studio.links(shot) == [(g1, 0, 0), (g2, 1, 50), (g3, 2, 100)]
    assert studio.gen(g3)["shot_data"] == {shot: 100}

    # the same image may appear twice on a timeline
    assert add(g1, True)[1:] == (3, 150)

    other_project = studio.project(studio.user("b@example.com"))
    foreign = studio.generation(other_project, location="f.png")
    rejected(studio.conn, errors.InvalidParameterValue,
             "SELECT add_generation_to_shot(%s, %s, true)", (shot, foreign))
    rejected(studio.conn, errors.NoDataFound,
             "SELECT add_generation_to_shot(gen_random_uuid(), %s, true)", (g1,))


def test_duplicate_shot(studio: Studio) -> None:
    project = studio.project(studio.user())
    a = studio.shot(project, "A", 0)
    b = studio.shot(project, "B", 1, settings={"fps": 16})
    c = studio.shot(project, "C", 2)
    g1, g2, g3 = (studio.generation(project, location=f"{i}.png") for i in (1, 2, 3))
    studio.link(b, g1, position=0, timeline_frame=0)
    studio.link(b, g2, position=1, timeline_frame=50)
    studio.link(b, g3)  # unpositioned

    copy = str(studio.one("SELECT duplicate_shot(%s)", (b,)))
    assert copy not in (a, b, c)
    shots = studio.all('SELECT id::text, name, "order", settings FROM shots ORDER BY "order"')
    assert shots == [
        (a, "A", 0, {}),
        (b, "B", 1, {"fps": 16}),
        (copy, "B (copy)", 2, {"fps": 16}),
        (c, "C", 3, {}),
    ]
    expected_links = [(g1, 0, 0), (g2, 1, 50), (g3, None, None)]
    assert studio.links(copy) == expected_links
    assert studio.links(b) == expected_links  # the original is untouched
    assert studio.gen(g2)["shot_data"] == {b: 50, copy: 50}
    assert studio.gen(g2)["shot_id"] == b

    rejected(studio.conn, errors.NoDataFound, "SELECT duplicate_shot(gen_random_uuid())")


def test_create_shot_with_image(studio: Studio) -> None:
    project = studio.project(studio.user())
    studio.shot(project, "Existing", 0)
    gen = studio.generation(project, location="hero.png")

    shot = str(studio.one("SELECT create_shot_with_image(%s, %s, %s)", (project, "Hero", gen)))
    assert studio.one('SELECT name, "order", project_id::text FROM shots WHERE id = %s',
                      (shot,)) == ("Hero", 1, project)
    assert studio.links(shot) == [(gen, 0, 0)]
    assert studio.gen(gen)["shot_data"] == {shot: 0}

    # atomic: a generation of another project creates no shot at all
    other = studio.generation(studio.project(studio.user("b@example.com")), location="x.png")
    before = studio.one("SELECT count(*) FROM shots")
    rejected(studio.conn, errors.NoDataFound,
             "SELECT create_shot_with_image(%s, 'Nope', %s)", (project, other))
    assert studio.one("SELECT count(*) FROM shots") == before


def test_fix_timeline_spacing(studio: Studio) -> None:
    project = studio.project(studio.user())
    shot = studio.shot(project)
    gens = [studio.generation(project, location=f"{i}.png") for i in range(5)]
    # starts at 10 (not 0), two images on frame 10, a 190-frame gap (> 81)
    for pos, frame in enumerate((10, 10, 200, 230)):
        studio.link(shot, gens[pos], position=pos, timeline_frame=frame)
    studio.link(shot, gens[4])  # unpositioned: not on the timeline

    assert studio.one("SELECT fix_timeline_spacing(%s)", (shot,)) == 4
    assert studio.links(shot) == [
        (gens[0], 0, 0), (gens[1], 1, 1), (gens[2], 2, 82), (gens[3], 3, 112), (gens[4], None, None)]
    assert studio.gen(gens[2])["shot_data"] == {shot: 82}  # the denormalised copy follows

    # nothing left to fix
    assert studio.one("SELECT fix_timeline_spacing(%s)", (shot,)) == 0
    empty = studio.shot(project, "empty", 1)
    assert studio.one("SELECT fix_timeline_spacing(%s)", (empty,)) == 0


def test_count_unpositioned_generations(studio: Studio) -> None:
    project = studio.project(studio.user())
    shot = studio.shot(project)
    other = studio.shot(project, "other", 1)
    g1, g2, g3 = (studio.generation(project, location=f"{i}.png") for i in (1, 2, 3))
    studio.link(shot, g1, position=0, timeline_frame=0)
    studio.link(shot, g2)
    studio.link(shot, g3)
    studio.link(other, g1)

    assert studio.one("SELECT count_unpositioned_generations(%s)", (shot,)) == 2
    assert studio.one("SELECT count_unpositioned_generations(%s)", (other,)) == 1
    studio.execute("SELECT add_generation_to_shot(%s, %s, true)", (shot, g2))
    assert studio.one("SELECT count_unpositioned_generations(%s)", (shot,)) == 1
    assert studio.one("SELECT count_unpositioned_generations(gen_random_uuid())") == 0


# ===========================================================================
# row-level security
# ===========================================================================

def _two_users(studio: Studio) -> dict[str, dict[str, str]]:
    made = {}
    for who in ("a", "b"):
        uid = studio.user(f"{who}@example.com")
        project = studio.project(uid, f"{who}'s project")
        shot = studio.shot(project)
        gen = studio.generation(project, location=f"{who}.png")
        link = studio.link(shot, gen, position=0, timeline_frame=0)
        task = studio.insert("tasks", project_id=project, task_type="single_image")
        studio.execute("INSERT INTO credits_ledger (user_id, amount, type) VALUES (%s, 10, 'stripe')",
                       (uid,))
        batch = studio.insert("training_data_batches", user_id=uid, name="batch")
        made[who] = {"user": uid, "project": project, "shot": shot, "generation": gen,
                     "variant": studio.primary_of(gen), "link": link, "task": str(task),
                     "batch": str(batch)}
    return made


def test_rls_a_user_sees_only_their_own_rows(studio: Studio) -> None:
    data = _two_users(studio)
    reads = {
        "users": ("SELECT id FROM users", "user"),
        "projects": ("SELECT id FROM projects", "project"),
        "shots": ("SELECT id FROM shots", "shot"),
        "generations": ("SELECT id FROM generations", "generation"),
        "generation_variants": ("SELECT id FROM generation_variants", "variant"),
        "shot_generations": ("SELECT id FROM shot_generations", "link"),
        "tasks": ("SELECT id FROM tasks", "task"),
        "training_data_batches": ("SELECT id FROM training_data_batches", "batch"),
    }
    for who, claims_json in (("a", False), ("b", True)):  # both ways PostgREST passes the JWT
        with as_role(studio.conn, "authenticated", data[who]["user"], claims_json=claims_json) as conn:
            assert str(conn.execute("SELECT auth.uid()").fetchone()[0]) == data[who]["user"]
            for table, (query, key) in reads.items():
                assert ids(conn, query) == {data[who][key]}, f"{who} reading {table}"
            assert ids(conn, "SELECT user_id FROM credits_ledger") == {data[who]["user"]}
    # without a session user, authenticated sees nothing
    with as_role(studio.conn, "authenticated") as conn:
        assert ids(conn, "SELECT id FROM projects") == set()


def test_rls_a_user_cannot_write_into_another_users_rows(studio: Studio) -> None:
    data = _two_users(studio)
    a, b = data["a"], data["b"]

    def as_a(query: str, params: tuple = ()) -> psycopg.Cursor:
        with as_role(studio.conn, "authenticated", a["user"]) as conn:
            return conn.execute(query, params)

    # inserts into B's space are refused
    for query, params in (
        ("INSERT INTO projects (user_id, name) VALUES (%s, 'mine now')", (b["user"],)),
        ("INSERT INTO generations (project_id, location) VALUES (%s, 'x.png')", (b["project"],)),
        ("INSERT INTO shots (project_id, name) VALUES (%s, 'x')", (b["project"],)),
        ("INSERT INTO tasks (project_id, task_type) VALUES (%s, 'single_image')", (b["project"],)),
        # linking B's image into A's own shot
        ("INSERT INTO shot_generations (shot_id, generation_id) VALUES (%s, %s)",
         (a["shot"], b["generation"])),
        ("INSERT INTO resources (user_id, url) VALUES (%s, 'lora.safetensors')", (b["user"],)),
        ("INSERT INTO credits_ledger (user_id, amount, type) VALUES (%s, 1000, 'manual')",
         (a["user"],)),
    ):
        with pytest.raises(errors.InsufficientPrivilege):
            as_a(query, params)

    # updates and deletes of B's rows find nothing
    assert as_a("UPDATE generations SET starred = true WHERE id = %s", (b["generation"],)).rowcount == 0
    assert as_a("DELETE FROM projects WHERE id = %s", (b["project"],)).rowcount == 0
    assert as_a("UPDATE users SET settings = '{}' WHERE id = %s", (b["user"],)).rowcount == 0
    assert studio.one("SELECT count(*) FROM projects") == 2

    # B's data is intact; A can work in their own project
    assert as_a("UPDATE generations SET starred = true WHERE id = %s", (a["generation"],)).rowcount == 1
    new = as_a("INSERT INTO generations (project_id, location) VALUES (%s, 'new.png') RETURNING id",
               (a["project"],)).fetchone()[0]
    assert studio.variants(str(new))  # the variant trigger ran under A's policies
    # utility functions run with the caller's rights
    with pytest.raises(errors.NoDataFound):
        as_a("SELECT add_generation_to_shot(%s, %s, true)", (b["shot"], b["generation"]))


def test_rls_anon_cannot_write_and_reads_only_public_rows(studio: Studio) -> None:
    data = _two_users(studio)
    studio.execute("INSERT INTO resources (user_id, type, url) VALUES (%s, 'lora', 'l.safetensors')",
                   (data["a"]["user"],))
    for query, params in (
        ("INSERT INTO projects (user_id, name) VALUES (%s, 'x')", (data["a"]["user"],)),
        ("INSERT INTO generations (project_id, location) VALUES (%s, 'x.png')",
         (data["a"]["project"],)),
        ("INSERT INTO resources (user_id, url) VALUES (%s, 'x')", (data["a"]["user"],)),
        ("INSERT INTO task_types (name, billing_type, unit_cost) VALUES ('x', 'per_unit', 1)", ()),
        ("INSERT INTO storage.objects (bucket_id, name) VALUES ('public', 'x.png')", ()),
    ):
        with pytest.raises(errors.InsufficientPrivilege), as_role(studio.conn, "anon") as conn:
            conn.execute(query, params)
    with as_role(studio.conn, "anon") as conn:
        assert conn.execute("UPDATE generations SET starred = true").rowcount == 0
        assert conn.execute("DELETE FROM shots").rowcount == 0
        for table in ("users", "projects", "generations", "generation_variants", "shots",
                      "shot_generations", "tasks", "credits_ledger", "workers"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
        # public read: resources (the seed's policy) and task types
        assert conn.execute("SELECT count(*) FROM resources").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM task_types").fetchone()[0] >= 2
    assert studio.one("SELECT count(*) FROM generations") == 2


def test_storage_training_data_is_owner_only(studio: Studio) -> None:
    a, b = studio.user("a@example.com"), studio.user("b@example.com")
    studio.execute("INSERT INTO storage.objects (bucket_id, name) VALUES ('public', 'pub/x.png')")
    with as_role(studio.conn, "authenticated", a) as conn:
        conn.execute("INSERT INTO storage.objects (bucket_id, name, owner) VALUES"
                     " ('training-data', %s, %s)", (f"{a}/clip.mp4", a))
        conn.execute("INSERT INTO storage.objects (bucket_id, name) VALUES ('lora_files', %s)",
                     (f"{a}/style.safetensors",))
    with pytest.raises(errors.InsufficientPrivilege), \
            as_role(studio.conn, "authenticated", a) as conn:
        conn.execute("INSERT INTO storage.objects (bucket_id, name) VALUES ('training-data', %s)",
                     (f"{b}/clip.mp4",))
    with as_role(studio.conn, "authenticated", b) as conn:
        visible = {r[0] for r in conn.execute("SELECT name FROM storage.objects").fetchall()}
        assert visible == {"pub/x.png", f"{a}/style.safetensors"}  # not A's training video
        assert conn.execute("DELETE FROM storage.objects WHERE bucket_id = 'training-data'"
                            ).rowcount == 0
    with as_role(studio.conn, "anon") as conn:
        visible = {r[0] for r in conn.execute("SELECT name FROM storage.objects").fetchall()}
        assert visible == {"pub/x.png", f"{a}/style.safetensors"}
    with as_role(studio.conn, "authenticated", a) as conn:
        assert conn.execute("SELECT count(*) FROM storage.objects WHERE bucket_id = 'training-data'"
                            ).fetchone()[0] == 1


# ===========================================================================
# credits
# ===========================================================================

def test_credits_ledger_is_append_only_and_moves_the_balance(studio: Studio) -> None:
    uid = studio.user()
    project = studio.project(uid)
    task = studio.insert("tasks", project_id=project, task_type="single_image")
    studio.execute("INSERT INTO credits_ledger (user_id, amount, type) VALUES (%s, 100, 'stripe')",
                   (uid,))
    entry = studio.insert("credits_ledger", user_id=uid, amount=-12.5, type="spend", task_id=task)
    assert studio.one("SELECT credits FROM users WHERE id = %s", (uid,)) == 87.5

    # not even the owner of the table may rewrite history
    rejected(studio.conn, errors.InsufficientPrivilege,
             "UPDATE credits_ledger SET amount = 0 WHERE id = %s", (entry,))
    rejected(studio.conn, errors.InsufficientPrivilege,
             "DELETE FROM credits_ledger WHERE id = %s", (entry,))

    # users may edit their profile, not their balance
    with as_role(studio.conn, "authenticated", uid) as conn:
        conn.execute("UPDATE users SET settings = '{\"theme\": \"dark\"}' WHERE id = %s", (uid,))
    with pytest.raises(errors.InsufficientPrivilege), \
            as_role(studio.conn, "authenticated", uid) as conn:
        conn.execute("UPDATE users SET credits = 1000000 WHERE id = %s", (uid,))
    assert studio.one("SELECT credits, settings FROM users WHERE id = %s", (uid,)) == (
        87.5, {"theme": "dark"})

    # foreign-key actions still apply: a deleted task is unlinked, a deleted account removed
    studio.execute("DELETE FROM tasks WHERE id = %s", (task,))
    assert studio.one("SELECT task_id FROM credits_ledger WHERE id = %s", (entry,)) is None
    studio.execute("DELETE FROM auth.users WHERE id = %s", (uid,))
    assert studio.one("SELECT count(*) FROM credits_ledger") == 0
    assert studio.one("SELECT count(*) FROM projects") == 0


# ===========================================================================
# data migrations: rows written before the fixes are repaired
# ===========================================================================

def test_backfills_repair_rows_written_before_the_fixes(pg_url: str) -> None:
    migrate_service("studio", pg_url, to="20251101000000_add_shot_data_to_generations.sql")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        old = Studio(conn)
        project = old.project(old.user())
        s1, s2 = old.shot(project, "s1", 0), old.shot(project, "s2", 1)
        gen = old.generation(project, location="legacy.png", name="legacy")
        link = old.link(s1, gen, position=0, timeline_frame=40)
        # the first sync version leaves s1 behind when the link moves
        old.execute("UPDATE shot_generations SET shot_id = %s WHERE id = %s", (s2, link))
        assert set(old.gen(gen)["shot_data"]) == {s1, s2}

    migrate_service("studio", pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        new = Studio(conn)
        g = new.gen(gen)
        assert (g["shot_data"], g["shot_id"], g["timeline_frame"]) == ({s2: 40}, s2, 40)
        # the generation made before variants existed got its original variant
        original = new.primary_of(gen)
        assert new.variants(gen) == {original: ("original", True, "legacy.png")}
        assert g["primary_variant_id"] == original

    # a second run applies nothing and changes nothing
    migrate_service("studio", pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert Studio(conn).gen(gen)["shot_data"] == {s2: 40}


# ===========================================================================
# the Supabase prelude
# ===========================================================================

def _run_prelude(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(PRELUDE.read_text(encoding="utf-8"))


def test_prelude_documents_itself() -> None:
    text = PRELUDE.read_text(encoding="utf-8")
    comments = [line.lstrip("- ") for line in text.splitlines() if line.startswith("--")]
    header = " ".join(" ".join(comments).split()).lower()
    assert "never recorded as a migration" in header
    assert "idempotent" in header
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    assert "CREATE OR REPLACE" not in code.upper()
    assert not re.search(r"\bDROP\b", code, re.IGNORECASE)


def test_prelude_is_idempotent_and_the_service_builds_after_it(pg_url: str) -> None:
    _run_prelude(pg_url)
    _run_prelude(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        roles = {r[0] for r in conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role')")}
        assert roles == {"anon", "authenticated", "service_role"}
        assert conn.execute("SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role'"
                            ).fetchone()[0]
        assert conn.execute("SELECT to_regclass('auth.users'), to_regclass('storage.buckets'),"
                            " to_regclass('storage.objects'), to_regprocedure('auth.uid()')"
                            ).fetchone() == ("auth.users", "storage.buckets", "storage.objects",
                                             "auth.uid()")
        assert expect.publication_tables(conn, "supabase_realtime") == set()
        assert conn.execute("SELECT auth.uid()").fetchone()[0] is None
        with conn.transaction():
            conn.execute("SELECT set_config('request.jwt.claim.sub',"
                         " '00000000-0000-0000-0000-00000000000a', true)")
            assert str(conn.execute("SELECT auth.uid()").fetchone()[0]).endswith("0000a")
        assert conn.execute("SELECT storage.foldername('u1/dir/file.png')").fetchone()[0] == [
            "u1", "dir"]
        # nothing in the history: the prelude is not a migration
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'dbtool%'"
                            ).fetchone()[0] == 0

    migrate_service("studio", pg_url)  # runs the prelude a third time, then every migration
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert expect.tables(conn) == set(expect.STUDIO_COLUMNS)
        assert expect.publication_tables(conn, "supabase_realtime") == expect.REALTIME_TABLES
        assert conn.execute("SELECT count(*) FROM storage.buckets").fetchone()[0] == 3
    _run_prelude(pg_url)  # and once more on the finished service


def test_prelude_never_replaces_existing_objects(pg_url: str) -> None:
    """Pointed at a real Supabase by mistake, the prelude must change nothing."""
    fixed = "11111111-2222-3333-4444-555555555555"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA auth")
        conn.execute("CREATE TABLE auth.users (id uuid PRIMARY KEY, email text,"
                     " raw_user_meta_data jsonb, is_sso_user boolean)")
        conn.execute(f"CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE"
                     f" AS $$ SELECT '{fixed}'::uuid $$")
        conn.execute("CREATE SCHEMA storage")
        conn.execute("CREATE TABLE storage.buckets (id text PRIMARY KEY, name text NOT NULL,"
                     " public boolean, owner_id text)")
        conn.execute("INSERT INTO storage.buckets (id, name, public) VALUES ('avatars', 'avatars', true)")
        conn.execute("CREATE TABLE public.profiles (id uuid PRIMARY KEY)")
        conn.execute("CREATE PUBLICATION supabase_realtime FOR TABLE public.profiles")

    _run_prelude(pg_url)

    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert str(conn.execute("SELECT auth.uid()").fetchone()[0]) == fixed
        assert "is_sso_user" in expect.columns(conn, "users", schema="auth")
        assert "owner_id" in expect.columns(conn, "buckets", schema="storage")
        assert conn.execute("SELECT id FROM storage.buckets").fetchall() == [("avatars",)]
        assert expect.publication_tables(conn, "supabase_realtime") == {"profiles"}
        # what was missing was created
        assert conn.execute("SELECT to_regclass('storage.objects')").fetchone()[0] == "storage.objects"
