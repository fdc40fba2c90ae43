-- The front door (shared::api::front_door): who works it, and every concern it receives
-- from a tablet or a call, before and after it is matched to a child and decided.
ALTER TABLE users ADD COLUMN front_door BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE concerns (
    id TEXT PRIMARY KEY,
    -- Who recorded it: the referrer on their tablet, or the front-door worker who took a call.
    recorded_by TEXT NOT NULL REFERENCES users(id),
    -- The referrer as the record will name them (shared::record::front_door::Concern).
    from_kind TEXT NOT NULL,
    referrer TEXT NOT NULL,
    agency TEXT NOT NULL,
    relationship TEXT NOT NULL,
    -- The concern as submitted (shared::api::front_door::ConcernSubmission), as JSON.
    submission_json TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    received_on TEXT NOT NULL,
    due TEXT NOT NULL,
    owner TEXT NOT NULL,
    owner_name TEXT NOT NULL,
    -- Set when matched: the child whose record now holds it.
    child_id TEXT REFERENCES children(id),
    matched_by TEXT,
    -- Set when decided.
    decision TEXT,
    decided_on TEXT,
    decided_by TEXT
);
CREATE INDEX concerns_recorded_by ON concerns (recorded_by, received_at_ms);
CREATE INDEX concerns_open ON concerns (decided_on, received_at_ms);
