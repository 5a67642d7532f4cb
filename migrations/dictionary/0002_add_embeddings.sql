-- 0002_add_embeddings: vectors for semantic search, one per (entry, embedding model).
-- The vector is stored as a packed float32 BLOB of `dimension` values; the model is a
-- Cloudflare Workers AI embedding model name (e.g. @cf/baai/bge-base-en-v1.5).

CREATE TABLE term_embeddings (
    id         TEXT PRIMARY KEY,
    entry_id   TEXT NOT NULL REFERENCES dictionary_entries(id) ON DELETE CASCADE,
    embedding  BLOB NOT NULL,
    model      TEXT NOT NULL,
    dimension  INTEGER NOT NULL CHECK (dimension > 0),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (entry_id, model)
);

CREATE INDEX idx_term_embeddings_model ON term_embeddings(model);
