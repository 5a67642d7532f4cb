-- 0010_add_dropped_status: allow 'dropped' in user_repertoire.status.
--
-- SQLite cannot ALTER a CHECK constraint, so the table is rebuilt:
--   1. create user_repertoire_new with the wider CHECK,
--   2. copy every row (ids and timestamps unchanged; INSERT fires no update trigger),
--   3. drop the old table (this also drops its indexes and trigger),
--   4. rename the new table into place,
--   5. recreate every index and the updated_at trigger under their old names.
--
-- Why this is safe on D1: D1 always enforces foreign keys; `PRAGMA foreign_keys = off` is
-- ignored inside a migration, and `PRAGMA defer_foreign_keys = on` only defers the checks:
-- it does NOT stop ON DELETE CASCADE / SET NULL actions. DROP TABLE runs an implicit
-- DELETE FROM, so dropping a *parent* table deletes (or nulls) the rows of every child
-- that references it. user_repertoire is a leaf: it references users but no table
-- references it (kept that way on purpose since 0008), so step 3 cascades nowhere.
-- Dropping a child table never touches its parent's rows.
--
-- Do NOT use the "rename the old table first" variant (ALTER TABLE user_repertoire RENAME
-- TO user_repertoire_old; ...; DROP TABLE user_repertoire_old): SQLite >= 3.26 rewrites
-- child foreign keys to follow the rename, so a future child would then cascade on the drop.
-- If a table ever references user_repertoire, its rebuild must also rebuild that child to
-- point at user_repertoire_new before the old table is dropped (see scores 0006).

CREATE TABLE user_repertoire_new (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    score_id          TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'planned'
                      CHECK (status IN ('planned', 'learning', 'polished', 'dropped')),
    difficulty_rating INTEGER CHECK (difficulty_rating BETWEEN 1 AND 5),
    personal_notes    TEXT,
    reference_links   TEXT,                         -- JSON array of URLs
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (user_id, score_id)
);

INSERT INTO user_repertoire_new (id, user_id, score_id, status, difficulty_rating,
                                 personal_notes, reference_links, created_at, updated_at)
SELECT id, user_id, score_id, status, difficulty_rating,
       personal_notes, reference_links, created_at, updated_at
FROM user_repertoire;

DROP TABLE user_repertoire;

ALTER TABLE user_repertoire_new RENAME TO user_repertoire;

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
