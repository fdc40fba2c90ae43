//! The chronology: a child's significant events in date order, merged from every author.
//!
//! Pure functions over observations; the server's read model and the tablet both use them.

use serde::{Deserialize, Serialize};

use crate::catalogue;
use crate::record::Observation;

/// One line of the chronology.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChronologyEntry {
    pub observation_id: String,
    /// When it happened (`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`).
    pub occurred: String,
    pub occurred_approx: bool,
    pub recorded_at_ms: i64,
    pub author_name: String,
    pub agency: String,
    /// Source label, e.g. "Child said".
    pub source: String,
    /// A short factual headline: the first sentence of the narrative, or the child's words.
    pub headline: String,
    /// Indicator labels with their level, e.g. "Suspect: Poor hygiene".
    pub indicators: Vec<String>,
    pub child_words: String,
    pub narrative: String,
}

const HEADLINE_MAX: usize = 120;

/// First sentence, cut at a character boundary.
pub fn headline(obs: &Observation) -> String {
    let text = if obs.narrative.trim().is_empty() {
        obs.child_words.trim()
    } else {
        obs.narrative.trim()
    };
    let first = text
        .split_inclusive(['.', '\n'])
        .next()
        .unwrap_or_default()
        .trim();
    if first.chars().count() <= HEADLINE_MAX {
        first.to_owned()
    } else {
        let cut: String = first.chars().take(HEADLINE_MAX - 1).collect();
        format!("{cut}…")
    }
}

pub fn entry(obs: &Observation) -> ChronologyEntry {
    ChronologyEntry {
        observation_id: obs.id.to_string(),
        occurred: obs.occurred.clone(),
        occurred_approx: obs.occurred_approx,
        recorded_at_ms: obs.recorded_at_ms,
        author_name: obs.author_name.clone(),
        agency: obs.agency.clone(),
        source: obs.source.label().to_owned(),
        headline: headline(obs),
        indicators: obs
            .indicators
            .iter()
            .map(|i| {
                let label = catalogue::find(&i.code).map_or(i.code.as_str(), |c| c.label);
                format!("{}: {label}", i.level.label())
            })
            .collect(),
        child_words: obs.child_words.clone(),
        narrative: obs.narrative.clone(),
    }
}

/// Orders entries by when they happened, then when recorded, then id, so every reader
/// (tablet, server, export) sees the same order.
pub fn build<'a>(observations: impl IntoIterator<Item = &'a Observation>) -> Vec<ChronologyEntry> {
    let mut out: Vec<ChronologyEntry> = observations.into_iter().map(entry).collect();
    out.sort_by(|a, b| {
        (
            a.occurred.as_str(),
            a.recorded_at_ms,
            a.observation_id.as_str(),
        )
            .cmp(&(
                b.occurred.as_str(),
                b.recorded_at_ms,
                b.observation_id.as_str(),
            ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::sample;

    #[test]
    fn orders_by_occurrence_then_recording() {
        let mut a = sample("a", "2026-02-01", "u1");
        a.recorded_at_ms = 30;
        let mut b = sample("b", "2026-01-15T09:00", "u2");
        b.recorded_at_ms = 50;
        let mut c = sample("c", "2026-02-01", "u2");
        c.recorded_at_ms = 10;
        let ids: Vec<_> = build([&a, &b, &c])
            .into_iter()
            .map(|e| e.observation_id)
            .collect();
        assert_eq!(ids, ["b", "c", "a"]);
    }

    fn check(narrative: &str, words: &str, expected: &str) {
        let mut o = sample("a", "2026-02-01", "u1");
        o.narrative = narrative.into();
        o.child_words = words.into();
        assert_eq!(headline(&o), expected);
    }

    #[test]
    fn headlines() {
        check(
            "Bruise on left cheek. Mother said he fell.",
            "",
            "Bruise on left cheek.",
        );
        check("  ", "Daddy hurt me", "Daddy hurt me");
        check(&"a".repeat(200), "", &format!("{}…", "a".repeat(119)));
    }

    #[test]
    fn indicator_labels() {
        let e = entry(&sample("a", "2026-02-01", "u1"));
        assert_eq!(e.indicators, ["Consider: Poor hygiene"]);
        assert_eq!(e.source, "Observed directly");
    }
}
