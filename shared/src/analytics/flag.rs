//! Flags: the short list of what a manager must not miss on a record, as the dashboard sends it
//! and both the dashboard and the tablet's overview show it.
//!
//! A flag is typed on the wire (a stable `kind` tag with its data), so the English label is
//! made once, here, and rewording it never changes what a flag is taken to be. Flags carry
//! dates and counts only, never record contents: the dashboard lists every team child at once,
//! and reading a record's contents is audited per child.

use serde::{Deserialize, Serialize};

use super::Overview;
use crate::calendar::Date;
use crate::catalogue::Category;

/// One flag on a record, from `Overview::flags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flag {
    /// Indicators of `category` crossed the threshold on `since` (`indicators` of them, from
    /// `sources` authors, in the latest window) and no strategy discussion has been held since.
    StrategyDiscussion {
        category: Category,
        since: Date,
        indicators: usize,
        sources: usize,
    },
    /// Adults around the child with no assessment, `disputed` of them because assessments
    /// disagree.
    Unassessed { adults: usize, disputed: usize },
    /// Timescales and plan actions past their due date; `since` is the earliest missed one.
    Overdue { count: usize, since: Date },
    /// Risks are not reducing while the plan is active.
    Drift,
    /// Fields with unresolved concurrent edits.
    Conflicts { count: usize },
}

/// What a flag is about, without its data: for filtering and styling. `code()` is the flag's
/// `kind` tag on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagKind {
    StrategyDiscussion,
    Unassessed,
    Overdue,
    Drift,
    Conflicts,
}

impl FlagKind {
    pub const ALL: [FlagKind; 5] = [
        FlagKind::StrategyDiscussion,
        FlagKind::Unassessed,
        FlagKind::Overdue,
        FlagKind::Drift,
        FlagKind::Conflicts,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FlagKind::StrategyDiscussion => "strategy_discussion",
            FlagKind::Unassessed => "unassessed",
            FlagKind::Overdue => "overdue",
            FlagKind::Drift => "drift",
            FlagKind::Conflicts => "conflicts",
        }
    }

    pub fn from_code(code: &str) -> Option<FlagKind> {
        FlagKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

impl Flag {
    pub fn kind(&self) -> FlagKind {
        match self {
            Flag::StrategyDiscussion { .. } => FlagKind::StrategyDiscussion,
            Flag::Unassessed { .. } => FlagKind::Unassessed,
            Flag::Overdue { .. } => FlagKind::Overdue,
            Flag::Drift => FlagKind::Drift,
            Flag::Conflicts { .. } => FlagKind::Conflicts,
        }
    }

    /// The short label the caseload and dashboard show.
    pub fn label(&self) -> String {
        match self {
            Flag::StrategyDiscussion { category, .. } => format!(
                "Consider strategy discussion ({})",
                category.label().to_lowercase()
            ),
            Flag::Unassessed { adults, .. } => format!("{adults} adult(s) not assessed"),
            Flag::Overdue { count, .. } => format!("{count} overdue"),
            Flag::Drift => "Drift: escalate".to_owned(),
            Flag::Conflicts { count } => format!("{count} conflicting edit(s)"),
        }
    }

    /// Flags that call for the manager to consider escalating. Conflicting edits only need
    /// someone to choose a version.
    pub fn is_escalation(&self) -> bool {
        !matches!(self, Flag::Conflicts { .. })
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
                });
            }
        }
        if !self.unassessed_adults.is_empty() {
            f.push(Flag::Unassessed {
                adults: self.unassessed_adults.len(),
                disputed: self.unassessed_adults.iter().filter(|a| a.disputed).count(),
            });
        }
        let overdue = self.timescales.iter().filter(|t| t.overdue);
        if let Some(since) = overdue.clone().map(|t| t.due).min() {
            f.push(Flag::Overdue {
                count: overdue.count(),
                since,
            });
        }
        if self.drift.is_some() {
            f.push(Flag::Drift);
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
mod tests {
    use super::*;
    use crate::analytics::{Drift, Prompt, Timescale, UnassessedAdult};

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    /// The flag's label, and that it crosses the wire as itself under its kind's code.
    fn check(flag: Flag, expected_label: &str) {
        assert_eq!(flag.label(), expected_label, "{flag:?}");
        let wire = serde_json::to_value(&flag).expect("serialise");
        assert_eq!(wire["kind"], flag.kind().code(), "{wire}");
        assert_eq!(FlagKind::from_code(flag.kind().code()), Some(flag.kind()));
        let back: Flag = serde_json::from_value(wire).expect("deserialise");
        assert_eq!(back, flag);
    }

    #[test]
    fn labels() {
        check(
            Flag::StrategyDiscussion {
                category: Category::Sexual,
                since: d("2026-03-01"),
                indicators: 3,
                sources: 2,
            },
            "Consider strategy discussion (sexual)",
        );
        check(
            Flag::StrategyDiscussion {
                category: Category::ParentChildInteraction,
                since: d("2026-03-01"),
                indicators: 4,
                sources: 3,
            },
            "Consider strategy discussion (parent-child interaction)",
        );
        check(
            Flag::Unassessed {
                adults: 2,
                disputed: 1,
            },
            "2 adult(s) not assessed",
        );
        check(
            Flag::Overdue {
                count: 3,
                since: d("2026-01-05"),
            },
            "3 overdue",
        );
        check(Flag::Drift, "Drift: escalate");
        check(Flag::Conflicts { count: 1 }, "1 conflicting edit(s)");
    }

    #[test]
    fn escalation() {
        for kind in FlagKind::ALL {
            let flag = match kind {
                FlagKind::StrategyDiscussion => Flag::StrategyDiscussion {
                    category: Category::Neglect,
                    since: d("2026-01-01"),
                    indicators: 3,
                    sources: 2,
                },
                FlagKind::Unassessed => Flag::Unassessed {
                    adults: 1,
                    disputed: 0,
                },
                FlagKind::Overdue => Flag::Overdue {
                    count: 1,
                    since: d("2026-01-01"),
                },
                FlagKind::Drift => Flag::Drift,
                FlagKind::Conflicts => Flag::Conflicts { count: 1 },
            };
            assert_eq!(flag.kind(), kind);
            assert_eq!(
                flag.is_escalation(),
                kind != FlagKind::Conflicts,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn wire_format_is_stable() {
        let flag = Flag::StrategyDiscussion {
            category: Category::ParentChildInteraction,
            since: d("2026-03-01"),
            indicators: 3,
            sources: 2,
        };
        assert_eq!(
            serde_json::to_value(&flag).expect("serialise"),
            serde_json::json!({
                "kind": "strategy_discussion",
                "category": "parent_child_interaction",
                "since": "2026-03-01",
                "indicators": 3,
                "sources": 2,
            })
        );
        assert_eq!(
            serde_json::to_value(Flag::Drift).expect("serialise"),
            serde_json::json!({"kind": "drift"})
        );
    }

    fn evidence(author: &str) -> crate::analytics::Evidence {
        crate::analytics::Evidence {
            observation_id: "o".into(),
            date: d("2026-02-01"),
            code: "SEX-KNOWLEDGE".into(),
            label: String::new(),
            level: "Consider".into(),
            author_id: author.into(),
            author: author.into(),
            agency: String::new(),
            source: String::new(),
        }
    }

    fn timescale(due: &str, overdue: bool) -> Timescale {
        Timescale {
            what: "Plan action: visit (Sam)".into(),
            due: d(due),
            done_on: None,
            overdue,
        }
    }

    fn adult(disputed: bool) -> UnassessedAdult {
        UnassessedAdult {
            person_id: "p".into(),
            name: "Ryan".into(),
            relationship: String::new(),
            disputed,
        }
    }

    #[test]
    fn flags_of_an_overview() {
        let prompt = |category, held: Option<&str>| Prompt {
            category,
            first_crossed: d("2026-02-01"),
            evidence: vec![evidence("a"), evidence("a"), evidence("b")],
            strategy_discussion_on: held.map(d),
        };
        let overview = Overview {
            today: d("2026-06-01"),
            prompts: vec![
                prompt(Category::Sexual, None),
                prompt(Category::Neglect, Some("2026-02-10")),
            ],
            unassessed_adults: vec![adult(false), adult(true)],
            timescales: vec![
                timescale("2026-01-01", false),
                timescale("2026-04-01", true),
                timescale("2026-03-01", true),
                timescale("2026-07-01", false),
            ],
            overdue: 2,
            days_since_first_concern: Some(120),
            days_on_plan: Some(100),
            drift: Some(Drift {
                reasons: vec!["Safety scale has not improved".into()],
            }),
            indicators: Vec::new(),
            conflicts: 3,
            unreadable: 0,
        };
        assert_eq!(
            overview.flags(),
            [
                Flag::StrategyDiscussion {
                    category: Category::Sexual,
                    since: d("2026-02-01"),
                    indicators: 3,
                    sources: 2,
                },
                Flag::Unassessed {
                    adults: 2,
                    disputed: 1,
                },
                Flag::Overdue {
                    count: 2,
                    since: d("2026-03-01"),
                },
                Flag::Drift,
                Flag::Conflicts { count: 3 },
            ]
        );
        let quiet = Overview {
            prompts: vec![prompt(Category::Sexual, Some("2026-02-02"))],
            unassessed_adults: Vec::new(),
            timescales: vec![timescale("2026-07-01", false)],
            overdue: 0,
            drift: None,
            conflicts: 0,
            ..overview
        };
        assert_eq!(quiet.flags(), Vec::<Flag>::new());
    }
}
