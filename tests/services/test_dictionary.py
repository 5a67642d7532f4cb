"""dictionary (seed 001): terms, embeddings, analytics, token budget, queues; 8 migrations."""

from __future__ import annotations

import sqlite3
import struct

import pytest

from tests.services.d1_expectations import DICTIONARY as SVC
from tests.services.d1_expectations import (
    LANGUAGES,
    assert_exact_files,
    assert_file_contents,
    insert,
    insert_samples,
    primary_key,
)


def _entry(conn: sqlite3.Connection, entry_id: str, term: str, lang: str) -> None:
    insert(conn, "dictionary_entries", {"id": entry_id, "term": term,
                                        "normalized_term": term.lower(), "lang": lang,
                                        "definition": '{"concise": "..."}'})


# -- files; the table-driven schema checks are in test_d1_schemas.py ----------------------

def test_eight_files_ending_at_queue_tables() -> None:
    assert len(SVC.files) == 8
    assert SVC.files[-1] == "0008_add_queue_tables.sql"
    assert_exact_files(SVC)


@pytest.mark.parametrize("name", SVC.files)
def test_each_file_creates_what_the_seed_says(name: str) -> None:
    assert_file_contents(SVC, name)


# -- behaviour -----------------------------------------------------------------------------

def test_six_languages_accepted_and_others_rejected(db: sqlite3.Connection) -> None:
    """zh-TW and zh-CN are mixed case by the seed's own definition (BCP 47 tags)."""
    for n, lang in enumerate(LANGUAGES):
        _entry(db, f"e-{n}", "Allegro", lang)
    assert {r[0] for r in db.execute("SELECT lang FROM dictionary_entries")} == set(LANGUAGES)
    for bad in ("it", "zh-tw", "ZH-CN", "EN", "pt-BR"):
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            _entry(db, f"bad-{bad}", "Allegro", bad)


def test_normalized_term_is_unique_per_language(db: sqlite3.Connection) -> None:
    _entry(db, "e-1", "Crescendo", "en")
    _entry(db, "e-2", "Crescendo", "fr")  # same term, other language: fine
    with pytest.raises(sqlite3.IntegrityError,
                       match=r"UNIQUE constraint failed: dictionary_entries\.normalized_term, "
                             r"dictionary_entries\.lang"):
        _entry(db, "e-3", "CRESCENDO", "en")


def test_ai_token_usage_has_composite_primary_key_date_model(db: sqlite3.Connection) -> None:
    assert primary_key(db, "ai_token_usage") == ("date", "model")
    insert(db, "ai_token_usage", {"date": "2025-03-01", "model": "m1", "tokens": 100})
    insert(db, "ai_token_usage", {"date": "2025-03-01", "model": "m2", "tokens": 5})
    insert(db, "ai_token_usage", {"date": "2025-03-02", "model": "m1", "tokens": 7})
    with pytest.raises(sqlite3.IntegrityError,
                       match=r"UNIQUE constraint failed: ai_token_usage\.date, ai_token_usage\.model"):
        insert(db, "ai_token_usage", {"date": "2025-03-01", "model": "m1", "tokens": 1})
    # the Worker's upsert accumulates on the composite key
    db.execute("INSERT INTO ai_token_usage (date, model, tokens, request_count) VALUES (?, ?, ?, 1) "
               "ON CONFLICT (date, model) DO UPDATE SET tokens = tokens + excluded.tokens, "
               "request_count = request_count + 1", ("2025-03-01", "m1", 50))
    assert db.execute("SELECT tokens, request_count FROM ai_token_usage "
                      "WHERE date = '2025-03-01' AND model = 'm1'").fetchone() == (150, 1)


def test_embedding_is_stored_as_a_blob(db: sqlite3.Connection) -> None:
    _entry(db, "e-1", "Legato", "en")
    vector = struct.pack("<4f", 0.1, -0.2, 0.3, 0.4)
    insert(db, "term_embeddings", {"id": "t-1", "entry_id": "e-1", "embedding": vector,
                                   "model": "@cf/baai/bge-small-en-v1.5", "dimension": 4})
    blob, kind = db.execute("SELECT embedding, typeof(embedding) FROM term_embeddings").fetchone()
    assert kind == "blob" and blob == vector
    assert struct.unpack("<4f", blob)[1] == pytest.approx(-0.2)


def test_deleting_an_entry_cascades_to_its_dependents(db: sqlite3.Connection) -> None:
    insert_samples(db, SVC)
    db.execute("DELETE FROM dictionary_entries WHERE id = 'de-1'")
    for table in ("term_embeddings", "related_terms", "user_feedback"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    assert db.execute("SELECT entry_id FROM ai_model_usage").fetchall() == [(None,)]
    assert db.execute("SELECT count(*) FROM search_analytics").fetchone() == (1,)  # history stays
