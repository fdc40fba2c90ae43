//! HTTP routes, one module per resource, each exposing `router()`.

pub mod admin;
pub mod auth;
pub mod children;
pub mod front_door;
pub mod ops;
pub mod seen;
pub mod sync;
pub mod team;
