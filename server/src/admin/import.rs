//! Importing children and allocations from a system-of-record export (CSV): every row is
//! checked and every problem reported with its line; the import stores everything or, if any
//! row is bad (or it is a dry run), nothing.
//!
//! `children.csv` columns (a header row names them; order is free; the first six are required):
//! `child_id` (the system of record's id: letters, digits, `-` and `_`), `name`,
//! `date_of_birth` (`YYYY-MM-DD` or `DD/MM/YYYY`), `nhs_number` (or empty, with
//! `nhs_unknown_reason`), `nhs_unknown_reason`, `team` (a team's id or name), and optionally
//! `other_names` (separated by `;`), `unborn` (`yes`/`no`: the date is the expected date of
//! birth), `address`, `school`, `legal_status`.
//!
//! `allocations.csv` columns: `child_id` (in this import or already held), `username`, `role`
//! (a core-group role, by code or words: `lead_social_worker`, `Health visitor`, …) and
//! optionally `started_on` (today when empty).

use std::collections::{HashMap, HashSet};

use shared::api::partnership::{
    core_role, Allocation, ChildDetails, ChildFields, ImportProblem, ImportReport, ImportRequest,
};
use shared::api::Role;
use shared::calendar::Date;
use shared::matching::{self, Probe};
use shared::ChildId;

use super::{new_id, today, Actor, Admin, Denied};
use crate::clock::now_ms;
use crate::store::ImportRows;

/// The most rows one file may have.
pub const MAX_ROWS: usize = 20_000;

/// A CSV file's records (RFC 4180: quoted fields may hold commas, quotes and line breaks),
/// each with the line it starts on (the first line is 1).
pub fn parse_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let (mut field, mut record) = (String::new(), Vec::new());
    let (mut line, mut start, mut quoted, mut at_field_start) = (1usize, 1usize, false, true);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push((start, std::mem::take(&mut record)));
                }
                record.clear();
                line += 1;
                start = line;
                at_field_start = true;
            }
            c => {
                field.push(c);
                at_field_start = false;
            }
        }
        if records.len() > MAX_ROWS + 1 {
            return Err(format!("the file has more than {MAX_ROWS} rows; split it"));
        }
    }
    if quoted {
        return Err(format!("line {start}: a quoted field is never closed"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((start, record));
    }
    Ok(records)
}

/// A file's rows as maps from column name to value, checked against the columns it needs.
struct Table {
    rows: Vec<(usize, HashMap<String, String>)>,
}

fn table(
    file: &str,
    text: &str,
    required: &[&str],
    known: &[&str],
    problems: &mut Vec<ImportProblem>,
) -> Option<Table> {
    let mut problem = |line: usize, reason: String| {
        problems.push(ImportProblem {
            file: file.to_owned(),
            line,
            reason,
        })
    };
    if text.trim().is_empty() {
        return Some(Table { rows: Vec::new() });
    }
    let records = match parse_csv(text) {
        Ok(r) => r,
        Err(e) => {
            problem(1, e);
            return None;
        }
    };
    let mut records = records.into_iter();
    let (_, header) = records.next()?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !header.iter().any(|h| h == r))
        .collect();
    if !missing.is_empty() {
        problem(
            1,
            format!("the header has no column {}", missing.join(", ")),
        );
        return None;
    }
    if let Some(unknown) = header.iter().find(|h| !known.contains(&h.as_str())) {
        problem(
            1,
            format!("the header has a column Quilt does not know: {unknown:?}"),
        );
        return None;
    }
    let mut rows = Vec::new();
    for (line, record) in records {
        if record.len() != header.len() {
            problem(
                line,
                format!(
                    "{} values where the header has {}",
                    record.len(),
                    header.len()
                ),
            );
            continue;
        }
        rows.push((
            line,
            header
                .iter()
                .cloned()
                .zip(record.into_iter().map(|v| v.trim().to_owned()))
                .collect(),
        ));
    }
    Some(Table { rows })
}

/// `YYYY-MM-DD` or `DD/MM/YYYY`.
fn date(text: &str) -> Option<Date> {
    text.parse().ok().or_else(|| {
        let mut parts = text.split('/');
        let d = parts.next()?.parse().ok()?;
        let m = parts.next()?.parse().ok()?;
        let y = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(())?;
        Date::from_ymd(y, m, d)
    })
}

const CHILD_COLUMNS: &[&str] = &[
    "child_id",
    "name",
    "date_of_birth",
    "nhs_number",
    "nhs_unknown_reason",
    "team",
    "other_names",
    "unborn",
    "address",
    "school",
    "legal_status",
];
const ALLOCATION_COLUMNS: &[&str] = &["child_id", "username", "role", "started_on"];

impl Admin {
    /// Checks every row of an import and, unless it is a dry run or a row is bad, stores them
    /// all in one transaction.
    pub async fn import(&self, by: &Actor, req: ImportRequest) -> Result<ImportReport, Denied> {
        self.require_admin(by, "admin.import").await?;
        let mut problems = Vec::new();
        let rows = self.check_import(&req, &mut problems).await?;
        let mut report = ImportReport {
            children: rows.children.len(),
            allocations: rows.allocations.len(),
            problems,
            imported: false,
        };
        if report.problems.is_empty() && !req.dry_run {
            self.store().import(&rows, now_ms()).await?;
            report.imported = true;
        }
        self.audit()
            .record_or_log(by.event("admin.import", "ok").detail(format!(
                "{} children, {} allocations, {} problem(s), dry run {}, imported {}",
                report.children,
                report.allocations,
                report.problems.len(),
                req.dry_run,
                report.imported
            )))
            .await;
        Ok(report)
    }

    async fn check_import(
        &self,
        req: &ImportRequest,
        problems: &mut Vec<ImportProblem>,
    ) -> Result<ImportRows, Denied> {
        let mut rows = ImportRows::default();
        let today = today();
        let teams = self.store().teams().await?;
        let mut ids_in_file: HashSet<ChildId> = HashSet::new();
        let mut nhs_in_file: HashMap<String, usize> = HashMap::new();
        if let Some(children) = table(
            "children",
            &req.children_csv,
            &CHILD_COLUMNS[..6],
            CHILD_COLUMNS,
            problems,
        ) {
            for (line, row) in &children.rows {
                let get = |k: &str| row.get(k).map(String::as_str).unwrap_or("");
                let mut problem = |reason: String| {
                    problems.push(ImportProblem {
                        file: "children".into(),
                        line: *line,
                        reason,
                    })
                };
                let Ok(child_id) = get("child_id").parse::<ChildId>() else {
                    problem(
                        "child_id is empty or has characters other than letters, digits, - and _"
                            .into(),
                    );
                    continue;
                };
                let Some(team) = teams
                    .iter()
                    .find(|t| t.id == get("team") || t.name.eq_ignore_ascii_case(get("team")))
                else {
                    problem(format!("there is no team {:?}", get("team")));
                    continue;
                };
                let nhs = match get("nhs_number") {
                    "" => None,
                    n => match n.parse::<shared::nhs::NhsNumber>() {
                        Ok(n) => Some(n),
                        Err(e) => {
                            problem(e.to_string());
                            continue;
                        }
                    },
                };
                let Some(dob) = date(get("date_of_birth")) else {
                    problem("date_of_birth is not a date (YYYY-MM-DD or DD/MM/YYYY)".into());
                    continue;
                };
                let unborn = match get("unborn").to_lowercase().as_str() {
                    "" | "no" | "false" | "n" | "0" => false,
                    "yes" | "true" | "y" | "1" => true,
                    _ => {
                        problem("unborn is yes or no".into());
                        continue;
                    }
                };
                let fields = ChildFields {
                    display_name: get("name").to_owned(),
                    other_names: get("other_names")
                        .split(';')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    date_of_birth: dob.to_string(),
                    unborn,
                    nhs_number: nhs,
                    nhs_unknown_reason: get("nhs_unknown_reason").to_owned(),
                    address: get("address").to_owned(),
                    school: get("school").to_owned(),
                    legal_status: match get("legal_status") {
                        "" => "Child in need".to_owned(),
                        s => s.to_owned(),
                    },
                };
                if let Err(e) = fields.validate(today) {
                    problem(e.0);
                    continue;
                }
                if !ids_in_file.insert(child_id.clone()) {
                    problem(format!("child_id {child_id} is in the file twice"));
                    continue;
                }
                if self.store().child_details(&child_id).await?.is_some() {
                    problem(format!("child_id {child_id} is held already"));
                    continue;
                }
                if let Some(n) = &fields.nhs_number {
                    if let Some(first) = nhs_in_file.insert(n.to_string(), *line) {
                        problem(format!("the NHS number is also on line {first}"));
                        continue;
                    }
                }
                let probe = Probe {
                    name: &fields.display_name,
                    other_names: &fields.other_names,
                    date_of_birth: Some(dob),
                    nhs_number: fields.nhs_number.as_ref(),
                };
                let strong = matching::likely_duplicates(&probe, &self.candidates(&probe).await?)
                    .into_iter()
                    .find(|m| {
                        m.reasons.iter().any(|r| {
                            matches!(
                                r,
                                shared::api::partnership::MatchReason::SameNhsNumber
                                    | shared::api::partnership::MatchReason::SameNameAndDateOfBirth
                            )
                        })
                    });
                if let Some(m) = strong {
                    problem(format!(
                        "likely the child already held as {} ({}); leave them out or add them on the page",
                        m.child.child_id,
                        m.reasons[0].label()
                    ));
                    continue;
                }
                rows.children.push(ChildDetails {
                    child_id,
                    team_id: team.id.clone(),
                    fields,
                    merged_into: None,
                });
            }
        }
        let mut open: HashSet<(String, String)> = HashSet::new();
        if let Some(allocations) = table(
            "allocations",
            &req.allocations_csv,
            &ALLOCATION_COLUMNS[..3],
            ALLOCATION_COLUMNS,
            problems,
        ) {
            for (line, row) in &allocations.rows {
                let get = |k: &str| row.get(k).map(String::as_str).unwrap_or("");
                let mut problem = |reason: String| {
                    problems.push(ImportProblem {
                        file: "allocations".into(),
                        line: *line,
                        reason,
                    })
                };
                let Ok(child_id) = get("child_id").parse::<ChildId>() else {
                    problem("child_id is not an id".into());
                    continue;
                };
                let held = self.store().child_details(&child_id).await?;
                if !ids_in_file.contains(&child_id) && held.is_none() {
                    problem(format!(
                        "no child {child_id} in this import or held already"
                    ));
                    continue;
                }
                let user = self.store().user_by_username(get("username")).await?;
                let Some(user) =
                    user.filter(|u| u.disabled_at_ms.is_none() && u.role != Role::Admin)
                else {
                    problem(format!(
                        "no enabled practitioner or manager with username {:?}",
                        get("username")
                    ));
                    continue;
                };
                let Some(role) = core_role(get("role")) else {
                    problem(format!("{:?} is not a core-group role", get("role")));
                    continue;
                };
                let started_on = match get("started_on") {
                    "" => today,
                    d => match date(d) {
                        Some(d) => d,
                        None => {
                            problem("started_on is not a date".into());
                            continue;
                        }
                    },
                };
                let key = (child_id.to_string(), user.id.to_string());
                let already = held.is_some()
                    && self
                        .store()
                        .core_group(&child_id)
                        .await?
                        .iter()
                        .any(|a| a.user_id == user.id && a.ended_on.is_none());
                if already || !open.insert(key) {
                    problem(format!(
                        "{} is in {child_id}'s core group already",
                        user.username
                    ));
                    continue;
                }
                rows.allocations.push(Allocation {
                    id: new_id("alloc"),
                    child_id,
                    user_id: user.id.clone(),
                    display_name: user.display_name.clone(),
                    agency: user.agency.clone(),
                    role,
                    started_on: started_on.to_string(),
                    ended_on: None,
                });
            }
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_quotes_commas_line_breaks_and_crlf() {
        let text = "\u{feff}a,b,c\r\n1,\"two, and \"\"2\"\"\",3\r\n\r\n4,\"five\nlines\",6\n7,,";
        let records = parse_csv(text).expect("csv");
        assert_eq!(records[0], (1, vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(
            records[1],
            (2, vec!["1".into(), "two, and \"2\"".into(), "3".into()])
        );
        assert_eq!(
            records[2],
            (4, vec!["4".into(), "five\nlines".into(), "6".into()])
        );
        assert_eq!(
            records[3],
            (6, vec!["7".into(), String::new(), String::new()])
        );
        assert!(parse_csv("a,\"b\n").is_err());
    }

    #[test]
    fn dates_in_either_form() {
        assert_eq!(date("2019-03-04"), Date::from_ymd(2019, 3, 4));
        assert_eq!(date("04/03/2019"), Date::from_ymd(2019, 3, 4));
        assert_eq!(date("31/02/2019"), None);
        assert_eq!(date("2019/03/04"), None);
    }
}
