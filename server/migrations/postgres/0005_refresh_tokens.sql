-- Rotating refresh tokens. Every sign-in starts a family; each refresh uses up one token and
-- issues the next. Presenting a used token again means it was stolen: the whole family (its
-- refresh tokens and its access sessions) is revoked.
ALTER TABLE sessions ADD COLUMN family_id TEXT COLLATE "C";
CREATE INDEX sessions_family ON sessions(family_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    family_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    device_id TEXT,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms BIGINT,
    revoked BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX refresh_family ON refresh_tokens(family_id);
