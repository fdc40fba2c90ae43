-- The whole record as JSON, rewritten in the merge transaction; dashboards compute flags from it.
CREATE TABLE record_projection (
    child_id TEXT PRIMARY KEY REFERENCES children(id),
    record_json TEXT NOT NULL
);
