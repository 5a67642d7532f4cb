-- 0008_repertoire_and_annotations: a user's repertoire and their PDF score annotations.
-- score_id refers to a score in the scores service's own database, so it has no FK.
-- user_repertoire: one row per (user_id, score_id) with a learning status.
-- score_annotations: JSON drawing/highlight data per score page.
--
-- Nothing references user_repertoire: a status change later needs a table rebuild
-- (SQLite cannot alter a CHECK), and keeping it a leaf table makes that rebuild safe on D1.

CREATE TABLE user_repertoire (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    score_id          TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'planned'
                      CHECK (status IN ('planned', 'learning', 'polished')),
    difficulty_rating INTEGER CHECK (difficulty_rating BETWEEN 1 AND 5),
    personal_notes    TEXT,
    reference_links   TEXT,                         -- JSON array of URLs
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (user_id, score_id)
);

CREATE INDEX idx_user_repertoire_user_id ON user_repertoire(user_id);
CREATE INDEX idx_user_repertoire_score_id ON user_repertoire(score_id);
CREATE INDEX idx_user_repertoire_status ON user_repertoire(status);
CREATE INDEX idx_user_repertoire_updated_at ON user_repertoire(updated_at);

CREATE TRIGGER trg_user_repertoire_updated_at
AFTER UPDATE ON user_repertoire
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE user_repertoire SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

CREATE TABLE score_annotations (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    score_id        TEXT NOT NULL,
    page_number     INTEGER NOT NULL CHECK (page_number >= 1),
    annotation_type TEXT NOT NULL
                    CHECK (annotation_type IN ('highlight', 'text', 'drawing', 'measure_bracket')),
    annotation_data TEXT NOT NULL,                  -- JSON: shapes, text, colours
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_score_annotations_user_score ON score_annotations(user_id, score_id);
CREATE INDEX idx_score_annotations_score_page ON score_annotations(score_id, page_number);

CREATE TRIGGER trg_score_annotations_updated_at
AFTER UPDATE ON score_annotations
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE score_annotations SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
