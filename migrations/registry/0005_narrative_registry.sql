-- 0005_narrative_registry: the Semantic registry.
-- Narrative elements grouped by aspect (plot, setting, dialogue, genre, mood, ...); the
-- aspect list is open-ended, so it is not a CHECK. One entry per (aspect, entry_key).

CREATE TABLE narrative_entries (
    id         TEXT PRIMARY KEY,
    aspect     TEXT NOT NULL,
    entry_key  TEXT NOT NULL,
    value      TEXT NOT NULL,
    name       TEXT,
    times_seen INTEGER NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (aspect, entry_key)
);

CREATE INDEX idx_narrative_entries_name ON narrative_entries(name);

CREATE TRIGGER trg_narrative_entries_updated_at
AFTER UPDATE ON narrative_entries
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE narrative_entries SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
