-- 0003_add_user_tracking_fields: last sign-in time and sign-in count on users,
-- added in place (existing users start at 0 sign-ins recorded).

ALTER TABLE users ADD COLUMN last_login_at DATETIME;
ALTER TABLE users ADD COLUMN login_count INTEGER NOT NULL DEFAULT 0;
