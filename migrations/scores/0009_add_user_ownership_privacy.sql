-- 0009_add_user_ownership_privacy: user-uploaded scores have an owner and a visibility.
-- Existing (catalogue) scores have no owner and stay public. user_id is a users.id of the
-- api service's database, so it carries no FK.

ALTER TABLE scores ADD COLUMN user_id TEXT;
ALTER TABLE scores ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('private', 'public', 'unlisted'));

CREATE INDEX idx_scores_user_id ON scores(user_id);
CREATE INDEX idx_scores_visibility ON scores(visibility);
