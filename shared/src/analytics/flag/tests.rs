//! Flags' words, wire form, details and urgency.

use super::*;
use crate::analytics::lessons::Lessons;
use crate::analytics::{Drift, Evidence, HarmToOthers, Prompt, Timescale, UnassessedAdult};
use crate::record::escalation::DriftAction;

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn every_kind() -> Vec<Flag> {
    vec![
        Flag::StrategyDiscussion {
            category: Category::ParentChildInteraction,
            since: d("2026-03-02"),
            indicators: 4,
            sources: 3,
            due: d("2026-03-03"),
        },
        Flag::HarmToOthers {
            since: d("2026-02-01"),
            entries: 3,
            agencies: 3,
            due: d("2026-03-03"),
        },
        Flag::Unassessed {
            adults: 2,
            disputed: 1,
            since: d("2026-01-05"),
            due: d("2026-03-09"),
        },
        Flag::Overdue {
            what: TimescaleKind::Review,
            due: d("2026-04-28"),
            count: 3,
        },
        Flag::Drift {
            since: d("2026-02-10"),
            response: DriftState::Unanswered,
        },
        Flag::Conflicts { count: 1 },
        Flag::Drift {
            since: d("2026-02-10"),
            response: DriftState::Answered {
                action: DriftAction::LegalPlanningMeeting,
                review_on: d("2026-05-20"),
                responses: 2,
            },
        },
        Flag::Drift {
            since: d("2026-02-10"),
            response: DriftState::ReviewDue {
                action: DriftAction::Continue,
                review_on: d("2026-05-01"),
            },
        },
        Flag::NotSeen {
            since: d("2026-04-20"),
            due: d("2026-05-05"),
            plan: EpisodeKind::ChildProtection,
        },
        Flag::NotSeenAlone {
            visits: 3,
            since: d("2026-03-01"),
        },
        Flag::BedroomNotSeen {
            visits: 2,
            since: d("2026-04-01"),
        },
        Flag::SeenOnlyAtSchool {
            visits: 3,
            since: d("2026-02-01"),
        },
        Flag::Debrief {
            open: 1,
            since: d("2026-05-07"),
            due: d("2026-05-11"),
        },
        Flag::Avoidance {
            count: 3,
            of: 5,
            since: d("2026-03-03"),
            due: d("2026-05-06"),
        },
        Flag::Challenge {
            open: 1,
            stage: Stage::Managers,
            since: d("2026-05-01"),
            due: d("2026-05-08"),
        },
        Flag::UnansweredConcern {
            open: 1,
            from: ConcernFrom::Anonymous,
            since: d("2026-05-07"),
            due: d("2026-05-08"),
        },
    ]
}

#[test]
fn each_kind_crosses_the_wire_as_itself() {
    for flag in every_kind() {
        let wire = serde_json::to_value(&flag).expect("serialise");
        assert_eq!(wire["kind"], flag.kind().code(), "{wire}");
        assert_eq!(FlagKind::from_code(flag.kind().code()), Some(flag.kind()));
        let back: Flag = serde_json::from_value(wire).expect("deserialise");
        assert_eq!(back, flag);
        let answered = matches!(
            flag,
            Flag::Drift {
                response: DriftState::Answered { .. },
                ..
            }
        );
        assert_eq!(
            flag.is_escalation(),
            flag.kind() != FlagKind::Conflicts && !answered,
            "{flag:?}"
        );
    }
    let legacy: Flag =
        serde_json::from_value(serde_json::json!({"kind": "drift", "since": "2026-02-10"}))
            .expect("a drift flag from before responses");
    assert_eq!(
        legacy,
        Flag::Drift {
            since: d("2026-02-10"),
            response: DriftState::Unanswered
        }
    );
}

#[test]
fn details_say_what_since_when_by_when_and_whose() {
    let today = d("2026-05-10");
    let details: Vec<String> = every_kind().iter().map(|f| f.detail(today)).collect();
    assert_eq!(
        details,
        [
            "4 indicators of parent-child interaction concern from 3 sources since 02/03/2026: \
             decide on a strategy discussion, due 03/03/2026, overdue by 68 days (team manager)",
            "Harmful behaviour towards other children in 3 entries from 3 agencies since \
             01/02/2026: consider the other children's safety, due 03/03/2026, overdue by 68 days \
             (team manager)",
            "2 adult(s) (1 disputed) not assessed, the first added 05/01/2026: assess, due \
             09/03/2026, overdue by 62 days (lead social worker)",
            "Review conference due 28/04/2026, overdue by 12 days (and 2 more overdue) \
             (child protection chair)",
            "Risks not reducing on the plan since 10/02/2026: unanswered for 89 days; escalate \
             or record why the plan continues (team manager)",
            "1 field(s) edited differently offline: choose which stands (whoever edited, or the \
             team manager)",
            "Risks not reducing since 10/02/2026: legal planning meeting (2 responses); review \
             due 20/05/2026, in 10 days (team manager)",
            "Risks still not reducing since 10/02/2026: the response (continue with the plan) was \
             to be reviewed, due 01/05/2026, overdue by 9 days (team manager)",
            "Not seen by any agency since 20/04/2026 (child protection plan): to be seen, due \
             05/05/2026, overdue by 5 days (lead social worker)",
            "Not seen alone in the last 3 visits (since 01/03/2026): see the child alone at the \
             next visit (lead social worker)",
            "Bedroom not seen in 2 visit(s) since the conference of 01/04/2026: see where the \
             child sleeps (lead social worker)",
            "The last 3 sightings since 01/02/2026 were all at school: see the child at home \
             (lead social worker)",
            "1 hostile or difficult visit(s) since 07/05/2026 to debrief with the practitioner, \
             due 11/05/2026, in 1 day (team manager)",
            "3 of the last 5 visits since 03/03/2026 refused, cut short or without the child: \
             consider what the family is avoiding, due 06/05/2026, overdue by 4 days (team \
             manager)",
            "1 professional challenge(s); the one raised 01/05/2026 is with managers: next step \
             due 08/05/2026, overdue by 2 days (the agencies' managers)",
            "1 concern(s) with no response recorded; the first received 07/05/2026 \
             (anonymous): respond, due 08/05/2026, overdue by 2 days (the concern's owner)",
        ]
    );
    let ahead = Flag::Overdue {
        what: TimescaleKind::FirstLookedAfterReview,
        due: d("2026-05-13"),
        count: 1,
    };
    assert_eq!(
        ahead.detail(today),
        "First looked-after review due 13/05/2026, in 3 days (independent reviewing officer)"
    );
}

#[test]
fn urgency_puts_the_longest_overdue_first_then_the_soonest_due() {
    let today = d("2026-05-10");
    let overdue = |due: &str| Flag::Overdue {
        what: TimescaleKind::PlanAction,
        due: d(due),
        count: 1,
    };
    let mut flags = [
        Flag::Conflicts { count: 1 },
        overdue("2026-06-01"),
        overdue("2026-05-01"),
        overdue("2026-04-01"),
        overdue("2026-05-20"),
    ];
    flags.sort_by_key(|f| std::cmp::Reverse(f.urgency(today)));
    let dues: Vec<Option<Date>> = flags.iter().map(Flag::due).collect();
    assert_eq!(
        dues,
        [
            Some(d("2026-04-01")),
            Some(d("2026-05-01")),
            Some(d("2026-05-20")),
            Some(d("2026-06-01")),
            None
        ]
    );
}

fn evidence(author: &str) -> Evidence {
    Evidence {
        observation_id: "o".into(),
        date: d("2026-02-01"),
        code: "SEX-KNOWLEDGE".into(),
        label: String::new(),
        level: "Consider".into(),
        author_id: author.into(),
        author: author.into(),
        agency: String::new(),
        source: String::new(),
        source_kind: "observed".into(),
    }
}

fn timescale(kind: TimescaleKind, due: &str, overdue: bool) -> Timescale {
    Timescale {
        kind,
        what: "Plan action: visit (Sam)".into(),
        due: d(due),
        done_on: None,
        overdue,
    }
}

fn adult(disputed: bool, added: &str) -> UnassessedAdult {
    UnassessedAdult {
        person_id: "p".into(),
        name: "Ryan".into(),
        relationship: String::new(),
        disputed,
        added_on: d(added),
    }
}

#[test]
fn flags_of_an_overview() {
    let prompt = |category, held: Option<&str>| Prompt {
        category,
        first_crossed: d("2026-02-02"),
        evidence: vec![evidence("a"), evidence("a"), evidence("b")],
        informants: 2,
        strategy_discussion_on: held.map(d),
    };
    let overview = Overview {
        today: d("2026-06-01"),
        prompts: vec![
            prompt(Category::Sexual, None),
            prompt(Category::Neglect, Some("2026-02-10")),
        ],
        unassessed_adults: vec![adult(false, "2026-03-01"), adult(true, "2026-01-05")],
        timescales: vec![
            timescale(TimescaleKind::PlanAction, "2026-01-01", false),
            timescale(TimescaleKind::PlanAction, "2026-04-01", true),
            timescale(TimescaleKind::Review, "2026-03-01", true),
            timescale(TimescaleKind::PlanAction, "2026-07-01", false),
        ],
        overdue: 2,
        days_since_first_concern: Some(120),
        days_on_plan: Some(100),
        drift: Some(Drift {
            reasons: vec!["Safety scale has not improved".into()],
            since: d("2026-02-10"),
        }),
        indicators: Vec::new(),
        conflicts: 3,
        unreadable: 0,
        harm_to_others: Some(HarmToOthers {
            since: d("2026-03-01"),
            last: d("2026-05-01"),
            entries: 3,
            agencies: 3,
        }),
        episodes: Vec::new(),
        legal_status: None,
        previous_plans: Vec::new(),
        lessons: Lessons::default(),
        concerns: Vec::new(),
    };
    assert_eq!(
        overview.flags(),
        [
            Flag::StrategyDiscussion {
                category: Category::Sexual,
                since: d("2026-02-02"),
                indicators: 3,
                sources: 2,
                due: d("2026-02-03"),
            },
            Flag::HarmToOthers {
                since: d("2026-03-01"),
                entries: 3,
                agencies: 3,
                due: d("2026-05-05"),
            },
            Flag::Unassessed {
                adults: 2,
                disputed: 1,
                since: d("2026-01-05"),
                due: d("2026-03-09"),
            },
            Flag::Overdue {
                what: TimescaleKind::Review,
                due: d("2026-03-01"),
                count: 2,
            },
            Flag::Drift {
                since: d("2026-02-10"),
                response: DriftState::Unanswered,
            },
            Flag::Conflicts { count: 3 },
        ]
    );
    let quiet = Overview {
        prompts: vec![prompt(Category::Sexual, Some("2026-02-02"))],
        unassessed_adults: Vec::new(),
        timescales: vec![timescale(TimescaleKind::PlanAction, "2026-07-01", false)],
        overdue: 0,
        drift: None,
        conflicts: 0,
        harm_to_others: None,
        ..overview
    };
    assert_eq!(quiet.flags(), Vec::<Flag>::new());
}
