//! The lessons rules, case by case: cadence per plan across bank holidays, ages, the visit
//! windows of each pattern, debriefs, drift's answers and the clocks of a challenge.

use super::*;
use crate::analytics::{self, Flag, FlagKind, Thresholds};
use crate::record::episodes::{Episode, EpisodeBase, EpisodeEnding};
use crate::record::escalation::{Challenge, ChallengeStep, DriftResponse};
use crate::record::plan::Conference;
use crate::record::stamped::{Field, Stamp, Stamped};
use crate::record::visits::{Debrief, Visit};

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn stamp() -> Stamp {
    Stamp {
        by: "sam".parse().expect("id"),
        by_name: "Sam Social".into(),
        at_ms: 0,
    }
}

fn episode(kind: EpisodeKind, category: PlanCategory, start: &str) -> Episode {
    Episode {
        base: EpisodeBase {
            id: format!("ep-{start}"),
            kind,
            category,
            started_on: start.into(),
            detail: String::new(),
            added: stamp(),
        },
        ending: Field {
            values: vec![Stamped {
                value: EpisodeEnding::open(),
                stamp: stamp(),
            }],
        },
    }
}

/// A visit on `date`: `how` is a string of letters: s seen, a alone, b bedroom, h at home
/// (else school), then difficulties as x refused entry, c cut short, n not produced,
/// t threatened.
fn visit(date: &str, how: &str) -> Visit {
    let has = |c: char| how.contains(c);
    let mut difficulties = Vec::new();
    for (c, d) in [
        ('x', Difficulty::RefusedEntry),
        ('c', Difficulty::CutShort),
        ('n', Difficulty::ChildNotProduced),
        ('t', Difficulty::Threatened),
    ] {
        if has(c) {
            difficulties.push(d);
        }
    }
    let v = Visit {
        id: format!("v-{date}-{how}"),
        date: date.into(),
        place: if has('h') {
            VisitPlace::Home
        } else {
            VisitPlace::School
        },
        seen: has('s'),
        seen_alone: has('a'),
        bedroom_seen: has('b'),
        child_words: String::new(),
        difficulties,
        note: String::new(),
        agency: "Children's social care".into(),
        added: stamp(),
    };
    v.validate().expect("a valid visit");
    v
}

fn record(episodes: Vec<Episode>, visits: Vec<Visit>) -> Record {
    Record {
        episodes,
        visits,
        ..Record::default()
    }
}

fn cp(start: &str) -> Episode {
    episode(EpisodeKind::ChildProtection, PlanCategory::Physical, start)
}

fn flags(r: &Record, today: &str, born: Option<&str>) -> Vec<FlagKind> {
    analytics::overview(r, d(today), &Thresholds::default(), born.map(d))
        .flags()
        .iter()
        .map(Flag::kind)
        .collect()
}

fn not_seen(r: &Record, today: &str) -> Option<NotSeen> {
    lessons(r, d(today), None, None, &Practice::default()).not_seen
}

#[test]
fn cadence_per_plan_counts_working_days_across_bank_holidays() {
    // (plan, seen on, last day in time, first day flagged)
    let cases = [
        // 10 working days from a Monday.
        (cp("2026-03-02"), "2026-03-02", "2026-03-16", "2026-03-17"),
        // Good Friday and Easter Monday 2026 are not working days.
        (cp("2026-03-02"), "2026-03-30", "2026-04-15", "2026-04-16"),
        (
            episode(EpisodeKind::ChildInNeed, PlanCategory::None, "2026-01-05"),
            "2026-01-05",
            "2026-02-02",
            "2026-02-03",
        ),
        // Christmas, Boxing Day (a Saturday: Monday 28/12 instead) and New Year's Day in 20
        // working days.
        (
            episode(EpisodeKind::ChildInNeed, PlanCategory::None, "2026-12-01"),
            "2026-12-14",
            "2027-01-14",
            "2027-01-15",
        ),
        // Looked after: six calendar weeks, holidays or not.
        (
            episode(EpisodeKind::LookedAfter, PlanCategory::None, "2026-01-05"),
            "2026-01-05",
            "2026-02-16",
            "2026-02-17",
        ),
    ];
    for (plan, seen, last_in_time, flagged) in cases {
        let kind = plan.base.kind;
        let r = record(vec![plan], vec![visit(seen, "sah")]);
        assert_eq!(
            not_seen(&r, last_in_time),
            None,
            "{kind:?} on {last_in_time}"
        );
        let n = not_seen(&r, flagged).unwrap_or_else(|| panic!("{kind:?} on {flagged}"));
        assert_eq!(
            (n.last_seen, n.due, n.plan),
            (Some(d(seen)), d(last_in_time), kind)
        );
    }
}

#[test]
fn the_strictest_plan_rules_and_a_child_never_seen_counts_from_the_start() {
    let cin = episode(EpisodeKind::ChildInNeed, PlanCategory::None, "2026-03-02");
    let r = record(vec![cin, cp("2026-03-02")], Vec::new());
    let n = not_seen(&r, "2026-03-17").expect("cp's ten days");
    assert_eq!(
        (n.plan, n.last_seen, n.since),
        (EpisodeKind::ChildProtection, None, d("2026-03-02"))
    );
    // Seen before the plan began does not count for it.
    let r = record(vec![cp("2026-03-02")], vec![visit("2026-02-27", "sah")]);
    assert_eq!(not_seen(&r, "2026-03-17").expect("flag").last_seen, None);
    // Not seen (refused entry) is a visit but not a sighting.
    let r = record(
        vec![cp("2026-03-02")],
        vec![visit("2026-03-02", "sah"), visit("2026-03-12", "hx")],
    );
    assert_eq!(
        not_seen(&r, "2026-03-17").expect("flag").last_seen,
        Some(d("2026-03-02"))
    );
    // No plan, no cadence; pre-proceedings alone has none either.
    assert_eq!(
        not_seen(&record(Vec::new(), Vec::new()), "2026-03-17"),
        None
    );
    let pre = episode(
        EpisodeKind::PreProceedings,
        PlanCategory::None,
        "2026-01-05",
    );
    assert_eq!(not_seen(&record(vec![pre], Vec::new()), "2026-06-01"), None);
}

#[test]
fn not_seen_alone_from_age_four_over_the_last_visits() {
    let three = vec![
        visit("2026-03-02", "sh"),
        visit("2026-03-09", "sh"),
        visit("2026-03-16", "s"),
    ];
    let r = record(Vec::new(), three.clone());
    let alone = |born: &str| {
        lessons(
            &r,
            d("2026-03-20"),
            Some(d(born)),
            None,
            &Practice::default(),
        )
        .not_seen_alone
    };
    // Four on 20/03/2026: born 20/03/2022. A day younger is three.
    assert!(alone("2022-03-21").is_none(), "three years old");
    let p = alone("2022-03-20").expect("four today");
    assert_eq!((p.visits, p.since), (3, d("2026-03-02")));
    // An unknown age is treated as old enough; an unborn child has no visit rules.
    assert!(
        lessons(&r, d("2026-03-20"), None, None, &Practice::default())
            .not_seen_alone
            .is_some()
    );
    let unborn = lessons(
        &r,
        d("2026-03-20"),
        Some(d("2026-06-01")),
        None,
        &Practice::default(),
    );
    assert!(unborn.not_seen_alone.is_none() && unborn.not_seen.is_none());
    // Two visits are not yet a pattern; one alone among the last three breaks it.
    let r2 = record(Vec::new(), three[1..].to_vec());
    assert!(
        lessons(&r2, d("2026-03-20"), None, None, &Practice::default())
            .not_seen_alone
            .is_none()
    );
    let mut broken = three.clone();
    broken[1] = visit("2026-03-09", "sah");
    let r3 = record(Vec::new(), broken);
    assert!(
        lessons(&r3, d("2026-03-20"), None, None, &Practice::default())
            .not_seen_alone
            .is_none()
    );
    // A partnership that asks for four visits sees no pattern in three.
    let p4 = Practice {
        seen_alone_visits: 4,
        ..Practice::default()
    };
    assert!(lessons(&r, d("2026-03-20"), None, None, &p4)
        .not_seen_alone
        .is_none());
    // Future-dated visits do not count yet.
    assert!(
        lessons(&r, d("2026-03-10"), None, None, &Practice::default())
            .not_seen_alone
            .is_none()
    );
}

#[test]
fn the_bedroom_on_a_neglect_plan_since_the_last_conference() {
    let neglect = episode(
        EpisodeKind::ChildProtection,
        PlanCategory::Neglect,
        "2026-02-02",
    );
    let conference = |kind, date: &str| Conference {
        id: format!("c-{date}"),
        kind,
        date: date.into(),
        outcome: String::new(),
        added: stamp(),
        no_further_action: false,
        categories: Vec::new(),
    };
    let mut r = record(
        vec![neglect],
        vec![visit("2026-02-10", "sahb"), visit("2026-03-10", "sah")],
    );
    r.conferences = vec![conference(ConferenceKind::InitialConference, "2026-02-02")];
    let bedroom = |r: &Record, today: &str| {
        lessons(r, d(today), None, None, &Practice::default()).bedroom_not_seen
    };
    assert!(
        bedroom(&r, "2026-03-11").is_none(),
        "seen on 10/02, after the conference"
    );
    r.conferences
        .push(conference(ConferenceKind::ReviewConference, "2026-03-01"));
    let p = bedroom(&r, "2026-03-11").expect("not since the review");
    assert_eq!((p.visits, p.since), (1, d("2026-03-01")));
    // Before any visit after the review there is nothing to flag yet.
    assert!(bedroom(&r, "2026-03-05").is_none());
    // A plan for physical abuse does not ask for the bedroom.
    r.episodes = vec![cp("2026-02-02")];
    assert!(bedroom(&r, "2026-03-11").is_none());
}

#[test]
fn seen_only_at_school() {
    let at_school = vec![
        visit("2026-03-02", "sa"),
        visit("2026-03-09", "h"),
        visit("2026-03-16", "sa"),
        visit("2026-03-23", "s"),
    ];
    let r = record(Vec::new(), at_school.clone());
    let p = lessons(&r, d("2026-03-30"), None, None, &Practice::default())
        .seen_only_at_school
        .expect("three sightings at school (the home visit did not see the child)");
    assert_eq!((p.visits, p.since), (3, d("2026-03-02")));
    let mut home = at_school;
    home[2] = visit("2026-03-16", "sah");
    let r = record(Vec::new(), home);
    assert!(
        lessons(&r, d("2026-03-30"), None, None, &Practice::default())
            .seen_only_at_school
            .is_none()
    );
}

#[test]
fn a_difficult_visit_asks_for_a_debrief_within_two_working_days() {
    // Thursday before Easter: Good Friday and Easter Monday do not count.
    let mut r = record(
        vec![cp("2026-03-02")],
        vec![visit("2026-04-02", "sahct"), visit("2026-04-01", "sah")],
    );
    let today = "2026-04-08";
    let l = lessons(&r, d(today), None, None, &Practice::default());
    assert_eq!(l.debriefs.len(), 1);
    assert_eq!(l.debriefs[0].due, d("2026-04-08"));
    assert!(flags(&r, today, None).contains(&FlagKind::Debrief));
    let flag = analytics::overview(&r, d("2026-04-09"), &Thresholds::default(), None)
        .flags()
        .into_iter()
        .find(|f| f.kind() == FlagKind::Debrief)
        .expect("still open");
    assert!(
        flag.detail(d("2026-04-09")).contains("overdue by 1 day"),
        "{flag:?}"
    );
    r.debriefs.push(Debrief {
        id: "db".into(),
        visit_id: l.debriefs[0].visit_id.clone(),
        date: "2026-04-07".into(),
        note: "Talked it through; visits in pairs from now.".into(),
        added: stamp(),
    });
    let l = lessons(&r, d(today), None, None, &Practice::default());
    assert_eq!(l.debriefs[0].done_on, Some(d("2026-04-07")));
    assert!(!flags(&r, today, None).contains(&FlagKind::Debrief));
}

#[test]
fn avoidance_is_three_of_the_last_five_visits_curtailed() {
    let cases: [(&[&str], bool); 5] = [
        (&["hx", "sah", "hn", "sahc", "sah"], true),
        (&["hx", "sah", "hn", "sah", "sah"], false),
        // The oldest curtailed visit has left the window of five.
        (&["hx", "sah", "hx", "sah", "hc", "sah"], false),
        (&["hx", "hx", "hx"], true),
        (&["sahtc", "sahc", "sah", "sah", "sah"], false),
    ];
    for (n, (visits, flagged)) in cases.iter().enumerate() {
        let vs: Vec<Visit> = visits
            .iter()
            .enumerate()
            .map(|(i, how)| visit(&format!("2026-03-{:02}", i * 2 + 2), how))
            .collect();
        let r = record(Vec::new(), vs);
        let a = lessons(&r, d("2026-03-30"), None, None, &Practice::default()).avoidance;
        assert_eq!(a.is_some(), *flagged, "case {n}: {visits:?}");
    }
}

fn drifting(responses: Vec<DriftResponse>) -> (Record, Drift) {
    let r = Record {
        drift_responses: responses,
        ..Record::default()
    };
    let drift = Drift {
        reasons: vec!["stalled".into()],
        since: d("2026-03-02"),
    };
    (r, drift)
}

fn response(id: &str, date: &str, action: DriftAction, review: &str) -> DriftResponse {
    DriftResponse {
        id: id.into(),
        date: date.into(),
        action,
        reason: "Family engaging with the new plan".into(),
        review_on: review.into(),
        added: stamp(),
    }
}

#[test]
fn drift_stays_until_answered_and_returns_at_review() {
    let state = |responses: Vec<DriftResponse>, today: &str| {
        let (r, drift) = drifting(responses);
        lessons(&r, d(today), None, Some(&drift), &Practice::default()).drift
    };
    assert_eq!(
        state(Vec::new(), "2026-03-10"),
        Some(DriftState::Unanswered)
    );
    // A response from before the drift began does not answer it.
    let old = response("r0", "2026-02-01", DriftAction::Continue, "2026-04-01");
    assert_eq!(
        state(vec![old.clone()], "2026-03-10"),
        Some(DriftState::Unanswered)
    );
    let legal = response(
        "r1",
        "2026-03-05",
        DriftAction::LegalPlanningMeeting,
        "2026-04-05",
    );
    assert_eq!(
        state(vec![old, legal.clone()], "2026-03-10"),
        Some(DriftState::Answered {
            action: DriftAction::LegalPlanningMeeting,
            review_on: d("2026-04-05"),
            responses: 1
        })
    );
    assert_eq!(
        state(vec![legal.clone()], "2026-04-05"),
        Some(DriftState::ReviewDue {
            action: DriftAction::LegalPlanningMeeting,
            review_on: d("2026-04-05")
        })
    );
    // Two managers answering the same day offline: both count, the later review rules.
    let panel = response(
        "r2",
        "2026-03-05",
        DriftAction::ComplexCasePanel,
        "2026-04-20",
    );
    assert_eq!(
        state(vec![legal, panel], "2026-04-10"),
        Some(DriftState::Answered {
            action: DriftAction::ComplexCasePanel,
            review_on: d("2026-04-20"),
            responses: 2
        })
    );
}

fn challenge(raised: &str) -> Challenge {
    Challenge {
        id: "ch".into(),
        raised_on: raised.into(),
        agency: "Northgate Primary School".into(),
        about: "No further action after the strategy discussion".into(),
        reason: "Three disclosures this term".into(),
        added: stamp(),
    }
}

fn step(id: &str, kind: StepKind, date: &str) -> ChallengeStep {
    ChallengeStep {
        id: id.into(),
        challenge_id: "ch".into(),
        kind,
        date: date.into(),
        outcome: if kind == StepKind::Closed {
            Outcome::DecisionChanged
        } else {
            Outcome::None
        },
        note: "Agreed a strategy discussion".into(),
        agency: "Children's social care".into(),
        added: stamp(),
    }
}

#[test]
fn a_challenge_moves_by_its_clocks_and_closes_only_with_an_outcome() {
    let view = |steps: Vec<ChallengeStep>, today: &str| {
        let r = Record {
            challenges: vec![challenge("2026-03-30")],
            challenge_steps: steps,
            ..Record::default()
        };
        lessons(&r, d(today), None, None, &Practice::default())
            .challenges
            .remove(0)
    };
    // Raised on Monday 30/03/2026: acknowledge by Tuesday, a joint plan by Wednesday.
    let v = view(Vec::new(), "2026-03-30");
    assert_eq!(
        (v.stage, v.due),
        (Stage::Practitioners, Some(d("2026-03-31")))
    );
    let ack = step("s1", StepKind::Acknowledged, "2026-03-31");
    let v = view(vec![ack.clone()], "2026-03-31");
    assert_eq!(v.due, Some(d("2026-04-01")));
    // To managers on Thursday 02/04: five working days over Easter is Monday 13/04.
    let managers = step("s2", StepKind::ToManagers, "2026-04-02");
    let v = view(vec![ack.clone(), managers.clone()], "2026-04-02");
    assert_eq!((v.stage, v.due), (Stage::Managers, Some(d("2026-04-13"))));
    // Two people moving it on the same day, one to managers, one to senior managers: both
    // steps show, and it stands at the further stage.
    let senior = step("s3", StepKind::ToSenior, "2026-04-02");
    let v = view(
        vec![ack.clone(), managers.clone(), senior.clone()],
        "2026-04-02",
    );
    assert_eq!(
        (v.stage, v.due, v.steps.len()),
        (Stage::Senior, Some(d("2026-04-08")), 3)
    );
    let close = step("s4", StepKind::Closed, "2026-04-08");
    let v = view(vec![ack, managers, senior, close.clone()], "2026-04-08");
    assert_eq!(
        (v.stage, v.due, v.outcomes.clone()),
        (Stage::Closed, None, vec![Outcome::DecisionChanged])
    );
    // Closing without an outcome, or an outcome without closing, is not a step Quilt takes.
    let mut bare = close.clone();
    bare.outcome = Outcome::None;
    assert!(bare.validate().is_err());
    let mut words = close;
    words.note = " ".into();
    assert!(words.validate().is_err());
    let mut early = step("s5", StepKind::ToManagers, "2026-04-02");
    early.outcome = Outcome::Agreed;
    assert!(early.validate().is_err());
    // The flag: overdue once the acknowledgement is late.
    let r = Record {
        challenges: vec![challenge("2026-03-30")],
        ..Record::default()
    };
    let f = analytics::overview(&r, d("2026-04-01"), &Thresholds::default(), None).flags();
    assert!(
        matches!(
            f.as_slice(),
            [Flag::Challenge { open: 1, stage: Stage::Practitioners, due, .. }] if *due == d("2026-03-31")
        ),
        "{f:?}"
    );
}

#[test]
fn visits_that_contradict_themselves_are_refused() {
    let bad = [
        ("ha", "alone but not seen"),
        ("sab", "the bedroom at school"),
        ("shn", "seen and not produced"),
    ];
    for (how, why) in bad {
        let mut v = visit("2026-03-02", "sah");
        v.seen = how.contains('s');
        v.seen_alone = how.contains('a');
        v.bedroom_seen = how.contains('b');
        v.place = if how.contains('h') {
            VisitPlace::Home
        } else {
            VisitPlace::School
        };
        if how.contains('n') {
            v.difficulties = vec![Difficulty::ChildNotProduced];
        }
        assert!(v.validate().is_err(), "{why}");
    }
    let mut twice = visit("2026-03-02", "sahc");
    twice.difficulties.push(Difficulty::CutShort);
    assert!(twice.validate().is_err(), "one difficulty twice");
    let mut refused = visit("2026-03-02", "shx");
    refused.bedroom_seen = true;
    assert!(
        refused.validate().is_err(),
        "refused entry yet the bedroom seen"
    );
}

#[test]
fn age_in_whole_years() {
    assert_eq!(age_on(d("2022-03-20"), d("2026-03-19")), 3);
    assert_eq!(age_on(d("2022-03-20"), d("2026-03-20")), 4);
    assert_eq!(age_on(d("2020-02-29"), d("2024-02-28")), 3);
    assert_eq!(age_on(d("2020-02-29"), d("2024-02-29")), 4);
}
