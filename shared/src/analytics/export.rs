//! The chronology as a reviewer takes it away: CSV with every column a case review needs
//! (spreadsheet-formula cells neutralised), and the anonymised form, in which every name is
//! replaced, consistently, by the person's role.

use std::collections::BTreeMap;

use super::chronology::ChronologyItem;
use crate::record::Record;

/// The CSV's header row.
pub const CSV_COLUMNS: &[&str] = &[
    "Date",
    "Approximate",
    "Recorded at (UTC)",
    "Type",
    "Author",
    "Agency",
    "Source",
    "Categories",
    "Indicators",
    "Headline",
    "Narrative",
    "Child's words",
    "Present",
    "Action",
    "Significance",
    "Withdrawn",
    "Withdrawal reason",
    "Amendments",
];

/// One CSV field, quoted; a cell a spreadsheet would run as a formula is neutralised with a
/// leading apostrophe.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn recorded(at_ms: i64) -> String {
    if at_ms <= 0 {
        return String::new();
    }
    let day = crate::calendar::Date::from_unix_ms(at_ms);
    let secs = at_ms.div_euclid(1000).rem_euclid(86_400);
    format!("{day} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// The chronology as CSV, one row per item, CRLF line ends.
pub fn csv(items: &[ChronologyItem]) -> String {
    let mut out = CSV_COLUMNS
        .iter()
        .map(|c| csv_field(c))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for i in items {
        let amendments = i
            .amendments
            .iter()
            .map(|a| {
                format!(
                    "{} corrected to \"{}\" by {} ({})",
                    a.field, a.corrected, a.by, a.reason
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let row = [
            i.date.clone(),
            yes_no(i.approximate),
            recorded(i.recorded_at_ms),
            i.kind.label().to_owned(),
            i.author.clone(),
            i.agency.clone(),
            i.source.clone(),
            i.categories
                .iter()
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join("; "),
            i.indicators.join("; "),
            i.headline.clone(),
            i.narrative.clone(),
            i.child_words.clone(),
            i.present.join("; "),
            i.action.clone(),
            i.significance.join("; "),
            yes_no(i.withdrawn),
            i.withdrawn_reason.clone(),
            amendments,
        ];
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

/// Names and what each becomes, longest first so a full name goes before its parts.
struct Names(Vec<(String, String)>);

impl Names {
    fn add(&mut self, name: &str, role: &str) {
        let name = name.trim();
        if name.chars().count() < 2 || self.0.iter().any(|(n, _)| n == name) {
            return;
        }
        self.0.push((name.to_owned(), role.to_owned()));
    }

    /// A full name, and each of its parts of three letters or more.
    fn add_with_parts(&mut self, name: &str, role: &str, part_role: &str) {
        self.add(name, role);
        for part in name.split_whitespace() {
            if part.chars().count() >= 3 {
                self.add(part, part_role);
            }
        }
    }

    fn finish(mut self) -> Self {
        self.0
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        self
    }

    /// `text` with every name replaced where it stands as a whole word.
    fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (name, role) in &self.0 {
            out = replace_word(&out, name, role);
        }
        out
    }
}

fn replace_word(text: &str, word: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        out.push_str(&rest[..at]);
        if boundary(before) && boundary(after) {
            out.push_str(with);
        } else {
            out.push_str(word);
        }
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

/// The chronology with every name replaced by a role, the same role for the same person
/// throughout: the child is "the child", each person around them their relationship
/// (numbered when two share one), each practitioner "Practitioner N (agency)". Agencies stay:
/// a review needs to know which agency knew what.
pub fn anonymise(
    child_name: &str,
    record: &Record,
    items: &[ChronologyItem],
) -> Vec<ChronologyItem> {
    let mut names = Names(Vec::new());
    names.add_with_parts(child_name, "the child", "the child");
    let mut relationships: BTreeMap<String, usize> = BTreeMap::new();
    for p in &record.people {
        let rel = p
            .details
            .latest()
            .map(|d| d.value.relationship.trim().to_owned())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "Person".to_owned());
        *relationships.entry(rel).or_default() += 1;
    }
    let mut numbered: BTreeMap<String, usize> = BTreeMap::new();
    for p in &record.people {
        let rel = p
            .details
            .latest()
            .map(|d| d.value.relationship.trim().to_owned())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "Person".to_owned());
        let role = if relationships[&rel] > 1 {
            let n = numbered.entry(rel.clone()).or_default();
            *n += 1;
            format!("{rel} {n}")
        } else {
            rel
        };
        for d in &p.details.values {
            names.add_with_parts(&d.value.name, &format!("[{role}]"), &format!("[{role}]"));
        }
    }
    let mut authors: Vec<(String, String)> = Vec::new();
    for i in items {
        if !i.author.is_empty() && !authors.iter().any(|(a, _)| a == &i.author) {
            let n = authors.len() + 1;
            // The agency any of their entries names (meetings and plans carry none).
            let agency = items
                .iter()
                .find(|x| x.author == i.author && !x.agency.is_empty())
                .map_or("", |x| x.agency.as_str());
            let role = if agency.is_empty() {
                format!("Practitioner {n}")
            } else {
                format!("Practitioner {n} ({agency})")
            };
            authors.push((i.author.clone(), role));
        }
    }
    for i in items {
        for a in &i.amendments {
            if !authors.iter().any(|(x, _)| x == &a.by) {
                let n = authors.len() + 1;
                authors.push((a.by.clone(), format!("Practitioner {n}")));
            }
        }
    }
    for (author, role) in &authors {
        names.add_with_parts(author, role, role);
    }
    let names = names.finish();
    let role_of = |author: &str| {
        authors
            .iter()
            .find(|(a, _)| a == author)
            .map_or_else(|| names.apply(author), |(_, r)| r.clone())
    };
    items
        .iter()
        .map(|i| {
            let mut out = i.clone();
            out.author = role_of(&i.author);
            out.headline = names.apply(&i.headline);
            out.narrative = names.apply(&i.narrative);
            out.child_words = names.apply(&i.child_words);
            out.action = names.apply(&i.action);
            out.withdrawn_reason = names.apply(&i.withdrawn_reason);
            out.present = i.present.iter().map(|p| names.apply(p)).collect();
            out.significance = i.significance.iter().map(|s| names.apply(s)).collect();
            for a in &mut out.amendments {
                a.by = role_of(&a.by);
                a.corrected = names.apply(&a.corrected);
                a.reason = names.apply(&a.reason);
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "\"plain\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        assert_eq!(csv_field("-1+2"), "\"'-1+2\"");
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(replace_word("Ava and Avalon", "Ava", "X"), "X and Avalon");
        assert_eq!(replace_word("(Dean)", "Dean", "[P]"), "([P])");
        assert_eq!(replace_word("Deanna", "Dean", "[P]"), "Deanna");
    }
}
