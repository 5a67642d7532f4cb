-- 0008_duplicate_prevention: idempotency keys for sync writes.
-- A client retrying a sync request sends the same key; the stored response is replayed
-- instead of applying the change twice. One key per (key, user_id); rows expire at
-- expires_at (TTL configured by the Worker) and are purged by a scheduled cleanup.

CREATE TABLE idempotency_keys (
    id           TEXT PRIMARY KEY,
    key          TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    request_hash TEXT NOT NULL,                     -- hash of the request body
    response     TEXT,                              -- JSON response replayed on retry
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at   DATETIME NOT NULL
);

CREATE UNIQUE INDEX idx_idempotency_keys_key_user ON idempotency_keys(key, user_id);
CREATE INDEX idx_idempotency_keys_user_id ON idempotency_keys(user_id);
CREATE INDEX idx_idempotency_keys_expires_at ON idempotency_keys(expires_at);

-- Duplicate detection on the data itself: the same document synced twice has the same checksum.
CREATE INDEX idx_sync_data_user_checksum ON sync_data(user_id, checksum);
