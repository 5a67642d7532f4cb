-- 0007_add_sync_metadata_device_info: which device synced last and a monotonically growing
-- sync sequence per user, so clients can ask for "changes after sequence N".

ALTER TABLE sync_metadata ADD COLUMN last_device_id TEXT;
ALTER TABLE sync_metadata ADD COLUMN sync_sequence INTEGER NOT NULL DEFAULT 0;
