//! The case review, replayed: twelve years of one family's history from four agencies, about
//! 300 entries, no disclosure ever. The record must make impossible to miss what the review
//! found was missed: collated sexual-abuse indicators, unassessed men, drift, overdue reviews.

use automerge::{ActorId, Automerge};
use shared::analytics::{self, Flag, ItemKind, Thresholds};
use shared::calendar::Date;
use shared::catalogue::Category;
use shared::record::assessments::{self, NeglectAssessment, Scaling};
use shared::record::people::{
    self, AgeGroup, Assessment, AssessmentStatus, Household, PersonDetails,
};
use shared::record::plan::{self, Conference, ConferenceKind, PlanDetails, PlanKind};
use shared::record::stamped::Stamp;
use shared::record::supervision::{self, Supervision};
use shared::record::{self, IndicatorEntry, Level, Observation, Source};
use shared::ChildId;

/// The four agencies, each with its own tablet (replica) and practitioner.
const AGENCIES: [(&str, &str, &str); 4] = [
    ("hv", "Health visitor", "Health Visiting"),
    ("school", "School safeguarding lead", "Northfield Primary"),
    ("police", "PPU officer", "Police"),
    ("sw", "Social worker", "Children's Social Care"),
];

struct Family {
    tablets: Vec<Automerge>,
    n: usize,
}

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn ms(date: &str) -> i64 {
    d(date).days_since_epoch() as i64 * 86_400_000 + 12 * 3_600_000
}

fn stamp(agency: usize, date: &str) -> Stamp {
    Stamp {
        by: AGENCIES[agency].0.parse().expect("a valid id"),
        by_name: AGENCIES[agency].1.into(),
        at_ms: ms(date),
    }
}

impl Family {
    fn new() -> Self {
        let child: ChildId = "child-case-review".parse().expect("id");
        Family {
            tablets: AGENCIES
                .iter()
                .map(|(id, ..)| {
                    record::new_replica(&child, ActorId::from(format!("tablet-{id}").into_bytes()))
                })
                .collect(),
            n: 0,
        }
    }

    fn observe(
        &mut self,
        agency: usize,
        date: &str,
        codes: &[&str],
        source: Source,
        narrative: &str,
    ) -> String {
        self.n += 1;
        let id = format!("obs-{:03}", self.n);
        let (author, name, agency_name) = AGENCIES[agency];
        let obs = Observation {
            id: id.parse().expect("a valid id"),
            occurred: date.into(),
            occurred_approx: false,
            recorded_at_ms: ms(date),
            author_id: author.parse().expect("a valid id"),
            author_name: name.into(),
            agency: agency_name.into(),
            location: "Home".into(),
            present: vec!["Mother".into()],
            indicators: codes
                .iter()
                .map(|c| IndicatorEntry {
                    code: (*c).into(),
                    level: Level::Consider,
                    ..Default::default()
                })
                .collect(),
            source,
            narrative: narrative.into(),
            child_words: String::new(),
            action_taken: String::new(),
            body_marks: Vec::new(),
        };
        record::add_observation(&mut self.tablets[agency], &obs, obs.recorded_at_ms)
            .expect("record");
        id
    }

    /// Everyone syncs; returns the merged record.
    fn merged(&mut self) -> Automerge {
        let mut all = self.tablets[0].clone();
        for t in &mut self.tablets[1..] {
            all.merge(t).expect("merge");
        }
        for t in &mut self.tablets {
            t.merge(&mut all.clone()).expect("merge");
        }
        all
    }

    fn overview(&mut self, today: &str) -> analytics::Overview {
        let doc = self.merged();
        let rec = record::read_record(&doc).expect("read");
        analytics::overview(&rec, d(today), &Thresholds::default(), None)
    }

    fn sexual_prompt(&mut self, today: &str) -> Option<analytics::Prompt> {
        self.overview(today)
            .prompts
            .into_iter()
            .find(|p| p.category == Category::Sexual)
    }
}

/// Background history: routine and neglect-related entries every fortnight from every agency,
/// spanning 2014-2026, never a sexual-abuse indicator.
fn background(family: &mut Family, from: &str, to: &str) {
    let codes: [&[&str]; 6] = [
        &[],
        &["NEG-HYGIENE"],
        &[],
        &["NEG-MISSED-HEALTH"],
        &["EMO-WITHDRAWN"],
        &["NEG-SCHOOL-ATTENDANCE"],
    ];
    let (start, end) = (d(from), d(to));
    let mut day = start;
    let mut i = 0;
    while day < end {
        let agency = i % 4;
        family.observe(
            agency,
            &day.to_string(),
            codes[i % codes.len()],
            Source::Observed,
            "Routine contact.",
        );
        day = day.add_days(14);
        i += 1;
    }
}

#[test]
fn twelve_years_no_disclosure() {
    let mut f = Family::new();
    background(&mut f, "2014-03-03", "2021-01-01");

    // Years of fragments: each agency holds one piece; never a disclosure.
    f.observe(
        1,
        "2019-03-01",
        &["SEX-KNOWLEDGE"],
        Source::Observed,
        "Drawing with sexual content in class.",
    );
    assert!(f.sexual_prompt("2019-03-01").is_none());
    // Three from one informant (the school, observing) within 180 days is not yet
    // corroborated: a second informant is another agency or another kind of source.
    f.observe(
        1,
        "2020-09-10",
        &["SEX-BEHAVIOUR"],
        Source::Observed,
        "Sexualised play with a younger pupil.",
    );
    f.observe(
        1,
        "2020-10-20",
        &["SEX-KNOWLEDGE"],
        Source::Observed,
        "Used adult sexual words in class.",
    );
    f.observe(
        1,
        "2020-12-01",
        &["SEX-SECRECY-GIFTS"],
        Source::Observed,
        "New phone, will not say from whom.",
    );
    assert!(f.sexual_prompt("2020-12-01").is_none(), "one source only");

    background(&mut f, "2021-01-02", "2023-01-01");
    // Two more from the school, then the third from a second source (police): prompt, exactly then.
    f.observe(
        1,
        "2023-01-10",
        &["SEX-BEHAVIOUR"],
        Source::Observed,
        "Touched a peer inappropriately.",
    );
    f.observe(
        1,
        "2023-02-15",
        &["SEX-SECRECY-GIFTS"],
        Source::Observed,
        "Seen with money from an older 'friend'.",
    );
    assert!(
        f.sexual_prompt("2023-02-15").is_none(),
        "two indicators, one source"
    );
    let police = f.observe(
        2,
        "2023-03-20",
        &["SEX-OLDER-PARTNER"],
        Source::ThirdParty,
        "Seen in a car with an adult man at night.",
    );
    let prompt = f
        .sexual_prompt("2023-03-20")
        .expect("prompt appears with the second source's indicator");
    assert_eq!(prompt.first_crossed, d("2023-03-20"));
    assert_eq!(prompt.evidence.len(), 3);
    assert!(prompt.evidence.iter().any(|e| e.observation_id == police));
    assert!(
        prompt
            .evidence
            .iter()
            .all(|e| e.source != "Formal disclosure"),
        "no disclosure needed"
    );
    assert!(prompt.strategy_discussion_on.is_none());
    assert!(f.overview("2023-03-20").flags().iter().any(|fl| matches!(
        fl,
        Flag::StrategyDiscussion {
            category: Category::Sexual,
            ..
        }
    )));

    // The men in the family.
    let men = [
        (
            "p-dean",
            "Dean",
            "Mother's partner",
            Household::LivesWithChild,
            "Conviction for an offence against a child (2009)",
        ),
        (
            "p-lee",
            "Lee",
            "Father of half-sibling",
            Household::VisitsRegularly,
            "Subject of abuse allegations by a former partner's child",
        ),
    ];
    for (id, name, rel, household, risk) in men {
        let details = PersonDetails {
            name: name.into(),
            relationship: rel.into(),
            age_group: AgeGroup::Adult,
            household,
            risk_info: risk.into(),
            contact: "Daily".into(),
            linked_child_id: String::new(),
        };
        people::add(
            &mut f.tablets[3],
            id,
            &details,
            None,
            &stamp(3, "2023-04-01"),
        )
        .expect("person");
    }
    let mother = PersonDetails {
        name: "Kerry".into(),
        relationship: "Mother".into(),
        age_group: AgeGroup::Adult,
        household: Household::LivesWithChild,
        risk_info: String::new(),
        contact: "Primary carer".into(),
        linked_child_id: String::new(),
    };
    let protective = Assessment {
        status: AssessmentStatus::Both,
        date: "2023-04-01".into(),
        note: "Loving; struggles to prioritise the children".into(),
    };
    people::add(
        &mut f.tablets[3],
        "p-kerry",
        &mother,
        Some(&protective),
        &stamp(3, "2023-04-01"),
    )
    .expect("person");

    // Enquiries and a plan.
    let conf = |f: &mut Family, id: &str, kind, date: &str, outcome: &str| {
        plan::add_conference(
            &mut f.tablets[3],
            &Conference {
                id: id.into(),
                kind,
                date: date.into(),
                outcome: outcome.into(),
                added: stamp(3, date),
                no_further_action: false,
                categories: Vec::new(),
            },
        )
        .expect("conference");
    };
    conf(
        &mut f,
        "c-strategy",
        ConferenceKind::StrategyDiscussion,
        "2023-03-27",
        "Section 47 enquiries",
    );
    let prompt = f.sexual_prompt("2023-03-28").expect("still shown");
    assert_eq!(
        prompt.strategy_discussion_on,
        Some(d("2023-03-27")),
        "the prompt shows it was acted on"
    );
    conf(
        &mut f,
        "c-icpc",
        ConferenceKind::InitialConference,
        "2023-04-14",
        "Child protection plan: neglect",
    );
    conf(
        &mut f,
        "c-core",
        ConferenceKind::CoreGroup,
        "2023-04-25",
        "Plan agreed",
    );
    plan::set_plan(
        &mut f.tablets[3],
        &PlanDetails {
            kind: PlanKind::ChildProtectionNeglect,
            started_on: "2023-04-14".into(),
            ended_on: String::new(),
            contingency: "Legal planning meeting".into(),
            contingency_trigger: "No sustained improvement by the second review".into(),
        },
        &stamp(3, "2023-04-14"),
    )
    .expect("plan");
    conf(
        &mut f,
        "c-rcpc1",
        ConferenceKind::ReviewConference,
        "2023-07-14",
        "Plan continues",
    );

    // Scaling during the plan: improvement, then a stall.
    let scale = |f: &mut Family, id: &str, date: &str, score| {
        assessments::add_scaling(
            &mut f.tablets[3],
            &Scaling {
                id: id.into(),
                date: date.into(),
                score,
                rationale: "Core group view".into(),
                agency: "Children's Social Care".into(),
                added: stamp(3, date),
            },
        )
        .expect("scaling");
    };
    scale(&mut f, "s1", "2023-04-25", 3);
    scale(&mut f, "s2", "2023-07-14", 4);
    scale(&mut f, "s3", "2023-10-10", 5);
    assert!(f.overview("2023-10-10").drift.is_none(), "improving");
    scale(&mut f, "s4", "2024-01-10", 5);
    assert!(
        f.overview("2024-01-10").drift.is_none(),
        "4 → 5 over the last three is still improvement"
    );
    scale(&mut f, "s5", "2024-04-10", 4);
    let drift = f.overview("2024-04-10").drift.expect("stalled: 5 → 5 → 4");
    assert!(drift.reasons[0].contains("Safety scale"));

    // Neglect scores, not improving either.
    for (id, date, score) in [("n1", "2023-05-01", 4u8), ("n2", "2024-03-01", 4)] {
        assessments::add_neglect(
            &mut f.tablets[0],
            &NeglectAssessment {
                id: id.into(),
                date: date.into(),
                physical_care: score,
                care_of_safety: score,
                emotional_care: 3,
                developmental_care: 3,
                note: String::new(),
                added: stamp(0, date),
            },
        )
        .expect("neglect");
    }
    assert_eq!(
        f.overview("2024-04-10").drift.expect("drift").reasons.len(),
        2
    );

    supervision::add(
        &mut f.tablets[3],
        &Supervision {
            id: "sup1".into(),
            date: "2024-04-12".into(),
            discussed: "Drift in the plan".into(),
            reflection:
                "Effort has gone into engaging mother; the child's timescales are slipping.".into(),
            decisions: vec![
                "Escalate to legal planning".into(),
                "Assess Dean and Lee within 10 days".into(),
            ],
            actions: vec![],
            added: stamp(3, "2024-04-12"),
        },
    )
    .expect("supervision");

    background(&mut f, "2024-05-01", "2026-11-01");

    let today = "2026-11-26";
    let doc = f.merged();
    let rec = record::read_record(&doc).expect("read");
    let overview = analytics::overview(&rec, d(today), &Thresholds::default(), None);

    // Two adult men linked to the household are flagged as not assessed; the mother is not.
    let names: Vec<&str> = overview
        .unassessed_adults
        .iter()
        .map(|u| u.name.as_str())
        .collect();
    assert_eq!(names, ["Dean", "Lee"]);

    // The second review (due 6 months after the first) never happened: overdue.
    let review = overview
        .timescales
        .iter()
        .find(|t| t.what.starts_with("Review conference"))
        .expect("review due");
    assert_eq!(review.due, d("2024-01-14"));
    assert!(review.overdue);
    let icpc = overview
        .timescales
        .iter()
        .find(|t| t.what.starts_with("Initial"))
        .expect("icpc");
    assert_eq!(icpc.due, d("2023-03-27").add_working_days(15));
    assert_eq!((icpc.done_on, icpc.overdue), (Some(d("2023-04-14")), false));
    assert!(overview.days_on_plan.is_some_and(|days| days > 1000));
    assert_eq!(
        overview.days_since_first_concern,
        Some(d("2014-03-17").days_until(d(today)))
    );

    // Every entry from every agency in one chronology, in date order.
    let items = analytics::chronology(&rec);
    let observations = items
        .iter()
        .filter(|i| i.kind == ItemKind::Observation)
        .count();
    assert_eq!(observations, f.n);
    assert!(f.n >= 280, "about 300 entries, got {}", f.n);
    assert_eq!(
        items
            .iter()
            .filter(|i| i.kind == ItemKind::Conference)
            .count(),
        4
    );
    assert_eq!(
        items
            .iter()
            .filter(|i| i.kind == ItemKind::SupervisionDecision)
            .count(),
        2
    );
    assert_eq!(
        items
            .iter()
            .filter(|i| i.kind == ItemKind::EpisodeStarted)
            .count(),
        1
    );
    let agencies: std::collections::BTreeSet<&str> = items
        .iter()
        .map(|i| i.agency.as_str())
        .filter(|a| !a.is_empty())
        .collect();
    assert_eq!(agencies.len(), 4);
    assert!(
        items
            .windows(2)
            .all(|w| w[0].date.get(..10) <= w[1].date.get(..10)),
        "date order"
    );
    for t in &f.tablets {
        assert_eq!(
            t.get_heads(),
            doc.get_heads(),
            "every agency's tablet holds the same record"
        );
    }
}
