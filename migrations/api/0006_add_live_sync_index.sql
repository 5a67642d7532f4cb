-- 0006_add_live_sync_index: most sync reads skip soft-deleted rows; a partial index on the
-- live rows keeps "all live entities of a type for a user" fast as tombstones accumulate.

CREATE INDEX idx_sync_data_live ON sync_data(user_id, entity_type) WHERE deleted_at IS NULL;
