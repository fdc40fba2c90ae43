//! The change policy's rule families, from the shared crafted-change corpus
//! (`shared::testing::attacks`): each case sent by a signed-in, allocated user through the real
//! router and store, on Ava's record as their tablet holds it.

use shared::api::Role;
use shared::sync::server::encode_changes;
use shared::sync::ChildSyncRequest;
use shared::testing::attacks::{self, By, Party, Target};
use shared::validate::Sender;

use super::check::{case, policy, Case, Expect::*};
use super::fixture::*;
use crate::support::{self, Tablet};

/// The identity the server checks `tablet`'s changes against.
fn party(tablet: &Tablet, user_id: &str, role: Role) -> Party {
    Party {
        sender: Sender {
            user_id: user_id.parse().expect("a valid id"),
            role,
            display_name: support::display_name(user_id),
            agency: support::agency(user_id),
            actor_prefix: tablet.actor.to_bytes()[..16].to_vec(),
        },
        actor: tablet.actor.clone(),
    }
}

/// Ava's record as Sam's tablet holds it, with the demo caseload's entries to aim at.
pub fn target(f: &Fixture) -> Target<'_> {
    Target {
        doc: &replica(&f.sam, AVA).doc,
        practitioner: party(&f.sam, SAM, Role::Practitioner),
        manager: party(&f.morgan, MORGAN, Role::Manager),
        other: party(&f.hana, HANA, Role::Practitioner),
        // Sam recorded demo-1, Hana demo-0.
        own_observation: "demo-1".into(),
        others_observation: "demo-0".into(),
        person: "person-dean".into(),
        action: "action-heating".into(),
        scaling: "scale-3".into(),
        episode: "episode-cp-2025".into(),
        concern: "concern-demo-ava".into(),
    }
}

/// `by`'s tablet and user id.
pub fn sender_of(f: &Fixture, by: By) -> (&Tablet, &'static str) {
    match by {
        By::Practitioner => (&f.sam, SAM),
        By::Manager => (&f.morgan, MORGAN),
    }
}

/// A sync from `by`'s tablet carrying `build`'s changes for Ava.
pub fn sync_built(
    f: &Fixture,
    by: By,
    build: fn(&Target<'_>, &Party) -> Vec<automerge::Change>,
) -> axum::http::Request<axum::body::Body> {
    let t = target(f);
    let changes = build(&t, t.party(by));
    assert!(!changes.is_empty(), "the case made no change");
    let (tablet, _) = sender_of(f, by);
    let req = ChildSyncRequest {
        child_id: id(AVA),
        server_heads: replica(tablet, AVA).server_heads_hex(),
        changes: encode_changes(changes),
        sync_message: None,
    };
    sync(tablet, vec![req])
}

pub fn cases() -> Vec<Case> {
    attacks::attacks()
        .into_iter()
        .map(|a| {
            let user = match a.by {
                By::Practitioner => SAM,
                By::Manager => MORGAN,
            };
            let (by, build) = (a.by, a.build);
            case(
                format!("{}: {}", a.family, a.name),
                Some(user),
                Rejected(AVA, policy(a.expect)),
                move |f| sync_built(f, by, build),
            )
        })
        .collect()
}
