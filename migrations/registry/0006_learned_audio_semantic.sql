-- 0006_learned_audio_semantic: audio semantics for the Blended registry.
-- Categories role, mood and tempo hold elements (kick, snare, bass, ...); each element is
-- a named entry (depth_breakdown_json arrives in 0012).

CREATE TABLE learned_audio_semantic (
    id          TEXT PRIMARY KEY,
    profile_key TEXT NOT NULL UNIQUE,
    role        TEXT,                              -- e.g. kick, snare, bass, pad
    mood        TEXT,
    tempo       TEXT,                              -- e.g. slow, moderate, fast
    name        TEXT,
    times_seen  INTEGER NOT NULL DEFAULT 1,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_learned_audio_semantic_role ON learned_audio_semantic(role);
CREATE INDEX idx_learned_audio_semantic_mood ON learned_audio_semantic(mood);

CREATE TRIGGER trg_learned_audio_semantic_updated_at
AFTER UPDATE ON learned_audio_semantic
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE learned_audio_semantic SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
