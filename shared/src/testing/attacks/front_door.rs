//! Concerns, their answers, strategy discussion records and information-sharing decisions in
//! the crafted-change corpus: only the front door puts a concern in a record, an answer names
//! a concern the record holds, and each entry's rules (who took part, consent and its reasons,
//! what a decision is about) hold for hand-made writes too.

use super::By::*;
use super::{a, crafted, h, raw, stamp, write, Attack, Honest, Party, Target};
use crate::record::front_door::{
    self, Concern, ConcernFrom, ConcernResponse, Decision, Urgency, CONCERNS, CONCERN_RESPONSES,
};
use crate::record::sharing::{self, Consent, LawfulBasis, SharingDecision, SHARING_DECISIONS};
use crate::record::strategy::{self, Attendee, AttendeeRole, StrategyRecord, STRATEGY_DISCUSSIONS};
use crate::record::Source;
use crate::validate::Rejection::*;
use automerge::transaction::Transactable;

/// A school's concern as the front door wrote it into the target record (its id is
/// [`Target::concern`]).
pub fn target_concern(front_door: &crate::validate::Sender) -> Concern {
    Concern {
        id: "concern-target".into(),
        received_on: "2026-11-16".into(),
        raised_on: "2026-11-16".into(),
        from: ConcernFrom::Professional,
        referrer: "Jo Adams".into(),
        agency: "Hilltop Primary School".into(),
        relationship: String::new(),
        indicators: Vec::new(),
        source: Source::Observed,
        narrative: "Came to school hungry again and with a bruise on the cheek".into(),
        child_words: String::new(),
        urgency: Urgency::Today,
        owner: front_door.user_id.to_string(),
        owner_name: front_door.display_name.clone(),
        due: "2026-11-17".into(),
        added: crate::testing::stamp(front_door, 1_760_000_000_000),
    }
}

fn concern(p: &Party) -> Concern {
    Concern {
        id: "crafted-concern".into(),
        added: stamp(p),
        ..target_concern(&p.sender)
    }
}

fn response(p: &Party, concern_id: &str) -> ConcernResponse {
    ConcernResponse {
        id: "crafted-answer".into(),
        concern_id: concern_id.into(),
        decision: Decision::Assessment,
        note: "Second concern this term: assess".into(),
        date: "2026-11-17".into(),
        agency: p.sender.agency.clone(),
        added: stamp(p),
    }
}

fn attendee(name: &str, role: AttendeeRole) -> Attendee {
    Attendee {
        name: name.into(),
        agency: role.label().into(),
        role,
    }
}

fn strategy(p: &Party) -> StrategyRecord {
    StrategyRecord {
        id: "crafted-strategy".into(),
        date: "2026-11-18".into(),
        attendees: vec![
            attendee("Sam Social", AttendeeRole::SocialCare),
            attendee("DC Rowe", AttendeeRole::Police),
            attendee("Nurse Ali", AttendeeRole::Health),
            attendee("Jo Adams", AttendeeRole::Education),
        ],
        section_47: true,
        reasons: "Unexplained bruising with neglect".into(),
        concern_id: String::new(),
        agency: p.sender.agency.clone(),
        added: stamp(p),
    }
}

fn sharing(p: &Party, t: &Target<'_>) -> SharingDecision {
    SharingDecision {
        id: "crafted-sharing".into(),
        about_map: "observations".into(),
        about_id: t.own_observation.clone(),
        shared: true,
        what: "The body map of 12 November".into(),
        with_whom: "Dr Patel, Hilltop Surgery".into(),
        date: "2026-11-19".into(),
        purpose: "The GP is seeing the child on Friday".into(),
        basis: LawfulBasis::PublicTask,
        consent: Consent::Given,
        consent_reason: String::new(),
        more_detrimental: false,
        protect_identity: String::new(),
        agency: p.sender.agency.clone(),
        added: stamp(p),
    }
}

pub(super) fn attacks() -> Vec<Attack> {
    vec![
        a(
            "front door",
            "a tablet writes a concern straight into the record",
            Practitioner,
            FrontDoorOnly,
            |t, p| {
                write(t, p, |d| {
                    let _ = front_door::add_concern(d, &concern(p));
                })
            },
        ),
        a(
            "front door",
            "a manager writes a concern in a school's name",
            Manager,
            FrontDoorOnly,
            |t, p| {
                write(t, p, |d| {
                    crafted(d, CONCERNS, "crafted-concern", &concern(p))
                })
            },
        ),
        a(
            "front door",
            "an answer to a concern the record does not hold",
            Practitioner,
            UnknownEntry,
            |t, p| {
                write(t, p, |d| {
                    crafted(
                        d,
                        CONCERN_RESPONSES,
                        "crafted-answer",
                        &response(p, "no-such-concern"),
                    )
                })
            },
        ),
        a(
            "front door",
            "an answer in another agency's name",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let r = ConcernResponse {
                        agency: "Front door".into(),
                        ..response(p, &t.concern)
                    };
                    crafted(d, CONCERN_RESPONSES, "crafted-answer", &r);
                })
            },
        ),
        a(
            "front door",
            "an answer with no reasons",
            Manager,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let r = ConcernResponse {
                        note: " ".into(),
                        ..response(p, &t.concern)
                    };
                    crafted(d, CONCERN_RESPONSES, "crafted-answer", &r);
                })
            },
        ),
        a(
            "front door",
            "an answer's decision rewritten after it was made",
            Manager,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let _ = front_door::add_response(d, &response(p, &t.concern));
                    let m = super::map(d, CONCERN_RESPONSES);
                    let obj = super::child(d, &m, "crafted-answer");
                    raw(d, |tx| {
                        let _ = tx.put(&obj, "decision", "no_further_action");
                    });
                })
            },
        ),
        a(
            "front door",
            "a strategy discussion nobody attended",
            Manager,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let s = StrategyRecord {
                        attendees: Vec::new(),
                        ..strategy(p)
                    };
                    crafted(d, STRATEGY_DISCUSSIONS, "crafted-strategy", &s);
                })
            },
        ),
        a(
            "front door",
            "a strategy discussion minuted in someone else's name",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let mut s = strategy(p);
                    s.added.by = t.manager.sender.user_id.clone();
                    s.added.by_name = t.manager.sender.display_name.clone();
                    crafted(d, STRATEGY_DISCUSSIONS, "crafted-strategy", &s);
                })
            },
        ),
        a(
            "front door",
            "a strategy discussion on a concern the record does not hold",
            Manager,
            UnknownEntry,
            |t, p| {
                write(t, p, |d| {
                    let s = StrategyRecord {
                        concern_id: "no-such-concern".into(),
                        ..strategy(p)
                    };
                    crafted(d, STRATEGY_DISCUSSIONS, "crafted-strategy", &s);
                })
            },
        ),
        a(
            "front door",
            "a sharing decision about an entry the record does not hold",
            Practitioner,
            UnknownEntry,
            |t, p| {
                write(t, p, |d| {
                    let s = SharingDecision {
                        about_id: "no-such-observation".into(),
                        ..sharing(p, t)
                    };
                    crafted(d, SHARING_DECISIONS, "crafted-sharing", &s);
                })
            },
        ),
        a(
            "front door",
            "a sharing decision about a map it cannot be about",
            Practitioner,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let s = SharingDecision {
                        about_map: "supervisions".into(),
                        ..sharing(p, t)
                    };
                    crafted(d, SHARING_DECISIONS, "crafted-sharing", &s);
                })
            },
        ),
        a(
            "front door",
            "shared although consent was refused",
            Practitioner,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let s = SharingDecision {
                        consent: Consent::Refused,
                        ..sharing(p, t)
                    };
                    crafted(d, SHARING_DECISIONS, "crafted-sharing", &s);
                })
            },
        ),
        a(
            "front door",
            "consent overridden with no reason",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let s = SharingDecision {
                        consent: Consent::Overridden,
                        consent_reason: String::new(),
                        ..sharing(p, t)
                    };
                    crafted(d, SHARING_DECISIONS, "crafted-sharing", &s);
                })
            },
        ),
        a(
            "front door",
            "withheld as more detrimental, yet marked shared",
            Manager,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let s = SharingDecision {
                        more_detrimental: true,
                        ..sharing(p, t)
                    };
                    crafted(d, SHARING_DECISIONS, "crafted-sharing", &s);
                })
            },
        ),
        a(
            "front door",
            "a sharing decision's recipient rewritten afterwards",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let _ = sharing::add_sharing(d, &sharing(p, t));
                    let m = super::map(d, SHARING_DECISIONS);
                    let obj = super::child(d, &m, "crafted-sharing");
                    raw(d, |tx| {
                        let _ = tx.put(&obj, "with_whom", "Nobody");
                    });
                })
            },
        ),
    ]
}

pub(super) fn honest() -> Vec<Honest> {
    vec![
        h(
            "a practitioner answers the front door's concern",
            Practitioner,
            |t, p| {
                write(t, p, |d| {
                    let _ = front_door::add_response(d, &response(p, &t.concern));
                })
            },
        ),
        h(
            "a manager minutes a strategy discussion on the concern",
            Manager,
            |t, p| {
                write(t, p, |d| {
                    let s = StrategyRecord {
                        concern_id: t.concern.clone(),
                        ..strategy(p)
                    };
                    let _ = strategy::add_strategy(d, &s);
                })
            },
        ),
        h(
            "a practitioner records sharing their observation with the GP",
            Practitioner,
            |t, p| {
                write(t, p, |d| {
                    let _ = sharing::add_sharing(d, &sharing(p, t));
                })
            },
        ),
        h(
            "a manager records not sharing, as more detrimental to the child",
            Manager,
            |t, p| {
                write(t, p, |d| {
                    let s = SharingDecision {
                        id: "crafted-sharing-2".into(),
                        about_map: String::new(),
                        about_id: String::new(),
                        shared: false,
                        with_whom: "The child's father".into(),
                        purpose: "He asked where the children are staying".into(),
                        basis: LawfulBasis::PublicTask,
                        consent: Consent::NotSought,
                        consent_reason: "Telling him would put the mother and children at risk"
                            .into(),
                        more_detrimental: true,
                        protect_identity: "The mother's new address".into(),
                        ..sharing(p, t)
                    };
                    let _ = sharing::add_sharing(d, &s);
                })
            },
        ),
    ]
}
