-- Rotating refresh tokens. Every sign-in starts a family; each refresh uses up one token and
-- issues the next. Presenting a used token again means it was stolen: the whole family (its
-- refresh tokens and its access sessions) is revoked.
ALTER TABLE sessions ADD COLUMN family_id TEXT;
CREATE INDEX sessions_family ON sessions(family_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    device_id TEXT,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    used_at_ms INTEGER,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refresh_family ON refresh_tokens(family_id);
