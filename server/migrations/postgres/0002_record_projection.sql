-- The whole record as JSON, rewritten in the merge transaction; dashboards compute flags from it.
-- Kept as text, not jsonb: it is read back whole, exactly as written.
CREATE TABLE record_projection (
    child_id TEXT COLLATE "C" PRIMARY KEY REFERENCES children(id),
    record_json TEXT NOT NULL
);
