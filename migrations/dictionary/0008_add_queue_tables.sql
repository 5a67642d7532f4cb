-- 0008_add_queue_tables: the processing queues, persisted in D1.
-- seed_queue: terms to generate definitions for, by priority.
-- manual_review_queue: entries (or candidate terms) a human must check.
-- dead_letter_queue: queue messages that failed all retries, kept for inspection/replay.

-- dbtool:lint-ignore CV101 lang holds BCP 47 language tags; zh-TW and zh-CN are mixed case by definition
CREATE TABLE seed_queue (
    id              TEXT PRIMARY KEY,
    term            TEXT NOT NULL,
    normalized_term TEXT NOT NULL,
    lang            TEXT NOT NULL DEFAULT 'en'
                    CHECK (lang IN ('en', 'es', 'fr', 'de', 'zh-TW', 'zh-CN')),
    priority        INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_at DATETIME,
    error           TEXT,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (normalized_term, lang)
);

CREATE INDEX idx_seed_queue_status_priority ON seed_queue(status, priority);

CREATE TRIGGER trg_seed_queue_updated_at
AFTER UPDATE ON seed_queue
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE seed_queue SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- dbtool:lint-ignore CV101 lang holds BCP 47 language tags; zh-TW and zh-CN are mixed case by definition
CREATE TABLE manual_review_queue (
    id           TEXT PRIMARY KEY,
    entry_id     TEXT REFERENCES dictionary_entries(id) ON DELETE CASCADE,
    term         TEXT NOT NULL,
    lang         TEXT NOT NULL DEFAULT 'en'
                 CHECK (lang IN ('en', 'es', 'fr', 'de', 'zh-TW', 'zh-CN')),
    reason       TEXT NOT NULL,                     -- e.g. low quality score, user report
    priority     INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'in_review', 'approved', 'rejected')),
    reviewer_id  TEXT,
    review_notes TEXT,
    reviewed_at  DATETIME,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_manual_review_queue_status_priority ON manual_review_queue(status, priority);
CREATE INDEX idx_manual_review_queue_entry_id ON manual_review_queue(entry_id);

CREATE TRIGGER trg_manual_review_queue_updated_at
AFTER UPDATE ON manual_review_queue
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE manual_review_queue SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

CREATE TABLE dead_letter_queue (
    id              TEXT PRIMARY KEY,
    queue_name      TEXT NOT NULL,                  -- source queue, e.g. seed_queue
    message_id      TEXT,
    payload         TEXT NOT NULL,                  -- JSON: the original message
    error_message   TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    first_failed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_failed_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    status          TEXT NOT NULL DEFAULT 'failed'
                    CHECK (status IN ('failed', 'retrying', 'resolved', 'discarded')),
    resolved_at     DATETIME
);

CREATE INDEX idx_dead_letter_queue_queue_status ON dead_letter_queue(queue_name, status);
CREATE INDEX idx_dead_letter_queue_last_failed_at ON dead_letter_queue(last_failed_at);
