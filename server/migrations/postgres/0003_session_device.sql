-- Sessions are bound to the device that signed in; changes must come from that device's actors.
ALTER TABLE sessions ADD COLUMN device_id TEXT COLLATE "C";
