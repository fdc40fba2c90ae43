//! HTTP routes, one module per resource, each exposing `router()`.

pub mod auth;
pub mod children;
pub mod ops;
pub mod sync;
pub mod team;
