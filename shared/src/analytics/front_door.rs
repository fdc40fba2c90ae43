//! Concerns in a record as the overview reads them: each with whether it has been answered
//! and by when it must be; the child and family assessment's 45 working days from the
//! referral; and the initial conference a strategy discussion's section 47 decision makes due.
//!
//! A concern is answered by any [`ConcernResponse`] naming it. Until then it is unanswered:
//! a flag (`Flag::UnansweredConcern`) on the record and the dashboard, overdue after its due
//! date (one working day from receipt at the front door, or the date its owner was given).

use serde::{Deserialize, Serialize};

use super::{Timescale, TimescaleKind};
use crate::calendar::Date;
use crate::record::front_door::{ConcernFrom, Decision};
use crate::record::Record;

/// Working days the child and family assessment may take, from the referral.
pub const ASSESSMENT_WORKING_DAYS: u32 = 45;
/// Working days from a strategy discussion that starts section 47 enquiries to the initial
/// child protection conference.
pub const INITIAL_CONFERENCE_WORKING_DAYS: u32 = 15;

/// One concern, as the overview lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcernView {
    pub id: String,
    /// "Concern from Hilltop Primary School (Jo Adams)".
    pub headline: String,
    pub from: ConcernFrom,
    pub received_on: Date,
    pub due: Date,
    pub owner_name: String,
    /// The first answer: what was decided, and when.
    pub answer: Option<(Decision, Date)>,
    /// How many answers it has (two people answering offline both count).
    pub answers: usize,
}

impl ConcernView {
    pub fn is_unanswered(&self) -> bool {
        self.answer.is_none()
    }
}

/// Every concern in the record with its answer, in order of receipt.
pub fn concerns(record: &Record) -> Vec<ConcernView> {
    record
        .concerns
        .iter()
        .filter_map(|c| {
            let received_on: Date = c.received_on.parse().ok()?;
            let due: Date = c.due.parse().ok()?;
            let mut answers: Vec<(Date, Decision)> = record
                .concern_responses
                .iter()
                .filter(|r| r.concern_id == c.id)
                .filter_map(|r| r.date.parse().ok().map(|d| (d, r.decision)))
                .collect();
            answers.sort_by_key(|(d, _)| *d);
            Some(ConcernView {
                id: c.id.clone(),
                headline: c.headline(),
                from: c.from,
                received_on,
                due,
                owner_name: c.owner_name.clone(),
                answer: answers.first().map(|(d, decision)| (*decision, *d)),
                answers: answers.len(),
            })
        })
        .collect()
}

/// The assessments decided on concerns: each due 45 working days from the referral, done
/// by a later answer to the same concern with another decision (what the assessment
/// concluded) or by an episode that started on or after the referral.
pub fn assessment_timescales(record: &Record, today: Date) -> Vec<Timescale> {
    let starts: Vec<Date> = record
        .episodes
        .iter()
        .filter_map(|e| e.base.started_on.parse().ok())
        .collect();
    let mut out = Vec::new();
    for c in &record.concerns {
        let Ok(referral) = c.received_on.parse::<Date>() else {
            continue;
        };
        let responses: Vec<(Date, Decision)> = record
            .concern_responses
            .iter()
            .filter(|r| r.concern_id == c.id)
            .filter_map(|r| r.date.parse().ok().map(|d| (d, r.decision)))
            .collect();
        let Some(decided) = responses
            .iter()
            .filter(|(_, d)| *d == Decision::Assessment)
            .map(|(on, _)| *on)
            .min()
        else {
            continue;
        };
        let concluded = responses
            .iter()
            .filter(|(on, d)| *d != Decision::Assessment && *on >= decided)
            .map(|(on, _)| *on)
            .chain(starts.iter().copied().filter(|s| *s >= referral))
            .min();
        let due = referral.add_working_days(ASSESSMENT_WORKING_DAYS);
        out.push(Timescale {
            kind: TimescaleKind::Assessment,
            what: "Child and family assessment (45 working days from the referral)".into(),
            due,
            done_on: concluded,
            overdue: concluded.is_none() && today > due,
        });
    }
    out
}

/// Strategy discussions as dates with whether they ended enquiries (no section 47), from the
/// minuted records: what `timescales` counts beside the conference entries of that kind.
pub fn strategy_dates(record: &Record) -> Vec<(Date, bool)> {
    record
        .strategy_discussions
        .iter()
        .filter_map(|s| s.date.parse().ok().map(|d| (d, !s.section_47)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::front_door::{Concern, ConcernResponse, Urgency};
    use crate::record::stamped::Stamp;
    use crate::record::Source;

    fn stamp() -> Stamp {
        Stamp {
            by: "fd".parse().expect("id"),
            by_name: "Front Door".into(),
            at_ms: 0,
        }
    }

    fn concern(id: &str, received: &str, due: &str) -> Concern {
        Concern {
            id: id.into(),
            received_on: received.into(),
            raised_on: received.into(),
            from: ConcernFrom::Anonymous,
            referrer: String::new(),
            agency: String::new(),
            relationship: String::new(),
            indicators: Vec::new(),
            source: Source::ThirdParty,
            narrative: "Bruises seen on the baby".into(),
            child_words: String::new(),
            urgency: Urgency::Routine,
            owner: "fd".into(),
            owner_name: "Front Door".into(),
            due: due.into(),
            added: stamp(),
        }
    }

    fn response(concern: &str, decision: Decision, date: &str) -> ConcernResponse {
        ConcernResponse {
            id: format!("r-{concern}-{date}"),
            concern_id: concern.into(),
            decision,
            note: "Because".into(),
            date: date.into(),
            agency: "Front door".into(),
            added: stamp(),
        }
    }

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn a_concern_is_unanswered_until_any_response_names_it() {
        let mut r = Record {
            concerns: vec![concern("c1", "2026-12-24", "2026-12-29")],
            ..Record::default()
        };
        let v = concerns(&r);
        assert!(v[0].is_unanswered());
        assert_eq!(v[0].headline, "Anonymous concern");
        r.concern_responses
            .push(response("c1", Decision::EarlyHelp, "2026-12-30"));
        r.concern_responses
            .push(response("c1", Decision::Assessment, "2026-12-29"));
        let v = concerns(&r);
        assert_eq!(v[0].answer, Some((Decision::Assessment, d("2026-12-29"))));
        assert_eq!(v[0].answers, 2);
        // A response naming another concern answers nothing.
        r.concern_responses.clear();
        r.concern_responses
            .push(response("other", Decision::EarlyHelp, "2026-12-29"));
        assert!(concerns(&r)[0].is_unanswered());
    }

    #[test]
    fn the_assessment_runs_45_working_days_from_the_referral() {
        // The research's test date: a referral on Mon 2 Mar 2026 is due Thu 7 May 2026.
        let mut r = Record {
            concerns: vec![concern("c1", "2026-03-02", "2026-03-03")],
            concern_responses: vec![response("c1", Decision::Assessment, "2026-03-03")],
            ..Record::default()
        };
        let t = assessment_timescales(&r, d("2026-05-07"));
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].due, d("2026-05-07"));
        assert!(!t[0].overdue);
        assert!(assessment_timescales(&r, d("2026-05-08"))[0].overdue);
        // What the assessment concluded ends it.
        r.concern_responses
            .push(response("c1", Decision::NoFurtherAction, "2026-04-20"));
        let t = assessment_timescales(&r, d("2026-06-01"));
        assert_eq!(t[0].done_on, Some(d("2026-04-20")));
        assert!(!t[0].overdue);
        // No assessment decided: no timescale.
        r.concern_responses
            .retain(|x| x.decision != Decision::Assessment);
        assert!(assessment_timescales(&r, d("2026-06-01")).is_empty());
    }

    #[test]
    fn a_section_47_decision_makes_the_initial_conference_due_in_15_working_days() {
        use crate::record::strategy::{Attendee, AttendeeRole, StrategyRecord};
        let strategy = |section_47: bool| StrategyRecord {
            id: "s1".into(),
            date: "2026-12-14".into(),
            attendees: vec![Attendee {
                name: "Sam".into(),
                agency: "Social care".into(),
                role: AttendeeRole::SocialCare,
            }],
            section_47,
            reasons: "Bruising".into(),
            concern_id: String::new(),
            agency: "Children's Social Care".into(),
            added: stamp(),
        };
        // The research's test date: Mon 14 Dec 2026 → Thu 7 Jan 2027 (Christmas, Boxing Day's
        // substitute and New Year's Day skipped).
        let r = Record {
            strategy_discussions: vec![strategy(true)],
            ..Record::default()
        };
        let t = crate::analytics::timescales(&r, d("2027-01-07"));
        let icpc = t
            .iter()
            .find(|t| t.kind == TimescaleKind::InitialConference)
            .expect("due");
        assert_eq!(icpc.due, d("2027-01-07"));
        assert!(!icpc.overdue);
        assert!(crate::analytics::timescales(&r, d("2027-01-08"))[0].overdue);
        let r = Record {
            strategy_discussions: vec![strategy(false)],
            ..Record::default()
        };
        assert!(crate::analytics::timescales(&r, d("2027-01-08"))
            .iter()
            .all(|t| t.kind != TimescaleKind::InitialConference));
    }
}
