//! A second family, a different shape of case from `scenario`: a child with three plan
//! periods and a period looked after, two clusters of neglect a year apart with a strategy
//! discussion between them, a cluster one practitioner hears from the child and from a carer,
//! harmful sexual behaviour seen by three agencies, and meetings that decide no further
//! action. Written through the same record functions the tablet calls, read through the same
//! analytics the tablet and the server run.

use automerge::{ActorId, Automerge};
use shared::analytics::{self, Flag, Informants, ItemKind, Thresholds, TimescaleKind};
use shared::calendar::Date;
use shared::catalogue::Category;
use shared::record::episodes::{
    self, EndReason, EpisodeBase, EpisodeEnding, EpisodeEvent, EpisodeKind, EventKind, PlanCategory,
};
use shared::record::plan::{self, Conference, ConferenceKind};
use shared::record::stamped::Stamp;
use shared::record::{self, IndicatorEntry, Level, Observation, Source};
use shared::ChildId;

/// (user id, name, agency) of everyone who writes to Kai's record.
const PEOPLE: &[(&str, &str, &str)] = &[
    ("user-manager", "Priya Shah", "Children's Social Care"),
    ("user-sw", "Tom Reed", "Children's Social Care"),
    ("user-school", "Ana Costa", "Riverside Primary"),
    ("user-hv", "Jo Bell", "Health Visiting"),
    ("user-police", "DC Lee", "Police"),
];
const MANAGER: usize = 0;
const SOCIAL_WORKER: usize = 1;
const SCHOOL: usize = 2;
const HEALTH: usize = 3;
const POLICE: usize = 4;

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn ms(date: &str) -> i64 {
    i64::from(d(date).days_since_epoch()) * 86_400_000 + 12 * 3_600_000
}

fn stamp(who: usize, date: &str) -> Stamp {
    Stamp {
        by: PEOPLE[who].0.parse().expect("id"),
        by_name: PEOPLE[who].1.into(),
        at_ms: ms(date),
    }
}

struct Kai {
    doc: Automerge,
    n: usize,
}

impl Kai {
    fn new() -> Self {
        let child: ChildId = "child-kai".parse().expect("id");
        Kai {
            doc: record::new_replica(&child, ActorId::from(b"kai-tablet".to_vec())),
            n: 0,
        }
    }

    fn observe(&mut self, who: usize, date: &str, codes: &[&str], source: Source) {
        self.n += 1;
        let o = Observation {
            id: format!("obs-{}", self.n).parse().expect("id"),
            occurred: date.into(),
            occurred_approx: false,
            recorded_at_ms: ms(date),
            author_id: PEOPLE[who].0.parse().expect("id"),
            author_name: PEOPLE[who].1.into(),
            agency: PEOPLE[who].2.into(),
            location: "Home".into(),
            present: vec!["Kai".into()],
            indicators: codes
                .iter()
                .map(|c| IndicatorEntry {
                    code: (*c).into(),
                    level: Level::Consider,
                    ..Default::default()
                })
                .collect(),
            source,
            narrative: format!("Seen on {date}."),
            child_words: String::new(),
            action_taken: String::new(),
            body_marks: Vec::new(),
        };
        record::add_observation(&mut self.doc, &o, ms(date)).expect("observation");
    }

    fn episode(
        &mut self,
        id: &str,
        kind: EpisodeKind,
        category: PlanCategory,
        from: &str,
        to: Option<(&str, EndReason)>,
    ) {
        let base = EpisodeBase {
            id: id.into(),
            kind,
            category,
            started_on: from.into(),
            detail: String::new(),
            added: stamp(MANAGER, from),
        };
        episodes::start(&mut self.doc, &base).expect("episode");
        if let Some((end, reason)) = to {
            let ending = EpisodeEnding {
                ended_on: end.into(),
                reason,
                note: String::new(),
            };
            episodes::end(&mut self.doc, id, &ending, &stamp(MANAGER, end)).expect("end");
        }
    }

    fn meeting(&mut self, kind: ConferenceKind, date: &str, nfa: bool, categories: &[Category]) {
        self.n += 1;
        let c = Conference {
            id: format!("meeting-{}", self.n),
            kind,
            date: date.into(),
            outcome: if nfa {
                "No further action".into()
            } else {
                "Continue".into()
            },
            added: stamp(MANAGER, date),
            no_further_action: nfa,
            categories: categories.to_vec(),
        };
        plan::add_conference(&mut self.doc, &c).expect("meeting");
    }

    fn record(&self) -> record::Record {
        record::read_record(&self.doc).expect("read")
    }

    fn flags(&self, today: &str) -> Vec<Flag> {
        analytics::overview(&self.record(), d(today), &Thresholds::default(), None).flags()
    }

    fn prompt(&self, category: Category, today: &str) -> Vec<analytics::Prompt> {
        analytics::prompts(&self.record(), d(today), &Thresholds::default())
            .into_iter()
            .filter(|p| p.category == category)
            .collect()
    }
}

#[test]
fn plan_history_is_kept_and_shown_first() {
    let mut kai = Kai::new();
    kai.episode(
        "ep-cin",
        EpisodeKind::ChildInNeed,
        PlanCategory::None,
        "2015-02-02",
        Some(("2015-12-01", EndReason::SteppedUp)),
    );
    kai.episode(
        "ep-cp1",
        EpisodeKind::ChildProtection,
        PlanCategory::Neglect,
        "2015-12-01",
        Some(("2017-03-01", EndReason::RiskReduced)),
    );
    episodes::add_event(
        &mut kai.doc,
        &EpisodeEvent {
            id: "ev-category".into(),
            episode_id: "ep-cp1".into(),
            kind: EventKind::CategoryChanged,
            date: "2016-06-01".into(),
            category: PlanCategory::Emotional,
            note: "Review conference".into(),
            added: stamp(MANAGER, "2016-06-01"),
        },
    )
    .expect("category change");
    kai.episode(
        "ep-cp2",
        EpisodeKind::ChildProtection,
        PlanCategory::Physical,
        "2019-05-01",
        Some(("2020-04-01", EndReason::RiskReduced)),
    );
    kai.episode(
        "ep-la",
        EpisodeKind::LookedAfter,
        PlanCategory::None,
        "2021-01-11",
        None,
    );
    episodes::add_event(
        &mut kai.doc,
        &EpisodeEvent {
            id: "ev-move".into(),
            episode_id: "ep-la".into(),
            kind: EventKind::PlacementMoved,
            date: "2021-06-01".into(),
            category: PlanCategory::None,
            note: "Kinship carers".into(),
            added: stamp(MANAGER, "2021-06-01"),
        },
    )
    .expect("move");
    // A placement move on a protection plan does not fit: refused by the writer too.
    assert!(episodes::add_event(
        &mut kai.doc,
        &EpisodeEvent {
            id: "ev-bad".into(),
            episode_id: "ep-cp2".into(),
            kind: EventKind::PlacementMoved,
            date: "2021-06-01".into(),
            category: PlanCategory::None,
            note: String::new(),
            added: stamp(MANAGER, "2021-06-01"),
        },
    )
    .is_err());

    let r = kai.record();
    assert_eq!(r.episodes.len(), 4, "no plan overwrote another");
    assert_eq!(
        analytics::previous_plans(&r, d("2021-08-02")),
        [
            "2 previous child protection plans: 12/2015 to 03/2017 (emotional abuse), \
             05/2019 to 04/2020 (physical abuse)",
            "1 previous child in need plan: 02/2015 to 12/2015",
        ]
    );
    assert_eq!(
        analytics::legal_status(&r, d("2021-08-02")).as_deref(),
        Some("Looked after")
    );
    assert_eq!(
        analytics::legal_status(&r, d("2016-01-04")).as_deref(),
        Some("Child protection plan (neglect)"),
        "the category it had then, not the later one"
    );
    assert_eq!(
        analytics::legal_status(&r, d("2018-01-04")).as_deref(),
        Some("No current plan")
    );
    let views = analytics::episodes::episodes(&r);
    let cp1 = views.iter().find(|e| e.id == "ep-cp1").expect("cp1");
    assert_eq!(cp1.category, PlanCategory::Emotional);
    assert_eq!(cp1.categories.len(), 2);
    assert_eq!(
        views
            .iter()
            .find(|e| e.id == "ep-la")
            .expect("la")
            .placements,
        [(d("2021-06-01"), "Kinship carers".to_owned())]
    );

    // Looked-after reviews: the first within 20 working days, the second within 3 months
    // of the first, then every 6 months.
    kai.meeting(ConferenceKind::LookedAfterReview, "2021-02-05", false, &[]);
    let t = analytics::timescales(&kai.record(), d("2021-08-02"));
    let la: Vec<(TimescaleKind, Date, Option<Date>, bool)> = t
        .iter()
        .filter(|t| t.what.contains("looked-after") || t.what.contains("Looked-after"))
        .map(|t| (t.kind, t.due, t.done_on, t.overdue))
        .collect();
    assert_eq!(
        la,
        [
            (
                TimescaleKind::FirstLookedAfterReview,
                d("2021-01-11").add_working_days(20),
                Some(d("2021-02-05")),
                false
            ),
            (
                TimescaleKind::SecondLookedAfterReview,
                d("2021-05-05"),
                None,
                true
            ),
        ]
    );
    let flags = kai.flags("2021-08-02");
    assert!(
        flags.contains(&Flag::Overdue {
            what: TimescaleKind::SecondLookedAfterReview,
            due: d("2021-05-05"),
            count: 1
        }),
        "{flags:?}"
    );
    // Every episode event is in the chronology.
    let items = analytics::chronology(&kai.record());
    let count = |k| items.iter().filter(|i| i.kind == k).count();
    assert_eq!(count(ItemKind::EpisodeStarted), 4);
    assert_eq!(count(ItemKind::EpisodeEnded), 3);
    assert_eq!(count(ItemKind::EpisodeChanged), 2);
}

#[test]
fn each_cluster_prompts_and_a_discussion_answers_only_its_own_category() {
    let mut kai = Kai::new();
    // The first neglect cluster: school and health, three indicators within 180 days.
    kai.observe(
        SCHOOL,
        "2022-01-10",
        &["NEG-HUNGRY-TIRED"],
        Source::Observed,
    );
    kai.observe(HEALTH, "2022-02-01", &["NEG-HYGIENE"], Source::Observed);
    assert!(kai.prompt(Category::Neglect, "2022-02-01").is_empty());
    kai.observe(SCHOOL, "2022-02-21", &["NEG-CLOTHING"], Source::Observed);
    let first = kai.prompt(Category::Neglect, "2022-02-21");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].first_crossed, d("2022-02-21"));
    assert!(matches!(
        kai.flags("2022-02-21").as_slice(),
        [Flag::StrategyDiscussion { category: Category::Neglect, due, .. }] if *due == d("2022-02-22")
    ));
    kai.meeting(
        ConferenceKind::StrategyDiscussion,
        "2022-03-01",
        false,
        &[Category::Neglect],
    );
    let answered = kai.prompt(Category::Neglect, "2022-03-02");
    assert_eq!(answered[0].strategy_discussion_on, Some(d("2022-03-01")));
    assert!(!kai
        .flags("2022-03-02")
        .iter()
        .any(|f| matches!(f, Flag::StrategyDiscussion { .. })));

    // A year later, a new cluster: it prompts again, though a discussion was held before.
    kai.observe(HEALTH, "2023-03-01", &["NEG-DENTAL"], Source::Observed);
    kai.observe(
        SCHOOL,
        "2023-03-15",
        &["NEG-SCHOOL-ATTENDANCE"],
        Source::Observed,
    );
    kai.observe(
        HEALTH,
        "2023-04-03",
        &["NEG-MISSED-HEALTH"],
        Source::Observed,
    );
    let second = kai.prompt(Category::Neglect, "2023-04-04");
    assert_eq!(second.len(), 1, "the first cluster has faded");
    assert_eq!(second[0].first_crossed, d("2023-04-03"));
    assert_eq!(
        second[0].evidence.len(),
        3,
        "only the new cluster's indicators"
    );
    assert_eq!(second[0].strategy_discussion_on, None);
    // A discussion about physical abuse does not answer it.
    kai.meeting(
        ConferenceKind::StrategyDiscussion,
        "2023-04-05",
        false,
        &[Category::Physical],
    );
    assert!(kai.flags("2023-04-06").iter().any(|f| matches!(
        f,
        Flag::StrategyDiscussion { category: Category::Neglect, since, .. } if *since == d("2023-04-03")
    )));
    // A discussion naming no category considered every one (as older records read).
    kai.meeting(ConferenceKind::StrategyDiscussion, "2023-04-07", false, &[]);
    assert!(!kai
        .flags("2023-04-08")
        .iter()
        .any(|f| matches!(f, Flag::StrategyDiscussion { .. })));
}

#[test]
fn two_informants_can_be_one_practitioner_hearing_the_child_and_a_carer() {
    let mut kai = Kai::new();
    kai.observe(
        SOCIAL_WORKER,
        "2024-01-10",
        &["EMO-LOW-ESTEEM"],
        Source::ChildSaid,
    );
    kai.observe(
        SOCIAL_WORKER,
        "2024-01-20",
        &["EMO-SCAPEGOATED"],
        Source::CarerSaid,
    );
    kai.observe(
        SOCIAL_WORKER,
        "2024-02-01",
        &["EMO-SELF-BLAME"],
        Source::ChildSaid,
    );
    let p = kai.prompt(Category::Emotional, "2024-02-01");
    assert_eq!(p.len(), 1, "the child and a carer are two sources");
    assert_eq!(p[0].sources(), 2);
    // The rule is configurable: counted by practitioner, this is one source.
    let by_author = Thresholds {
        informants: Informants::Authors,
        ..Thresholds::default()
    };
    assert!(analytics::prompts(&kai.record(), d("2024-02-01"), &by_author).is_empty());
    // Three observations of one kind by one agency stay one informant.
    let mut other = Kai::new();
    for date in ["2024-01-10", "2024-01-20", "2024-02-01"] {
        other.observe(SCHOOL, date, &["EMO-WITHDRAWN"], Source::Observed);
    }
    assert!(other.prompt(Category::Emotional, "2024-02-01").is_empty());
}

#[test]
fn harmful_sexual_behaviour_prompts_and_flags_harm_to_others() {
    let mut kai = Kai::new();
    kai.observe(
        SCHOOL,
        "2024-05-01",
        &["BEH-HARMFUL-SEXUAL"],
        Source::Observed,
    );
    kai.observe(
        HEALTH,
        "2024-05-10",
        &["BEH-HARMFUL-SEXUAL"],
        Source::CarerSaid,
    );
    kai.observe(
        POLICE,
        "2024-05-20",
        &["BEH-HARMFUL-SEXUAL"],
        Source::ThirdParty,
    );
    let sexual = kai.prompt(Category::Sexual, "2024-05-21");
    assert_eq!(sexual.len(), 1, "a possible sign of the child's own abuse");
    assert_eq!(sexual[0].sources(), 3);
    let flags = kai.flags("2024-05-21");
    assert!(flags.contains(&Flag::HarmToOthers {
        since: d("2024-05-01"),
        entries: 3,
        agencies: 3,
        due: d("2024-05-21"),
    }));
    assert!(flags.iter().any(|f| matches!(
        f,
        Flag::StrategyDiscussion {
            category: Category::Sexual,
            ..
        }
    )));
    let items = analytics::chronology(&kai.record());
    assert!(items
        .iter()
        .all(|i| i.categories.contains(&Category::Sexual)
            && i.categories.contains(&Category::Behaviour)));
}

#[test]
fn no_further_action_closes_the_timescales_it_made_unnecessary() {
    let mut kai = Kai::new();
    kai.meeting(ConferenceKind::StrategyDiscussion, "2024-06-03", false, &[]);
    let due = analytics::timescales(&kai.record(), d("2024-07-01"));
    assert!(
        due.iter()
            .any(|t| t.kind == TimescaleKind::InitialConference && t.overdue),
        "without a decision an initial conference is due: {due:?}"
    );
    let mut nfa = Kai::new();
    nfa.meeting(ConferenceKind::StrategyDiscussion, "2024-06-03", true, &[]);
    assert!(analytics::timescales(&nfa.record(), d("2024-07-01")).is_empty());
    assert!(nfa.flags("2024-07-01").is_empty());

    // An initial conference that decides no plan starts no core group or reviews.
    nfa.meeting(ConferenceKind::StrategyDiscussion, "2024-08-01", false, &[]);
    nfa.meeting(ConferenceKind::InitialConference, "2024-08-20", true, &[]);
    let after = analytics::timescales(&nfa.record(), d("2024-12-01"));
    assert_eq!(
        after
            .iter()
            .map(|t| (t.kind, t.overdue))
            .collect::<Vec<_>>(),
        [(TimescaleKind::InitialConference, false)],
        "the conference was held; nothing else is due"
    );
}

/// Two managers end the same plan offline, differently: after merging, both endings show,
/// the plan reads as ended (both say so) with its ending disputed, and the overview counts a
/// conflict until one of them settles it.
#[test]
fn concurrent_endings_both_show_until_settled() {
    let mut kai = Kai::new();
    kai.episode(
        "ep-cp",
        EpisodeKind::ChildProtection,
        PlanCategory::Neglect,
        "2024-01-08",
        None,
    );
    let mut other = kai
        .doc
        .fork()
        .with_actor(ActorId::from(b"other-tablet".to_vec()));
    let end = |reason, date: &str| EpisodeEnding {
        ended_on: date.into(),
        reason,
        note: String::new(),
    };
    episodes::end(
        &mut kai.doc,
        "ep-cp",
        &end(EndReason::RiskReduced, "2024-09-02"),
        &stamp(MANAGER, "2024-09-02"),
    )
    .expect("one ending");
    episodes::end(
        &mut other,
        "ep-cp",
        &end(EndReason::SteppedDown, "2024-09-03"),
        &stamp(SOCIAL_WORKER, "2024-09-03"),
    )
    .expect("the other");
    kai.doc.merge(&mut other).expect("merge");
    let r = kai.record();
    assert_eq!(r.episodes[0].ending.values.len(), 2, "both endings kept");
    let view = &analytics::episodes::episodes(&r)[0];
    assert!(view.disputed_ending && view.ended_on.is_some());
    let overview = analytics::overview(&r, d("2024-10-01"), &Thresholds::default(), None);
    assert_eq!(overview.conflicts, 1);
    // Settling: a new ending written after seeing both supersedes them.
    episodes::end(
        &mut kai.doc,
        "ep-cp",
        &end(EndReason::RiskReduced, "2024-09-02"),
        &stamp(MANAGER, "2024-10-01"),
    )
    .expect("settle");
    let view = &analytics::episodes::episodes(&kai.record())[0];
    assert!(!view.disputed_ending);
    assert_eq!(view.ended_on, Some(d("2024-09-02")));
}
