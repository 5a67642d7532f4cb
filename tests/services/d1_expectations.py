"""Table-driven expectations for the five D1 services, and the helpers that check them.

Each service's expectations are written by hand from its seed document (seed 000 for
registry, 001 for api/scores/dictionary, 003 for export), not derived from the migration
files, so a migration that drops or renames something the seed names fails a test.

The checks run against a real SQLite file built by `dbtool migrate` (tests/helpers.py),
opened with `PRAGMA foreign_keys=ON` because D1 always enforces foreign keys.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import REPO, migrate_service

MIGRATIONS = REPO / "migrations"

# Tables every migrated SQLite/D1 database has besides the service's own.
BOOKKEEPING_TABLES = frozenset({"d1_migrations", "dbtool_migrations", "sqlite_sequence"})


# --------------------------------------------------------------------------------------
# Expectation types
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """A CHECK constraint: every `good` value is accepted, every `bad` value rejected."""

    table: str
    column: str
    good: tuple
    bad: tuple


@dataclass(frozen=True)
class FK:
    table: str
    column: str
    ref_table: str
    ref_column: str
    on_delete: str


@dataclass(frozen=True)
class Service:
    name: str
    files: tuple[str, ...]
    # table -> {column: declared type}; the columns the seed names plus keys/timestamps
    tables: dict[str, dict[str, str]]
    # index name -> (table, columns, unique)
    indexes: dict[str, tuple[str, tuple[str, ...], bool]] = field(default_factory=dict)
    # unique constraints (inline UNIQUE, unique indexes and composite primary keys)
    uniques: tuple[tuple[str, tuple[str, ...]], ...] = ()
    checks: tuple[Check, ...] = ()
    # trigger name -> table
    triggers: dict[str, str] = field(default_factory=dict)
    foreign_keys: tuple[FK, ...] = ()
    # one valid row per table, in foreign-key order (parents first)
    sample_rows: tuple[tuple[str, dict], ...] = ()
    # file -> tables it creates; file -> {table: columns it adds with ALTER TABLE}
    creates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    alters: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)


def cols(spec: str) -> dict[str, str]:
    """'id TEXT, n INTEGER' -> {'id': 'TEXT', 'n': 'INTEGER'}."""
    out = {}
    for part in spec.split(","):
        name, _, typ = part.strip().partition(" ")
        out[name] = typ.strip()
    return out


def updated_at_trigger(table: str) -> tuple[str, str]:
    return f"trg_{table}_updated_at", table


# --------------------------------------------------------------------------------------
# registry (seed 000)
# --------------------------------------------------------------------------------------

_PROFILE = "id TEXT, profile_key TEXT, name TEXT, profile_json TEXT, created_at DATETIME, updated_at DATETIME"
_PROFILE_TABLES = ("learned_lighting", "learned_composition", "learned_graphics",
                   "learned_temporal", "learned_technical", "learned_time",
                   "learned_gradient", "learned_camera")
_REGISTRY_UPDATED = ("jobs", "static_colors", "static_sound", "narrative_entries",
                     "interpretations", "learned_blends", "learned_colors", "learned_motion",
                     "learned_audio_semantic", *_PROFILE_TABLES)

REGISTRY = Service(
    name="registry",
    files=(
        "0000_initial.sql",
        "0001_learning_runs.sql",
        "0002_events_and_feedback.sql",
        "0003_learned_knowledge.sql",
        "0004_static_registry.sql",
        "0005_narrative_registry.sql",
        "0006_learned_audio_semantic.sql",
        "0007_learned_time.sql",
        "0008_aspect_coverage.sql",
        "0009_workflow_type.sql",
        "0010_interpretations.sql",
        "0011_learned_gradient_camera.sql",
        "0012_depth_breakdown_and_strength.sql",
    ),
    tables={
        "jobs": cols("id TEXT, prompt TEXT, status TEXT, r2_key TEXT, workflow_type TEXT, "
                     "created_at DATETIME, updated_at DATETIME"),
        "learning_runs": cols("id TEXT, job_id TEXT, prompt TEXT, spec_json TEXT, "
                              "analysis_json TEXT, created_at DATETIME"),
        "events": cols("id TEXT, event_type TEXT, job_id TEXT, payload_json TEXT, created_at DATETIME"),
        "feedback": cols("id TEXT, job_id TEXT, rating INTEGER, created_at DATETIME"),
        "name_reserve": cols("name TEXT, registry TEXT, reserved_at DATETIME"),
        "static_colors": cols("id TEXT, color_key TEXT, r INTEGER, g INTEGER, b INTEGER, "
                              "opacity REAL, name TEXT, depth_breakdown_json TEXT, "
                              "luminance REAL, chroma REAL, updated_at DATETIME"),
        "static_sound": cols("id TEXT, sound_key TEXT, name TEXT, strength_pct REAL, "
                             "depth_breakdown_json TEXT, updated_at DATETIME"),
        "narrative_entries": cols("id TEXT, aspect TEXT, entry_key TEXT, value TEXT, name TEXT, "
                                  "depth_breakdown_json TEXT, updated_at DATETIME"),
        "interpretations": cols("id TEXT, prompt TEXT, instruction_json TEXT, status TEXT, "
                                "created_at DATETIME, updated_at DATETIME"),
        "learned_blends": cols("id TEXT, name TEXT, domain TEXT, output_json TEXT, "
                               "primitive_depths_json TEXT, updated_at DATETIME"),
        "learned_colors": cols("id TEXT, color_key TEXT, r INTEGER, g INTEGER, b INTEGER, "
                               "name TEXT, updated_at DATETIME"),
        "learned_motion": cols("id TEXT, profile_key TEXT, motion_level REAL, motion_trend TEXT, "
                               "name TEXT, motion_direction TEXT, motion_rhythm TEXT, "
                               "updated_at DATETIME"),
        "learned_audio_semantic": cols("id TEXT, profile_key TEXT, role TEXT, mood TEXT, tempo TEXT, "
                                       "name TEXT, depth_breakdown_json TEXT, updated_at DATETIME"),
        **{t: cols(_PROFILE) for t in _PROFILE_TABLES},
    },
    indexes={
        "idx_jobs_status": ("jobs", ("status",), False),
        "idx_jobs_created_at": ("jobs", ("created_at",), False),
        "idx_jobs_workflow_type": ("jobs", ("workflow_type",), False),
        "idx_learning_runs_job_id": ("learning_runs", ("job_id",), False),
        "idx_events_event_type": ("events", ("event_type",), False),
        "idx_events_job_id": ("events", ("job_id",), False),
        "idx_feedback_job_id": ("feedback", ("job_id",), False),
        "idx_interpretations_prompt": ("interpretations", ("prompt",), False),
        "idx_interpretations_status": ("interpretations", ("status",), False),
        "idx_learned_audio_semantic_role": ("learned_audio_semantic", ("role",), False),
    },
    uniques=(
        ("name_reserve", ("name",)),
        ("static_colors", ("color_key",)),
        ("static_sound", ("sound_key",)),
        ("narrative_entries", ("aspect", "entry_key")),
        ("learned_blends", ("domain", "name")),
        ("learned_colors", ("color_key",)),
        ("learned_motion", ("profile_key",)),
        ("learned_audio_semantic", ("profile_key",)),
        *((t, ("profile_key",)) for t in _PROFILE_TABLES),
    ),
    checks=(
        Check("jobs", "status", ("queued", "running", "completed", "failed", "cancelled"),
              ("done", "QUEUED")),
        Check("feedback", "rating", (1, 5), (0, 6)),
        Check("interpretations", "status", ("pending", "resolved", "rejected"), ("unknown",)),
        Check("static_colors", "r", (0, 255), (-1, 256)),
        Check("static_colors", "opacity", (0, 0.5, 1, None), (1.5, -0.1)),
        Check("static_sound", "strength_pct", (0, 42.5, 100, None), (101, -1)),
        Check("learned_colors", "b", (0, 255), (300,)),
    ),
    triggers=dict(updated_at_trigger(t) for t in _REGISTRY_UPDATED),
    foreign_keys=(
        FK("learning_runs", "job_id", "jobs", "id", "SET NULL"),
        FK("events", "job_id", "jobs", "id", "SET NULL"),
        FK("feedback", "job_id", "jobs", "id", "CASCADE"),
        FK("interpretations", "job_id", "jobs", "id", "SET NULL"),
    ),
    sample_rows=(
        ("jobs", {"id": "job-1", "prompt": "a red sunset over the sea", "status": "completed",
                  "r2_key": "videos/job-1.mp4", "workflow_type": "text_to_video"}),
        ("learning_runs", {"id": "run-1", "job_id": "job-1", "prompt": "a red sunset",
                           "spec_json": '{"fps": 24}', "analysis_json": '{"colors": 3}'}),
        ("events", {"id": "ev-1", "event_type": "job.completed", "job_id": "job-1",
                    "payload_json": '{"ms": 1200}'}),
        ("feedback", {"id": "fb-1", "job_id": "job-1", "rating": 4}),
        ("name_reserve", {"name": "Ember Dusk", "registry": "static_colors"}),
        ("static_colors", {"id": "sc-1", "color_key": "ff4500", "r": 255, "g": 69, "b": 0,
                           "opacity": 0.9, "name": "Ember Dusk",
                           "depth_breakdown_json": '{"surface": 0.7}'}),
        ("static_sound", {"id": "ss-1", "sound_key": "rain-1", "name": "rain",
                          "strength_pct": 62.5, "depth_breakdown_json": '{"mid": 0.6}'}),
        ("narrative_entries", {"id": "ne-1", "aspect": "mood", "entry_key": "melancholy",
                               "value": "quiet sadness", "name": "Melancholy"}),
        ("interpretations", {"id": "in-1", "prompt": "make it pop",
                             "instruction_json": '{"saturation": 1.3}', "status": "resolved",
                             "job_id": "job-1"}),
        ("learned_blends", {"id": "lb-1", "name": "Golden Haze", "domain": "color",
                            "output_json": '{"rgb": [250, 200, 90]}',
                            "primitive_depths_json": '{"amber": 0.6}'}),
        ("learned_colors", {"id": "lc-1", "color_key": "fac85a", "r": 250, "g": 200, "b": 90,
                            "name": "Golden Haze"}),
        ("learned_motion", {"id": "lm-1", "profile_key": "slow-pan", "motion_level": 0.2,
                            "motion_trend": "steady", "name": "Slow Pan",
                            "motion_direction": "left", "motion_rhythm": "steady"}),
        ("learned_audio_semantic", {"id": "la-1", "profile_key": "kick-1", "role": "kick",
                                    "mood": "driving", "tempo": "fast", "name": "Kick"}),
        *((t, {"id": f"{t}-1", "profile_key": f"{t}-key", "name": t.title(),
               "profile_json": "{}"}) for t in _PROFILE_TABLES),
    ),
    creates={
        "0000_initial.sql": ("jobs",),
        "0001_learning_runs.sql": ("learning_runs",),
        "0002_events_and_feedback.sql": ("events", "feedback"),
        "0003_learned_knowledge.sql": ("learned_blends", "learned_colors", "learned_motion",
                                       "learned_lighting", "learned_composition",
                                       "learned_graphics", "learned_temporal",
                                       "learned_technical", "name_reserve"),
        "0004_static_registry.sql": ("static_colors", "static_sound"),
        "0005_narrative_registry.sql": ("narrative_entries",),
        "0006_learned_audio_semantic.sql": ("learned_audio_semantic",),
        "0007_learned_time.sql": ("learned_time",),
        "0008_aspect_coverage.sql": (),
        "0009_workflow_type.sql": (),
        "0010_interpretations.sql": ("interpretations",),
        "0011_learned_gradient_camera.sql": ("learned_gradient", "learned_camera"),
        "0012_depth_breakdown_and_strength.sql": (),
    },
    alters={
        "0008_aspect_coverage.sql": {"static_colors": ("luminance", "chroma", "opacity"),
                                     "learned_motion": ("motion_direction", "motion_rhythm")},
        "0009_workflow_type.sql": {"jobs": ("workflow_type",)},
        "0012_depth_breakdown_and_strength.sql": {
            "static_colors": ("depth_breakdown_json",),
            "static_sound": ("depth_breakdown_json", "strength_pct"),
            "narrative_entries": ("depth_breakdown_json",),
            "learned_audio_semantic": ("depth_breakdown_json",),
        },
    },
)

# --------------------------------------------------------------------------------------
# api (seed 001)
# --------------------------------------------------------------------------------------

REPERTOIRE_STATUSES = ("planned", "learning", "polished", "dropped")

API = Service(
    name="api",
    files=(
        "0001_initial_schema.sql",
        "0002_add_sync_device_tracking.sql",
        "0003_add_user_tracking_fields.sql",
        "0004_fix_sync_metadata_schema.sql",
        "0005_add_user_roles.sql",
        "0006_add_live_sync_index.sql",
        "0007_add_sync_metadata_device_info.sql",
        "0008_duplicate_prevention.sql",
        "0008_repertoire_and_annotations.sql",
        "0009_add_goal_progress.sql",
        "0010_add_dropped_status.sql",
    ),
    tables={
        "users": cols("id TEXT, email TEXT, display_name TEXT, auth_provider TEXT, google_id TEXT, "
                      "created_at DATETIME, updated_at DATETIME"),
        "sync_data": cols("id TEXT, user_id TEXT, entity_type TEXT, entity_id TEXT, data TEXT, "
                          "checksum TEXT, created_at DATETIME, updated_at DATETIME, "
                          "deleted_at DATETIME"),
        "sync_metadata": cols("user_id TEXT, last_sync_token TEXT, last_sync_time DATETIME, "
                              "device_count INTEGER"),
        "idempotency_keys": cols("id TEXT, key TEXT, user_id TEXT, request_hash TEXT, "
                                 "response TEXT, created_at DATETIME, expires_at DATETIME"),
        "user_repertoire": cols("id TEXT, user_id TEXT, score_id TEXT, status TEXT, "
                                "difficulty_rating INTEGER, personal_notes TEXT, "
                                "created_at DATETIME, updated_at DATETIME"),
        "score_annotations": cols("id TEXT, user_id TEXT, score_id TEXT, page_number INTEGER, "
                                  "annotation_type TEXT, annotation_data TEXT, "
                                  "created_at DATETIME, updated_at DATETIME"),
        "goal_progress": cols("id TEXT, goal_id TEXT, value REAL, notes TEXT, session_id TEXT, "
                              "recorded_at DATETIME"),
    },
    indexes={
        "idx_sync_data_user_id": ("sync_data", ("user_id",), False),
        "idx_sync_data_entity_type": ("sync_data", ("entity_type",), False),
        "idx_sync_data_updated_at": ("sync_data", ("updated_at",), False),
        "idx_sync_data_user_updated": ("sync_data", ("user_id", "updated_at"), False),
        "idx_sync_data_live": ("sync_data", ("user_id", "entity_type"), False),
        "idx_idempotency_keys_key_user": ("idempotency_keys", ("key", "user_id"), True),
        "idx_idempotency_keys_expires_at": ("idempotency_keys", ("expires_at",), False),
        "idx_idempotency_keys_user_id": ("idempotency_keys", ("user_id",), False),
        "idx_user_repertoire_user_id": ("user_repertoire", ("user_id",), False),
        "idx_user_repertoire_score_id": ("user_repertoire", ("score_id",), False),
        "idx_user_repertoire_status": ("user_repertoire", ("status",), False),
        "idx_user_repertoire_updated_at": ("user_repertoire", ("updated_at",), False),
        "idx_score_annotations_user_score": ("score_annotations", ("user_id", "score_id"), False),
        "idx_score_annotations_score_page": ("score_annotations", ("score_id", "page_number"), False),
        "idx_goal_progress_goal_id": ("goal_progress", ("goal_id",), False),
        "idx_goal_progress_recorded_at": ("goal_progress", ("recorded_at",), False),
        "idx_goal_progress_user_id": ("goal_progress", ("user_id",), False),
    },
    uniques=(
        ("users", ("email",)),
        ("users", ("google_id",)),
        ("sync_data", ("user_id", "entity_type", "entity_id")),
        ("sync_metadata", ("user_id",)),
        ("idempotency_keys", ("key", "user_id")),
        ("user_repertoire", ("user_id", "score_id")),
    ),
    checks=(
        Check("users", "auth_provider", ("magic_link", "google"), ("github", "GOOGLE")),
        Check("users", "role", ("user", "admin"), ("root",)),
        Check("sync_data", "entity_type", ("logbook_entry", "goal", "user_preferences"),
              ("repertoire", "GOAL")),
        Check("user_repertoire", "status", REPERTOIRE_STATUSES, ("archived", "PLANNED", "")),
        Check("user_repertoire", "difficulty_rating", (1, 5, None), (0, 6)),
        Check("score_annotations", "annotation_type",
              ("highlight", "text", "drawing", "measure_bracket"), ("circle", "TEXT")),
        Check("score_annotations", "page_number", (1, 250), (0, -3)),
    ),
    triggers=dict(updated_at_trigger(t) for t in (
        "users", "sync_data", "sync_metadata", "user_repertoire", "score_annotations")),
    foreign_keys=(
        FK("sync_data", "user_id", "users", "id", "CASCADE"),
        FK("idempotency_keys", "user_id", "users", "id", "CASCADE"),
        FK("user_repertoire", "user_id", "users", "id", "CASCADE"),
        FK("score_annotations", "user_id", "users", "id", "CASCADE"),
        FK("goal_progress", "user_id", "users", "id", "CASCADE"),
    ),
    sample_rows=(
        ("users", {"id": "u-1", "email": "clara@example.com", "display_name": "Clara",
                   "auth_provider": "google", "google_id": "g-1001"}),
        ("sync_data", {"id": "sd-1", "user_id": "u-1", "entity_type": "goal", "entity_id": "goal-1",
                       "data": '{"title": "Learn BWV 846", "target_value": 30}',
                       "checksum": "abc123"}),
        ("sync_metadata", {"user_id": "u-1", "last_sync_token": "tok-1",
                           "last_sync_time": "2025-01-02 03:04:05", "device_count": 2}),
        ("idempotency_keys", {"id": "ik-1", "key": "req-1", "user_id": "u-1",
                              "request_hash": "h1", "response": '{"ok": true}',
                              "expires_at": "2099-01-01 00:00:00"}),
        ("user_repertoire", {"id": "ur-1", "user_id": "u-1", "score_id": "score-bwv846",
                             "status": "learning", "difficulty_rating": 3,
                             "personal_notes": "watch the left hand"}),
        ("score_annotations", {"id": "sa-1", "user_id": "u-1", "score_id": "score-bwv846",
                               "page_number": 1, "annotation_type": "highlight",
                               "annotation_data": '{"rect": [1, 2, 3, 4]}'}),
        ("goal_progress", {"id": "gp-1", "goal_id": "goal-1", "user_id": "u-1", "value": 10,
                           "notes": "first week", "session_id": "sess-1"}),
    ),
    creates={
        "0001_initial_schema.sql": ("users", "sync_data", "sync_metadata"),
        "0008_duplicate_prevention.sql": ("idempotency_keys",),
        "0008_repertoire_and_annotations.sql": ("user_repertoire", "score_annotations"),
        "0009_add_goal_progress.sql": ("goal_progress",),
    },
)

# --------------------------------------------------------------------------------------
# scores (seed 001)
# --------------------------------------------------------------------------------------

SCORES = Service(
    name="scores",
    files=(
        "0001_initial_schema.sql",
        "0002_add_slug_pdf_url.sql",
        "0003_add_import_columns.sql",
        "0004_add_processing_details.sql",
        "0005_add_visual_analysis_columns.sql",
        "0006_lowercase_score_enums.sql",
        "0007_lowercase_collection_enums.sql",
        "0008_add_score_search_indexes.sql",
        "0009_add_user_ownership_privacy.sql",
        "0010_create_score_pages_table.sql",
        "0011_create_user_collections_table.sql",
        "0012_create_general_collection.sql",
        "0013_backfill_version_mime_types.sql",
        "0014_update_collections_schema.sql",
        "0015_add_analytics_timestamps.sql",
        "0016_add_user_collection_sharing.sql",
        "0017_canonicalize_composers.sql",
        "0018_add_normalized_id.sql",
    ),
    tables={
        "scores": cols("id TEXT, title TEXT, composer TEXT, instrument TEXT, difficulty TEXT, "
                       "style_period TEXT, source TEXT, tags TEXT, metadata TEXT, "
                       "normalized_id TEXT, created_at DATETIME, updated_at DATETIME"),
        "score_versions": cols("id TEXT, score_id TEXT, format TEXT, r2_key TEXT, "
                               "processing_status TEXT, created_at DATETIME, updated_at DATETIME"),
        "score_pages": cols("id TEXT, score_id TEXT, page_number INTEGER, image_url TEXT, "
                            "thumbnail_url TEXT, created_at DATETIME, updated_at DATETIME"),
        "collections": cols("id TEXT, name TEXT, slug TEXT, score_ids TEXT, is_featured INTEGER, "
                            "created_at DATETIME, updated_at DATETIME"),
        "user_collections": cols("id TEXT, user_id TEXT, name TEXT, slug TEXT, visibility TEXT, "
                                 "score_ids TEXT, created_at DATETIME, updated_at DATETIME"),
        "collection_members": cols("id TEXT, collection_id TEXT, score_id TEXT, display_order INTEGER"),
        "score_analytics": cols("score_id TEXT, view_count INTEGER, download_count INTEGER, "
                                "render_count INTEGER, updated_at DATETIME"),
    },
    indexes={
        "idx_scores_composer": ("scores", ("composer",), False),
        "idx_scores_instrument": ("scores", ("instrument",), False),
        "idx_scores_difficulty": ("scores", ("difficulty",), False),
        "idx_scores_style_period": ("scores", ("style_period",), False),
        "idx_scores_updated_at": ("scores", ("updated_at",), False),
        "idx_scores_slug": ("scores", ("slug",), True),
        "idx_scores_source": ("scores", ("source",), False),
        "idx_scores_import_batch_id": ("scores", ("import_batch_id",), False),
        "idx_scores_instrument_difficulty": ("scores", ("instrument", "difficulty"), False),
        "idx_scores_composer_title": ("scores", ("composer", "title"), False),
        "idx_scores_user_id": ("scores", ("user_id",), False),
        "idx_scores_visibility": ("scores", ("visibility",), False),
        "idx_scores_normalized_id": ("scores", ("normalized_id",), False),
        "idx_score_versions_score_id": ("score_versions", ("score_id",), False),
        "idx_score_versions_processing_status": ("score_versions", ("processing_status",), False),
        "idx_collection_members_score_id": ("collection_members", ("score_id",), False),
        "idx_collections_featured": ("collections", ("is_featured", "display_order"), False),
        "idx_user_collections_visibility": ("user_collections", ("visibility",), False),
        "idx_user_collections_updated_at": ("user_collections", ("updated_at",), False),
        "idx_user_collections_share_token": ("user_collections", ("share_token",), True),
        "idx_score_analytics_view_count": ("score_analytics", ("view_count",), False),
    },
    uniques=(
        ("scores", ("slug",)),
        ("score_pages", ("score_id", "page_number")),
        ("collections", ("slug",)),
        ("user_collections", ("user_id", "slug")),
        ("collection_members", ("collection_id", "score_id")),
        ("score_analytics", ("score_id",)),
    ),
    checks=(
        Check("scores", "instrument", ("piano", "guitar", "both"), ("PIANO", "violin")),
        Check("scores", "difficulty", ("beginner", "intermediate", "advanced"),
              ("BEGINNER", "expert")),
        Check("scores", "style_period",
              ("baroque", "classical", "romantic", "modern", "contemporary", None),
              ("BAROQUE", "renaissance")),
        Check("scores", "source", ("imslp", "upload", "generated", "manual"), ("IMSLP", "scan")),
        Check("scores", "visibility", ("private", "public", "unlisted"), ("secret",)),
        Check("score_versions", "format", ("pdf", "musicxml", "vexflow", "image", "abc"),
              ("PDF", "midi")),
        Check("score_versions", "processing_status",
              ("pending", "processing", "completed", "failed"), ("done", "PENDING")),
        Check("score_pages", "page_number", (1, 40), (0,)),
        Check("collections", "instrument", ("piano", "guitar", "both", None), ("GUITAR",)),
        Check("collections", "difficulty", ("beginner", "intermediate", "advanced", None),
              ("ADVANCED",)),
        Check("collections", "is_featured", (0, 1), (2,)),
        Check("user_collections", "visibility", ("private", "public", "shared"),
              ("PUBLIC", "friends")),
    ),
    triggers=dict(updated_at_trigger(t) for t in (
        "scores", "score_versions", "score_pages", "collections", "user_collections",
        "score_analytics")),
    foreign_keys=(
        FK("score_versions", "score_id", "scores", "id", "CASCADE"),
        FK("score_pages", "score_id", "scores", "id", "CASCADE"),
        FK("collection_members", "score_id", "scores", "id", "CASCADE"),
        FK("collection_members", "collection_id", "collections", "id", "CASCADE"),
        FK("score_analytics", "score_id", "scores", "id", "CASCADE"),
    ),
    sample_rows=(
        ("scores", {"id": "sc-1", "title": "Prelude in C major", "composer": "Johann Sebastian Bach",
                    "instrument": "piano", "difficulty": "intermediate",
                    "style_period": "baroque", "source": "imslp", "slug": "bach-prelude-c",
                    "tags": '["prelude"]', "visibility": "public"}),
        ("score_versions", {"id": "sv-1", "score_id": "sc-1", "format": "pdf",
                            "r2_key": "scores/sc-1.pdf", "processing_status": "completed"}),
        ("score_pages", {"id": "sp-1", "score_id": "sc-1", "page_number": 1,
                         "image_url": "https://cdn.example/sc-1/1.png",
                         "thumbnail_url": "https://cdn.example/sc-1/1-t.png"}),
        ("collections", {"id": "col-1", "name": "Baroque Gems", "slug": "baroque-gems",
                         "score_ids": '["sc-1"]', "is_featured": 1, "instrument": "piano"}),
        ("user_collections", {"id": "uc-1", "user_id": "u-1", "name": "My favourites",
                              "slug": "favourites", "visibility": "private",
                              "score_ids": '["sc-1"]', "share_token": "tok-1"}),
        ("collection_members", {"id": "cm-1", "collection_id": "col-1", "score_id": "sc-1",
                                "display_order": 1}),
        ("score_analytics", {"score_id": "sc-1", "view_count": 10, "download_count": 2,
                             "render_count": 5}),
    ),
    creates={
        "0001_initial_schema.sql": ("scores", "score_versions", "collections",
                                    "collection_members", "score_analytics"),
        "0010_create_score_pages_table.sql": ("score_pages",),
        "0011_create_user_collections_table.sql": ("user_collections",),
    },
    alters={
        "0014_update_collections_schema.sql": {"collections": ("is_featured",)},
        "0018_add_normalized_id.sql": {"scores": ("normalized_id",)},
    },
)

# --------------------------------------------------------------------------------------
# dictionary (seed 001)
# --------------------------------------------------------------------------------------

LANGUAGES = ("en", "es", "fr", "de", "zh-TW", "zh-CN")

DICTIONARY = Service(
    name="dictionary",
    files=(
        "0001_initial_schema.sql",
        "0002_add_embeddings.sql",
        "0003_add_analytics.sql",
        "0004_add_ai_model_usage.sql",
        "0005_add_export_history.sql",
        "0006_add_ai_token_usage.sql",
        "0007_add_review_status.sql",
        "0008_add_queue_tables.sql",
    ),
    tables={
        "dictionary_entries": cols("id TEXT, term TEXT, normalized_term TEXT, lang TEXT, "
                                   "definition TEXT, metadata TEXT, overall_score REAL, "
                                   "created_at DATETIME, updated_at DATETIME"),
        "term_embeddings": cols("id TEXT, entry_id TEXT, embedding BLOB, model TEXT, dimension INTEGER"),
        "search_analytics": cols("id TEXT, term TEXT, normalized_term TEXT, result_count INTEGER, "
                                 "search_type TEXT, searched_at DATETIME"),
        "ai_token_usage": cols("date TEXT, model TEXT, tokens INTEGER, updated_at DATETIME"),
        "seed_queue": cols("id TEXT, term TEXT, normalized_term TEXT, lang TEXT, priority INTEGER, "
                           "status TEXT, attempts INTEGER, updated_at DATETIME"),
        "manual_review_queue": cols("id TEXT, entry_id TEXT, term TEXT, lang TEXT, reason TEXT, "
                                    "status TEXT, updated_at DATETIME"),
        "dead_letter_queue": cols("id TEXT, queue_name TEXT, payload TEXT, error_message TEXT, "
                                  "attempts INTEGER, status TEXT"),
        "user_feedback": cols("id TEXT, entry_id TEXT, user_id TEXT, rating INTEGER, comment TEXT"),
        "related_terms": cols("id TEXT, entry_id TEXT, related_entry_id TEXT, relationship_type TEXT"),
        "ai_model_usage": cols("id TEXT, model TEXT, operation TEXT, tokens_used INTEGER, "
                               "latency_ms INTEGER, success INTEGER"),
        "cache_metrics": cols("id TEXT, cache_type TEXT, bucket_start DATETIME, hits INTEGER, "
                              "misses INTEGER"),
        "daily_statistics": cols("date TEXT, total_searches INTEGER, unique_terms INTEGER, "
                                 "new_entries INTEGER"),
        "export_history": cols("id TEXT, format TEXT, lang TEXT, entry_count INTEGER, r2_key TEXT, "
                               "status TEXT, created_at DATETIME"),
    },
    indexes={
        "idx_dictionary_entries_term": ("dictionary_entries", ("term",), False),
        "idx_dictionary_entries_lang": ("dictionary_entries", ("lang",), False),
        "idx_dictionary_entries_overall_score": ("dictionary_entries", ("overall_score",), False),
        "idx_dictionary_entries_updated_at": ("dictionary_entries", ("updated_at",), False),
        "idx_dictionary_entries_review_status": ("dictionary_entries", ("review_status",), False),
        "idx_related_terms_related_entry_id": ("related_terms", ("related_entry_id",), False),
        "idx_user_feedback_entry_id": ("user_feedback", ("entry_id",), False),
        "idx_term_embeddings_model": ("term_embeddings", ("model",), False),
        "idx_search_analytics_normalized_term": ("search_analytics", ("normalized_term",), False),
        "idx_search_analytics_searched_at": ("search_analytics", ("searched_at",), False),
        "idx_ai_model_usage_model_created": ("ai_model_usage", ("model", "created_at"), False),
        "idx_export_history_created_at": ("export_history", ("created_at",), False),
        "idx_seed_queue_status_priority": ("seed_queue", ("status", "priority"), False),
        "idx_manual_review_queue_status_priority": ("manual_review_queue", ("status", "priority"), False),
        "idx_manual_review_queue_entry_id": ("manual_review_queue", ("entry_id",), False),
        "idx_dead_letter_queue_queue_status": ("dead_letter_queue", ("queue_name", "status"), False),
    },
    uniques=(
        ("dictionary_entries", ("normalized_term", "lang")),
        ("term_embeddings", ("entry_id", "model")),
        ("ai_token_usage", ("date", "model")),
        ("related_terms", ("entry_id", "related_entry_id", "relationship_type")),
        ("cache_metrics", ("cache_type", "bucket_start")),
        ("daily_statistics", ("date",)),
        ("seed_queue", ("normalized_term", "lang")),
    ),
    checks=(
        Check("dictionary_entries", "lang", LANGUAGES, ("it", "zh-tw", "EN", "zh")),
        Check("dictionary_entries", "overall_score", (0, 87.5, 100), (-1, 100.5)),
        Check("dictionary_entries", "type",
              ("tempo", "dynamics", "articulation", "form", "genre", "instrument", "technique",
               "theory", "general"), ("TEMPO", "slang")),
        Check("dictionary_entries", "review_status", ("pending", "approved", "rejected"), ("maybe",)),
        Check("term_embeddings", "dimension", (384, 768), (0, -1)),
        Check("related_terms", "relationship_type",
              ("synonym", "antonym", "related", "see_also", "broader", "narrower"), ("cousin",)),
        Check("user_feedback", "rating", (1, 5), (0, 6)),
        Check("search_analytics", "search_type", ("exact", "fuzzy", "semantic", "prefix"), ("regex",)),
        Check("cache_metrics", "cache_type", ("kv", "memory", "edge"), ("disk",)),
        Check("ai_model_usage", "operation", ("generation", "validation", "enhancement", "embedding"),
              ("training",)),
        Check("export_history", "format", ("json", "csv", "sqlite"), ("xml",)),
        Check("seed_queue", "lang", LANGUAGES, ("it",)),
        Check("seed_queue", "status", ("pending", "processing", "completed", "failed"), ("stuck",)),
        Check("seed_queue", "priority", (1, 10), (0, 11)),
        Check("manual_review_queue", "status", ("pending", "in_review", "approved", "rejected"),
              ("open",)),
        Check("dead_letter_queue", "status", ("failed", "retrying", "resolved", "discarded"),
              ("lost",)),
    ),
    triggers=dict(updated_at_trigger(t) for t in (
        "dictionary_entries", "cache_metrics", "daily_statistics", "ai_token_usage",
        "seed_queue", "manual_review_queue")),
    foreign_keys=(
        FK("term_embeddings", "entry_id", "dictionary_entries", "id", "CASCADE"),
        FK("related_terms", "entry_id", "dictionary_entries", "id", "CASCADE"),
        FK("related_terms", "related_entry_id", "dictionary_entries", "id", "CASCADE"),
        FK("user_feedback", "entry_id", "dictionary_entries", "id", "CASCADE"),
        FK("ai_model_usage", "entry_id", "dictionary_entries", "id", "SET NULL"),
        FK("manual_review_queue", "entry_id", "dictionary_entries", "id", "CASCADE"),
    ),
    sample_rows=(
        ("dictionary_entries", {"id": "de-1", "term": "Allegro", "normalized_term": "allegro",
                                "lang": "en", "type": "tempo",
                                "definition": '{"concise": "fast and lively"}',
                                "metadata": '{"origin": "it"}', "overall_score": 91}),
        ("dictionary_entries", {"id": "de-2", "term": "Presto", "normalized_term": "presto",
                                "lang": "en", "type": "tempo",
                                "definition": '{"concise": "very fast"}', "overall_score": 88}),
        ("term_embeddings", {"id": "te-1", "entry_id": "de-1", "embedding": b"\x00\x00\x80\x3f",
                             "model": "@cf/baai/bge-base-en-v1.5", "dimension": 1}),
        ("related_terms", {"id": "rt-1", "entry_id": "de-1", "related_entry_id": "de-2",
                           "relationship_type": "related", "confidence": 0.8}),
        ("user_feedback", {"id": "uf-1", "entry_id": "de-1", "user_id": "u-1", "rating": 5}),
        ("search_analytics", {"id": "sa-1", "term": "Allegro", "normalized_term": "allegro",
                              "result_count": 1, "search_type": "exact"}),
        ("cache_metrics", {"id": "cm-1", "cache_type": "kv", "bucket_start": "2025-01-01 10:00:00",
                           "hits": 90, "misses": 10}),
        ("daily_statistics", {"date": "2025-01-01", "total_searches": 100, "unique_terms": 40,
                              "new_entries": 3}),
        ("ai_model_usage", {"id": "am-1", "model": "@cf/meta/llama-3.1-8b-instruct",
                            "operation": "generation", "entry_id": "de-1", "tokens_used": 420,
                            "latency_ms": 900, "success": 1}),
        ("export_history", {"id": "eh-1", "format": "json", "lang": "en", "entry_count": 2,
                            "r2_key": "exports/eh-1.json", "status": "completed"}),
        ("ai_token_usage", {"date": "2025-01-01", "model": "@cf/meta/llama-3.1-8b-instruct",
                            "tokens": 1200}),
        ("seed_queue", {"id": "sq-1", "term": "Andante", "normalized_term": "andante",
                        "lang": "en", "priority": 3}),
        ("manual_review_queue", {"id": "mr-1", "entry_id": "de-2", "term": "Presto", "lang": "en",
                                 "reason": "low quality score"}),
        ("dead_letter_queue", {"id": "dl-1", "queue_name": "seed_queue", "message_id": "msg-1",
                               "payload": '{"term": "Largo"}', "error_message": "AI timeout",
                               "attempts": 3}),
    ),
    creates={
        "0001_initial_schema.sql": ("dictionary_entries", "related_terms", "user_feedback"),
        "0002_add_embeddings.sql": ("term_embeddings",),
        "0003_add_analytics.sql": ("search_analytics", "cache_metrics", "daily_statistics"),
        "0004_add_ai_model_usage.sql": ("ai_model_usage",),
        "0005_add_export_history.sql": ("export_history",),
        "0006_add_ai_token_usage.sql": ("ai_token_usage",),
        "0007_add_review_status.sql": (),
        "0008_add_queue_tables.sql": ("seed_queue", "manual_review_queue", "dead_letter_queue"),
    },
    alters={"0007_add_review_status.sql": {"dictionary_entries": ("review_status", "reviewed_at")}},
)

# --------------------------------------------------------------------------------------
# export (seed 003)
# --------------------------------------------------------------------------------------

EXPORT = Service(
    name="export",
    files=("0001_create_export_jobs.sql",),
    tables={
        # Seed 003 states every type: project_id is INTEGER (a project in the app's own SQLite).
        "export_jobs": cols("id TEXT, project_id INTEGER, type TEXT, status TEXT, progress INTEGER, "
                            "input_video_key TEXT, output_video_key TEXT, params TEXT, error TEXT, "
                            "retry_count INTEGER, runpod_job_id TEXT, created_at TEXT, "
                            "started_at TEXT, completed_at TEXT"),
    },
    indexes={
        "idx_export_jobs_project_status": ("export_jobs", ("project_id", "status"), False),
        "idx_export_jobs_status_created": ("export_jobs", ("status", "created_at"), False),
        "idx_export_jobs_runpod": ("export_jobs", ("runpod_job_id",), False),
    },
    uniques=(("export_jobs", ("id",)),),
    checks=(
        Check("export_jobs", "type", ("framing", "overlay", "annotate"), ("crop", "OVERLAY")),
        Check("export_jobs", "status", ("pending", "processing", "complete", "error"),
              ("completed", "failed")),
    ),
    sample_rows=(
        ("export_jobs", {"id": "job-1", "project_id": 7, "type": "overlay",
                         "input_video_key": "input/7.mp4", "params": "{}"}),
    ),
    creates={"0001_create_export_jobs.sql": ("export_jobs",)},
)

SERVICES = {s.name: s for s in (REGISTRY, API, SCORES, DICTIONARY, EXPORT)}


# --------------------------------------------------------------------------------------
# Building and opening databases
# --------------------------------------------------------------------------------------

def build(service: str, db_path: Path, *, to: str | None = None) -> Path:
    """Migrate `service` into the SQLite file `db_path` with dbtool's own CLI."""
    migrate_service(service, f"sqlite:///{db_path}", to=to)
    return db_path


def connect(db_path: Path) -> sqlite3.Connection:
    """Open a migrated database the way D1 runs it: autocommit, foreign keys enforced."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def copy_db(src: Path, dst_dir: Path) -> Path:
    dst = dst_dir / src.name
    shutil.copyfile(src, dst)
    return dst


def insert(conn: sqlite3.Connection, table: str, row: dict) -> None:
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))


def insert_samples(conn: sqlite3.Connection, svc: Service) -> None:
    for table, row in svc.sample_rows:
        insert(conn, table, row)


# --------------------------------------------------------------------------------------
# Catalog queries
# --------------------------------------------------------------------------------------

def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}


def columns(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    return {r[1]: r[2] for r in conn.execute(f"PRAGMA table_info('{table}')")}


def primary_key(conn: sqlite3.Connection, table: str) -> tuple[str, ...]:
    rows = sorted((r[5], r[1]) for r in conn.execute(f"PRAGMA table_info('{table}')") if r[5])
    return tuple(name for _, name in rows)


def index_columns(conn: sqlite3.Connection, index: str) -> tuple[str, ...]:
    return tuple(r[2] for r in conn.execute(f"PRAGMA index_info('{index}')"))


def indexes(conn: sqlite3.Connection, table: str) -> dict[str, tuple[tuple[str, ...], bool, bool]]:
    """name -> (columns, unique, partial) for every index of `table`, automatic ones included."""
    return {r[1]: (index_columns(conn, r[1]), bool(r[2]), bool(r[4]))
            for r in conn.execute(f"PRAGMA index_list('{table}')")}


def unique_column_sets(conn: sqlite3.Connection, table: str) -> set[tuple[str, ...]]:
    out = {cols for cols, unique, partial in indexes(conn, table).values() if unique and not partial}
    pk = primary_key(conn, table)
    if pk:  # a single INTEGER PRIMARY KEY has no index, but is unique all the same
        out.add(pk)
    return out


def triggers(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger'"))


def foreign_keys(conn: sqlite3.Connection, table: str) -> set[tuple[str, str, str, str]]:
    """(from, ref_table, to, on_delete) for each foreign key of `table`."""
    return {(r[3], r[2], r[4], r[6]) for r in conn.execute(f"PRAGMA foreign_key_list('{table}')")}


def referencing(conn: sqlite3.Connection, parent: str) -> list[tuple[str, str, str]]:
    """(child table, child column, on_delete) of every foreign key that points at `parent`."""
    out = []
    for child in tables(conn):
        for column, ref, _, on_delete in foreign_keys(conn, child):
            if ref == parent:
                out.append((child, column, on_delete))
    return sorted(out)


def dump(conn: sqlite3.Connection, table: str) -> list[tuple]:
    return conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


def dump_dicts(conn: sqlite3.Connection, table: str) -> list[dict]:
    cur = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# --------------------------------------------------------------------------------------
# File-level helpers: ordering, statements, D1 rules
# --------------------------------------------------------------------------------------

def migration_files(service: str) -> list[Path]:
    """The service's .sql files in wrangler's order: number before the first '_', then name."""
    def key(path: Path) -> tuple[int, str]:
        return int(path.name.split("_", 1)[0]), path.name
    return sorted((MIGRATIONS / service).glob("*.sql"), key=key)


_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def statements(sql: str) -> list[str]:
    """Split a file into complete statements (trigger bodies stay whole), comments removed."""
    out, buf = [], ""
    # Grow the buffer one ';'-terminated piece at a time: sqlite3.complete_statement knows
    # about strings and trigger bodies, so a ';' inside either does not end the statement.
    for piece in re.split(r"(?<=;)", _COMMENTS.sub("", sql)):
        buf += piece
        if sqlite3.complete_statement(buf):
            if buf.strip().strip(";").strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


D1_PRAGMAS = frozenset({
    "foreign_keys", "defer_foreign_keys", "case_sensitive_like", "ignore_check_constraints",
    "legacy_alter_table", "recursive_triggers", "reverse_unordered_selects", "data_version",
    "page_size", "foreign_key_check", "foreign_key_list", "index_info", "index_list",
    "index_xinfo", "quick_check", "optimize", "table_list", "table_info", "table_xinfo",
})
# Statements are whole (a trigger's BEGIN ... END stays inside its CREATE TRIGGER), so a
# statement that *starts* with one of these words is transaction control.
_TX_CONTROL = re.compile(r"^(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
_ATTACH = re.compile(r"^(ATTACH|DETACH)\b", re.IGNORECASE)
_TEMP = re.compile(r"^CREATE\s+(TEMP|TEMPORARY)\b", re.IGNORECASE)
_PRAGMA = re.compile(r"^PRAGMA\s+(?:\w+\.)?(\w+)\s*(=\s*(\w+))?", re.IGNORECASE)
_CF_NAME = re.compile(r"\b_cf_\w*", re.IGNORECASE)


def d1_violations(path: Path) -> list[str]:
    """What in a migration file D1 would reject (or silently ignore), one message per problem."""
    problems = []
    stmts = statements(path.read_text(encoding="utf-8"))
    if len(stmts) > 100:
        problems.append(f"{len(stmts)} statements; D1 batches hold at most 100")
    for stmt in stmts:
        head = stmt.lstrip()
        first = re.match(r"\w*", head).group(0).upper()
        if _TX_CONTROL.match(head):
            problems.append(f"transaction control: {first}")
        if _ATTACH.match(head):
            problems.append(f"{first} is not supported on D1")
        if _TEMP.match(head):
            problems.append("temporary object")
        if (m := _PRAGMA.match(head)):
            name, value = m.group(1).lower(), (m.group(3) or "").lower()
            if name not in D1_PRAGMAS:
                problems.append(f"PRAGMA {name} is not on D1's allow-list")
            elif name == "foreign_keys" and value in {"off", "0", "false", "no"}:
                problems.append("PRAGMA foreign_keys = off has no effect on D1")
        if _CF_NAME.search(stmt):
            problems.append("name starting with _cf_ (reserved by D1)")
        if len(stmt.encode("utf-8")) >= 100_000:
            problems.append("statement of 100 KB or more")
    return problems


_CREATE_TABLE = re.compile(r"^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\"`]?(\w+)", re.IGNORECASE)
_ALTER_ADD = re.compile(r"^ALTER\s+TABLE\s+[\"`]?(\w+)[\"`]?\s+ADD\s+(?:COLUMN\s+)?[\"`]?(\w+)",
                        re.IGNORECASE)


def created_tables(path: Path) -> set[str]:
    """Tables a file creates, not counting the transient `<table>_new` of a rebuild."""
    out = set()
    for stmt in statements(path.read_text(encoding="utf-8")):
        if (m := _CREATE_TABLE.match(stmt)) and not m.group(1).endswith("_new"):
            out.add(m.group(1))
    return out


def added_columns(path: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for stmt in statements(path.read_text(encoding="utf-8")):
        if (m := _ALTER_ADD.match(stmt)):
            out.setdefault(m.group(1), set()).add(m.group(2))
    return out


# --------------------------------------------------------------------------------------
# Applying files the way D1 does, independently of dbtool's engine
# --------------------------------------------------------------------------------------

def apply_like_d1(conn: sqlite3.Connection, files: Iterable[Path]) -> None:
    """Run each file as one transaction with foreign keys enforced, as wrangler/D1 do.

    Used to prove the rebuild migrations are cascade-safe by themselves, whatever
    dbtool's engine does. `conn` must be in autocommit mode (isolation_level=None).
    """
    conn.execute("PRAGMA foreign_keys = ON")
    for path in files:
        sql = path.read_text(encoding="utf-8")
        try:
            conn.executescript(f"BEGIN;\n{sql}\n;COMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


# --------------------------------------------------------------------------------------
# Table-driven assertions shared by the five service test modules
# --------------------------------------------------------------------------------------

def assert_exact_files(svc: Service) -> None:
    names = [p.name for p in migration_files(svc.name)]
    assert names == list(svc.files), f"{svc.name}: migration files differ from the seed's list"


def assert_file_contents(svc: Service, name: str) -> None:
    """The file creates exactly the tables the seed puts in it and ALTERs in its columns."""
    path = MIGRATIONS / svc.name / name
    if name in svc.creates:
        assert created_tables(path) == set(svc.creates[name]), name
    for table, added in svc.alters.get(name, {}).items():
        assert set(added) <= added_columns(path).get(table, set()), (name, table)


def assert_tables(conn: sqlite3.Connection, svc: Service) -> None:
    """Every table the seed names exists, and nothing else (no leftover *_new or *_old)."""
    assert tables(conn) - BOOKKEEPING_TABLES == set(svc.tables)


def assert_columns(conn: sqlite3.Connection, table: str, expected: dict[str, str]) -> None:
    actual = columns(conn, table)
    missing = set(expected) - set(actual)
    assert not missing, f"{table}: missing columns {sorted(missing)}"
    wrong = {c: (t, actual[c]) for c, t in expected.items() if t and actual[c].upper() != t.upper()}
    assert not wrong, f"{table}: declared types (expected, actual) differ: {wrong}"
    assert len(actual) < 100, f"{table}: {len(actual)} columns; D1 allows fewer than 100"


def assert_index(conn: sqlite3.Connection, name: str, spec: tuple[str, tuple[str, ...], bool]) -> None:
    table, cols_, unique = spec
    found = indexes(conn, table)
    assert name in found, f"index {name} missing on {table}"
    assert found[name][0] == cols_, f"index {name}: columns {found[name][0]} != {cols_}"
    assert found[name][1] == unique, f"index {name}: unique={found[name][1]}, expected {unique}"


def assert_unique(conn: sqlite3.Connection, svc: Service, table: str, ucols: tuple[str, ...]) -> None:
    """Unique by the catalog (pragma index_list) and in behaviour (a duplicate is rejected)."""
    assert ucols in unique_column_sets(conn, table), f"{table}: no unique constraint on {ucols}"
    insert_samples(conn, svc)
    row = dump_dicts(conn, table)[0]
    # Keep the constrained columns; give every other unique/key column a fresh value so the
    # duplicate can only collide on `ucols`.
    others = {c for u in unique_column_sets(conn, table) if u != ucols for c in u} - set(ucols)
    for column in others:
        if isinstance(row[column], str):
            row[column] += "-dup"
    with_expected = ", ".join(f"{table}.{c}" for c in ucols)
    try:
        insert(conn, table, row)
    except sqlite3.IntegrityError as exc:
        assert f"UNIQUE constraint failed: {with_expected}" in str(exc), str(exc)
    else:
        raise AssertionError(f"{table}: duplicate {ucols} was accepted")


def assert_check(conn: sqlite3.Connection, svc: Service, check: Check) -> None:
    """Each good value is accepted and each bad one rejected by a CHECK constraint."""
    insert_samples(conn, svc)
    target = f"rowid = (SELECT min(rowid) FROM {check.table})"
    for value in check.good:
        conn.execute(f"UPDATE {check.table} SET {check.column} = ? WHERE {target}", (value,))
        got = conn.execute(f"SELECT {check.column} FROM {check.table} WHERE {target}").fetchone()[0]
        assert got == value, (check, value, got)
    for value in check.bad:
        try:
            conn.execute(f"UPDATE {check.table} SET {check.column} = ? WHERE {target}", (value,))
        except sqlite3.IntegrityError as exc:
            assert "CHECK constraint failed" in str(exc), str(exc)
        else:
            raise AssertionError(f"{check.table}.{check.column} accepted bad value {value!r}")


def assert_updated_at_trigger(conn: sqlite3.Connection, svc: Service, name: str, table: str) -> None:
    """The trigger exists on its table and bumps updated_at when an update leaves it alone,
    while an explicit updated_at written by the application is kept."""
    assert triggers(conn).get(name) == table, f"trigger {name} missing on {table}"
    insert_samples(conn, svc)
    old = "2000-01-01 00:00:00"
    conn.execute(f"UPDATE {table} SET updated_at = ?", (old,))
    assert {r[0] for r in conn.execute(f"SELECT updated_at FROM {table}")} == {old}
    conn.execute(f"UPDATE {table} SET updated_at = updated_at")  # touches nothing else
    bumped = {r[0] for r in conn.execute(f"SELECT updated_at FROM {table}")}
    assert old not in bumped and all(v > old for v in bumped), bumped


def assert_foreign_key(conn: sqlite3.Connection, fk: FK) -> None:
    assert (fk.column, fk.ref_table, fk.ref_column, fk.on_delete) in foreign_keys(conn, fk.table), (
        f"{fk.table}.{fk.column} should reference {fk.ref_table}({fk.ref_column}) "
        f"ON DELETE {fk.on_delete}; found {foreign_keys(conn, fk.table)}")


def assert_samples_fit(conn: sqlite3.Connection, svc: Service) -> None:
    """One realistic row per table inserts cleanly (types, NOT NULLs, FKs all line up)."""
    insert_samples(conn, svc)
    for table in svc.tables:
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] >= 1, table
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
