-- 0018_add_normalized_id: a normalised identity for deduplication.
-- normalized_id = composer--title[--opus], lower-cased, spaces as '-'. Two uploads of the
-- same piece share it; the index is not unique on purpose, so duplicates that already exist
-- can be found and merged by the application instead of failing this migration.

ALTER TABLE scores ADD COLUMN normalized_id TEXT;

UPDATE scores
SET normalized_id = lower(replace(trim(composer), ' ', '-')) || '--'
                 || lower(replace(trim(title), ' ', '-'))
                 || coalesce('--' || lower(replace(trim(opus), ' ', '-')), '');

CREATE INDEX idx_scores_normalized_id ON scores(normalized_id);
