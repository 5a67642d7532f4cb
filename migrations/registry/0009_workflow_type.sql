-- 0009_workflow_type: which generation workflow produced a job.
-- Added in place; existing jobs keep NULL (they predate workflow selection).

ALTER TABLE jobs ADD COLUMN workflow_type TEXT;

CREATE INDEX idx_jobs_workflow_type ON jobs(workflow_type);
