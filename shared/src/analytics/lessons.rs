//! The case review's lessons as rules: the child seen and heard (often enough for the plan,
//! alone, at home, the bedroom on a neglect plan, not only at school), hostile and difficult
//! visits (a debrief for each, and the pattern of visits that do not happen), drift that must
//! be answered, and professional challenges that move on by the clock.
//!
//! Pure, like every analytic: the record, "today", the child's date of birth and the
//! partnership's [`Practice`] in, the same answer on the tablet and the server out. The flags
//! they raise are made in [`super::flag`].

use serde::{Deserialize, Serialize};

use super::episodes::{self, EpisodeView};
use super::Drift;
use crate::calendar::Date;
use crate::record::episodes::{EpisodeKind, PlanCategory};
use crate::record::escalation::{
    Challenge, ChallengeStep, DriftAction, DriftResponse, Outcome, StepKind,
};
use crate::record::plan::ConferenceKind;
use crate::record::visits::{Difficulty, Visit, VisitPlace};
use crate::record::Record;

/// How often a child on a plan must be seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    WorkingDays(u32),
    /// Calendar days (six weeks is 42).
    Days(u32),
}

impl Cadence {
    /// The last day a visit is in time, after one on `day`.
    pub fn after(self, day: Date) -> Date {
        match self {
            Cadence::WorkingDays(n) => day.add_working_days(n),
            Cadence::Days(n) => day.add_days(n as i32),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Cadence::WorkingDays(n) => format!("every {n} working days"),
            Cadence::Days(n) if n % 7 == 0 => format!("every {} weeks", n / 7),
            Cadence::Days(n) => format!("every {n} days"),
        }
    }
}

/// Visit cadence per kind of plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cadences {
    pub child_protection: Cadence,
    pub child_in_need: Cadence,
    pub looked_after: Cadence,
}

impl Cadences {
    /// The cadence of a kind of episode; pre-proceedings has none of its own.
    pub fn of(&self, kind: EpisodeKind) -> Option<Cadence> {
        match kind {
            EpisodeKind::ChildProtection => Some(self.child_protection),
            EpisodeKind::ChildInNeed => Some(self.child_in_need),
            EpisodeKind::LookedAfter => Some(self.looked_after),
            EpisodeKind::PreProceedings => None,
        }
    }
}

/// The clocks of a professional challenge, in working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeClocks {
    /// From raising to acknowledgement.
    pub acknowledge: u32,
    /// From raising to a joint plan between the practitioners.
    pub practitioners: u32,
    /// From escalation to the managers to their resolution.
    pub managers: u32,
    /// From escalation to senior managers to theirs.
    pub senior: u32,
}

/// The partnership's practice standards these rules apply. The defaults are the case review's
/// and Working Together's; a partnership sets its own on the server
/// (`QUILT_PRACTICE_FILE`), which sends them to every tablet at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Practice {
    pub cadence: Cadences,
    /// Flag a child not seen alone in this many visits in a row...
    pub seen_alone_visits: usize,
    /// ...once they are this old (years).
    pub seen_alone_from_age: u32,
    /// Flag a child whose last this many sightings were all at school.
    pub school_only_visits: usize,
    /// Working days a manager has to debrief a difficult visit.
    pub debrief_within: u32,
    /// Flag avoidance when `avoidance_count` of the last `avoidance_of` visits were refused,
    /// cut short or the child not produced.
    pub avoidance_count: usize,
    pub avoidance_of: usize,
    pub challenge: ChallengeClocks,
}

impl Default for Practice {
    fn default() -> Self {
        Practice {
            cadence: Cadences {
                child_protection: Cadence::WorkingDays(10),
                child_in_need: Cadence::WorkingDays(20),
                looked_after: Cadence::Days(42),
            },
            seen_alone_visits: 3,
            seen_alone_from_age: 4,
            school_only_visits: 3,
            debrief_within: 2,
            avoidance_count: 3,
            avoidance_of: 5,
            challenge: ChallengeClocks {
                acknowledge: 1,
                practitioners: 2,
                managers: 5,
                senior: 2,
            },
        }
    }
}

/// The child has not been seen within the cadence of the plan they are on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotSeen {
    /// The last day any agency saw the child, if ever on this plan.
    pub last_seen: Option<Date>,
    /// Since when: the last sighting, or the plan's start.
    pub since: Date,
    /// The last day they should have been seen by.
    pub due: Date,
    /// The plan whose cadence was missed.
    pub plan: EpisodeKind,
    pub cadence: Cadence,
}

/// A pattern over the latest visits: how many, from when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pattern {
    pub visits: usize,
    pub since: Date,
}

/// Visits curtailed: `count` of the last `of`, the window starting `since`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Avoidance {
    pub count: usize,
    pub of: usize,
    pub since: Date,
    pub last: Date,
}

/// A difficult visit's debrief, owed by the practitioner's manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebriefTask {
    pub visit_id: String,
    pub visit_date: Date,
    pub practitioner: String,
    pub agency: String,
    pub difficulties: Vec<Difficulty>,
    pub due: Date,
    /// When a manager debriefed it, if one has.
    pub done_on: Option<Date>,
}

/// Where a drift flag stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DriftState {
    /// No manager has responded since the drift began.
    #[default]
    Unanswered,
    /// Answered; looked at again on `review_on`. `responses` counts the answers of the
    /// latest day (two managers answering offline both count).
    Answered {
        action: DriftAction,
        review_on: Date,
        responses: usize,
    },
    /// The response's review date has passed and the drift remains.
    ReviewDue {
        action: DriftAction,
        review_on: Date,
    },
}

/// The stage a challenge is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Practitioners,
    Managers,
    Senior,
    Closed,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Practitioners => "between practitioners",
            Stage::Managers => "with managers",
            Stage::Senior => "with senior managers",
            Stage::Closed => "closed",
        }
    }

    pub fn owner(self) -> &'static str {
        match self {
            Stage::Practitioners => "the decision's owner",
            Stage::Managers => "the agencies' managers",
            Stage::Senior => "the agencies' senior managers",
            Stage::Closed => "nobody",
        }
    }
}

/// A challenge as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeView {
    pub challenge: Challenge,
    pub stage: Stage,
    /// When the current stage began.
    pub stage_since: Date,
    pub acknowledged_on: Option<Date>,
    /// By when the next move is due; `None` once closed.
    pub due: Option<Date>,
    /// Every closing outcome (two people closing it offline differently both show).
    pub outcomes: Vec<Outcome>,
    /// Every move, in date order, concurrent ones side by side.
    pub steps: Vec<ChallengeStep>,
}

/// Everything these rules found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Lessons {
    pub last_seen: Option<Date>,
    pub not_seen: Option<NotSeen>,
    pub not_seen_alone: Option<Pattern>,
    /// On a neglect plan: visits since the last conference, none of which saw the bedroom.
    pub bedroom_not_seen: Option<Pattern>,
    pub seen_only_at_school: Option<Pattern>,
    pub debriefs: Vec<DebriefTask>,
    pub avoidance: Option<Avoidance>,
    pub drift: Option<DriftState>,
    pub challenges: Vec<ChallengeView>,
}

fn day(s: &str) -> Option<Date> {
    s.parse().ok()
}

/// Visits up to `today`, in date order.
fn visits_to(record: &Record, today: Date) -> Vec<(Date, &Visit)> {
    record
        .visits
        .iter()
        .filter_map(|v| day(&v.date).map(|d| (d, v)))
        .filter(|(d, _)| *d <= today)
        .collect()
}

/// Whole years from `born` to `today`.
pub fn age_on(born: Date, today: Date) -> i32 {
    let (by, bm, bd) = born.ymd();
    let (ty, tm, td) = today.ymd();
    ty - by - i32::from((tm, td) < (bm, bd))
}

/// Everything the lessons rules find in the record on `today`. `born` is the child's date of
/// birth (an unborn child, born after `today`, has no visit rules yet).
pub fn lessons(
    record: &Record,
    today: Date,
    born: Option<Date>,
    drift: Option<&Drift>,
    p: &Practice,
) -> Lessons {
    let visits = visits_to(record, today);
    let unborn = born.is_some_and(|b| b > today);
    let seen: Vec<(Date, &Visit)> = visits.iter().filter(|(_, v)| v.seen).copied().collect();
    let last_seen = seen.last().map(|(d, _)| *d);
    let open: Vec<EpisodeView> = episodes::episodes(record)
        .into_iter()
        .filter(|e| e.is_open_on(today))
        .collect();
    let mut out = Lessons {
        last_seen,
        debriefs: debriefs(record, &visits, p),
        drift: drift.map(|d| drift_state(record, d, today)),
        challenges: challenges(record, today, p),
        ..Lessons::default()
    };
    if unborn {
        return out;
    }
    out.not_seen = not_seen(&open, &seen, today, p);
    let old_enough = born.is_none_or(|b| age_on(b, today) >= p.seen_alone_from_age as i32);
    if old_enough && p.seen_alone_visits > 0 && visits.len() >= p.seen_alone_visits {
        let last = &visits[visits.len() - p.seen_alone_visits..];
        if last.iter().all(|(_, v)| !v.seen_alone) {
            out.not_seen_alone = Some(Pattern {
                visits: last.len(),
                since: last[0].0,
            });
        }
    }
    out.bedroom_not_seen = bedroom_not_seen(record, &open, &visits, today);
    if p.school_only_visits > 0 && seen.len() >= p.school_only_visits {
        let last = &seen[seen.len() - p.school_only_visits..];
        if last.iter().all(|(_, v)| v.place == VisitPlace::School) {
            out.seen_only_at_school = Some(Pattern {
                visits: last.len(),
                since: last[0].0,
            });
        }
    }
    if p.avoidance_of > 0 && p.avoidance_count > 0 {
        let window = &visits[visits.len().saturating_sub(p.avoidance_of)..];
        let curtailed: Vec<Date> = window
            .iter()
            .filter(|(_, v)| v.is_curtailed())
            .map(|(d, _)| *d)
            .collect();
        if curtailed.len() >= p.avoidance_count {
            out.avoidance = Some(Avoidance {
                count: curtailed.len(),
                of: window.len(),
                since: window[0].0,
                last: curtailed[curtailed.len() - 1],
            });
        }
    }
    out
}

/// The strictest cadence among today's plans, from the later of the last sighting and the
/// plan's start: the child is not seen once that day has passed.
fn not_seen(
    open: &[EpisodeView],
    seen: &[(Date, &Visit)],
    today: Date,
    p: &Practice,
) -> Option<NotSeen> {
    open.iter()
        .filter_map(|e| {
            let cadence = p.cadence.of(e.kind)?;
            let last_seen = seen
                .iter()
                .rev()
                .map(|(d, _)| *d)
                .find(|d| *d >= e.started_on);
            let since = last_seen.unwrap_or(e.started_on);
            Some(NotSeen {
                last_seen,
                since,
                due: cadence.after(since),
                plan: e.kind,
                cadence,
            })
        })
        .min_by_key(|n| (n.due, n.plan))
        .filter(|n| n.due < today)
}

/// On a neglect plan open today: the visits since its last conference (or its start), when
/// there is at least one and none saw the bedroom.
fn bedroom_not_seen(
    record: &Record,
    open: &[EpisodeView],
    visits: &[(Date, &Visit)],
    today: Date,
) -> Option<Pattern> {
    let plan = open.iter().find(|e| {
        e.kind == EpisodeKind::ChildProtection && e.category_on(today) == PlanCategory::Neglect
    })?;
    let conference = record
        .conferences
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                ConferenceKind::InitialConference | ConferenceKind::ReviewConference
            )
        })
        .filter_map(|c| day(&c.date))
        .filter(|d| *d >= plan.started_on && *d <= today)
        .max();
    let since = conference.unwrap_or(plan.started_on);
    let after: Vec<_> = visits.iter().filter(|(d, _)| *d >= since).collect();
    (!after.is_empty() && after.iter().all(|(_, v)| !v.bedroom_seen)).then_some(Pattern {
        visits: after.len(),
        since,
    })
}

fn debriefs(record: &Record, visits: &[(Date, &Visit)], p: &Practice) -> Vec<DebriefTask> {
    visits
        .iter()
        .filter(|(_, v)| v.is_difficult())
        .map(|(d, v)| DebriefTask {
            visit_id: v.id.clone(),
            visit_date: *d,
            practitioner: v.added.by_name.clone(),
            agency: v.agency.clone(),
            difficulties: v.difficulties.clone(),
            due: d.add_working_days(p.debrief_within),
            done_on: record
                .debriefs
                .iter()
                .filter(|b| b.visit_id == v.id)
                .filter_map(|b| day(&b.date))
                .min(),
        })
        .collect()
}

/// Responses count from the day the drift began; the latest day's answers stand (two
/// managers answering offline on one day both count, and the later review date rules).
fn drift_state(record: &Record, drift: &Drift, today: Date) -> DriftState {
    let answers: Vec<&DriftResponse> = record
        .drift_responses
        .iter()
        .filter(|r| r.date_on() >= drift.since && r.date_on() <= today)
        .collect();
    let Some(latest) = answers.iter().map(|r| r.date_on()).max() else {
        return DriftState::Unanswered;
    };
    let of_day: Vec<_> = answers.iter().filter(|r| r.date_on() == latest).collect();
    let Some(ruling) = of_day.iter().max_by_key(|r| (r.review_date(), &r.id)) else {
        return DriftState::Unanswered;
    };
    if ruling.review_date() > today {
        DriftState::Answered {
            action: ruling.action,
            review_on: ruling.review_date(),
            responses: of_day.len(),
        }
    } else {
        DriftState::ReviewDue {
            action: ruling.action,
            review_on: ruling.review_date(),
        }
    }
}

fn challenges(record: &Record, today: Date, p: &Practice) -> Vec<ChallengeView> {
    record
        .challenges
        .iter()
        .filter_map(|c| {
            let raised = day(&c.raised_on)?;
            let steps: Vec<ChallengeStep> = record
                .challenge_steps
                .iter()
                .filter(|s| s.challenge_id == c.id)
                .filter(|s| day(&s.date).is_some_and(|d| d <= today))
                .cloned()
                .collect();
            let first = |kind: StepKind| {
                steps
                    .iter()
                    .filter(|s| s.kind == kind)
                    .filter_map(|s| day(&s.date))
                    .min()
            };
            let acknowledged_on = first(StepKind::Acknowledged);
            let outcomes: Vec<Outcome> = steps
                .iter()
                .filter(|s| s.kind == StepKind::Closed)
                .map(|s| s.outcome)
                .collect();
            let clocks = p.challenge;
            let (stage, stage_since, due) = if let Some(closed) = first(StepKind::Closed) {
                (Stage::Closed, closed, None)
            } else if let Some(d) = first(StepKind::ToSenior) {
                (Stage::Senior, d, Some(d.add_working_days(clocks.senior)))
            } else if let Some(d) = first(StepKind::ToManagers) {
                (
                    Stage::Managers,
                    d,
                    Some(d.add_working_days(clocks.managers)),
                )
            } else if acknowledged_on.is_none() {
                (
                    Stage::Practitioners,
                    raised,
                    Some(raised.add_working_days(clocks.acknowledge)),
                )
            } else {
                (
                    Stage::Practitioners,
                    raised,
                    Some(raised.add_working_days(clocks.practitioners)),
                )
            };
            Some(ChallengeView {
                challenge: c.clone(),
                stage,
                stage_since,
                acknowledged_on,
                due,
                outcomes,
                steps,
            })
        })
        .collect()
}

impl Lessons {
    /// Debriefs not yet done.
    pub fn open_debriefs(&self) -> impl Iterator<Item = &DebriefTask> {
        self.debriefs.iter().filter(|d| d.done_on.is_none())
    }

    /// Challenges not yet closed.
    pub fn open_challenges(&self) -> impl Iterator<Item = &ChallengeView> {
        self.challenges.iter().filter(|c| c.stage != Stage::Closed)
    }
}

#[cfg(test)]
mod tests;
