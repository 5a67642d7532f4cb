-- 0004_fix_sync_metadata_schema: the D1 implementation of sync_metadata has no foreign key.
-- The sync Worker upserts sync_metadata before (or without) a users row existing, which the
-- 0001 foreign key rejected. The table is rebuilt without it, with timestamps added.
--
-- Rebuild safety: sync_metadata is a leaf table (no table references it), so dropping the
-- old table cannot cascade anywhere; rows are copied before the drop.

CREATE TABLE sync_metadata_new (
    user_id         TEXT PRIMARY KEY,               -- users.id; no FK in D1 (see above)
    last_sync_token TEXT,
    last_sync_time  DATETIME,
    device_count    INTEGER NOT NULL DEFAULT 1,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

INSERT INTO sync_metadata_new (user_id, last_sync_token, last_sync_time, device_count)
SELECT user_id, last_sync_token, last_sync_time, device_count FROM sync_metadata;

DROP TABLE sync_metadata;

ALTER TABLE sync_metadata_new RENAME TO sync_metadata;

CREATE INDEX idx_sync_metadata_last_sync_time ON sync_metadata(last_sync_time);

CREATE TRIGGER trg_sync_metadata_updated_at
AFTER UPDATE ON sync_metadata
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE sync_metadata SET updated_at = CURRENT_TIMESTAMP WHERE user_id = NEW.user_id;
END;
