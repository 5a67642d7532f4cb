-- 0000_initial: generation jobs.
-- Every video generation the Worker runs is a job: the user's prompt, its lifecycle
-- status and the R2 key of the rendered output. Later registries (learning_runs, events,
-- feedback) hang off jobs.id.

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,                 -- application-generated UUID
    prompt      TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    r2_key      TEXT,                             -- R2 object key of the output, set on completion
    error       TEXT,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    completed_at DATETIME
);

CREATE INDEX idx_jobs_status ON jobs(status);
CREATE INDEX idx_jobs_created_at ON jobs(created_at);

CREATE TRIGGER trg_jobs_updated_at
AFTER UPDATE ON jobs
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE jobs SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
