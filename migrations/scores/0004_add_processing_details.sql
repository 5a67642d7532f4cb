-- 0004_add_processing_details: why a version failed to process, when it finished, and the
-- file's MIME type and checksum (used to skip re-uploads of an identical file).

ALTER TABLE score_versions ADD COLUMN processing_error TEXT;
ALTER TABLE score_versions ADD COLUMN processed_at DATETIME;
ALTER TABLE score_versions ADD COLUMN mime_type TEXT;
ALTER TABLE score_versions ADD COLUMN checksum TEXT;
