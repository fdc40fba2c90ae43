//! "New since you last looked": what other people and agencies added to a record since a user
//! last opened it. A look is remembered as the set of entry keys the record held then (on the
//! server per user, on the tablet per user for offline), never as a time: an entry recorded
//! offline last week and synced today is new to whoever looked yesterday.
//!
//! Every entry and every new value of an editable field has a key (`map/id`, or
//! `map/id/field@time` for a field's value), so an assessment recorded on an adult already
//! there is new too. Entries the user made themselves are never new to them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::record::stamped::{Field, Stamp};
use crate::record::Record;

/// Most keys a look may hold (a record with more keeps only this many: the newest are new).
pub const MAX_SEEN: usize = 200_000;
/// Longest key accepted from a tablet.
pub const MAX_KEY_LEN: usize = 200;

/// One entry or value, by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRef {
    pub key: String,
    pub author_id: String,
    /// The author's agency where the entry names it, else their name.
    pub from: String,
    /// What it is, for a person: "observation", "visit", "plan action", …
    pub what: &'static str,
}

/// What was added since a look.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewSince {
    /// The user has never opened the record: nothing is counted as new.
    pub first_look: bool,
    pub entries: usize,
    /// How many of each kind, e.g. ("observation", 2).
    pub kinds: Vec<(String, usize)>,
    /// The agencies (or people) they came from.
    pub from: Vec<String>,
}

impl NewSince {
    /// "3 new since you last looked: 2 observations, 1 visit (Police, Northgate Primary)".
    pub fn summary(&self) -> Option<String> {
        if self.entries == 0 {
            return None;
        }
        let kinds: Vec<String> = self
            .kinds
            .iter()
            .map(|(k, n)| {
                if *n == 1 {
                    format!("1 {k}")
                } else {
                    format!("{n} {k}s")
                }
            })
            .collect();
        Some(format!(
            "{} new since you last looked: {} ({})",
            self.entries,
            kinds.join(", "),
            self.from.join(", ")
        ))
    }
}

fn push(out: &mut Vec<EntryRef>, key: String, s: &Stamp, from: &str, what: &'static str) {
    out.push(EntryRef {
        key,
        author_id: s.by.to_string(),
        from: if from.is_empty() {
            s.by_name.clone()
        } else {
            from.to_owned()
        },
        what,
    });
}

/// A field's values, but the one written with its entry (counted with the entry).
fn values<T>(
    out: &mut Vec<EntryRef>,
    key: &str,
    field: &Field<T>,
    what: &'static str,
    created: &Stamp,
) {
    for v in &field.values {
        if v.stamp == *created {
            continue;
        }
        push(out, format!("{key}@{}", v.stamp.at_ms), &v.stamp, "", what);
    }
}

/// Every entry and field value of the record, with its key and author.
pub fn entries(record: &Record) -> Vec<EntryRef> {
    let mut out = Vec::new();
    for o in &record.observations {
        out.push(EntryRef {
            key: format!("observations/{}", o.id),
            author_id: o.author_id.to_string(),
            from: o.agency.clone(),
            what: "observation",
        });
    }
    for a in &record.amendments {
        push(
            &mut out,
            format!("amendments/{}", a.id),
            &a.added,
            "",
            "amendment",
        );
    }
    for w in &record.withdrawals {
        push(
            &mut out,
            format!("withdrawals/{}", w.observation_id),
            &w.added,
            "",
            "withdrawal",
        );
    }
    for p in &record.people {
        push(&mut out, format!("people/{}", p.id), &p.added, "", "person");
        values(
            &mut out,
            &format!("people/{}/assessment", p.id),
            &p.assessment,
            "assessment",
            &p.added,
        );
    }
    for a in &record.actions {
        push(
            &mut out,
            format!("plan_actions/{}", a.base.id),
            &a.base.added,
            "",
            "plan action",
        );
        values(
            &mut out,
            &format!("plan_actions/{}/status", a.base.id),
            &a.status,
            "plan action update",
            &a.base.added,
        );
    }
    for c in &record.conferences {
        push(
            &mut out,
            format!("conferences/{}", c.id),
            &c.added,
            "",
            "meeting",
        );
    }
    for s in &record.scalings {
        push(
            &mut out,
            format!("scalings/{}", s.id),
            &s.added,
            &s.agency,
            "safety scaling",
        );
    }
    for n in &record.neglect {
        push(
            &mut out,
            format!("neglect/{}", n.id),
            &n.added,
            "",
            "neglect assessment",
        );
    }
    for s in &record.supervisions {
        push(
            &mut out,
            format!("supervisions/{}", s.id),
            &s.added,
            "",
            "supervision",
        );
    }
    for e in &record.episodes {
        push(
            &mut out,
            format!("episodes/{}", e.base.id),
            &e.base.added,
            "",
            "plan",
        );
        values(
            &mut out,
            &format!("episodes/{}/ending", e.base.id),
            &e.ending,
            "plan update",
            &e.base.added,
        );
    }
    for e in &record.episode_events {
        push(
            &mut out,
            format!("episode_events/{}", e.id),
            &e.added,
            "",
            "plan update",
        );
    }
    for v in &record.visits {
        push(
            &mut out,
            format!("visits/{}", v.id),
            &v.added,
            &v.agency,
            "visit",
        );
    }
    for d in &record.debriefs {
        push(
            &mut out,
            format!("debriefs/{}", d.id),
            &d.added,
            "",
            "debrief",
        );
    }
    for r in &record.drift_responses {
        push(
            &mut out,
            format!("drift_responses/{}", r.id),
            &r.added,
            "",
            "drift response",
        );
    }
    for c in &record.challenges {
        push(
            &mut out,
            format!("challenges/{}", c.id),
            &c.added,
            &c.agency,
            "challenge",
        );
    }
    for s in &record.challenge_steps {
        push(
            &mut out,
            format!("challenge_steps/{}", s.id),
            &s.added,
            &s.agency,
            "challenge step",
        );
    }
    for c in &record.concerns {
        // Raised by the referrer, whoever matched it: it is new to everyone else.
        let from = if c.agency.is_empty() {
            c.from.label()
        } else {
            &c.agency
        };
        push(
            &mut out,
            format!("concerns/{}", c.id),
            &c.added,
            from,
            "concern",
        );
    }
    for r in &record.concern_responses {
        push(
            &mut out,
            format!("concern_responses/{}", r.id),
            &r.added,
            &r.agency,
            "response to a concern",
        );
    }
    for s in &record.strategy_discussions {
        push(
            &mut out,
            format!("strategy_discussions/{}", s.id),
            &s.added,
            &s.agency,
            "strategy discussion",
        );
    }
    for d in &record.sharing_decisions {
        push(
            &mut out,
            format!("sharing_decisions/{}", d.id),
            &d.added,
            &d.agency,
            "sharing decision",
        );
    }
    out
}

/// The keys a look at `record` sees: what to remember as this user's look.
pub fn look(record: &Record) -> BTreeSet<String> {
    entries(record).into_iter().map(|e| e.key).collect()
}

/// What others added to `record` that the look `seen` did not hold (`None`: never looked).
pub fn new_since(record: &Record, seen: Option<&BTreeSet<String>>, me: &str) -> NewSince {
    let Some(seen) = seen else {
        return NewSince {
            first_look: true,
            ..NewSince::default()
        };
    };
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut from = BTreeSet::new();
    let mut entries_new = 0;
    for e in entries(record) {
        if e.author_id == me || seen.contains(&e.key) {
            continue;
        }
        entries_new += 1;
        *kinds.entry(e.what).or_default() += 1;
        from.insert(e.from);
    }
    NewSince {
        first_look: false,
        entries: entries_new,
        kinds: kinds.into_iter().map(|(k, n)| (k.to_owned(), n)).collect(),
        from: from.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::visits::{Visit, VisitPlace};

    fn stamp(by: &str, at_ms: i64) -> Stamp {
        Stamp {
            by: by.parse().expect("id"),
            by_name: by.to_uppercase(),
            at_ms,
        }
    }

    fn visit(id: &str, by: &str, agency: &str) -> Visit {
        Visit {
            id: id.into(),
            date: "2026-03-02".into(),
            place: VisitPlace::Home,
            seen: true,
            seen_alone: true,
            bedroom_seen: false,
            child_words: String::new(),
            difficulties: Vec::new(),
            note: String::new(),
            agency: agency.into(),
            added: stamp(by, 1),
        }
    }

    #[test]
    fn others_entries_since_the_look_are_new_and_ones_own_never() {
        let mut r = Record {
            visits: vec![visit("v1", "sam", "Social care")],
            ..Record::default()
        };
        assert!(new_since(&r, None, "morgan").first_look);
        let seen = look(&r);
        assert_eq!(new_since(&r, Some(&seen), "morgan").entries, 0);
        r.visits.push(visit("v2", "pat", "Police"));
        r.visits.push(visit("v3", "pat", "Police"));
        r.visits.push(visit("v4", "morgan", "Social care"));
        r.visits.push(visit("v5", "hana", "Health"));
        let n = new_since(&r, Some(&seen), "morgan");
        assert_eq!(n.entries, 3, "{n:?}");
        assert_eq!(n.kinds, vec![("visit".to_owned(), 3)]);
        assert_eq!(n.from, vec!["Health".to_owned(), "Police".to_owned()]);
        assert_eq!(
            n.summary().as_deref(),
            Some("3 new since you last looked: 3 visits (Health, Police)")
        );
        // Pat sees Morgan's and Hana's, and Sam's first visit was there before Pat's look.
        let n = new_since(&r, Some(&seen), "pat");
        assert_eq!(n.entries, 2);
    }
}
