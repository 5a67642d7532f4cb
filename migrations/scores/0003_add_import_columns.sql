-- 0003_add_import_columns: provenance of imported scores (IMSLP and bulk imports), so an
-- import can be re-run without creating duplicates and a bad batch can be found.

ALTER TABLE scores ADD COLUMN source_url TEXT;
ALTER TABLE scores ADD COLUMN import_batch_id TEXT;
ALTER TABLE scores ADD COLUMN imported_at DATETIME;

CREATE INDEX idx_scores_source ON scores(source);
CREATE INDEX idx_scores_import_batch_id ON scores(import_batch_id);
