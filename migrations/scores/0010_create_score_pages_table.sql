-- 0010_create_score_pages_table: one row per rendered page of a score, with the page image
-- and its thumbnail, so the viewer can page through a score without opening the PDF.

CREATE TABLE score_pages (
    id            TEXT PRIMARY KEY,
    score_id      TEXT NOT NULL REFERENCES scores(id) ON DELETE CASCADE,
    page_number   INTEGER NOT NULL CHECK (page_number >= 1),
    image_url     TEXT NOT NULL,
    thumbnail_url TEXT,
    r2_key        TEXT,
    width         INTEGER,
    height        INTEGER,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (score_id, page_number)
);

CREATE TRIGGER trg_score_pages_updated_at
AFTER UPDATE ON score_pages
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE score_pages SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
