-- 0002_events_and_feedback: event log and user feedback.
-- events is an append-only log (event_type + JSON payload), optionally tied to a job.
-- feedback holds a user's rating of a job's output; it is deleted with its job.

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    event_type   TEXT NOT NULL,
    job_id       TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    payload_json TEXT,                             -- JSON payload of the event
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_events_event_type ON events(event_type);
CREATE INDEX idx_events_job_id ON events(job_id);
CREATE INDEX idx_events_created_at ON events(created_at);

CREATE TABLE feedback (
    id         TEXT PRIMARY KEY,
    job_id     TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    TEXT,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_feedback_job_id ON feedback(job_id);
