-- 0004_add_ai_model_usage: per-call performance of the AI models that generate, validate
-- and embed definitions (latency, tokens, success), to compare models and catch regressions.

CREATE TABLE ai_model_usage (
    id          TEXT PRIMARY KEY,
    model       TEXT NOT NULL,
    operation   TEXT NOT NULL
                CHECK (operation IN ('generation', 'validation', 'enhancement', 'embedding')),
    entry_id    TEXT REFERENCES dictionary_entries(id) ON DELETE SET NULL,
    tokens_used INTEGER NOT NULL DEFAULT 0,
    latency_ms  INTEGER,
    success     INTEGER NOT NULL DEFAULT 1 CHECK (success IN (0, 1)),
    error       TEXT,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_ai_model_usage_model_created ON ai_model_usage(model, created_at);
CREATE INDEX idx_ai_model_usage_entry_id ON ai_model_usage(entry_id);
