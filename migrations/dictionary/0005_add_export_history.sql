-- 0005_add_export_history: record of data exports (who asked, which format and language,
-- how many entries, where the file is in R2) for auditing and re-download.

CREATE TABLE export_history (
    id           TEXT PRIMARY KEY,
    format       TEXT NOT NULL CHECK (format IN ('json', 'csv', 'sqlite')),
    lang         TEXT,                              -- NULL = all languages
    entry_count  INTEGER NOT NULL DEFAULT 0,
    r2_key       TEXT,
    requested_by TEXT,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'completed', 'failed')),
    error        TEXT,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    completed_at DATETIME
);

CREATE INDEX idx_export_history_created_at ON export_history(created_at);
