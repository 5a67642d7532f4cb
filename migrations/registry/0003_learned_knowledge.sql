-- 0003_learned_knowledge: the Blended registry and the name reserve.
-- Whole-video discoveries are stored as learned_* rows (blends, colors, motion and the
-- lighting/composition/graphics/temporal/technical profiles). Every element name handed out
-- by any registry is reserved in name_reserve so names stay unique across registries.

CREATE TABLE learned_blends (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    domain                TEXT NOT NULL,           -- e.g. color, motion, audio
    output_json           TEXT NOT NULL,           -- JSON: the blended output
    primitive_depths_json TEXT,                    -- JSON: depth of each primitive in the blend
    times_seen            INTEGER NOT NULL DEFAULT 1,
    created_at            DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at            DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (domain, name)
);

CREATE INDEX idx_learned_blends_name ON learned_blends(name);

CREATE TRIGGER trg_learned_blends_updated_at
AFTER UPDATE ON learned_blends
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_blends SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- Whole-video colour discoveries.
CREATE TABLE learned_colors (
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

CREATE TRIGGER trg_learned_colors_updated_at
AFTER UPDATE ON learned_colors
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_colors SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- Motion profiles (direction and rhythm arrive in 0008_aspect_coverage).
CREATE TABLE learned_motion (
    id           TEXT PRIMARY KEY,
    profile_key  TEXT NOT NULL UNIQUE,
    motion_level REAL,                             -- measured amount of motion, 0..1
    motion_trend TEXT,                             -- e.g. rising, falling, steady
    name         TEXT,
    times_seen   INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TRIGGER trg_learned_motion_updated_at
AFTER UPDATE ON learned_motion
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_motion SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- Lighting profiles: one row per discovered profile, keyed by profile_key.
CREATE TABLE learned_lighting (
    id           TEXT PRIMARY KEY,
    profile_key  TEXT NOT NULL UNIQUE,
    name         TEXT,                             -- element name shown in the registry
    profile_json TEXT NOT NULL,                    -- JSON: the measured profile
    times_seen   INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TRIGGER trg_learned_lighting_updated_at
AFTER UPDATE ON learned_lighting
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_lighting SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- Composition profiles: one row per discovered profile, keyed by profile_key.
CREATE TABLE learned_composition (
    id           TEXT PRIMARY KEY,
    profile_key  TEXT NOT NULL UNIQUE,
    name         TEXT,                             -- element name shown in the registry
    profile_json TEXT NOT NULL,                    -- JSON: the measured profile
    times_seen   INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TRIGGER trg_learned_composition_updated_at
AFTER UPDATE ON learned_composition
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_composition SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- Graphics profiles: one row per discovered profile, keyed by profile_key.
CREATE TABLE learned_graphics (
    id           TEXT PRIMARY KEY,
    profile_key  TEXT NOT NULL UNIQUE,
    name         TEXT,                             -- element name shown in the registry
    profile_json TEXT NOT NULL,                    -- JSON: the measured profile
    times_seen   INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TRIGGER trg_learned_graphics_updated_at
AFTER UPDATE ON learned_graphics
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_graphics SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- Temporal profiles: one row per discovered profile, keyed by profile_key.
CREATE TABLE learned_temporal (
    id           TEXT PRIMARY KEY,
    profile_key  TEXT NOT NULL UNIQUE,
    name         TEXT,                             -- element name shown in the registry
    profile_json TEXT NOT NULL,                    -- JSON: the measured profile
    times_seen   INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TRIGGER trg_learned_temporal_updated_at
AFTER UPDATE ON learned_temporal
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_temporal SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- Technical profiles: one row per discovered profile, keyed by profile_key.
CREATE TABLE learned_technical (
    id           TEXT PRIMARY KEY,
    profile_key  TEXT NOT NULL UNIQUE,
    name         TEXT,                             -- element name shown in the registry
    profile_json TEXT NOT NULL,                    -- JSON: the measured profile
    times_seen   INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TRIGGER trg_learned_technical_updated_at
AFTER UPDATE ON learned_technical
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_technical SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- Reserved names: one row per name in use by any registry (uniqueness check).
CREATE TABLE name_reserve (
    name        TEXT PRIMARY KEY,
    registry    TEXT NOT NULL,                     -- table that holds the named element
    reserved_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_name_reserve_registry ON name_reserve(registry);
