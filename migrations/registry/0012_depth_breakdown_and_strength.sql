-- 0012_depth_breakdown_and_strength: depth breakdowns for Pure/Semantic/audio elements
-- and the measured strength of static sounds (low/mid/high are measurements, not names).
-- Added in place with ALTER TABLE ADD COLUMN. Run this migration before deploying the
-- Worker that writes these columns.

ALTER TABLE static_colors ADD COLUMN depth_breakdown_json TEXT;          -- JSON
ALTER TABLE static_sound ADD COLUMN depth_breakdown_json TEXT;           -- JSON
ALTER TABLE static_sound ADD COLUMN strength_pct REAL CHECK (strength_pct IS NULL OR strength_pct BETWEEN 0 AND 100);
ALTER TABLE narrative_entries ADD COLUMN depth_breakdown_json TEXT;      -- JSON
ALTER TABLE learned_audio_semantic ADD COLUMN depth_breakdown_json TEXT; -- JSON
