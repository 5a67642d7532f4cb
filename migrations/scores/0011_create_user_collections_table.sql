-- 0011_create_user_collections_table: collections that users build themselves.
-- Membership is a JSON array (score_ids), like the curated collections. user_id is a
-- users.id of the api service's database (no FK across databases). A user's slugs are unique.

CREATE TABLE user_collections (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    description TEXT,
    visibility  TEXT NOT NULL DEFAULT 'private'
                CHECK (visibility IN ('private', 'public', 'shared')),
    score_ids   TEXT NOT NULL DEFAULT '[]',         -- JSON array of scores.id
    tags        TEXT NOT NULL DEFAULT '[]',         -- JSON array of strings
    is_default  INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (user_id, slug)
);

CREATE INDEX idx_user_collections_visibility ON user_collections(visibility);
CREATE INDEX idx_user_collections_updated_at ON user_collections(updated_at);

CREATE TRIGGER trg_user_collections_updated_at
AFTER UPDATE ON user_collections
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE user_collections SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
