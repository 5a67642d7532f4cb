-- 0001_initial_schema: music terminology.
-- dictionary_entries: one definition per (normalized_term, lang). Languages are en, es, fr,
--   de, zh-TW and zh-CN: BCP 47 tags, so the two Chinese variants are mixed case by
--   definition (the documented exception to the lower-case enum convention).
--   overall_score (0-100) ranks entries by quality.
-- related_terms: typed links between entries. user_feedback: users' ratings of definitions.

-- dbtool:lint-ignore CV101 lang holds BCP 47 language tags; zh-TW and zh-CN are mixed case by definition
CREATE TABLE dictionary_entries (
    id              TEXT PRIMARY KEY,
    term            TEXT NOT NULL,
    normalized_term TEXT NOT NULL,                  -- lower-cased, accent-folded lookup key
    lang            TEXT NOT NULL DEFAULT 'en'
                    CHECK (lang IN ('en', 'es', 'fr', 'de', 'zh-TW', 'zh-CN')),
    type            TEXT NOT NULL DEFAULT 'general'
                    CHECK (type IN ('tempo', 'dynamics', 'articulation', 'form', 'genre',
                                    'instrument', 'technique', 'theory', 'general')),
    definition      TEXT NOT NULL,                  -- JSON: concise/detailed text, etymology, usage
    metadata        TEXT,                           -- JSON: pronunciation, related composers, ...
    sources         TEXT,                           -- JSON array of reference links
    overall_score   REAL NOT NULL DEFAULT 0 CHECK (overall_score BETWEEN 0 AND 100),
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (normalized_term, lang)
);

CREATE INDEX idx_dictionary_entries_term ON dictionary_entries(term);
CREATE INDEX idx_dictionary_entries_lang ON dictionary_entries(lang);
CREATE INDEX idx_dictionary_entries_type ON dictionary_entries(type);
CREATE INDEX idx_dictionary_entries_overall_score ON dictionary_entries(overall_score);
CREATE INDEX idx_dictionary_entries_updated_at ON dictionary_entries(updated_at);

CREATE TRIGGER trg_dictionary_entries_updated_at
AFTER UPDATE ON dictionary_entries
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE dictionary_entries SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

CREATE TABLE related_terms (
    id                TEXT PRIMARY KEY,
    entry_id          TEXT NOT NULL REFERENCES dictionary_entries(id) ON DELETE CASCADE,
    related_entry_id  TEXT NOT NULL REFERENCES dictionary_entries(id) ON DELETE CASCADE,
    relationship_type TEXT NOT NULL
                      CHECK (relationship_type IN ('synonym', 'antonym', 'related', 'see_also',
                                                   'broader', 'narrower')),
    confidence        REAL CHECK (confidence BETWEEN 0 AND 1),
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (entry_id, related_entry_id, relationship_type),
    CHECK (entry_id <> related_entry_id)
);

CREATE INDEX idx_related_terms_related_entry_id ON related_terms(related_entry_id);

CREATE TABLE user_feedback (
    id            TEXT PRIMARY KEY,
    entry_id      TEXT NOT NULL REFERENCES dictionary_entries(id) ON DELETE CASCADE,
    user_id       TEXT,                             -- api users.id; NULL for anonymous feedback
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    feedback_type TEXT NOT NULL DEFAULT 'rating'
                  CHECK (feedback_type IN ('rating', 'helpful', 'not_helpful', 'incorrect', 'incomplete')),
    comment       TEXT,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_user_feedback_entry_id ON user_feedback(entry_id);
CREATE INDEX idx_user_feedback_user_id ON user_feedback(user_id);
