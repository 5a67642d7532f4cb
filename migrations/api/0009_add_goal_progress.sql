-- 0009_add_goal_progress: history of progress on practice goals.
-- Goals themselves live in sync_data (entity_type = 'goal', goal_id = its entity_id), so
-- goal_id has no FK; rows are append-only (no updated_at).

CREATE TABLE goal_progress (
    id          TEXT PRIMARY KEY,
    goal_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    value       REAL NOT NULL,                      -- progress measured in the goal's unit
    notes       TEXT,
    session_id  TEXT,                               -- practice session that produced it
    recorded_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_goal_progress_goal_id ON goal_progress(goal_id);
CREATE INDEX idx_goal_progress_recorded_at ON goal_progress(recorded_at);
CREATE INDEX idx_goal_progress_user_id ON goal_progress(user_id);
