//! The partnership's thresholds and practice standards from its practice file
//! (`QUILT_PRACTICE_FILE`): JSON in the shape of `analytics::Thresholds`, where every setting
//! left out keeps its default, an unknown setting (a misspelt one) is an error, and every
//! number must be one a partnership could mean. The server's flags use them and every
//! tablet receives them at sign-in, so both compute the same flags.

use shared::analytics::lessons::Cadence;
use shared::analytics::Thresholds;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PracticeError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a practice file: {0}")]
    Shape(String),
    #[error("unknown setting {0}")]
    Unknown(String),
    #[error("{0} is out of range")]
    OutOfRange(&'static str),
}

/// Reads a practice file's text.
pub fn parse(text: &str) -> Result<Thresholds, PracticeError> {
    let file: serde_json::Value =
        serde_json::from_str(text).map_err(|e| PracticeError::NotJson(e.to_string()))?;
    let mut merged = serde_json::to_value(Thresholds::default())
        .map_err(|e| PracticeError::Shape(e.to_string()))?;
    overlay(&mut merged, file);
    let thresholds: Thresholds =
        serde_json::from_value(merged.clone()).map_err(|e| PracticeError::Shape(e.to_string()))?;
    let back = serde_json::to_value(thresholds).map_err(|e| PracticeError::Shape(e.to_string()))?;
    if let Some(path) = first_unknown(&merged, &back, "") {
        return Err(PracticeError::Unknown(path));
    }
    check(&thresholds)?;
    Ok(thresholds)
}

/// Puts `file`'s values over `base`'s, object by object; an object naming a key `base` lacks
/// (another variant of a choice, such as `{"days": 42}` for `{"working_days": 10}`) replaces
/// it whole.
fn overlay(base: &mut serde_json::Value, file: serde_json::Value) {
    match (base, file) {
        (serde_json::Value::Object(b), serde_json::Value::Object(f))
            if f.keys().all(|k| b.contains_key(k)) =>
        {
            for (k, v) in f {
                if let Some(slot) = b.get_mut(&k) {
                    overlay(slot, v);
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// A key of `given` that reading dropped (it is not a setting).
fn first_unknown(given: &serde_json::Value, read: &serde_json::Value, at: &str) -> Option<String> {
    let (serde_json::Value::Object(g), serde_json::Value::Object(r)) = (given, read) else {
        return None;
    };
    g.iter().find_map(|(k, v)| {
        let path = if at.is_empty() {
            k.clone()
        } else {
            format!("{at}.{k}")
        };
        match r.get(k) {
            None => Some(path),
            Some(rv) => first_unknown(v, rv, &path),
        }
    })
}

fn check(t: &Thresholds) -> Result<(), PracticeError> {
    let within = |n: usize, lo: usize, hi: usize, what| {
        if (lo..=hi).contains(&n) {
            Ok(())
        } else {
            Err(PracticeError::OutOfRange(what))
        }
    };
    within(t.indicators, 1, 50, "indicators")?;
    within(t.sources, 1, 10, "sources")?;
    within(t.window_days.max(0) as usize, 1, 3650, "window_days")?;
    let p = &t.practice;
    for (cadence, what) in [
        (p.cadence.child_protection, "cadence.child_protection"),
        (p.cadence.child_in_need, "cadence.child_in_need"),
        (p.cadence.looked_after, "cadence.looked_after"),
    ] {
        match cadence {
            Cadence::WorkingDays(n) => within(n as usize, 1, 65, what)?,
            Cadence::Days(n) => within(n as usize, 1, 91, what)?,
        }
    }
    within(p.seen_alone_visits, 1, 20, "seen_alone_visits")?;
    within(p.seen_alone_from_age as usize, 0, 17, "seen_alone_from_age")?;
    within(p.school_only_visits, 1, 20, "school_only_visits")?;
    within(p.debrief_within as usize, 1, 20, "debrief_within")?;
    within(p.avoidance_of, 1, 20, "avoidance_of")?;
    within(p.avoidance_count, 1, p.avoidance_of, "avoidance_count")?;
    let c = &p.challenge;
    for (n, what) in [
        (c.acknowledge, "challenge.acknowledge"),
        (c.practitioners, "challenge.practitioners"),
        (c.managers, "challenge.managers"),
        (c.senior, "challenge.senior"),
    ] {
        within(n as usize, 1, 30, what)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_left_out_keep_their_defaults() {
        let t = parse(
            r#"{"practice": {"cadence": {"child_in_need": {"days": 28}}, "debrief_within": 1}}"#,
        )
        .expect("a practice file");
        let d = Thresholds::default();
        assert_eq!(t.practice.cadence.child_in_need, Cadence::Days(28));
        assert_eq!(
            t.practice.cadence.child_protection,
            d.practice.cadence.child_protection
        );
        assert_eq!(t.practice.debrief_within, 1);
        assert_eq!((t.indicators, t.sources), (d.indicators, d.sources));
        assert_eq!(parse("{}").expect("empty"), d);
    }

    #[test]
    fn the_defaults_as_docs_operations_writes_them() {
        let docs = include_str!("../../docs/OPERATIONS.md");
        let start = docs.find("### The practice file").expect("the section");
        let json = docs[start..]
            .split("```json")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("the example");
        assert_eq!(parse(json), Ok(Thresholds::default()));
    }

    #[test]
    fn a_misspelt_or_impossible_setting_is_refused() {
        assert_eq!(
            parse(r#"{"practice": {"debreif_within": 1}}"#),
            Err(PracticeError::Unknown("practice.debreif_within".into()))
        );
        assert_eq!(
            parse(r#"{"practice": {"cadence": {"looked_after": {"days": 0}}}}"#),
            Err(PracticeError::OutOfRange("cadence.looked_after"))
        );
        assert_eq!(
            parse(r#"{"practice": {"avoidance_count": 6}}"#),
            Err(PracticeError::OutOfRange("avoidance_count"))
        );
        assert!(matches!(parse("{"), Err(PracticeError::NotJson(_))));
        assert!(matches!(
            parse(r#"{"practice": {"cadence": {"child_in_need": {"weeks": 4}}}}"#),
            Err(PracticeError::Shape(_))
        ));
    }
}
