-- 0007_lowercase_collection_enums: the second half of the lower-case enum change.
-- collections.instrument and collections.difficulty become lower-case like scores' (0006):
-- existing rows are converted with lower() while copied, and the CHECKs are replaced.
--
-- collections is a PARENT of collection_members (ON DELETE CASCADE), so this uses the same
-- cascade-safe rebuild as 0006 (see its header for why the textbook rebuild loses rows on
-- D1): new parent, child rebuilt to reference the new parent, old child dropped, old parent
-- dropped while unreferenced, renames (SQLite rewrites the child's REFERENCES), then the
-- indexes and triggers under their old names.

-- The renames rely on RENAME rewriting other tables' REFERENCES to the renamed table.
-- That is SQLite's default (and D1's); say so explicitly, it is an allow-listed PRAGMA.
PRAGMA legacy_alter_table = off;

CREATE TABLE collections_new (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    description TEXT,
    instrument  TEXT CHECK (instrument IN ('piano', 'guitar', 'both')),
    difficulty  TEXT CHECK (difficulty IN ('beginner', 'intermediate', 'advanced')),
    score_ids   TEXT NOT NULL DEFAULT '[]',         -- JSON array of scores.id
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

INSERT INTO collections_new (id, name, slug, description, instrument, difficulty, score_ids, created_at, updated_at)
SELECT id, name, slug, description, lower(instrument), lower(difficulty), score_ids, created_at, updated_at
FROM collections;

CREATE TABLE collection_members_new (
    id            TEXT PRIMARY KEY,
    collection_id TEXT NOT NULL REFERENCES collections_new(id) ON DELETE CASCADE,
    score_id      TEXT NOT NULL REFERENCES scores(id) ON DELETE CASCADE,
    display_order INTEGER NOT NULL DEFAULT 0,
    added_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (collection_id, score_id)
);

INSERT INTO collection_members_new (id, collection_id, score_id, display_order, added_at)
SELECT id, collection_id, score_id, display_order, added_at FROM collection_members;

DROP TABLE collection_members;
DROP TABLE collections;

ALTER TABLE collections_new RENAME TO collections;
ALTER TABLE collection_members_new RENAME TO collection_members;

CREATE TRIGGER trg_collections_updated_at
AFTER UPDATE ON collections
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE collections SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

CREATE INDEX idx_collection_members_score_id ON collection_members(score_id);
