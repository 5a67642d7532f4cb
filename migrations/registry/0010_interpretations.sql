-- 0010_interpretations: the Interpretation registry.
-- The program deals with the unknown until the user answers; a resolved interpretation
-- (prompt -> instruction) is stored here so the same prompt is not asked about again.

CREATE TABLE interpretations (
    id               TEXT PRIMARY KEY,
    prompt           TEXT NOT NULL,
    instruction_json TEXT NOT NULL,                -- JSON: the resolved instruction
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'resolved', 'rejected')),
    job_id           TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_interpretations_prompt ON interpretations(prompt);
CREATE INDEX idx_interpretations_status ON interpretations(status);
CREATE INDEX idx_interpretations_job_id ON interpretations(job_id);

CREATE TRIGGER trg_interpretations_updated_at
AFTER UPDATE ON interpretations
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE interpretations SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
