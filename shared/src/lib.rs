//! Quilt's shared core: everything both the tablet (wasm) and the server agree on.
//!
//! Architecture invariant: this crate performs no IO. It reads no clock and draws no random
//! numbers; times, ids and actor ids are always passed in. That is what lets the same merge,
//! validation and analytics code run offline on the tablet and authoritatively on the server,
//! and lets its tests run natively in milliseconds.

pub mod analytics;
pub mod api;
pub mod calendar;
pub mod catalogue;
pub mod choice;
pub mod chronology;
pub mod ids;
pub mod matching;
pub mod nhs;
pub mod record;
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;
pub mod validate;

pub use ids::{ChildId, DeviceId, ObservationId, UserId};
