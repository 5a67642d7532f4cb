-- 0005_add_visual_analysis_columns: results of the page-image analysis pipeline
-- (detected staves, systems, measure count) stored as JSON on the score.

ALTER TABLE scores ADD COLUMN has_visual_analysis INTEGER NOT NULL DEFAULT 0 CHECK (has_visual_analysis IN (0, 1));
ALTER TABLE scores ADD COLUMN visual_analysis TEXT;  -- JSON
ALTER TABLE scores ADD COLUMN analyzed_at DATETIME;
