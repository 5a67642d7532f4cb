-- 0008_add_score_search_indexes: the catalogue's browse filters combine instrument and
-- difficulty, and composer pages list titles in order; composite indexes for both.

CREATE INDEX idx_scores_instrument_difficulty ON scores(instrument, difficulty);
CREATE INDEX idx_scores_composer_title ON scores(composer, title);
