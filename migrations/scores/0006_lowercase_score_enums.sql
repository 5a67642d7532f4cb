-- 0006_lowercase_score_enums: move scores' enums to the lower-case convention.
-- instrument PIANO/GUITAR/BOTH, difficulty BEGINNER/INTERMEDIATE/ADVANCED and style_period
-- BAROQUE/.../CONTEMPORARY become piano/guitar/both, beginner/... and baroque/...: existing
-- rows are converted with lower() while they are copied, and the CHECKs are replaced.
-- (collections' enums follow in 0007.)
--
-- SQLite cannot alter a CHECK, so scores is rebuilt. scores is a PARENT table:
-- score_versions, collection_members and score_analytics reference it ON DELETE CASCADE.
-- On D1 foreign keys are always enforced (`PRAGMA foreign_keys = off` is ignored in a
-- migration) and `PRAGMA defer_foreign_keys = on` does not stop cascades, while
-- DROP TABLE runs an implicit DELETE FROM. The textbook rebuild (create new, copy,
-- DROP TABLE scores, rename) would therefore delete every version, membership and
-- analytics row. Renaming the old table away first does not help either: SQLite >= 3.26
-- rewrites the children's REFERENCES to follow the rename, and dropping the renamed table
-- cascades just the same.
--
-- Cascade-safe pattern used here (every FK check passes immediately, nothing is deferred):
--   1. create scores_new (lower-case CHECKs) and copy the rows, lower-casing the enums;
--   2. create each child as <child>_new REFERENCING scores_new, and copy its rows;
--   3. drop the old children (dropping a child never touches its parent);
--   4. drop the old scores: nothing references it any more, so nothing cascades;
--   5. rename scores_new -> scores (SQLite rewrites the new children's REFERENCES
--      scores_new to REFERENCES scores) and each <child>_new -> <child>;
--   6. recreate every index and trigger under its old name.
-- Every row of every table survives, the children keep ON DELETE CASCADE, and
-- PRAGMA foreign_key_check is clean afterwards.

-- Step 5 relies on RENAME rewriting other tables' REFERENCES to the renamed table.
-- That is SQLite's default (and D1's); say so explicitly, it is an allow-listed PRAGMA.
PRAGMA legacy_alter_table = off;

-- 1. scores -----------------------------------------------------------------------------
CREATE TABLE scores_new (
    id                  TEXT PRIMARY KEY,
    title               TEXT NOT NULL,
    subtitle            TEXT,
    composer            TEXT NOT NULL,
    opus                TEXT,
    movement            TEXT,
    instrument          TEXT NOT NULL CHECK (instrument IN ('piano', 'guitar', 'both')),
    difficulty          TEXT NOT NULL CHECK (difficulty IN ('beginner', 'intermediate', 'advanced')),
    difficulty_level    INTEGER CHECK (difficulty_level BETWEEN 1 AND 10),
    grade_level         TEXT,
    duration_seconds    INTEGER,
    time_signature      TEXT,
    key_signature       TEXT,
    tempo_marking       TEXT,
    suggested_tempo     INTEGER,
    style_period        TEXT CHECK (style_period IN ('baroque', 'classical', 'romantic', 'modern', 'contemporary')),
    source              TEXT NOT NULL DEFAULT 'upload'
                        CHECK (source IN ('imslp', 'upload', 'generated', 'manual')),
    imslp_url           TEXT,
    tags                TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    metadata            TEXT,                       -- JSON object
    created_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    slug                TEXT,
    pdf_url             TEXT,
    source_url          TEXT,
    import_batch_id     TEXT,
    imported_at         DATETIME,
    has_visual_analysis INTEGER NOT NULL DEFAULT 0 CHECK (has_visual_analysis IN (0, 1)),
    visual_analysis     TEXT,                       -- JSON
    analyzed_at         DATETIME
);

INSERT INTO scores_new (
    id, title, subtitle, composer, opus, movement, instrument, difficulty, difficulty_level,
    grade_level, duration_seconds, time_signature, key_signature, tempo_marking,
    suggested_tempo, style_period, source, imslp_url, tags, metadata, created_at, updated_at,
    slug, pdf_url, source_url, import_batch_id, imported_at, has_visual_analysis,
    visual_analysis, analyzed_at)
SELECT
    id, title, subtitle, composer, opus, movement, lower(instrument), lower(difficulty),
    difficulty_level, grade_level, duration_seconds, time_signature, key_signature,
    tempo_marking, suggested_tempo, lower(style_period), source, imslp_url, tags, metadata,
    created_at, updated_at, slug, pdf_url, source_url, import_batch_id, imported_at,
    has_visual_analysis, visual_analysis, analyzed_at
FROM scores;

-- 2. children, pointing at scores_new -------------------------------------------------------
CREATE TABLE score_versions_new (
    id                TEXT PRIMARY KEY,
    score_id          TEXT NOT NULL REFERENCES scores_new(id) ON DELETE CASCADE,
    format            TEXT NOT NULL CHECK (format IN ('pdf', 'musicxml', 'vexflow', 'image', 'abc')),
    r2_key            TEXT NOT NULL,
    file_size_bytes   INTEGER,
    page_count        INTEGER,
    resolution        TEXT,
    processing_status TEXT NOT NULL DEFAULT 'pending'
                      CHECK (processing_status IN ('pending', 'processing', 'completed', 'failed')),
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    processing_error  TEXT,
    processed_at      DATETIME,
    mime_type         TEXT,
    checksum          TEXT
);

INSERT INTO score_versions_new (
    id, score_id, format, r2_key, file_size_bytes, page_count, resolution, processing_status,
    created_at, updated_at, processing_error, processed_at, mime_type, checksum)
SELECT
    id, score_id, format, r2_key, file_size_bytes, page_count, resolution, processing_status,
    created_at, updated_at, processing_error, processed_at, mime_type, checksum
FROM score_versions;

CREATE TABLE collection_members_new (
    id            TEXT PRIMARY KEY,
    collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    score_id      TEXT NOT NULL REFERENCES scores_new(id) ON DELETE CASCADE,
    display_order INTEGER NOT NULL DEFAULT 0,
    added_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (collection_id, score_id)
);

INSERT INTO collection_members_new (id, collection_id, score_id, display_order, added_at)
SELECT id, collection_id, score_id, display_order, added_at FROM collection_members;

CREATE TABLE score_analytics_new (
    score_id       TEXT PRIMARY KEY REFERENCES scores_new(id) ON DELETE CASCADE,
    view_count     INTEGER NOT NULL DEFAULT 0,
    download_count INTEGER NOT NULL DEFAULT 0,
    render_count   INTEGER NOT NULL DEFAULT 0,
    last_viewed_at DATETIME,
    updated_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

INSERT INTO score_analytics_new (score_id, view_count, download_count, render_count, last_viewed_at, updated_at)
SELECT score_id, view_count, download_count, render_count, last_viewed_at, updated_at FROM score_analytics;

-- 3. drop the old children, then 4. the old parent (no longer referenced) --------------------
DROP TABLE score_versions;
DROP TABLE collection_members;
DROP TABLE score_analytics;
DROP TABLE scores;

-- 5. rename into place (children's REFERENCES scores_new become REFERENCES scores) ----------
ALTER TABLE scores_new RENAME TO scores;
ALTER TABLE score_versions_new RENAME TO score_versions;
ALTER TABLE collection_members_new RENAME TO collection_members;
ALTER TABLE score_analytics_new RENAME TO score_analytics;

-- 6. indexes and triggers, same names as before -------------------------------------------
CREATE INDEX idx_scores_composer ON scores(composer);
CREATE INDEX idx_scores_instrument ON scores(instrument);
CREATE INDEX idx_scores_difficulty ON scores(difficulty);
CREATE INDEX idx_scores_style_period ON scores(style_period);
CREATE INDEX idx_scores_updated_at ON scores(updated_at);
CREATE UNIQUE INDEX idx_scores_slug ON scores(slug);
CREATE INDEX idx_scores_source ON scores(source);
CREATE INDEX idx_scores_import_batch_id ON scores(import_batch_id);

CREATE TRIGGER trg_scores_updated_at
AFTER UPDATE ON scores
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE scores SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

CREATE INDEX idx_score_versions_score_id ON score_versions(score_id);
CREATE INDEX idx_score_versions_processing_status ON score_versions(processing_status);

CREATE TRIGGER trg_score_versions_updated_at
AFTER UPDATE ON score_versions
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE score_versions SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

CREATE INDEX idx_collection_members_score_id ON collection_members(score_id);

CREATE TRIGGER trg_score_analytics_updated_at
AFTER UPDATE ON score_analytics
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE score_analytics SET updated_at = CURRENT_TIMESTAMP WHERE score_id = NEW.score_id;
END;
