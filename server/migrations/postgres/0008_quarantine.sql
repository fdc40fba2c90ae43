-- Records the server found it cannot load (a change that does not decode or apply, a snapshot
-- that does not load, a rebuild that panicked): while a record is here, syncs answer it as
-- unavailable without rebuilding it again, and the rest of the caseload syncs as usual.
-- `quilt-server records repair` clears the mark. Reasons are fixed phrases, never contents.
CREATE TABLE quarantined_records (
    child_id TEXT COLLATE "C" PRIMARY KEY REFERENCES children(id),
    reason TEXT NOT NULL,
    detected_at_ms BIGINT NOT NULL
);

-- What a repair moved out of a record: changes that do not decode or apply, changes that depend
-- on those, and a snapshot that does not load. Kept byte for byte for the service desk.
CREATE TABLE quarantined_changes (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    child_id TEXT COLLATE "C" NOT NULL REFERENCES children(id),
    kind TEXT NOT NULL CHECK (kind IN ('change', 'snapshot')),
    hash TEXT COLLATE "C" NOT NULL,
    bytes BYTEA NOT NULL,
    reason TEXT NOT NULL,
    quarantined_at_ms BIGINT NOT NULL
);
CREATE INDEX quarantined_changes_child ON quarantined_changes(child_id, seq);
