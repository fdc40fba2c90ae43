//! The end-to-end tests, one crate (the server, sqlx, Automerge and fantoccini are linked once):
//! each module starts the real `quilt-server` binary (`QUILT_SERVER_BIN`) on a real SQLite file
//! or PostgreSQL database, and the browser ones drive the built client (`QUILT_DIST`) in a real
//! headless Chromium. `cargo test -p tests --test e2e -- --include-ignored <module>::` runs one
//! module; `cargo xtask test` runs them all.

mod crash;
mod disk_full;
mod drafts;
mod forms;
mod front_door;
mod layout;
mod lessons;
mod live;
mod offline_loop;
mod partnership;
mod record_overview;
mod scan;
mod shell;
mod trust;
mod whole_story;
