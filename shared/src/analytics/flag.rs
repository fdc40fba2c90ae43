//! Flags: the short list of what a manager must not miss on a record, as the dashboard sends it
//! and both the dashboard and the tablet's overview show it.
//!
//! A flag is typed on the wire (a stable `kind` tag with its data), so the English words are
//! made once, here, and rewording them never changes what a flag is taken to be. Each flag
//! says what, since when, by when and whose action it is ([`Flag::detail`]), and how urgent it
//! is ([`Flag::urgency`]), which orders the dashboard. Flags carry dates, counts and kinds only,
//! never record contents: the dashboard lists every team child at once, and reading a
//! record's contents is audited per child.
//!
//! tidy: long file — every method is one match over the same flag kinds (kind, label, since,
//! due, owner, detail): a new kind is added in each, side by side.

use serde::{Deserialize, Serialize};

use super::lessons::{DriftState, Stage};
use super::{Overview, TimescaleKind};
use crate::calendar::Date;
use crate::catalogue::Category;
use crate::record::episodes::EpisodeKind;
use crate::record::front_door::ConcernFrom;

/// Working days a strategy-discussion prompt or harm to others gives the manager to decide
/// (Working Together: decisions about a child at risk are made within one working day).
pub const DECIDE_WITHIN_WORKING_DAYS: u32 = 1;
/// Working days an adult around the child may stay unassessed: the child and family
/// assessment's 45 working days.
pub const ASSESS_WITHIN_WORKING_DAYS: u32 = 45;

/// One flag on a record, from `Overview::flags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flag {
    /// Indicators of `category` crossed the threshold on `since` (`indicators` of them, from
    /// `sources` informants, in the latest window) and no strategy discussion of the category
    /// has been held since; to be decided by `due`.
    StrategyDiscussion {
        category: Category,
        since: Date,
        indicators: usize,
        sources: usize,
        due: Date,
    },
    /// The child's harmful behaviour towards others, recorded since `since` in `entries`
    /// entries from `agencies` agencies.
    HarmToOthers {
        since: Date,
        entries: usize,
        agencies: usize,
        due: Date,
    },
    /// Adults around the child with no assessment, `disputed` of them because assessments
    /// disagree; the first was added on `since`.
    Unassessed {
        adults: usize,
        disputed: usize,
        since: Date,
        due: Date,
    },
    /// `count` timescales and plan actions past their due date; `what` is the most overdue,
    /// due on `due`.
    Overdue {
        what: TimescaleKind,
        due: Date,
        count: usize,
    },
    /// Risks are not reducing while the plan is active, since `since`; whether and how a
    /// manager has answered.
    Drift {
        since: Date,
        #[serde(default)]
        response: DriftState,
    },
    /// Fields with unresolved concurrent edits.
    Conflicts { count: usize },
    /// No agency has seen the child since `since` (the last sighting, or the start of the
    /// `plan`), and its cadence wanted them seen by `due`.
    NotSeen {
        since: Date,
        due: Date,
        plan: EpisodeKind,
    },
    /// The child (old enough) was not seen alone in any of the last `visits` visits.
    NotSeenAlone { visits: usize, since: Date },
    /// On a neglect plan, `visits` visits since the last conference (`since`) and the
    /// bedroom seen in none.
    BedroomNotSeen { visits: usize, since: Date },
    /// The last `visits` sightings of the child were all at school.
    SeenOnlyAtSchool { visits: usize, since: Date },
    /// `open` difficult visits not yet debriefed; the first made on `since`, its debrief due.
    Debrief { open: usize, since: Date, due: Date },
    /// `count` of the last `of` visits refused, cut short or without the child.
    Avoidance {
        count: usize,
        of: usize,
        since: Date,
        due: Date,
    },
    /// `open` professional challenges; the most pressing at `stage`, raised on `since`, its
    /// next move due.
    Challenge {
        open: usize,
        stage: Stage,
        since: Date,
        due: Date,
    },
    /// `open` concerns from the front door with no response recorded; the earliest received
    /// on `since` (from `from`), its response due.
    UnansweredConcern {
        open: usize,
        from: ConcernFrom,
        since: Date,
        due: Date,
    },
}

/// What a flag is about, without its data: for filtering and styling. `code()` is the flag's
/// `kind` tag on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagKind {
    StrategyDiscussion,
    HarmToOthers,
    Unassessed,
    Overdue,
    Drift,
    Conflicts,
    NotSeen,
    NotSeenAlone,
    BedroomNotSeen,
    SeenOnlyAtSchool,
    Debrief,
    Avoidance,
    Challenge,
    UnansweredConcern,
}

impl FlagKind {
    pub const ALL: [FlagKind; 14] = [
        FlagKind::StrategyDiscussion,
        FlagKind::HarmToOthers,
        FlagKind::Unassessed,
        FlagKind::Overdue,
        FlagKind::Drift,
        FlagKind::Conflicts,
        FlagKind::NotSeen,
        FlagKind::NotSeenAlone,
        FlagKind::BedroomNotSeen,
        FlagKind::SeenOnlyAtSchool,
        FlagKind::Debrief,
        FlagKind::Avoidance,
        FlagKind::Challenge,
        FlagKind::UnansweredConcern,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FlagKind::StrategyDiscussion => "strategy_discussion",
            FlagKind::HarmToOthers => "harm_to_others",
            FlagKind::Unassessed => "unassessed",
            FlagKind::Overdue => "overdue",
            FlagKind::Drift => "drift",
            FlagKind::Conflicts => "conflicts",
            FlagKind::NotSeen => "not_seen",
            FlagKind::NotSeenAlone => "not_seen_alone",
            FlagKind::BedroomNotSeen => "bedroom_not_seen",
            FlagKind::SeenOnlyAtSchool => "seen_only_at_school",
            FlagKind::Debrief => "debrief",
            FlagKind::Avoidance => "avoidance",
            FlagKind::Challenge => "challenge",
            FlagKind::UnansweredConcern => "unanswered_concern",
        }
    }

    /// What the kind is, for a filter.
    pub fn label(self) -> &'static str {
        match self {
            FlagKind::StrategyDiscussion => "Strategy discussion prompt",
            FlagKind::HarmToOthers => "Harm to others",
            FlagKind::Unassessed => "Unassessed adults",
            FlagKind::Overdue => "Overdue",
            FlagKind::Drift => "Drift",
            FlagKind::Conflicts => "Conflicting edits",
            FlagKind::NotSeen => "Child not seen",
            FlagKind::NotSeenAlone => "Not seen alone",
            FlagKind::BedroomNotSeen => "Bedroom not seen",
            FlagKind::SeenOnlyAtSchool => "Seen only at school",
            FlagKind::Debrief => "Visit debrief due",
            FlagKind::Avoidance => "Avoidance",
            FlagKind::Challenge => "Professional challenge",
            FlagKind::UnansweredConcern => "Unanswered concern",
        }
    }

    pub fn from_code(code: &str) -> Option<FlagKind> {
        FlagKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

fn days(n: i32) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

impl Flag {
    pub fn kind(&self) -> FlagKind {
        match self {
            Flag::StrategyDiscussion { .. } => FlagKind::StrategyDiscussion,
            Flag::HarmToOthers { .. } => FlagKind::HarmToOthers,
            Flag::Unassessed { .. } => FlagKind::Unassessed,
            Flag::Overdue { .. } => FlagKind::Overdue,
            Flag::Drift { .. } => FlagKind::Drift,
            Flag::Conflicts { .. } => FlagKind::Conflicts,
            Flag::NotSeen { .. } => FlagKind::NotSeen,
            Flag::NotSeenAlone { .. } => FlagKind::NotSeenAlone,
            Flag::BedroomNotSeen { .. } => FlagKind::BedroomNotSeen,
            Flag::SeenOnlyAtSchool { .. } => FlagKind::SeenOnlyAtSchool,
            Flag::Debrief { .. } => FlagKind::Debrief,
            Flag::Avoidance { .. } => FlagKind::Avoidance,
            Flag::Challenge { .. } => FlagKind::Challenge,
            Flag::UnansweredConcern { .. } => FlagKind::UnansweredConcern,
        }
    }

    /// The short label the caseload and dashboard show.
    pub fn label(&self) -> String {
        match self {
            Flag::StrategyDiscussion { category, .. } => format!(
                "Consider strategy discussion ({})",
                category.label().to_lowercase()
            ),
            Flag::HarmToOthers { .. } => "Harm to others".to_owned(),
            Flag::Unassessed { adults, .. } => format!("{adults} adult(s) not assessed"),
            Flag::Overdue { count, .. } => format!("{count} overdue"),
            Flag::Drift { response, .. } => match response {
                DriftState::Unanswered => "Drift: escalate".to_owned(),
                DriftState::Answered { review_on, .. } => {
                    format!("Drift: answered, review {}", review_on.dmy())
                }
                DriftState::ReviewDue { .. } => "Drift: review due".to_owned(),
            },
            Flag::Conflicts { count } => format!("{count} conflicting edit(s)"),
            Flag::NotSeen { .. } => "Child not seen".to_owned(),
            Flag::NotSeenAlone { .. } => "Not seen alone".to_owned(),
            Flag::BedroomNotSeen { .. } => "Bedroom not seen".to_owned(),
            Flag::SeenOnlyAtSchool { .. } => "Seen only at school".to_owned(),
            Flag::Debrief { open, .. } => format!("{open} visit debrief(s) due"),
            Flag::Avoidance { count, of, .. } => format!("Avoidance: {count} of {of} visits"),
            Flag::Challenge { open, .. } => format!("{open} open challenge(s)"),
            Flag::UnansweredConcern { open, .. } => format!("{open} unanswered concern(s)"),
        }
    }

    /// Since when the flag has stood.
    pub fn since(&self) -> Option<Date> {
        match self {
            Flag::StrategyDiscussion { since, .. }
            | Flag::HarmToOthers { since, .. }
            | Flag::Unassessed { since, .. }
            | Flag::Drift { since, .. }
            | Flag::NotSeen { since, .. }
            | Flag::NotSeenAlone { since, .. }
            | Flag::BedroomNotSeen { since, .. }
            | Flag::SeenOnlyAtSchool { since, .. }
            | Flag::Debrief { since, .. }
            | Flag::Avoidance { since, .. }
            | Flag::Challenge { since, .. }
            | Flag::UnansweredConcern { since, .. } => Some(*since),
            Flag::Overdue { due, .. } => Some(*due),
            Flag::Conflicts { .. } => None,
        }
    }

    /// By when it must be acted on.
    pub fn due(&self) -> Option<Date> {
        match self {
            Flag::StrategyDiscussion { due, .. }
            | Flag::HarmToOthers { due, .. }
            | Flag::Unassessed { due, .. }
            | Flag::Overdue { due, .. }
            | Flag::NotSeen { due, .. }
            | Flag::Debrief { due, .. }
            | Flag::Avoidance { due, .. }
            | Flag::Challenge { due, .. }
            | Flag::UnansweredConcern { due, .. } => Some(*due),
            // Unanswered drift is due now; an answer is looked at again on its review date.
            Flag::Drift { since, response } => Some(match response {
                DriftState::Unanswered => *since,
                DriftState::Answered { review_on, .. }
                | DriftState::ReviewDue { review_on, .. } => *review_on,
            }),
            // Patterns for the next visit to put right: no date of their own.
            Flag::NotSeenAlone { .. }
            | Flag::BedroomNotSeen { .. }
            | Flag::SeenOnlyAtSchool { .. }
            | Flag::Conflicts { .. } => None,
        }
    }

    /// Whose action it is.
    pub fn owner(&self) -> &'static str {
        match self {
            Flag::StrategyDiscussion { .. }
            | Flag::HarmToOthers { .. }
            | Flag::Drift { .. }
            | Flag::Debrief { .. }
            | Flag::Avoidance { .. } => "team manager",
            Flag::Unassessed { .. }
            | Flag::NotSeen { .. }
            | Flag::NotSeenAlone { .. }
            | Flag::BedroomNotSeen { .. }
            | Flag::SeenOnlyAtSchool { .. } => "lead social worker",
            Flag::Overdue { what, .. } => what.owner(),
            Flag::Conflicts { .. } => "whoever edited, or the team manager",
            Flag::Challenge { stage, .. } => stage.owner(),
            Flag::UnansweredConcern { .. } => "the concern's owner",
        }
    }

    /// What, since when, by when, whose action: "Review conference due 28/04/2026, overdue
    /// by 12 days (child protection chair)".
    pub fn detail(&self, today: Date) -> String {
        let when = |due: Date| {
            let n = due.days_until(today);
            if n > 0 {
                format!("due {}, overdue by {}", due.dmy(), days(n))
            } else if n == 0 {
                format!("due today, {}", due.dmy())
            } else {
                format!("due {}, in {}", due.dmy(), days(-n))
            }
        };
        let what = match self {
            Flag::StrategyDiscussion {
                category,
                since,
                indicators,
                sources,
                due,
            } => format!(
                "{indicators} indicators of {} concern from {sources} sources since {}: decide on a strategy discussion, {}",
                category.label().to_lowercase(),
                since.dmy(),
                when(*due)
            ),
            Flag::HarmToOthers {
                since,
                entries,
                agencies,
                due,
            } => format!(
                "Harmful behaviour towards other children in {entries} entries from {agencies} agencies since {}: consider the other children's safety, {}",
                since.dmy(),
                when(*due)
            ),
            Flag::Unassessed {
                adults,
                disputed,
                since,
                due,
            } => {
                let disputed = if *disputed > 0 {
                    format!(" ({disputed} disputed)")
                } else {
                    String::new()
                };
                format!(
                    "{adults} adult(s){disputed} not assessed, the first added {}: assess, {}",
                    since.dmy(),
                    when(*due)
                )
            }
            Flag::Overdue { what, due, count } => {
                let more = if *count > 1 {
                    format!(" (and {} more overdue)", count - 1)
                } else {
                    String::new()
                };
                format!("{} {}{more}", what.label(), when(*due))
            }
            Flag::Drift { since, response } => match response {
                DriftState::Unanswered => format!(
                    "Risks not reducing on the plan since {}: unanswered for {}; escalate or record why the plan continues",
                    since.dmy(),
                    days(since.days_until(today).max(0))
                ),
                DriftState::Answered {
                    action,
                    review_on,
                    responses,
                } => {
                    let both = if *responses > 1 {
                        format!(" ({responses} responses)")
                    } else {
                        String::new()
                    };
                    format!(
                        "Risks not reducing since {}: {}{both}; review {}",
                        since.dmy(),
                        action.label().to_lowercase(),
                        when(*review_on)
                    )
                }
                DriftState::ReviewDue { action, review_on } => format!(
                    "Risks still not reducing since {}: the response ({}) was to be reviewed, {}",
                    since.dmy(),
                    action.label().to_lowercase(),
                    when(*review_on)
                ),
            },
            Flag::Conflicts { count } => {
                format!("{count} field(s) edited differently offline: choose which stands")
            }
            Flag::NotSeen { since, due, plan } => format!(
                "Not seen by any agency since {} ({}): to be seen, {}",
                since.dmy(),
                plan.label().to_lowercase(),
                when(*due)
            ),
            Flag::NotSeenAlone { visits, since } => format!(
                "Not seen alone in the last {visits} visits (since {}): see the child alone at the next visit",
                since.dmy()
            ),
            Flag::BedroomNotSeen { visits, since } => format!(
                "Bedroom not seen in {visits} visit(s) since the conference of {}: see where the child sleeps",
                since.dmy()
            ),
            Flag::SeenOnlyAtSchool { visits, since } => format!(
                "The last {visits} sightings since {} were all at school: see the child at home",
                since.dmy()
            ),
            Flag::Debrief { open, since, due } => format!(
                "{open} hostile or difficult visit(s) since {} to debrief with the practitioner, {}",
                since.dmy(),
                when(*due)
            ),
            Flag::Avoidance {
                count,
                of,
                since,
                due,
            } => format!(
                "{count} of the last {of} visits since {} refused, cut short or without the child: consider what the family is avoiding, {}",
                since.dmy(),
                when(*due)
            ),
            Flag::Challenge {
                open,
                stage,
                since,
                due,
            } => format!(
                "{open} professional challenge(s); the one raised {} is {}: next step {}",
                since.dmy(),
                stage.label(),
                when(*due)
            ),
            Flag::UnansweredConcern {
                open,
                from,
                since,
                due,
            } => format!(
                "{open} concern(s) with no response recorded; the first received {} ({}): respond, {}",
                since.dmy(),
                from.label().to_lowercase(),
                when(*due)
            ),
        };
        format!("{what} ({})", self.owner())
    }

    /// How urgent the flag is on `today`: larger is more urgent. Overdue work first (the
    /// longer overdue the sooner), then what falls due soonest, then the rest by age; a flag
    /// with no date last.
    pub fn urgency(&self, today: Date) -> i64 {
        match self.due() {
            Some(due) if due <= today => 1_000_000 + i64::from(due.days_until(today)),
            Some(due) => 500_000 - i64::from(today.days_until(due)),
            None => 0,
        }
    }

    /// Flags that call for the manager to consider escalating. Conflicting edits only need
    /// someone to choose a version; answered drift waits for its review.
    pub fn is_escalation(&self) -> bool {
        !matches!(
            self,
            Flag::Conflicts { .. }
                | Flag::Drift {
                    response: DriftState::Answered { .. },
                    ..
                }
        )
    }
}

impl Overview {
    /// The flags on this record, in the order the overview shows them.
    pub fn flags(&self) -> Vec<Flag> {
        let mut f = Vec::new();
        for p in &self.prompts {
            if p.strategy_discussion_on.is_none() {
                f.push(Flag::StrategyDiscussion {
                    category: p.category,
                    since: p.first_crossed,
                    indicators: p.evidence.len(),
                    sources: p.sources(),
                    due: p.first_crossed.add_working_days(DECIDE_WITHIN_WORKING_DAYS),
                });
            }
        }
        if let Some(h) = &self.harm_to_others {
            f.push(Flag::HarmToOthers {
                since: h.since,
                entries: h.entries,
                agencies: h.agencies,
                due: h.last.add_working_days(DECIDE_WITHIN_WORKING_DAYS),
            });
        }
        if let Some(since) = self.unassessed_adults.iter().map(|a| a.added_on).min() {
            f.push(Flag::Unassessed {
                adults: self.unassessed_adults.len(),
                disputed: self.unassessed_adults.iter().filter(|a| a.disputed).count(),
                since,
                due: since.add_working_days(ASSESS_WITHIN_WORKING_DAYS),
            });
        }
        let overdue: Vec<_> = self.timescales.iter().filter(|t| t.overdue).collect();
        if let Some(first) = overdue.iter().min_by_key(|t| (t.due, t.kind)) {
            f.push(Flag::Overdue {
                what: first.kind,
                due: first.due,
                count: overdue.len(),
            });
        }
        if let Some(d) = &self.drift {
            f.push(Flag::Drift {
                since: d.since,
                response: self.lessons.drift.clone().unwrap_or_default(),
            });
        }
        let l = &self.lessons;
        if let Some(n) = &l.not_seen {
            f.push(Flag::NotSeen {
                since: n.since,
                due: n.due,
                plan: n.plan,
            });
        }
        if let Some(p) = &l.not_seen_alone {
            f.push(Flag::NotSeenAlone {
                visits: p.visits,
                since: p.since,
            });
        }
        if let Some(p) = &l.bedroom_not_seen {
            f.push(Flag::BedroomNotSeen {
                visits: p.visits,
                since: p.since,
            });
        }
        if let Some(p) = &l.seen_only_at_school {
            f.push(Flag::SeenOnlyAtSchool {
                visits: p.visits,
                since: p.since,
            });
        }
        let open: Vec<_> = l.open_debriefs().collect();
        if let Some(first) = open.iter().min_by_key(|d| (d.due, d.visit_date)) {
            f.push(Flag::Debrief {
                open: open.len(),
                since: first.visit_date,
                due: first.due,
            });
        }
        if let Some(a) = &l.avoidance {
            f.push(Flag::Avoidance {
                count: a.count,
                of: a.of,
                since: a.since,
                due: a.last.add_working_days(DECIDE_WITHIN_WORKING_DAYS),
            });
        }
        let open: Vec<_> = l.open_challenges().collect();
        if let Some(first) = open
            .iter()
            .filter_map(|c| c.due.map(|due| (due, c)))
            .min_by_key(|(due, c)| (*due, c.challenge.raised_on.clone()))
        {
            f.push(Flag::Challenge {
                open: open.len(),
                stage: first.1.stage,
                since: first.1.challenge.raised_on.parse().unwrap_or(first.0),
                due: first.0,
            });
        }
        let unanswered: Vec<_> = self.concerns.iter().filter(|c| c.is_unanswered()).collect();
        if let Some(first) = unanswered.iter().min_by_key(|c| (c.due, c.received_on)) {
            f.push(Flag::UnansweredConcern {
                open: unanswered.len(),
                from: first.from,
                since: first.received_on,
                due: first.due,
            });
        }
        if self.conflicts > 0 {
            f.push(Flag::Conflicts {
                count: self.conflicts,
            });
        }
        f
    }
}

#[cfg(test)]
mod tests;
