-- Quilt's first schema: people, access, documents and the manager read model.
-- The PostgreSQL twin of migrations/sqlite/0001_initial.sql. Text that is sorted or compared
-- uses the "C" collation, so orders are byte-wise as in SQLite whatever the database's locale.
CREATE TABLE teams (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT COLLATE "C" PRIMARY KEY,
    username TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    agency TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('practitioner', 'manager', 'admin')),
    team_id TEXT COLLATE "C" REFERENCES teams(id),
    password_hash TEXT NOT NULL
);

-- Only a SHA-256 of each bearer token is stored.
CREATE TABLE sessions (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE children (
    id TEXT COLLATE "C" PRIMARY KEY,
    display_name TEXT COLLATE "C" NOT NULL,
    date_of_birth TEXT NOT NULL,
    legal_status TEXT NOT NULL,
    team_id TEXT COLLATE "C" NOT NULL REFERENCES teams(id)
);

CREATE TABLE allocations (
    child_id TEXT COLLATE "C" NOT NULL REFERENCES children(id),
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    PRIMARY KEY (child_id, user_id)
);
CREATE INDEX allocations_user ON allocations(user_id);

-- A child's Automerge document: an optional compacted snapshot plus the changes since it.
CREATE TABLE doc_snapshots (
    child_id TEXT COLLATE "C" PRIMARY KEY REFERENCES children(id),
    bytes BYTEA NOT NULL,
    saved_at_ms BIGINT NOT NULL
);

CREATE TABLE doc_changes (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    child_id TEXT COLLATE "C" NOT NULL REFERENCES children(id),
    hash TEXT COLLATE "C" NOT NULL,
    bytes BYTEA NOT NULL,
    stored_at_ms BIGINT NOT NULL,
    UNIQUE (child_id, hash)
);

-- Read model for manager pages, rewritten in the same transaction as every merge.
CREATE TABLE observations (
    child_id TEXT COLLATE "C" NOT NULL REFERENCES children(id),
    observation_id TEXT COLLATE "C" NOT NULL,
    occurred TEXT COLLATE "C" NOT NULL,
    occurred_approx BOOLEAN NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    author_id TEXT COLLATE "C" NOT NULL,
    author_name TEXT NOT NULL,
    agency TEXT NOT NULL,
    source TEXT NOT NULL,
    headline TEXT NOT NULL,
    indicators_json TEXT NOT NULL,
    indicator_count BIGINT NOT NULL,
    child_words TEXT NOT NULL,
    narrative TEXT NOT NULL,
    PRIMARY KEY (child_id, observation_id)
);
CREATE INDEX observations_order ON observations(child_id, occurred, recorded_at_ms, observation_id);
