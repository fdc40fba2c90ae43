//! Visits, debriefs, drift responses and professional challenges in the crafted-change
//! corpus: who may write each, what each must name, and the shapes the rules depend on (a
//! sighting that contradicts itself, a challenge closed without an outcome).

use super::By::*;
use super::{a, crafted, h, put_entry, raw, stamp, write, Attack, Honest, Party};
use crate::record::escalation::{
    self, Challenge, ChallengeStep, DriftAction, DriftResponse, Outcome, StepKind, CHALLENGES,
    CHALLENGE_STEPS, DRIFT_RESPONSES,
};
use crate::record::schema;
use crate::record::visits::{self, Debrief, Difficulty, Visit, VisitPlace, DEBRIEFS, VISITS};
use crate::validate::Rejection::*;
use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc};

/// An ordinary home visit by `sender`, the child seen alone.
pub fn target_visit(sender: &crate::validate::Sender) -> Visit {
    Visit {
        id: "visit-target".into(),
        date: "2026-11-19".into(),
        place: VisitPlace::Home,
        seen: true,
        seen_alone: true,
        bedroom_seen: true,
        child_words: "I like my new bed".into(),
        difficulties: Vec::new(),
        note: String::new(),
        agency: sender.agency.clone(),
        added: crate::testing::stamp(sender, 1_760_000_000_000),
    }
}

fn visit(p: &Party) -> Visit {
    Visit {
        id: "crafted-visit".into(),
        date: "2026-11-20".into(),
        place: VisitPlace::Home,
        seen: true,
        seen_alone: false,
        bedroom_seen: false,
        child_words: "Mum shouted at you".into(),
        difficulties: vec![Difficulty::Threatened, Difficulty::CutShort],
        note: "Father blocked the stairs and told me to leave".into(),
        agency: p.sender.agency.clone(),
        added: stamp(p),
    }
}

fn debrief(p: &Party, visit_id: &str) -> Debrief {
    Debrief {
        id: "crafted-debrief".into(),
        visit_id: visit_id.into(),
        date: "2026-11-21".into(),
        note: "Joint visits with police from now".into(),
        added: stamp(p),
    }
}

fn response(p: &Party) -> DriftResponse {
    DriftResponse {
        id: "crafted-response".into(),
        date: "2026-11-20".into(),
        action: DriftAction::LegalPlanningMeeting,
        reason: "No change in nine months".into(),
        review_on: "2026-12-20".into(),
        added: stamp(p),
    }
}

fn challenge(p: &Party) -> Challenge {
    Challenge {
        id: "crafted-challenge".into(),
        raised_on: "2026-11-20".into(),
        agency: p.sender.agency.clone(),
        about: "Step down to early help".into(),
        reason: "The school still sees him hungry every day".into(),
        added: stamp(p),
    }
}

fn step(p: &Party, kind: StepKind, outcome: Outcome) -> ChallengeStep {
    ChallengeStep {
        id: "crafted-step".into(),
        challenge_id: "crafted-challenge".into(),
        kind,
        date: "2026-11-21".into(),
        outcome,
        note: "Managers agreed to keep the plan".into(),
        agency: p.sender.agency.clone(),
        added: stamp(p),
    }
}

pub(super) fn attacks() -> Vec<Attack> {
    vec![
        a(
            "lessons",
            "a practitioner debriefs their own difficult visit",
            Practitioner,
            ManagerOnly,
            |t, p| {
                write(t, p, |d| {
                    let _ = visits::add_visit(d, &visit(p));
                    let _ = visits::add_debrief(d, &debrief(p, "crafted-visit"));
                })
            },
        ),
        a(
            "lessons",
            "a debrief of a visit the record does not hold",
            Manager,
            UnknownEntry,
            |t, p| {
                write(t, p, |d| {
                    crafted(d, DEBRIEFS, "crafted-debrief", &debrief(p, "no-such-visit"))
                })
            },
        ),
        a(
            "lessons",
            "a practitioner answers drift",
            Practitioner,
            ManagerOnly,
            |t, p| {
                write(t, p, |d| {
                    let _ = escalation::respond_to_drift(d, &response(p));
                })
            },
        ),
        a(
            "lessons",
            "a drift response reviewed before it was made",
            Manager,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let r = DriftResponse {
                        review_on: "2026-11-01".into(),
                        ..response(p)
                    };
                    crafted(d, DRIFT_RESPONSES, "crafted-response", &r);
                })
            },
        ),
        a(
            "lessons",
            "continuing despite drift with no reason given",
            Manager,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let r = DriftResponse {
                        action: DriftAction::Continue,
                        reason: "  ".into(),
                        ..response(p)
                    };
                    crafted(d, DRIFT_RESPONSES, "crafted-response", &r);
                })
            },
        ),
        a(
            "lessons",
            "a visit recorded in another agency's name",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let v = Visit {
                        agency: "Police".into(),
                        ..visit(p)
                    };
                    crafted(d, VISITS, "crafted-visit", &v);
                })
            },
        ),
        a(
            "lessons",
            "a child seen alone who was not seen",
            Practitioner,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let v = Visit {
                        seen: false,
                        seen_alone: true,
                        difficulties: Vec::new(),
                        ..visit(p)
                    };
                    crafted(d, VISITS, "crafted-visit", &v);
                })
            },
        ),
        a(
            "lessons",
            "a child seen who was not produced",
            Practitioner,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let v = Visit {
                        difficulties: vec![Difficulty::ChildNotProduced],
                        ..visit(p)
                    };
                    crafted(d, VISITS, "crafted-visit", &v);
                })
            },
        ),
        a(
            "lessons",
            "a visit with a difficulty Quilt does not know",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let _ = schema::upgrade(d);
                    let m = super::map(d, VISITS);
                    let v = visit(p);
                    raw(d, |tx| {
                        if autosurgeon::reconcile_prop(tx, &m, "crafted-visit", &v).is_ok() {
                            if let Ok(Some((_, obj))) = tx.get(&m, "crafted-visit") {
                                if let Ok(Some((_, list))) = tx.get(&obj, "difficulties") {
                                    let _ = tx.put(&list, 0, "bribed");
                                }
                            }
                        }
                    });
                })
            },
        ),
        a(
            "lessons",
            "a challenge closed without an outcome",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let _ = escalation::raise(d, &challenge(p));
                    let s = step(p, StepKind::Closed, Outcome::None);
                    put_entry(d, CHALLENGE_STEPS, "crafted-step", &s);
                })
            },
        ),
        a(
            "lessons",
            "a challenge closed with an outcome but no words",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let _ = escalation::raise(d, &challenge(p));
                    let s = ChallengeStep {
                        note: String::new(),
                        ..step(p, StepKind::Closed, Outcome::DecisionUpheld)
                    };
                    put_entry(d, CHALLENGE_STEPS, "crafted-step", &s);
                })
            },
        ),
        a(
            "lessons",
            "a step of a challenge the record does not hold",
            Manager,
            UnknownEntry,
            |t, p| {
                write(t, p, |d| {
                    let s = step(p, StepKind::ToManagers, Outcome::None);
                    crafted(d, CHALLENGE_STEPS, "crafted-step", &s);
                })
            },
        ),
        a(
            "lessons",
            "a challenge raised in another agency's name",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let c = Challenge {
                        agency: "Northgate Primary School".into(),
                        ..challenge(p)
                    };
                    crafted(d, CHALLENGES, "crafted-challenge", &c);
                })
            },
        ),
        a(
            "lessons",
            "a challenge's outcome rewritten after it was raised",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let _ = escalation::raise(d, &challenge(p));
                    let m = super::map(d, CHALLENGES);
                    let obj = super::child(d, &m, "crafted-challenge");
                    raw(d, |tx| {
                        let _ = tx.put(&obj, "about", "Nothing");
                    });
                })
            },
        ),
        a(
            "lessons",
            "a second visits map made beside the canonical one",
            Practitioner,
            Structure,
            |t, p| {
                write(t, p, |d| {
                    raw(d, |tx| {
                        let _ = tx.put_object(automerge::ROOT, "visit_notes", ObjType::Map);
                    });
                })
            },
        ),
    ]
}

pub(super) fn honest() -> Vec<Honest> {
    vec![
        h(
            "a practitioner records a difficult visit",
            Practitioner,
            |t, p| {
                write(t, p, |d| {
                    let _ = visits::add_visit(d, &visit(p));
                })
            },
        ),
        h(
            "a manager records a visit and debriefs it, in one sync",
            Manager,
            |t, p| {
                // Ids of their own: the server runs every honest case on one record.
                write(t, p, |d| {
                    let v = Visit {
                        id: "crafted-visit-2".into(),
                        ..visit(p)
                    };
                    let _ = visits::add_visit(d, &v);
                    let _ = visits::add_debrief(d, &debrief(p, "crafted-visit-2"));
                })
            },
        ),
        h("a manager answers drift", Manager, |t, p| {
            write(t, p, |d| {
                let _ = escalation::respond_to_drift(d, &response(p));
            })
        }),
        h(
            "a practitioner raises a challenge and moves it to managers",
            Practitioner,
            |t, p| {
                write(t, p, |d| {
                    let _ = escalation::raise(d, &challenge(p));
                    let _ = escalation::step(d, &step(p, StepKind::ToManagers, Outcome::None));
                })
            },
        ),
        h(
            "a manager raises and closes a challenge with an outcome",
            Manager,
            |t, p| {
                // Ids of their own: the server runs every honest case on one record.
                write(t, p, |d| {
                    let c = Challenge {
                        id: "crafted-challenge-2".into(),
                        ..challenge(p)
                    };
                    let s = ChallengeStep {
                        id: "crafted-step-2".into(),
                        challenge_id: c.id.clone(),
                        ..step(p, StepKind::Closed, Outcome::Agreed)
                    };
                    let _ = escalation::raise(d, &c);
                    let _ = escalation::step(d, &s);
                })
            },
        ),
    ]
}
