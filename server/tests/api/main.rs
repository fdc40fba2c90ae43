//! The server's integration tests, one crate (so the server, sqlx and Automerge are linked once,
//! not once per file): each module drives the real router and store, on a real SQLite file or,
//! with `QUILT_TEST_DATABASE_URL=postgres://…`, a fresh PostgreSQL database per test server
//! (`support`). `cargo test -p server --test api <module>::` runs one module.

mod support;

mod access;
mod audit;
mod caseloads;
mod documents;
mod engines;
mod front_door;
mod headers;
mod lessons;
mod malicious;
mod operator;
mod ops;
mod partnership;
mod processes;
mod quarantine;
mod record;
mod slow_clients;
mod store;
mod strategy;
mod sync;
mod tokens;
