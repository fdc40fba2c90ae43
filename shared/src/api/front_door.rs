//! JSON types of the front door: a concern as a tablet submits it (inside the caseload sync,
//! `SyncRequest::concerns`) or the front door records it from a call, what the referrer hears
//! back (the decision and its date only), and the front door's queue with its matches.

use serde::{Deserialize, Serialize};

use super::partnership::{ChildFields, ChildMatch};
use crate::calendar::Date;
use crate::ids::{ChildId, UserId};
use crate::nhs::NhsNumber;
use crate::record::front_door::{check_indicators, ConcernFrom, Decision, Urgency};
use crate::record::Source;
use crate::record::{check_id, check_len, ValidationError, MAX_SHORT_LEN, MAX_TEXT_LEN};

/// Most concerns one sync may carry.
pub const MAX_CONCERNS_PER_SYNC: usize = 50;

/// Who the child is, as far as the referrer knows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConcernChild {
    pub name: String,
    /// `YYYY-MM-DD`, or empty when only an age is known.
    #[serde(default)]
    pub date_of_birth: String,
    /// The child's age in years when the date of birth is not known.
    #[serde(default)]
    pub age_years: Option<u8>,
    #[serde(default)]
    pub nhs_number: Option<NhsNumber>,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub school: String,
}

impl ConcernChild {
    pub fn born(&self) -> Option<Date> {
        self.date_of_birth.parse().ok()
    }

    /// "Ava Smyth, born 03/05/2019", "Leo, about 6".
    pub fn describe(&self) -> String {
        match (self.born(), self.age_years) {
            (Some(b), _) => format!("{}, born {}", self.name, b.dmy()),
            (None, Some(a)) => format!("{}, about {a}", self.name),
            (None, None) => self.name.clone(),
        }
    }
}

/// A concern as it is raised: on a tablet (sent with the next caseload sync, the server adds
/// who raised it and when it arrived) or by the front door from a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcernSubmission {
    /// Made on the tablet, so a sync repeated after a lost answer stores it once.
    pub id: String,
    /// When it was recorded, by the tablet's clock.
    pub raised_at_ms: i64,
    pub child: ConcernChild,
    #[serde(default)]
    pub indicators: Vec<String>,
    pub source: Source,
    #[serde(default)]
    pub narrative: String,
    #[serde(default)]
    pub child_words: String,
    pub urgency: Urgency,
    /// How the front door reaches the referrer (a phone number, an email address).
    #[serde(default)]
    pub contact: String,
}

impl ConcernSubmission {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        if self.raised_at_ms < 0 {
            return Err(ValidationError::OutOfRange("when it was raised"));
        }
        let c = &self.child;
        if c.name.trim().is_empty() {
            return Err(ValidationError::Missing("the child's name"));
        }
        if !c.date_of_birth.is_empty() && c.born().is_none() {
            return Err(ValidationError::BadDate);
        }
        if c.age_years.is_some_and(|a| a > 25) {
            return Err(ValidationError::OutOfRange("the child's age"));
        }
        for (text, what) in [
            (&c.name, "the child's name"),
            (&c.address, "address"),
            (&c.school, "school"),
            (&self.contact, "contact"),
        ] {
            check_len(text, MAX_SHORT_LEN, what)?;
        }
        check_indicators(&self.indicators)?;
        if self.narrative.trim().is_empty()
            && self.child_words.trim().is_empty()
            && self.indicators.is_empty()
        {
            return Err(ValidationError::Missing("what was seen or heard"));
        }
        check_len(&self.narrative, MAX_TEXT_LEN, "what was seen or heard")?;
        check_len(&self.child_words, MAX_TEXT_LEN, "the child's words")
    }
}

/// Where a concern stands, as its referrer may know it: the decision and its date, nothing of
/// the record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ConcernOutcome {
    /// At the front door, awaiting a decision.
    Received { received_on: Date },
    Decided {
        received_on: Date,
        decision: Decision,
        decided_on: Date,
    },
    /// Not stored (its id is another's, or it is malformed); say why, raise it again.
    Refused { reason: String },
}

/// One of the referrer's concerns and its outcome (`SyncResponse::concerns`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcernFeedback {
    pub id: String,
    pub outcome: ConcernOutcome,
}

/// `POST /api/front-door/concerns`: a concern the front door takes from a call (the public, a
/// relative, an anonymous caller, a practitioner on the phone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerConcern {
    #[serde(flatten)]
    pub concern: ConcernSubmission,
    pub from: ConcernFrom,
    /// Empty for an anonymous caller.
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub relationship: String,
    /// Who must see it answered (a front-door worker or the child's social worker), and by
    /// when (`YYYY-MM-DD`); empty means the one working day from today.
    pub owner: UserId,
    #[serde(default)]
    pub due: String,
}

/// Where a concern is in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    /// Not yet matched to a child.
    New,
    /// In a child's record, awaiting a decision.
    Matched,
    Decided,
}

/// One concern in the front door's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub id: String,
    pub state: QueueState,
    pub received_on: Date,
    /// The decision is due by here: one working day from receipt unless its owner was given
    /// another date.
    pub due: Date,
    pub overdue: bool,
    pub from: ConcernFrom,
    /// The referrer: a practitioner's name and agency, a caller's name, or "Anonymous".
    pub referrer: String,
    pub agency: String,
    pub relationship: String,
    pub contact: String,
    pub owner_name: String,
    pub concern: ConcernSubmission,
    /// Children who may be this one, with why, strongest first (only while `New`).
    #[serde(default)]
    pub candidates: Vec<ChildMatch>,
    pub child_id: Option<ChildId>,
    pub child_name: Option<String>,
    pub decision: Option<Decision>,
    pub decided_on: Option<Date>,
}

/// `GET /api/front-door/queue`: open concerns, most overdue first, then the recently decided.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Queue {
    pub items: Vec<QueueItem>,
}

/// `POST /api/front-door/concerns/{id}/match`: to an existing child, or a new record made
/// from these details (every likely duplicate judged a different child first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRequest {
    Existing {
        child_id: ChildId,
    },
    New {
        #[serde(flatten)]
        fields: Box<ChildFields>,
        /// The team that holds the new record; the front-door worker's own when not given.
        #[serde(default)]
        team_id: Option<String>,
        #[serde(default)]
        not_duplicates: Vec<ChildId>,
    },
}

/// `POST /api/front-door/concerns/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRequest {
    pub decision: Decision,
    /// Why, and what happens next.
    pub note: String,
}

/// The answer to a match or a decision: the queue entry as it now stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrontDoorAnswer {
    pub item: QueueItem,
}

/// Working days the front door has to decide on a concern (Working Together 2023, restated in
/// Keeping Children Safe in Education: a decision within one working day of receipt).
pub const DECIDE_WITHIN_WORKING_DAYS: u32 = 1;

/// When the decision on a concern received on `received_on` is due.
pub fn decision_due(received_on: Date) -> Date {
    received_on.add_working_days(DECIDE_WITHIN_WORKING_DAYS)
}

/// Whether a concern due on `due` and not yet decided is overdue on `today`.
pub fn is_overdue(due: Date, decided: bool, today: Date) -> bool {
    !decided && today > due
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn the_decision_is_due_one_working_day_after_receipt() {
        // The research's test date: received Thu 24 Dec 2026, due Tue 29 Dec 2026 (Christmas,
        // the weekend and the Boxing Day substitute holiday skipped).
        assert_eq!(decision_due(d("2026-12-24")), d("2026-12-29"));
        assert_eq!(decision_due(d("2026-12-07")), d("2026-12-08"));
        // A Friday's concern is due on Monday; Good Friday's on the Tuesday after Easter.
        assert_eq!(decision_due(d("2026-12-04")), d("2026-12-07"));
        assert_eq!(decision_due(d("2026-04-02")), d("2026-04-07"));
        let due = decision_due(d("2026-12-24"));
        assert!(!is_overdue(due, false, d("2026-12-29")));
        assert!(is_overdue(due, false, d("2026-12-30")));
        assert!(!is_overdue(due, true, d("2026-12-30")));
    }

    #[test]
    fn a_submission_needs_a_child_and_what_was_seen() {
        let good = ConcernSubmission {
            id: "concern-1".into(),
            raised_at_ms: 0,
            child: ConcernChild {
                name: "Leo".into(),
                age_years: Some(6),
                ..Default::default()
            },
            indicators: vec![],
            source: Source::Observed,
            narrative: "Bruise on the cheek".into(),
            child_words: String::new(),
            urgency: Urgency::Today,
            contact: String::new(),
        };
        assert!(good.validate().is_ok());
        assert_eq!(good.child.describe(), "Leo, about 6");
        let nameless = ConcernSubmission {
            child: ConcernChild::default(),
            ..good.clone()
        };
        assert!(nameless.validate().is_err());
        let empty = ConcernSubmission {
            narrative: " ".into(),
            ..good.clone()
        };
        assert!(empty.validate().is_err());
        let bad_id = ConcernSubmission {
            id: "a/b".into(),
            ..good.clone()
        };
        assert!(bad_id.validate().is_err());
        let unknown = ConcernSubmission {
            indicators: vec!["no-such-indicator".into()],
            ..good
        };
        assert!(unknown.validate().is_err());
    }
}
