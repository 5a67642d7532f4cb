-- 0013_backfill_version_mime_types: data fix. Versions uploaded before the upload path set
-- mime_type (0004) have NULL; derive it from the format so downloads get the right
-- Content-Type.

UPDATE score_versions
SET mime_type = CASE format
        WHEN 'pdf'      THEN 'application/pdf'
        WHEN 'musicxml' THEN 'application/vnd.recordare.musicxml+xml'
        WHEN 'vexflow'  THEN 'application/json'
        WHEN 'image'    THEN 'image/png'
        WHEN 'abc'      THEN 'text/vnd.abc'
    END
WHERE mime_type IS NULL;
