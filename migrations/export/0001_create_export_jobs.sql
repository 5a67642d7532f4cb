-- Migration: Create export_jobs table
-- Created: 2024-11-18

CREATE TABLE IF NOT EXISTS export_jobs (
    id TEXT PRIMARY KEY,
    project_id INTEGER NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('framing', 'overlay', 'annotate')),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'complete', 'error')),
    progress INTEGER NOT NULL DEFAULT 0,
    input_video_key TEXT NOT NULL,
    output_video_key TEXT,
    params TEXT NOT NULL,
    error TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0,
    runpod_job_id TEXT,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    started_at TEXT,
    completed_at TEXT
);

CREATE INDEX IF NOT EXISTS idx_export_jobs_project_status ON export_jobs(project_id, status);
CREATE INDEX IF NOT EXISTS idx_export_jobs_status_created ON export_jobs(status, created_at);
CREATE INDEX IF NOT EXISTS idx_export_jobs_runpod ON export_jobs(runpod_job_id);
