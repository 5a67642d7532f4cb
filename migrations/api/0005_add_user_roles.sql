-- 0005_add_user_roles: a role per user for admin-only endpoints.
-- Added in place; every existing user becomes a plain 'user'.

ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin'));

CREATE INDEX idx_users_role ON users(role);
