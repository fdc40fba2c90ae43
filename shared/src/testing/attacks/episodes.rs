//! Episodes (plan periods) in the crafted-change corpus: who may start, end and add to one,
//! and the shapes an episode must have. The target record holds one open child protection
//! episode, `Target::episode`, started by the manager.

use super::By::*;
use super::{a, h, put_entry, raw, stamp, stamped_then, write, Attack, Honest};
use super::{entry, no_more, Party, Target};
use crate::record::episodes::{
    self, EndReason, EpisodeBase, EpisodeEnding, EpisodeEvent, EpisodeKind, EventKind,
    PlanCategory, EPISODES, EPISODE_EVENTS,
};
use crate::validate::Rejection::*;
use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT};

/// The episode a target record holds (written by its manager when the record is made).
pub fn target_episode(manager: &crate::validate::Sender) -> EpisodeBase {
    EpisodeBase {
        id: "episode-target".into(),
        kind: EpisodeKind::ChildProtection,
        category: PlanCategory::Neglect,
        started_on: "2025-11-10".into(),
        detail: String::new(),
        added: crate::testing::stamp(manager, 1_760_000_000_000),
    }
}

fn base(p: &Party) -> EpisodeBase {
    EpisodeBase {
        id: "crafted-episode".into(),
        kind: EpisodeKind::LookedAfter,
        category: PlanCategory::None,
        started_on: "2026-11-20".into(),
        detail: "Section 20; foster carers".into(),
        added: stamp(p),
    }
}

fn ended() -> EpisodeEnding {
    EpisodeEnding {
        ended_on: "2026-11-20".into(),
        reason: EndReason::RiskReduced,
        note: "Review conference: plan no longer needed".into(),
    }
}

fn event(t: &Target<'_>, p: &Party) -> EpisodeEvent {
    EpisodeEvent {
        id: "crafted-event".into(),
        episode_id: t.episode.clone(),
        kind: EventKind::CategoryChanged,
        date: "2026-11-20".into(),
        category: PlanCategory::Emotional,
        note: "Changed at review".into(),
        added: stamp(p),
    }
}

pub(super) fn attacks() -> Vec<Attack> {
    vec![
        a(
            "episodes",
            "a practitioner starts an episode",
            Practitioner,
            ManagerOnly,
            |t, p| {
                write(t, p, |d| {
                    let _ = episodes::start(d, &base(p));
                })
            },
        ),
        a(
            "episodes",
            "a practitioner ends a plan",
            Practitioner,
            ManagerOnly,
            |t, p| {
                write(t, p, |d| {
                    let _ = episodes::end(d, &t.episode, &ended(), &stamp(p));
                })
            },
        ),
        a(
            "episodes",
            "a practitioner changes a plan's category",
            Practitioner,
            ManagerOnly,
            |t, p| {
                write(t, p, |d| {
                    let _ = episodes::add_event(d, &event(t, p));
                })
            },
        ),
        a(
            "episodes",
            "an event about an episode the record does not hold",
            Manager,
            UnknownEntry,
            |t, p| {
                write(t, p, |d| {
                    let e = EpisodeEvent {
                        episode_id: "no-such-episode".into(),
                        ..event(t, p)
                    };
                    put_entry(d, EPISODE_EVENTS, "crafted-event", &e);
                })
            },
        ),
        a(
            "episodes",
            "a placement move on a child protection plan",
            Manager,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let e = EpisodeEvent {
                        kind: EventKind::PlacementMoved,
                        category: PlanCategory::None,
                        ..event(t, p)
                    };
                    put_entry(d, EPISODE_EVENTS, "crafted-event", &e);
                })
            },
        ),
        a(
            "episodes",
            "a child protection plan without a category",
            Manager,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let b = EpisodeBase {
                        kind: EpisodeKind::ChildProtection,
                        ..base(p)
                    };
                    crafted_episode(d, &b, p);
                })
            },
        ),
        a(
            "episodes",
            "an episode with no ending field",
            Manager,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let m = super::map(d, EPISODES);
                    let b = base(p);
                    raw(d, |tx| {
                        if let Ok(obj) = tx.put_object(&m, "crafted-episode", ObjType::Map) {
                            let _ = autosurgeon::reconcile_prop(tx, &obj, "base", &b);
                        }
                    });
                })
            },
        ),
        a(
            "episodes",
            "an ending with a date but no reason",
            Manager,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let obj = entry(d, EPISODES, &t.episode);
                    let bad = EpisodeEnding {
                        reason: EndReason::Open,
                        ..ended()
                    };
                    stamped_then(d, &obj, "ending", &bad, &stamp(p), no_more);
                })
            },
        ),
        a(
            "episodes",
            "an ending stamped with another person's name",
            Manager,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let obj = entry(d, EPISODES, &t.episode);
                    let mut s = stamp(p);
                    s.by_name = "Someone Else".into();
                    stamped_then(d, &obj, "ending", &ended(), &s, no_more);
                })
            },
        ),
        a(
            "episodes",
            "a second map made at the root beside the added ones",
            Manager,
            Structure,
            |t, p| {
                write(t, p, |d| {
                    raw(d, |tx| {
                        let _ = tx.put_object(ROOT, "episode_notes", ObjType::Map);
                    });
                })
            },
        ),
        a(
            "episodes",
            "an episode's base rewritten",
            Manager,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let obj = entry(d, EPISODES, &t.episode);
                    let base_obj = super::child(d, &obj, "base");
                    raw(d, |tx| {
                        let _ = tx.put(&base_obj, "started_on", "2020-01-01");
                    });
                })
            },
        ),
    ]
}

pub(super) fn honest() -> Vec<Honest> {
    vec![
        h("a manager starts an episode", Manager, |t, p| {
            write(t, p, |d| {
                let _ = episodes::start(d, &base(p));
            })
        }),
        h("a manager ends a plan", Manager, |t, p| {
            write(t, p, |d| {
                let _ = episodes::end(d, &t.episode, &ended(), &stamp(p));
            })
        }),
        h("a manager changes a plan's category", Manager, |t, p| {
            write(t, p, |d| {
                let _ = episodes::add_event(d, &event(t, p));
            })
        }),
        h(
            "a manager starts a looked-after episode and records a move, in one sync",
            Manager,
            |t, p| {
                write(t, p, |d| {
                    let _ = episodes::start(d, &base(p));
                    let _ = episodes::add_event(
                        d,
                        &EpisodeEvent {
                            id: "crafted-move".into(),
                            episode_id: "crafted-episode".into(),
                            kind: EventKind::PlacementMoved,
                            category: PlanCategory::None,
                            date: "2026-11-21".into(),
                            note: "Moved to kinship carers".into(),
                            added: stamp(p),
                        },
                    );
                })
            },
        ),
    ]
}

/// An episode written by hand: `b` as its base and an open ending, in one change.
fn crafted_episode(d: &mut automerge::Automerge, b: &EpisodeBase, p: &Party) {
    let m = super::map(d, EPISODES);
    raw(d, |tx| {
        if let Ok(obj) = tx.put_object(&m, b.id.as_str(), ObjType::Map) {
            let _ = autosurgeon::reconcile_prop(tx, &obj, "base", b);
            let _ = crate::record::stamped::write(
                tx,
                &obj,
                "ending",
                &EpisodeEnding::open(),
                &stamp(p),
            );
        }
    });
}
