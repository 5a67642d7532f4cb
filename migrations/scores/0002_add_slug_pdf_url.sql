-- 0002_add_slug_pdf_url: human-readable URLs for scores and a direct link to the rendered PDF.
-- Existing scores get their slug from the application on next save; NULL slugs do not
-- collide in the unique index.

ALTER TABLE scores ADD COLUMN slug TEXT;
ALTER TABLE scores ADD COLUMN pdf_url TEXT;

CREATE UNIQUE INDEX idx_scores_slug ON scores(slug);
