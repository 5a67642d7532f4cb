-- 0001_learning_runs: runs logged for the learning loop.
-- Each run records the prompt, the generation spec and the analysis of the result, so the
-- learned_* registries can be rebuilt or audited later. A run outlives its job (SET NULL).

CREATE TABLE learning_runs (
    id            TEXT PRIMARY KEY,
    job_id        TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    prompt        TEXT NOT NULL,
    spec_json     TEXT,                            -- JSON: the generation spec that was used
    analysis_json TEXT,                            -- JSON: analysis of the generated video
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_learning_runs_job_id ON learning_runs(job_id);
CREATE INDEX idx_learning_runs_created_at ON learning_runs(created_at);
