-- 0016_add_user_collection_sharing: 'shared' user collections name who they are shared
-- with (JSON array of users.id) and can be opened with an unguessable share token.

ALTER TABLE user_collections ADD COLUMN shared_with TEXT NOT NULL DEFAULT '[]';  -- JSON array
ALTER TABLE user_collections ADD COLUMN share_token TEXT;

CREATE UNIQUE INDEX idx_user_collections_share_token ON user_collections(share_token);
