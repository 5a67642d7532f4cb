"""What the Postgres services must contain, taken from seeds 002 and 004.

Shared by tests/services/test_scenes.py and tests/services/test_studio.py:
the expected catalog (tables, columns with types, constraints, indexes with
their definitions, triggers, functions, policies, publication, buckets) as
plain data, and the catalog queries that read the same facts from a migrated
database. Types are spelled as PostgreSQL's format_type() reports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Tables dbtool itself may create in a migrated database (its history table).
TOOL_TABLE_PREFIXES = ("dbtool_",)

TIMESTAMP = "timestamp without time zone"
TIMESTAMPTZ = "timestamp with time zone"


@dataclass(frozen=True)
class Column:
    type: str
    nullable: bool = True
    default: str | None = None  # pg_get_expr() of the default, None = no default


@dataclass(frozen=True)
class Check:
    """A CHECK constraint, exercised with a bad and a good row."""

    table: str
    column: str
    bad: Any
    good: Any
    name: str | None = None  # constraint name, when the migrations name it


@dataclass(frozen=True)
class ForeignKey:
    table: str
    column: str
    ref_table: str  # schema-qualified when outside public
    ref_column: str
    on_delete: str = "NO ACTION"


@dataclass(frozen=True)
class Trigger:
    table: str  # schema-qualified when outside public
    timing: str  # BEFORE / AFTER
    events: frozenset[str]  # INSERT, UPDATE, DELETE; "UPDATE OF a, b" for column lists
    function: str


# ---------------------------------------------------------------------------
# scenes (seed 002)
# ---------------------------------------------------------------------------

SCENE_STATUSES = (
    "pending_payment",
    "generating",
    "completed",
    "failed",
    "moderation_rejected",
    "rate_limited",
    "api_error",
    "timeout",
)

PROMPT_OUTCOMES = (
    "pending",
    "generating",
    "success",
    "moderation_rejected",
    "rate_limited",
    "api_error",
    "timeout",
    "abandoned",
)

SCENES_COLUMNS: dict[str, dict[str, Column]] = {
    "scenes": {
        "id": Column("integer", False, "nextval('scenes_id_seq'::regclass)"),
        "parent_id": Column("integer"),
        "slot": Column("character(1)"),
        "prompt_id": Column("integer"),
        "video_job_id": Column("text"),
        "creator_address": Column("text"),
        "creator_fid": Column("integer"),
        "transaction_hash": Column("text"),
        "status": Column("character varying(50)"),
        "error_message": Column("text"),
        "last_polled_at": Column(TIMESTAMP),
        "locked_until": Column(TIMESTAMP),
        "locked_by_address": Column("text"),
        "locked_by_fid": Column("integer"),
        "generation_attempts": Column("integer", True, "0"),
        "first_attempt_at": Column(TIMESTAMP),
        "created_at": Column(TIMESTAMP, True, "now()"),
        "updated_at": Column(TIMESTAMP, True, "now()"),
    },
    "prompts": {
        "id": Column("integer", False, "nextval('prompts_id_seq'::regclass)"),
        "scene_id": Column("integer", False),
        "prompt_text": Column("text", False),
        "video_job_id": Column("text"),
        "outcome": Column("character varying(50)"),
        "error_message": Column("text"),
        "submitted_at": Column(TIMESTAMP, True, "now()"),
        "completed_at": Column(TIMESTAMP),
    },
}

SCENES_INDEXES: dict[str, tuple[str, str]] = {
    # name: (table, definition after "ON public.<table> ")
    "idx_scenes_parent_id": ("scenes", "USING btree (parent_id)"),
    "idx_scenes_slot": ("scenes", "USING btree (slot)"),
    "idx_scenes_status": ("scenes", "USING btree (status)"),
    "idx_scenes_locked_until": ("scenes", "USING btree (locked_until)"),
    "idx_scenes_transaction_hash": ("scenes", "USING btree (transaction_hash)"),
    "idx_scenes_prompt_id": ("scenes", "USING btree (prompt_id)"),
    "idx_scenes_video_job_id": ("scenes", "USING btree (video_job_id)"),
    "idx_prompts_scene_id": ("prompts", "USING btree (scene_id)"),
    "idx_prompts_video_job_id": ("prompts", "USING btree (video_job_id)"),
    "idx_prompts_outcome": ("prompts", "USING btree (outcome)"),
}

SCENES_UNIQUES: dict[str, tuple[str, ...]] = {
    "scenes": ("transaction_hash",),
}

SCENES_FOREIGN_KEYS: tuple[ForeignKey, ...] = (
    ForeignKey("scenes", "parent_id", "scenes", "id"),
    ForeignKey("scenes", "prompt_id", "prompts", "id"),
    ForeignKey("prompts", "scene_id", "scenes", "id"),
)

# ---------------------------------------------------------------------------
# studio (seed 004)
# ---------------------------------------------------------------------------

UUID_PK = Column("uuid", False, "gen_random_uuid()")
CREATED = Column(TIMESTAMPTZ, False, "now()")
JSONB_OBJECT = Column("jsonb", False, "'{}'::jsonb")

STUDIO_COLUMNS: dict[str, dict[str, Column]] = {
    "users": {
        # mirrors auth.users: same id, no default of its own
        "id": Column("uuid", False),
        "email": Column("text"),
        "name": Column("text"),
        "settings": JSONB_OBJECT,
        "onboarding": JSONB_OBJECT,
        "credits": Column("numeric(14,3)", False, "0"),
        "created_at": CREATED,
        "updated_at": CREATED,
    },
    "projects": {
        "id": UUID_PK,
        "user_id": Column("uuid", False),
        "name": Column("text", False),
        "settings": JSONB_OBJECT,
        "created_at": CREATED,
        "updated_at": CREATED,
    },
    "shots": {
        "id": UUID_PK,
        "project_id": Column("uuid", False),
        "name": Column("text", False),
        "order": Column("integer", False, "0"),
        "settings": JSONB_OBJECT,
        "created_at": CREATED,
        "updated_at": CREATED,
    },
    "generations": {
        "id": UUID_PK,
        "project_id": Column("uuid", False),
        "type": Column("text", False, "'image'::text"),
        "location": Column("text"),
        "thumbnail_url": Column("text"),
        "params": Column("jsonb", True, "'{}'::jsonb"),
        "task_id": Column("uuid"),
        "name": Column("text"),
        "starred": Column("boolean", False, "false"),
        # relationship 1: lineage
        "based_on": Column("uuid"),
        # relationship 2: parent / child
        "parent_generation_id": Column("uuid"),
        "is_child": Column("boolean", False, "false"),
        "child_order": Column("integer"),
        "children": Column("jsonb", False, "'[]'::jsonb"),
        # relationship 3: variants
        "primary_variant_id": Column("uuid"),
        # shot denormalisation
        "shot_data": JSONB_OBJECT,
        "shot_id": Column("uuid"),
        "timeline_frame": Column("integer"),
        "created_at": CREATED,
        "updated_at": CREATED,
    },
    "generation_variants": {
        "id": UUID_PK,
        "generation_id": Column("uuid", False),
        "project_id": Column("uuid", False),
        "location": Column("text", False),
        "thumbnail_url": Column("text"),
        "params": JSONB_OBJECT,
        "name": Column("text"),
        "variant_type": Column("text", False, "'original'::text"),
        "is_primary": Column("boolean", False, "false"),
        "created_at": CREATED,
        "updated_at": CREATED,
    },
    "tasks": {
        "id": UUID_PK,
        "project_id": Column("uuid", False),
        "task_type": Column("text", False),
        "status": Column("text", False, "'queued'::text"),
        "params": JSONB_OBJECT,
        "output_location": Column("text"),
        "worker_id": Column("uuid"),
        "dependant_on": Column("uuid"),
        "attempts": Column("integer", False, "0"),
        "error_message": Column("text"),
        "generation_started_at": Column(TIMESTAMPTZ),
        "generation_processed_at": Column(TIMESTAMPTZ),
        "created_at": CREATED,
        "updated_at": CREATED,
    },
    "credits_ledger": {
        "id": UUID_PK,
        "user_id": Column("uuid", False),
        "task_id": Column("uuid"),
        "amount": Column("numeric(14,3)", False),
        "type": Column("text", False),
        "metadata": JSONB_OBJECT,
        "created_at": CREATED,
    },
    "task_types": {
        "id": UUID_PK,
        "name": Column("text", False),
        "display_name": Column("text"),
        "category": Column("text"),
        "billing_type": Column("text", False, "'per_second'::text"),
        "base_cost_per_second": Column("numeric(10,4)"),
        "unit_cost": Column("numeric(10,4)"),
        "cost_factors": JSONB_OBJECT,
        "is_active": Column("boolean", False, "true"),
        "created_at": CREATED,
        "updated_at": CREATED,
    },
    "resources": {
        "id": UUID_PK,
        "user_id": Column("uuid", False),
        "type": Column("text", False, "'lora'::text"),
        "name": Column("text"),
        "url": Column("text"),
        "metadata": JSONB_OBJECT,
        "created_at": CREATED,
    },
    "training_data_batches": {
        "id": UUID_PK,
        "user_id": Column("uuid", False),
        "name": Column("text", False),
        "metadata": JSONB_OBJECT,
        "created_at": CREATED,
    },
    "training_data": {
        "id": UUID_PK,
        "batch_id": Column("uuid", False),
        "filename": Column("text", False),
        "url": Column("text", False),
        "metadata": JSONB_OBJECT,
        "created_at": CREATED,
    },
    "training_data_segments": {
        "id": UUID_PK,
        "video_id": Column("uuid", False),
        "start_time": Column("integer", False),
        "end_time": Column("integer", False),
        "description": Column("text"),
        "metadata": JSONB_OBJECT,
        "created_at": CREATED,
    },
    "workers": {
        "id": UUID_PK,
        "name": Column("text"),
        "status": Column("text", False, "'inactive'::text"),
        "last_heartbeat": Column(TIMESTAMPTZ),
        "metadata": JSONB_OBJECT,
        "created_at": CREATED,
    },
    "shot_generations": {
        "id": UUID_PK,
        "shot_id": Column("uuid", False),
        "generation_id": Column("uuid", False),
        "position": Column("integer"),  # NULL = unpositioned
        "timeline_frame": Column("integer"),
        "metadata": JSONB_OBJECT,
        "created_at": CREATED,
    },
}

STUDIO_FOREIGN_KEYS: tuple[ForeignKey, ...] = (
    ForeignKey("users", "id", "auth.users", "id", "CASCADE"),
    ForeignKey("projects", "user_id", "users", "id", "CASCADE"),
    ForeignKey("shots", "project_id", "projects", "id", "CASCADE"),
    ForeignKey("generations", "project_id", "projects", "id", "CASCADE"),
    ForeignKey("generations", "task_id", "tasks", "id", "SET NULL"),
    ForeignKey("generations", "based_on", "generations", "id", "SET NULL"),
    ForeignKey("generations", "parent_generation_id", "generations", "id", "CASCADE"),
    ForeignKey("generations", "primary_variant_id", "generation_variants", "id", "SET NULL"),
    ForeignKey("generations", "shot_id", "shots", "id", "SET NULL"),
    ForeignKey("generation_variants", "generation_id", "generations", "id", "CASCADE"),
    ForeignKey("generation_variants", "project_id", "projects", "id", "CASCADE"),
    ForeignKey("tasks", "project_id", "projects", "id", "CASCADE"),
    ForeignKey("tasks", "worker_id", "workers", "id", "SET NULL"),
    ForeignKey("tasks", "dependant_on", "tasks", "id", "SET NULL"),
    ForeignKey("credits_ledger", "user_id", "users", "id", "CASCADE"),
    ForeignKey("credits_ledger", "task_id", "tasks", "id", "SET NULL"),
    ForeignKey("resources", "user_id", "users", "id", "CASCADE"),
    ForeignKey("training_data_batches", "user_id", "users", "id", "CASCADE"),
    ForeignKey("training_data", "batch_id", "training_data_batches", "id", "CASCADE"),
    ForeignKey("training_data_segments", "video_id", "training_data", "id", "CASCADE"),
    ForeignKey("shot_generations", "shot_id", "shots", "id", "CASCADE"),
    ForeignKey("shot_generations", "generation_id", "generations", "id", "CASCADE"),
)

STUDIO_UNIQUES: dict[str, tuple[str, ...]] = {
    "task_types": ("name",),
}

STUDIO_CHECKS: tuple[Check, ...] = (
    Check("tasks", "status", "Queued", "in_progress", "tasks_status_check"),
    Check("workers", "status", "busy", "active", "workers_status_check"),
    Check("task_types", "billing_type", "per_minute", "per_unit", "task_types_billing_type_check"),
    Check("credits_ledger", "type", "gift", "refund", "credits_ledger_type_check"),
    Check("shot_generations", "timeline_frame", -1, 0, "shot_generations_timeline_frame_check"),
    Check("training_data_segments", "end_time", 5, 20, "training_data_segments_range_check"),
)

STUDIO_INDEXES: dict[str, tuple[str, str]] = {
    # the seed's "Key Performance Indexes", exactly as listed
    "idx_generations_project_created_desc": (
        "generations", "USING btree (project_id, created_at DESC)"),
    "idx_generations_project_starred_created": (
        "generations", "USING btree (project_id, starred, created_at)"),
    "idx_generations_based_on": (
        "generations", "USING btree (based_on) WHERE (based_on IS NOT NULL)"),
    "idx_generations_primary_variant": ("generations", "USING btree (primary_variant_id)"),
    "idx_generations_shot_id": ("generations", "USING btree (shot_id)"),
    "idx_shot_generations_shot_id_position": (
        "shot_generations", 'USING btree (shot_id, "position")'),
    "idx_generation_variants_generation_id": (
        "generation_variants", "USING btree (generation_id)"),
    "idx_generation_variants_project_id": ("generation_variants", "USING btree (project_id)"),
    # `generations.shot_data ? 'shot-uuid'` is indexed
    "idx_generations_shot_data": ("generations", "USING gin (shot_data)"),
    # supporting indexes (foreign keys, queue polling, children)
    "idx_generations_task_id": ("generations", "USING btree (task_id)"),
    "idx_generations_parent_generation_id": (
        "generations",
        "USING btree (parent_generation_id, child_order) WHERE (parent_generation_id IS NOT NULL)"),
    "idx_projects_user_id": ("projects", "USING btree (user_id)"),
    "idx_shots_project_id_order": ("shots", 'USING btree (project_id, "order")'),
    "idx_shot_generations_generation_id": ("shot_generations", "USING btree (generation_id)"),
    "idx_tasks_project_id": ("tasks", "USING btree (project_id)"),
    "idx_tasks_status_created": ("tasks", "USING btree (status, created_at)"),
    "idx_tasks_worker_id": ("tasks", "USING btree (worker_id)"),
    "idx_workers_status_heartbeat": ("workers", "USING btree (status, last_heartbeat)"),
    "idx_credits_ledger_user_id_created": (
        "credits_ledger", "USING btree (user_id, created_at DESC)"),
    "idx_credits_ledger_task_id": ("credits_ledger", "USING btree (task_id)"),
    "idx_resources_user_id": ("resources", "USING btree (user_id)"),
    "idx_resources_type": ("resources", "USING btree (type)"),
    "idx_training_data_batches_user_id": ("training_data_batches", "USING btree (user_id)"),
    "idx_training_data_batch_id": ("training_data", "USING btree (batch_id)"),
    "idx_training_data_segments_video_id": ("training_data_segments", "USING btree (video_id)"),
}

# The seed's five variant-sync triggers, then the others.
VARIANT_SYNC_TRIGGERS: dict[str, Trigger] = {
    "trg_handle_variant_primary_switch": Trigger(
        "generation_variants", "BEFORE", frozenset({"INSERT", "UPDATE OF is_primary"}),
        "handle_variant_primary_switch"),
    "trg_sync_generation_from_variant": Trigger(
        "generation_variants", "AFTER", frozenset({"INSERT", "UPDATE"}),
        "sync_generation_from_variant"),
    "trg_auto_create_variant_after_generation": Trigger(
        "generations", "AFTER", frozenset({"INSERT"}), "auto_create_variant_after_generation"),
    "trg_sync_variant_from_generation": Trigger(
        "generations", "AFTER", frozenset({"UPDATE"}), "sync_variant_from_generation"),
    "trg_handle_variant_deletion": Trigger(
        "generation_variants", "BEFORE", frozenset({"DELETE"}), "handle_variant_deletion"),
}

STUDIO_TRIGGERS: dict[str, Trigger] = {
    **VARIANT_SYNC_TRIGGERS,
    "trg_sync_shot_to_generation": Trigger(
        "shot_generations", "AFTER",
        frozenset({"INSERT", "DELETE", "UPDATE OF shot_id, generation_id, timeline_frame"}),
        "sync_shot_to_generation"),
    "trg_sync_parent_children": Trigger(
        "generations", "AFTER",
        frozenset({"INSERT", "DELETE", "UPDATE OF parent_generation_id, child_order"}),
        "sync_parent_children"),
    "trg_apply_credits_ledger_entry": Trigger(
        "credits_ledger", "AFTER", frozenset({"INSERT"}), "apply_credits_ledger_entry"),
    "trg_prevent_credits_ledger_changes": Trigger(
        "credits_ledger", "BEFORE", frozenset({"UPDATE", "DELETE"}),
        "prevent_credits_ledger_changes"),
    "on_auth_user_created": Trigger("auth.users", "AFTER", frozenset({"INSERT"}), "handle_new_user"),
    **{
        f"trg_{table}_set_updated_at": Trigger(table, "BEFORE", frozenset({"UPDATE"}), "set_updated_at")
        for table in ("users", "projects", "shots", "tasks", "generations",
                      "generation_variants", "task_types")
    },
}

# name: (identity arguments, result type)
STUDIO_FUNCTIONS: dict[str, tuple[str, str]] = {
    # the seed's utility functions, with its parameter names
    "add_generation_to_shot": (
        "shot_id uuid, generation_id uuid, with_position boolean", "shot_generations"),
    "duplicate_shot": ("shot_id uuid", "uuid"),
    "create_shot_with_image": ("project_id uuid, name text, generation_id uuid", "uuid"),
    "sync_shot_to_generation": ("", "trigger"),
    "fix_timeline_spacing": ("shot_id uuid", "integer"),
    "count_unpositioned_generations": ("shot_id uuid", "integer"),
    # trigger functions
    "handle_variant_primary_switch": ("", "trigger"),
    "sync_generation_from_variant": ("", "trigger"),
    "auto_create_variant_after_generation": ("", "trigger"),
    "sync_variant_from_generation": ("", "trigger"),
    "handle_variant_deletion": ("", "trigger"),
    "sync_parent_children": ("", "trigger"),
    "set_updated_at": ("", "trigger"),
    "handle_new_user": ("", "trigger"),
    "apply_credits_ledger_entry": ("", "trigger"),
    "prevent_credits_ledger_changes": ("", "trigger"),
}

# (schema, table): {policy name: (command, roles)}
STUDIO_POLICIES: dict[tuple[str, str], dict[str, tuple[str, frozenset[str]]]] = {
    ("public", "users"): {
        "Users can view own profile": ("SELECT", frozenset({"authenticated"})),
        "Users can update own profile": ("UPDATE", frozenset({"authenticated"})),
    },
    ("public", "projects"): {
        "Users can view own projects": ("SELECT", frozenset({"authenticated"})),
        "Users can create own projects": ("INSERT", frozenset({"authenticated"})),
        "Users can update own projects": ("UPDATE", frozenset({"authenticated"})),
        "Users can delete own projects": ("DELETE", frozenset({"authenticated"})),
    },
    ("public", "shots"): {
        "Users can manage shots in own projects": ("ALL", frozenset({"authenticated"})),
    },
    ("public", "generations"): {
        "Users can manage generations in own projects": ("ALL", frozenset({"authenticated"})),
    },
    ("public", "generation_variants"): {
        "Users can manage variants in own projects": ("ALL", frozenset({"authenticated"})),
    },
    ("public", "tasks"): {
        "Users can manage tasks in own projects": ("ALL", frozenset({"authenticated"})),
    },
    ("public", "shot_generations"): {
        "Users can manage shot generations in own projects": (
            "ALL", frozenset({"authenticated"})),
    },
    ("public", "credits_ledger"): {
        "Users can view own credit transactions": ("SELECT", frozenset({"authenticated"})),
    },
    ("public", "task_types"): {
        "Anyone can view task types": ("SELECT", frozenset({"anon", "authenticated"})),
    },
    ("public", "workers"): {
        "Service role manages workers": ("ALL", frozenset({"service_role"})),
    },
    ("public", "resources"): {
        # the seed's example, verbatim
        "Public can view resources": ("SELECT", frozenset({"public"})),
        "Users can create own resources": ("INSERT", frozenset({"authenticated"})),
        "Users can update own resources": ("UPDATE", frozenset({"authenticated"})),
        "Users can delete own resources": ("DELETE", frozenset({"authenticated"})),
    },
    ("public", "training_data_batches"): {
        "Users can view own training batches": ("SELECT", frozenset({"authenticated"})),
        "Users can create own training batches": ("INSERT", frozenset({"authenticated"})),
        "Users can update own training batches": ("UPDATE", frozenset({"authenticated"})),
        "Users can delete own training batches": ("DELETE", frozenset({"authenticated"})),
    },
    ("public", "training_data"): {
        "Users can manage training videos in own batches": ("ALL", frozenset({"authenticated"})),
    },
    ("public", "training_data_segments"): {
        "Users can manage segments of own training videos": (
            "ALL", frozenset({"authenticated"})),
    },
    ("storage", "objects"): {
        "Public read access for public bucket": ("SELECT", frozenset({"public"})),
        "Users can upload to own folder in public bucket": ("INSERT", frozenset({"authenticated"})),
        "Users can view own training data files": ("SELECT", frozenset({"authenticated"})),
        "Users can upload own training data files": ("INSERT", frozenset({"authenticated"})),
        "Users can update own training data files": ("UPDATE", frozenset({"authenticated"})),
        "Users can delete own training data files": ("DELETE", frozenset({"authenticated"})),
        "Public read access for lora files": ("SELECT", frozenset({"public"})),
        "Users can upload own lora files": ("INSERT", frozenset({"authenticated"})),
        "Users can delete own lora files": ("DELETE", frozenset({"authenticated"})),
    },
}

REALTIME_TABLES = frozenset({"generations", "generation_variants", "tasks", "shot_generations"})

# bucket id: public flag
STORAGE_BUCKETS = {"public": True, "training-data": False, "lora_files": True}

# The file names the seed and the issue fix.
STUDIO_REQUIRED_FILES = (
    "20251023000000_add_shot_generations_to_realtime.sql",
    "20251201000002_create_variant_sync_triggers.sql",
    "20251209000001_fix_shot_data_sync.sql",
)


# ---------------------------------------------------------------------------
# catalog queries (all take a psycopg connection)
# ---------------------------------------------------------------------------

def is_tool_table(name: str) -> bool:
    return name.startswith(TOOL_TABLE_PREFIXES)


def tables(conn, schema: str = "public") -> set[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
        (schema,),
    ).fetchall()
    return {name for (name,) in rows if not is_tool_table(name)}


def columns(conn, table: str, schema: str = "public") -> dict[str, Column]:
    rows = conn.execute(
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid)
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum
        """,
        (schema, table),
    ).fetchall()
    return {name: Column(typ, nullable, default) for name, typ, nullable, default in rows}


def indexes(conn, schema: str = "public") -> dict[str, tuple[str, str]]:
    """index name -> (table, definition after 'ON <schema>.<table> ')."""
    rows = conn.execute(
        "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = %s",
        (schema,),
    ).fetchall()
    out = {}
    for name, table, indexdef in rows:
        out[name] = (table, indexdef.split(f" ON {schema}.{table} ", 1)[1])
    return out


def foreign_keys(conn, schema: str = "public") -> set[ForeignKey]:
    rows = conn.execute(
        """
        SELECT c.relname, a.attname,
               CASE WHEN rn.nspname = 'public' THEN r.relname
                    ELSE rn.nspname || '.' || r.relname END,
               ra.attname,
               CASE con.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT'
                    WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END
          FROM pg_constraint con
          JOIN pg_class c ON c.oid = con.conrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_class r ON r.oid = con.confrelid
          JOIN pg_namespace rn ON rn.oid = r.relnamespace
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
          JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
         WHERE con.contype = 'f' AND n.nspname = %s AND cardinality(con.conkey) = 1
        """,
        (schema,),
    ).fetchall()
    return {ForeignKey(*row) for row in rows if not is_tool_table(row[0])}


def unique_constraints(conn, schema: str = "public") -> set[tuple[str, tuple[str, ...]]]:
    rows = conn.execute(
        """
        SELECT c.relname,
               array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i)
                       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                      ORDER BY k.i)
          FROM pg_constraint con
          JOIN pg_class c ON c.oid = con.conrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE con.contype = 'u' AND n.nspname = %s
        """,
        (schema,),
    ).fetchall()
    return {(table, tuple(cols)) for table, cols in rows}


def check_constraints(conn, schema: str = "public") -> dict[str, tuple[str, str]]:
    """constraint name -> (table, definition)."""
    rows = conn.execute(
        """
        SELECT con.conname, c.relname, pg_get_constraintdef(con.oid)
          FROM pg_constraint con
          JOIN pg_class c ON c.oid = con.conrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE con.contype = 'c' AND n.nspname = %s
        """,
        (schema,),
    ).fetchall()
    return {name: (table, definition) for name, table, definition in rows}


def triggers(conn) -> dict[str, Trigger]:
    """User triggers on every table (public tables unqualified)."""
    rows = conn.execute(
        """
        SELECT t.tgname,
               CASE WHEN n.nspname = 'public' THEN c.relname
                    ELSE n.nspname || '.' || c.relname END,
               t.tgtype::integer,
               p.proname,
               array(SELECT a.attname FROM unnest(t.tgattr::int2[]) WITH ORDINALITY k(attnum, i)
                       JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum
                      ORDER BY k.i)
          FROM pg_trigger t
          JOIN pg_class c ON c.oid = t.tgrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_proc p ON p.oid = t.tgfoid
         WHERE NOT t.tgisinternal
        """
    ).fetchall()
    out = {}
    for name, table, tgtype, function, update_columns in rows:
        timing = "BEFORE" if tgtype & 2 else ("INSTEAD OF" if tgtype & 64 else "AFTER")
        events = set()
        if tgtype & 4:
            events.add("INSERT")
        if tgtype & 8:
            events.add("DELETE")
        if tgtype & 16:
            events.add(f"UPDATE OF {', '.join(update_columns)}" if update_columns else "UPDATE")
        if tgtype & 32:
            events.add("TRUNCATE")
        out[name] = Trigger(table, timing, frozenset(events), function)
    return out


def functions(conn, schema: str = "public") -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid),
               pg_get_function_result(p.oid), p.prosecdef, coalesce(p.proconfig, '{}')
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = %s
        """,
        (schema,),
    ).fetchall()
    return {
        name: {"args": args, "result": result, "security_definer": secdef, "config": list(config)}
        for name, args, result, secdef, config in rows
    }


def policies(conn) -> dict[tuple[str, str], dict[str, tuple[str, frozenset[str]]]]:
    rows = conn.execute(
        "SELECT schemaname, tablename, policyname, cmd, roles FROM pg_policies"
    ).fetchall()
    out: dict[tuple[str, str], dict[str, tuple[str, frozenset[str]]]] = {}
    for schema, table, name, cmd, roles in rows:
        out.setdefault((schema, table), {})[name] = (cmd, frozenset(roles))
    return out


def rls_enabled(conn, schema: str = "public") -> dict[str, bool]:
    rows = conn.execute(
        "SELECT c.relname, c.relrowsecurity FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
        (schema,),
    ).fetchall()
    return {name: enabled for name, enabled in rows if not is_tool_table(name)}


def publication_tables(conn, publication: str) -> set[str]:
    rows = conn.execute(
        "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = %s",
        (publication,),
    ).fetchall()
    return {table if schema == "public" else f"{schema}.{table}" for schema, table in rows}
