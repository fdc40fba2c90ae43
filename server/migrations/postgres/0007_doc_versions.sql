-- Each child's document version and heads after its last merge. A merge is stored only on the
-- version it was computed from (optimistic: the write lock is held for the write alone), and a
-- sync that brings nothing new is answered from the heads without loading the document.
CREATE TABLE doc_state (
    child_id TEXT PRIMARY KEY REFERENCES children(id),
    version BIGINT NOT NULL,
    heads TEXT NOT NULL
);

-- Observation rows carry the whole observation, and the record projection no longer repeats
-- them: a merge rewrites only the observations it touched, not every row of a long record.
ALTER TABLE observations ADD COLUMN observation_json TEXT NOT NULL DEFAULT '';
ALTER TABLE record_projection ADD COLUMN unreadable_observations INTEGER NOT NULL DEFAULT 0;

-- Read models written before this migration are rebuilt from the documents at start-up: every
-- child with a stored document and no doc_state row is re-projected.
DELETE FROM observations;
DELETE FROM record_projection;
