-- Retry tracking: a paid scene may be retried for up to one hour after the
-- payment if generation fails (after that: 50% refund and the slot reopens).
-- generation_attempts counts the attempts, first_attempt_at starts the window.

-- Fail fast instead of queueing every query behind a blocked ALTER.
SET LOCAL lock_timeout = '5s';

ALTER TABLE scenes ADD COLUMN generation_attempts INTEGER DEFAULT 0;
ALTER TABLE scenes ADD COLUMN first_attempt_at TIMESTAMP;
