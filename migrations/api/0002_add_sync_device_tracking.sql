-- 0002_add_sync_device_tracking: remember which device wrote each synced entity, and
-- index the incremental-sync query (a user's changes since a point in time).

ALTER TABLE sync_data ADD COLUMN device_id TEXT;

CREATE INDEX idx_sync_data_user_updated ON sync_data(user_id, updated_at);
