-- Each device id belongs to the first user who signs in with it. Every Automerge actor a
-- tablet writes with starts with its device id, so without this binding one user could sign
-- in with another's device id (it is visible in the actors of synced changes) and write as
-- that device.
CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    first_seen_ms INTEGER NOT NULL
);
