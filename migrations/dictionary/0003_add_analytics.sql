-- 0003_add_analytics: what people search for, how the cache performs, and a daily rollup.
-- search_analytics: one row per search (append-only).
-- cache_metrics: hit/miss counters per cache and hour bucket.
-- daily_statistics: one row per UTC day, written by the nightly rollup.

CREATE TABLE search_analytics (
    id               TEXT PRIMARY KEY,
    term             TEXT NOT NULL,
    normalized_term  TEXT NOT NULL,
    lang             TEXT,
    search_type      TEXT NOT NULL DEFAULT 'exact'
                     CHECK (search_type IN ('exact', 'fuzzy', 'semantic', 'prefix')),
    result_count     INTEGER NOT NULL DEFAULT 0,
    response_time_ms INTEGER,
    session_id       TEXT,
    searched_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_search_analytics_normalized_term ON search_analytics(normalized_term);
CREATE INDEX idx_search_analytics_searched_at ON search_analytics(searched_at);

CREATE TABLE cache_metrics (
    id           TEXT PRIMARY KEY,
    cache_type   TEXT NOT NULL CHECK (cache_type IN ('kv', 'memory', 'edge')),
    bucket_start DATETIME NOT NULL,                 -- start of the hour the counters cover
    hits         INTEGER NOT NULL DEFAULT 0,
    misses       INTEGER NOT NULL DEFAULT 0,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (cache_type, bucket_start)
);

CREATE TRIGGER trg_cache_metrics_updated_at
AFTER UPDATE ON cache_metrics
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE cache_metrics SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

CREATE TABLE daily_statistics (
    date             TEXT PRIMARY KEY,              -- YYYY-MM-DD (UTC)
    total_searches   INTEGER NOT NULL DEFAULT 0,
    unique_terms     INTEGER NOT NULL DEFAULT 0,
    new_entries      INTEGER NOT NULL DEFAULT 0,
    ai_generations   INTEGER NOT NULL DEFAULT 0,
    avg_response_ms  REAL,
    cache_hit_rate   REAL CHECK (cache_hit_rate BETWEEN 0 AND 1),
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TRIGGER trg_daily_statistics_updated_at
AFTER UPDATE ON daily_statistics
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE daily_statistics SET updated_at = CURRENT_TIMESTAMP WHERE date = NEW.date;
END;
