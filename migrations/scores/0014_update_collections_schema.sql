-- 0014_update_collections_schema: featured collections on the home page.
-- is_featured marks curated collections to show, display_order orders them, and
-- featured_at/featured_by record the editor's decision. Added in place.

ALTER TABLE collections ADD COLUMN is_featured INTEGER NOT NULL DEFAULT 0 CHECK (is_featured IN (0, 1));
ALTER TABLE collections ADD COLUMN display_order INTEGER NOT NULL DEFAULT 0;
ALTER TABLE collections ADD COLUMN featured_at DATETIME;
ALTER TABLE collections ADD COLUMN featured_by TEXT;

CREATE INDEX idx_collections_featured ON collections(is_featured, display_order);
