//! Test builders (feature `testing`): senders, device actors, stamps and observations made the
//! way the honest app makes them, shared by the tests of every crate so fixtures cannot drift.

use automerge::ActorId;

use crate::api::Role;
use crate::record::stamped::Stamp;
use crate::record::{IndicatorEntry, Level, Observation, Source};
use crate::validate::{Sender, ACTOR_SUFFIX_LEN};

/// A canonical device id for `user` (32 lowercase hex digits, the same every time).
pub fn device_id(user: &str) -> String {
    device_bytes(user)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The 16 bytes of [`device_id`]: the user's name, padded with `.` or cut to length.
pub fn device_bytes(user: &str) -> Vec<u8> {
    let mut bytes: Vec<u8> = user.bytes().take(16).collect();
    bytes.resize(16, b'.');
    bytes
}

/// The display name the account of `user` has in tests.
pub fn display_name(user: &str) -> String {
    format!("{user} (name)")
}

/// The agency the account of `user` belongs to in tests.
pub fn agency(user: &str) -> String {
    format!("{user}'s agency")
}

/// `user` signed in on their own device.
pub fn sender(user: &str, role: Role) -> Sender {
    Sender {
        user_id: user.parse().expect("a valid user id"),
        role,
        display_name: display_name(user),
        agency: agency(user),
        actor_prefix: device_bytes(user),
    }
}

/// An actor of the sender's device, as the app makes one per page load (the device's bytes
/// and [`ACTOR_SUFFIX_LEN`] more); `n` tells page loads apart.
pub fn actor(sender: &Sender, n: u8) -> ActorId {
    let mut bytes = sender.actor_prefix.clone();
    bytes.extend(std::iter::repeat_n(n, ACTOR_SUFFIX_LEN));
    ActorId::from(bytes)
}

/// A stamp by the sender at `at_ms`.
pub fn stamp(sender: &Sender, at_ms: i64) -> Stamp {
    Stamp {
        by: sender.user_id.clone(),
        by_name: sender.display_name.clone(),
        at_ms,
    }
}

/// A valid observation `id` by the sender.
pub fn observation(id: &str, sender: &Sender) -> Observation {
    Observation {
        id: id.parse().expect("a valid observation id"),
        occurred: "2026-05-01".into(),
        occurred_approx: false,
        recorded_at_ms: 1_700_000_000_000,
        author_id: sender.user_id.clone(),
        author_name: sender.display_name.clone(),
        agency: sender.agency.clone(),
        location: "Home".into(),
        present: vec!["Mother".into()],
        indicators: vec![IndicatorEntry {
            code: "NEG-HYGIENE".into(),
            level: Level::Consider,
            ..Default::default()
        }],
        source: Source::Observed,
        narrative: "Child in the same clothes as last week.".into(),
        child_words: String::new(),
        action_taken: String::new(),
        body_marks: Vec::new(),
    }
}

pub mod attacks;
pub mod memory_server;

pub use memory_server::MemoryServer;
