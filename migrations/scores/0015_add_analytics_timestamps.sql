-- 0015_add_analytics_timestamps: when a score was last downloaded and rendered, next to
-- last_viewed_at, so "recently popular" can be computed without an events table.

ALTER TABLE score_analytics ADD COLUMN last_downloaded_at DATETIME;
ALTER TABLE score_analytics ADD COLUMN last_rendered_at DATETIME;

CREATE INDEX idx_score_analytics_view_count ON score_analytics(view_count);
