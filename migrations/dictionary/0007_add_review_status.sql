-- 0007_add_review_status: AI-generated entries below the quality bar need a human look.
-- review_status tracks that on the entry (existing entries count as approved); the queue
-- of entries waiting for review arrives in 0008.

ALTER TABLE dictionary_entries ADD COLUMN review_status TEXT NOT NULL DEFAULT 'approved' CHECK (review_status IN ('pending', 'approved', 'rejected'));
ALTER TABLE dictionary_entries ADD COLUMN reviewed_at DATETIME;

CREATE INDEX idx_dictionary_entries_review_status ON dictionary_entries(review_status);
