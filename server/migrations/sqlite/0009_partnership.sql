-- Running a partnership without SQL: disabled accounts (leavers), passwords an administrator
-- set that must be changed, children's identifying details (for matching concerns and imports
-- to the right child), the core group as allocation periods with a role, and the agency
-- directory.
ALTER TABLE users ADD COLUMN disabled_at_ms INTEGER;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

ALTER TABLE children ADD COLUMN other_names TEXT NOT NULL DEFAULT '';
ALTER TABLE children ADD COLUMN unborn INTEGER NOT NULL DEFAULT 0;
ALTER TABLE children ADD COLUMN nhs_number TEXT;
ALTER TABLE children ADD COLUMN nhs_unknown_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE children ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE children ADD COLUMN school TEXT NOT NULL DEFAULT '';
ALTER TABLE children ADD COLUMN merged_into TEXT REFERENCES children(id);
CREATE INDEX children_nhs ON children(nhs_number);
CREATE INDEX children_dob ON children(date_of_birth);

-- An allocation is a period: ending one keeps it, and the same practitioner can join again.
CREATE TABLE allocation_periods (
    id TEXT PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    started_on TEXT NOT NULL,
    ended_on TEXT,
    created_at_ms INTEGER NOT NULL
);
INSERT INTO allocation_periods (id, child_id, user_id, role, started_on, ended_on, created_at_ms)
    SELECT 'alloc-' || child_id || '-' || user_id, child_id, user_id, 'other', '', NULL, 0
    FROM allocations;
DROP TABLE allocations;
ALTER TABLE allocation_periods RENAME TO allocations;
CREATE INDEX allocations_child ON allocations(child_id);
CREATE INDEX allocations_user ON allocations(user_id) WHERE ended_on IS NULL;
CREATE UNIQUE INDEX allocations_open ON allocations(child_id, user_id) WHERE ended_on IS NULL;

CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    remit TEXT NOT NULL,
    contact TEXT NOT NULL,
    can_do TEXT NOT NULL,
    cannot_do TEXT NOT NULL
);
