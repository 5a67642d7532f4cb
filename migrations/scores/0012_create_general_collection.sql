-- 0012_create_general_collection: seed data. The catalogue always has a 'general'
-- collection that new scores land in; created here so every environment has it.
-- INSERT OR IGNORE keeps the migration harmless where the row was created by hand.

INSERT OR IGNORE INTO collections (id, name, slug, description, score_ids)
VALUES ('general', 'General', 'general', 'Scores not yet filed in a curated collection', '[]');
