-- 0008_aspect_coverage: more aspects per discovery, added in place (ALTER TABLE ADD COLUMN
-- keeps every existing row; the new columns are nullable until re-analysis fills them).
--   static_colors:  luminance, chroma, opacity
--   learned_motion: motion_direction, motion_rhythm

ALTER TABLE static_colors ADD COLUMN luminance REAL;
ALTER TABLE static_colors ADD COLUMN chroma REAL;
ALTER TABLE static_colors ADD COLUMN opacity REAL CHECK (opacity IS NULL OR opacity BETWEEN 0 AND 1);

ALTER TABLE learned_motion ADD COLUMN motion_direction TEXT;  -- e.g. left, right, in, out
ALTER TABLE learned_motion ADD COLUMN motion_rhythm TEXT;     -- e.g. steady, pulsing, erratic
