-- 0011_learned_gradient_camera: gradient and camera profiles for the Blended registry,
-- same shape as the other learned_* profiles.

-- Gradient profiles: one row per discovered profile, keyed by profile_key.
CREATE TABLE learned_gradient (
    id           TEXT PRIMARY KEY,
    profile_key  TEXT NOT NULL UNIQUE,
    name         TEXT,                             -- element name shown in the registry
    profile_json TEXT NOT NULL,                    -- JSON: the measured profile
    times_seen   INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TRIGGER trg_learned_gradient_updated_at
AFTER UPDATE ON learned_gradient
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_gradient SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- Camera profiles: one row per discovered profile, keyed by profile_key.
CREATE TABLE learned_camera (
    id           TEXT PRIMARY KEY,
    profile_key  TEXT NOT NULL UNIQUE,
    name         TEXT,                             -- element name shown in the registry
    profile_json TEXT NOT NULL,                    -- JSON: the measured profile
    times_seen   INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TRIGGER trg_learned_camera_updated_at
AFTER UPDATE ON learned_camera
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_camera SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
