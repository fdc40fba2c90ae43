-- The PostgreSQL twin of migrations/sqlite/0009_partnership.sql.
ALTER TABLE users ADD COLUMN disabled_at_ms BIGINT;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE children ADD COLUMN other_names TEXT NOT NULL DEFAULT '';
ALTER TABLE children ADD COLUMN unborn BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE children ADD COLUMN nhs_number TEXT COLLATE "C";
ALTER TABLE children ADD COLUMN nhs_unknown_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE children ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE children ADD COLUMN school TEXT NOT NULL DEFAULT '';
ALTER TABLE children ADD COLUMN merged_into TEXT COLLATE "C" REFERENCES children(id);
CREATE INDEX children_nhs ON children(nhs_number);
CREATE INDEX children_dob ON children(date_of_birth);

CREATE TABLE allocation_periods (
    id TEXT COLLATE "C" PRIMARY KEY,
    child_id TEXT COLLATE "C" NOT NULL REFERENCES children(id),
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    started_on TEXT NOT NULL,
    ended_on TEXT,
    created_at_ms BIGINT NOT NULL
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
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    remit TEXT NOT NULL,
    contact TEXT NOT NULL,
    can_do TEXT NOT NULL,
    cannot_do TEXT NOT NULL
);
