-- 0006_add_ai_token_usage: daily token budget per model. The Worker upserts
-- (INSERT ... ON CONFLICT (date, model) DO UPDATE SET tokens = tokens + excluded.tokens)
-- and stops calling a model once the day's budget is spent. Natural key (date, model).

CREATE TABLE ai_token_usage (
    date          TEXT NOT NULL,                    -- YYYY-MM-DD (UTC)
    model         TEXT NOT NULL,
    tokens        INTEGER NOT NULL DEFAULT 0,
    request_count INTEGER NOT NULL DEFAULT 0,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (date, model)
);

CREATE TRIGGER trg_ai_token_usage_updated_at
AFTER UPDATE ON ai_token_usage
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE ai_token_usage SET updated_at = CURRENT_TIMESTAMP WHERE date = NEW.date AND model = NEW.model;
END;
