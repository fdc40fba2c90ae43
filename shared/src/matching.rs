//! Whether a child being created, searched for or imported may already have a record: by NHS
//! number, by name and date of birth, and by the mistakes people make typing them (a letter
//! out in a surname, day and month swapped, a name the family also uses). Pure, so the tablet
//! and the server judge alike.

use crate::api::partnership::{ChildDetails, ChildMatch, MatchReason};
use crate::calendar::Date;
use crate::nhs::NhsNumber;

/// What is known of the child being looked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Probe<'a> {
    pub name: &'a str,
    pub other_names: &'a [String],
    pub date_of_birth: Option<Date>,
    pub nhs_number: Option<&'a NhsNumber>,
}

/// A name as lowercase words of letters and digits ("O'Brien-Smith" → `obrien smith`).
pub fn words(name: &str) -> Vec<String> {
    name.split(|c: char| c.is_whitespace() || c == '-' || c == ',')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Levenshtein distance, on characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

fn same_name(a: &[String], b: &[String]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort();
    b.sort();
    !a.is_empty() && a == b
}

/// A letter or two out in one part of the name, or the whole name close, but not two
/// different first names that share a surname (twins).
fn similar_name(a: &[String], b: &[String]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (af, al) = (&a[0], &a[a.len() - 1]);
    let (bf, bl) = (&b[0], &b[b.len() - 1]);
    let close = |x: &str, y: &str| distance(x, y) <= if x.len().min(y.len()) <= 4 { 1 } else { 2 };
    (af == bf && close(al, bl))
        || (al == bl && close(af, bf) && af.len() > 3)
        || (af == bl && al == bf)
        || distance(&a.join(" "), &b.join(" ")) <= 2
}

fn swapped(a: Date, b: Date) -> bool {
    let ((ay, am, ad), (by, bm, bd)) = (a.ymd(), b.ymd());
    ay == by && am != ad && am == bd && ad == bm
}

/// Why `candidate` may be the child `probe` describes, strongest first; empty if nothing
/// suggests it.
pub fn reasons(probe: &Probe<'_>, candidate: &ChildDetails) -> Vec<MatchReason> {
    let mut out = Vec::new();
    let fields = &candidate.fields;
    if let (Some(a), Some(b)) = (probe.nhs_number, &fields.nhs_number) {
        if a == b {
            out.push(MatchReason::SameNhsNumber);
        }
    }
    let name = words(probe.name);
    let theirs = words(&fields.display_name);
    let dob = fields.date_of_birth.parse::<Date>().ok();
    if let (Some(a), Some(b)) = (probe.date_of_birth, dob) {
        if a == b {
            if same_name(&name, &theirs) {
                out.push(MatchReason::SameNameAndDateOfBirth);
            } else if similar_name(&name, &theirs) {
                out.push(MatchReason::SimilarNameSameDateOfBirth);
            } else {
                let ours: Vec<Vec<String>> = std::iter::once(name.clone())
                    .chain(probe.other_names.iter().map(|n| words(n)))
                    .collect();
                let all_theirs: Vec<Vec<String>> = std::iter::once(theirs.clone())
                    .chain(fields.other_names.iter().map(|n| words(n)))
                    .collect();
                if ours.iter().any(|o| {
                    all_theirs
                        .iter()
                        .any(|t| same_name(o, t) || similar_name(o, t))
                }) {
                    out.push(MatchReason::OtherNameSameDateOfBirth);
                }
            }
        } else if swapped(a, b) && same_name(&name, &theirs) {
            out.push(MatchReason::SameNameDayAndMonthSwapped);
        }
    }
    out
}

/// Whether every word typed begins a word of the child's names.
fn name_contains(query: &[String], candidate: &ChildDetails) -> bool {
    let mut theirs = words(&candidate.fields.display_name);
    for n in &candidate.fields.other_names {
        theirs.extend(words(n));
    }
    !query.is_empty()
        && query
            .iter()
            .all(|q| theirs.iter().any(|t| t.starts_with(q.as_str())))
}

/// The likely duplicates of `probe` among `candidates`: those a [`MatchReason`] applies to,
/// strongest first. What a new record is checked against before it is created.
pub fn likely_duplicates(probe: &Probe<'_>, candidates: &[ChildDetails]) -> Vec<ChildMatch> {
    let mut out: Vec<ChildMatch> = candidates
        .iter()
        .filter(|c| c.merged_into.is_none())
        .filter_map(|c| {
            let reasons = reasons(probe, c);
            (!reasons.is_empty()).then(|| ChildMatch {
                child: c.clone(),
                reasons,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        a.reasons.cmp(&b.reasons).then_with(|| {
            a.child
                .fields
                .display_name
                .cmp(&b.child.fields.display_name)
        })
    });
    out
}

/// A search: the likely duplicates first, then children whose names begin with the words
/// typed, or (with no name typed) born on the date given (reasons empty), by name.
pub fn search(probe: &Probe<'_>, candidates: &[ChildDetails]) -> Vec<ChildMatch> {
    let mut out = likely_duplicates(probe, candidates);
    let query = words(probe.name);
    let mut by_name: Vec<ChildMatch> = candidates
        .iter()
        .filter(|c| c.merged_into.is_none())
        .filter(|c| !out.iter().any(|m| m.child.child_id == c.child_id))
        .filter(|c| {
            if query.is_empty() {
                probe.date_of_birth.is_some()
                    && c.fields.date_of_birth.parse::<Date>().ok() == probe.date_of_birth
            } else {
                name_contains(&query, c)
            }
        })
        .map(|c| ChildMatch {
            child: c.clone(),
            reasons: Vec::new(),
        })
        .collect();
    by_name.sort_by(|a, b| {
        a.child
            .fields
            .display_name
            .cmp(&b.child.fields.display_name)
    });
    out.extend(by_name);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::partnership::ChildFields;

    fn child(id: &str, name: &str, dob: &str, nhs: Option<&str>) -> ChildDetails {
        ChildDetails {
            child_id: id.parse().expect("id"),
            team_id: "t".into(),
            fields: ChildFields {
                display_name: name.into(),
                date_of_birth: dob.into(),
                nhs_number: nhs.map(|n| n.parse().expect("nhs")),
                ..Default::default()
            },
            merged_into: None,
        }
    }

    fn probe<'a>(name: &'a str, dob: &str, nhs: Option<&'a NhsNumber>) -> Probe<'a> {
        Probe {
            name,
            other_names: &[],
            date_of_birth: dob.parse().ok(),
            nhs_number: nhs,
        }
    }

    #[test]
    fn the_same_nhs_number_is_the_strongest_reason_whatever_the_spelling() {
        let nhs: NhsNumber = "9434765919".parse().expect("nhs");
        let c = child("c1", "Mia Thompson", "2019-03-04", Some("9434765919"));
        assert_eq!(
            reasons(&probe("Myah Tomson", "2019-04-03", Some(&nhs)), &c),
            vec![MatchReason::SameNhsNumber]
        );
    }

    #[test]
    fn names_and_dates_as_people_mistype_them() {
        let c = child("c1", "Mia Thompson", "2019-03-04", None);
        let r = |name, dob| reasons(&probe(name, dob, None), &c);
        assert_eq!(
            r("thompson, mia", "2019-03-04"),
            vec![MatchReason::SameNameAndDateOfBirth]
        );
        assert_eq!(
            r("Mia Thomson", "2019-03-04"),
            vec![MatchReason::SimilarNameSameDateOfBirth]
        );
        assert_eq!(
            r("Mya Thompson", "2019-03-04"),
            vec![MatchReason::SimilarNameSameDateOfBirth]
        );
        assert_eq!(
            r("Mia Thompson", "2019-04-03"),
            vec![MatchReason::SameNameDayAndMonthSwapped]
        );
        // A twin: same surname and birthday, a different first name.
        assert!(r("Leo Thompson", "2019-03-04").is_empty());
        // Same name, a different child a year apart.
        assert!(r("Mia Thompson", "2020-03-04").is_empty());
    }

    #[test]
    fn an_other_name_the_family_uses_matches() {
        let mut c = child("c1", "Amelia Brown", "2018-01-20", None);
        c.fields.other_names = vec!["Millie Brown".into()];
        let p = probe("Millie Brown", "2018-01-20", None);
        assert_eq!(reasons(&p, &c), vec![MatchReason::OtherNameSameDateOfBirth]);
    }

    #[test]
    fn a_search_lists_likely_duplicates_first_then_names_and_skips_merged_records() {
        let nhs: NhsNumber = "9434765919".parse().expect("nhs");
        let mut merged = child("c0", "Mia Thompson", "2019-03-04", Some("9434765919"));
        merged.merged_into = Some("c1".parse().expect("id"));
        let all = vec![
            child("c3", "Mia Adams", "2016-05-05", None),
            child("c1", "Mia Thompson", "2019-03-04", Some("9434765919")),
            child("c2", "Mia Thomson", "2019-03-04", None),
            merged,
        ];
        let found = search(&probe("mia", "", None), &all);
        let ids: Vec<&str> = found.iter().map(|m| m.child.child_id.as_str()).collect();
        assert_eq!(ids, ["c3", "c1", "c2"]);
        let found = search(&probe("Mia Thompson", "2019-03-04", Some(&nhs)), &all);
        let ids: Vec<&str> = found.iter().map(|m| m.child.child_id.as_str()).collect();
        assert_eq!(ids, ["c1", "c2"]);
        assert_eq!(
            found[0].reasons,
            [
                MatchReason::SameNhsNumber,
                MatchReason::SameNameAndDateOfBirth
            ]
        );
    }

    #[test]
    fn edit_distance() {
        assert_eq!(distance("thompson", "thomson"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
