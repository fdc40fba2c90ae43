-- What each user last saw of each record ("new since you last looked"): the keys of the
-- entries it held, as a JSON array (shared::analytics::since::look).
CREATE TABLE record_views (
    user_id TEXT NOT NULL REFERENCES users(id),
    child_id TEXT NOT NULL REFERENCES children(id),
    seen_json TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, child_id)
);
