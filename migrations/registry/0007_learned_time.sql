-- 0007_learned_time: time profiles for the Blended registry
-- (time-of-day and pacing of a whole video), same shape as the other learned_* profiles.

-- Time profiles: one row per discovered profile, keyed by profile_key.
CREATE TABLE learned_time (
    id           TEXT PRIMARY KEY,
    profile_key  TEXT NOT NULL UNIQUE,
    name         TEXT,                             -- element name shown in the registry
    profile_json TEXT NOT NULL,                    -- JSON: the measured profile
    times_seen   INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TRIGGER trg_learned_time_updated_at
AFTER UPDATE ON learned_time
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_time SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
