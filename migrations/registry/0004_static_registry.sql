-- 0004_static_registry: the Pure registry.
-- One frame = one instance: static_colors and static_sound store per-frame discoveries,
-- keyed by color_key / sound_key. Sound entries use the actual noise name (strength and
-- depth breakdown arrive in 0012); colour aspects (luminance, chroma, opacity) in 0008.

CREATE TABLE static_colors (
    id         TEXT PRIMARY KEY,
    color_key  TEXT NOT NULL UNIQUE,
    r          INTEGER NOT NULL CHECK (r BETWEEN 0 AND 255),
    g          INTEGER NOT NULL CHECK (g BETWEEN 0 AND 255),
    b          INTEGER NOT NULL CHECK (b BETWEEN 0 AND 255),
    name       TEXT,
    times_seen INTEGER NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_static_colors_name ON static_colors(name);

CREATE TRIGGER trg_static_colors_updated_at
AFTER UPDATE ON static_colors
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE static_colors SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

CREATE TABLE static_sound (
    id         TEXT PRIMARY KEY,
    sound_key  TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,                      -- the actual noise name (e.g. rain, hum)
    times_seen INTEGER NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_static_sound_name ON static_sound(name);

CREATE TRIGGER trg_static_sound_updated_at
AFTER UPDATE ON static_sound
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE static_sound SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
