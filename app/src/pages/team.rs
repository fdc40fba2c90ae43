//! The manager's team dashboard, fetched from the server (online only): every team child with
//! its flags, sortable and filterable, escalation flags first.

use leptos::prelude::*;
use shared::analytics::{Flag, FlagKind};
use shared::api::TeamCaseloadRow;
use shared::calendar::Date;
use shared::ChildId;

use crate::api::{self, ApiError};
use crate::components::SignedIn;
use crate::platform;
use crate::state::{use_app, AppState};

#[component]
pub fn Team() -> impl IntoView {
    view! {
        <SignedIn manager_only=true>
            <TeamList/>
        </SignedIn>
    }
}

/// Runs an online-only call with the session's token, turning a refused token into the
/// signed-out state.
pub async fn with_token<T, F, Fut>(app: AppState, call: F) -> Result<T, String>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let Some(token) = app.access_token().await else {
        return Err(crate::state::SIGNED_OUT.to_owned());
    };
    match call(token).await {
        Ok(v) => Ok(v),
        Err(ApiError::Unauthorised(_)) => {
            app.token_refused().await;
            Err(crate::state::SIGNED_OUT.to_owned())
        }
        Err(ApiError::Network) => Err("This page needs a connection. Records on this tablet are still available from the caseload.".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

/// The badge's classes: escalation flags get a "!" marker from the style sheet and a heavier
/// border, so they stand out without relying on colour.
fn badge_class(flag: &Flag) -> String {
    let level = if flag.is_escalation() {
        "escalation"
    } else {
        "caution"
    };
    format!("flag-badge {level} flag-{}", flag.kind().code())
}

/// A flag as a badge: its label, then what, since when, by when and whose action.
pub fn flag_badge(flag: Flag, testid: &'static str) -> impl IntoView {
    let detail = flag.detail(platform::today_date());
    view! {
        <li class=badge_class(&flag) data-testid=testid>
            {flag.label()}
            <span class="flag-detail" data-testid="flag-detail">{detail}</span>
        </li>
    }
}

/// Which rows the flag filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlagFilter {
    All,
    Any,
    Kind(FlagKind),
}

impl FlagFilter {
    /// In the order the filter offers them: the prompt and drift first.
    const OPTIONS: [FlagFilter; 16] = [
        FlagFilter::All,
        FlagFilter::Any,
        FlagFilter::Kind(FlagKind::StrategyDiscussion),
        FlagFilter::Kind(FlagKind::HarmToOthers),
        FlagFilter::Kind(FlagKind::UnansweredConcern),
        FlagFilter::Kind(FlagKind::Drift),
        FlagFilter::Kind(FlagKind::Debrief),
        FlagFilter::Kind(FlagKind::Avoidance),
        FlagFilter::Kind(FlagKind::NotSeen),
        FlagFilter::Kind(FlagKind::NotSeenAlone),
        FlagFilter::Kind(FlagKind::BedroomNotSeen),
        FlagFilter::Kind(FlagKind::SeenOnlyAtSchool),
        FlagFilter::Kind(FlagKind::Challenge),
        FlagFilter::Kind(FlagKind::Overdue),
        FlagFilter::Kind(FlagKind::Unassessed),
        FlagFilter::Kind(FlagKind::Conflicts),
    ];

    /// The select's value.
    fn code(self) -> &'static str {
        match self {
            FlagFilter::All => "all",
            FlagFilter::Any => "any",
            FlagFilter::Kind(k) => k.code(),
        }
    }

    fn label(self) -> &'static str {
        match self {
            FlagFilter::All => "All children",
            FlagFilter::Any => "Any flag",
            FlagFilter::Kind(k) => k.label(),
        }
    }

    fn from_code(code: &str) -> FlagFilter {
        FlagFilter::OPTIONS
            .into_iter()
            .find(|f| f.code() == code)
            .unwrap_or(FlagFilter::All)
    }

    fn keeps(self, row: &TeamCaseloadRow) -> bool {
        match self {
            FlagFilter::All => true,
            FlagFilter::Any => !row.flags.is_empty(),
            FlagFilter::Kind(k) => row.flags.iter().any(|f| f.kind() == k),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    /// The most urgent flag first (longest overdue, then soonest due), then escalation
    /// flags, then name: the order a manager triages in.
    Priority,
    Name,
    Flags,
    Observations,
    Last,
}

impl SortKey {
    /// The direction a first click sorts in: names A to Z, numbers and dates largest first.
    fn natural_descending(self) -> bool {
        !matches!(self, SortKey::Name)
    }

    fn label(self) -> &'static str {
        match self {
            SortKey::Priority => "urgency (most overdue first)",
            SortKey::Name => "name",
            SortKey::Flags => "number of flags",
            SortKey::Observations => "number of observations",
            SortKey::Last => "last entry",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sort {
    key: SortKey,
    descending: bool,
}

impl Sort {
    const DEFAULT: Sort = Sort {
        key: SortKey::Priority,
        descending: false,
    };

    /// A click on a column: the same column reverses, another starts in its natural direction.
    fn clicked(self, key: SortKey) -> Sort {
        if self.key == key {
            Sort {
                key,
                descending: !self.descending,
            }
        } else {
            Sort {
                key,
                descending: key.natural_descending(),
            }
        }
    }
}

fn urgency(row: &TeamCaseloadRow, today: Date) -> i64 {
    row.flags
        .iter()
        .map(|f| f.urgency(today))
        .max()
        .unwrap_or(-1)
}

fn escalations(row: &TeamCaseloadRow) -> usize {
    row.flags.iter().filter(|f| f.is_escalation()).count()
}

fn by_name(a: &TeamCaseloadRow, b: &TeamCaseloadRow) -> std::cmp::Ordering {
    a.child
        .display_name
        .to_lowercase()
        .cmp(&b.child.display_name.to_lowercase())
        .then_with(|| a.child.child_id.cmp(&b.child.child_id))
}

/// Filters and sorts the rows; ties fall back to name so the order is stable.
fn arrange(
    rows: &[TeamCaseloadRow],
    search: &str,
    filter: FlagFilter,
    sort: Sort,
    today: Date,
) -> Vec<TeamCaseloadRow> {
    let needle = search.trim().to_lowercase();
    let mut out: Vec<TeamCaseloadRow> = rows
        .iter()
        .filter(|r| needle.is_empty() || r.child.display_name.to_lowercase().contains(&needle))
        .filter(|r| filter.keeps(r))
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        let primary = match sort.key {
            SortKey::Priority => urgency(b, today)
                .cmp(&urgency(a, today))
                .then(escalations(b).cmp(&escalations(a)))
                .then(b.flags.len().cmp(&a.flags.len())),
            SortKey::Name => by_name(a, b),
            SortKey::Flags => a.flags.len().cmp(&b.flags.len()),
            SortKey::Observations => a.observation_count.cmp(&b.observation_count),
            // `None` (nothing recorded) sorts as the oldest.
            SortKey::Last => a.last_occurred.cmp(&b.last_occurred),
        };
        let primary = if sort.descending {
            primary.reverse()
        } else {
            primary
        };
        primary.then_with(|| by_name(a, b))
    });
    out
}

#[component]
fn TeamList() -> impl IntoView {
    let app = use_app();
    let rows =
        LocalResource::new(move || with_token(app, |token| async move { api::team(&token).await }));
    let search = RwSignal::new(String::new());
    let filter = RwSignal::new("all".to_owned());
    let sort = RwSignal::new(Sort::DEFAULT);

    let sort_header = move |key: SortKey, label: &'static str, testid: &'static str| {
        let aria = move || {
            let s = sort.get();
            (s.key == key).then_some(if s.descending {
                "descending"
            } else {
                "ascending"
            })
        };
        let arrow = move || match aria() {
            Some("ascending") => "▲",
            Some(_) => "▼",
            None => "↕",
        };
        view! {
            <th scope="col" aria-sort=aria class="sortable">
                <button type="button" class="sort-button" data-testid=testid
                    on:click=move |_| sort.update(|s| *s = s.clicked(key))>
                    {label}
                    <span class="sort-arrow" aria-hidden="true">{arrow}</span>
                </button>
            </th>
        }
    };

    let table = move |all: Vec<TeamCaseloadRow>| {
        let total = all.len();
        let tasks = tasks_view(&all);
        let shown = Memo::new(move |_| {
            arrange(
                &all,
                &search.get(),
                FlagFilter::from_code(&filter.get()),
                sort.get(),
                platform::today_date(),
            )
        });
        let summary = move || {
            let n = shown.with(Vec::len);
            format!(
                "Showing {n} of {total} {}, sorted by {}{}.",
                if total == 1 { "child" } else { "children" },
                sort.get().key.label(),
                match sort.get() {
                    Sort {
                        key: SortKey::Priority,
                        ..
                    } => "",
                    Sort {
                        descending: true, ..
                    } => ", descending",
                    _ => ", ascending",
                }
            )
        };
        view! {
            <div class="team-controls">
                <div class="field">
                    <label for="team-search">"Search by name"</label>
                    <input id="team-search" type="search" data-testid="team-search" autocomplete="off"
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))
                        on:change=move |ev| search.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="team-filter-flag">"Show"</label>
                    <select id="team-filter-flag" data-testid="team-filter-flag"
                        prop:value=move || filter.get()
                        on:change=move |ev| filter.set(event_target_value(&ev))>
                        {FlagFilter::OPTIONS.into_iter().map(|f| view! {
                            <option value=f.code()>{f.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
            </div>
            {tasks}
            <p class="result-count" role="status" data-testid="team-count">{summary}</p>
            <div class="table-wrap">
                <table class="team-table" data-testid="team-list">
                    <caption class="visually-hidden">"Team caseload: children, flags, allocation and latest entry"</caption>
                    <thead>
                        <tr>
                            {sort_header(SortKey::Name, "Child", "sort-name")}
                            {sort_header(SortKey::Flags, "Flags", "sort-flags")}
                            <th scope="col" class="col-allocated">"Allocated to"</th>
                            {sort_header(SortKey::Observations, "Observations", "sort-observations")}
                            {sort_header(SortKey::Last, "Last entry", "sort-last")}
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let rows = shown.get();
                            if rows.is_empty() {
                                view! {
                                    <tr><td colspan="5" class="no-match">
                                        {if total == 0 { "No children are allocated to your team." } else { "No children match the search and filter." }}
                                    </td></tr>
                                }.into_any()
                            } else {
                                rows.into_iter().map(team_row).collect_view().into_any()
                            }
                        }}
                    </tbody>
                </table>
            </div>
        }
    };

    view! {
        <div class="record-head">
            <h1>"Team caseload"</h1>
            <button type="button" class="button secondary" on:click=move |_| rows.refetch()>"Refresh"</button>
        </div>
        {move || match rows.get() {
            None => view! { <p role="status">"Loading the team caseload…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(all)) => table(all).into_any(),
        }}
    }
}

/// The manager's own tasks from every child's flags: difficult visits to debrief and drift
/// to answer, the most urgent first.
fn tasks_view(rows: &[TeamCaseloadRow]) -> impl IntoView {
    let today = platform::today_date();
    let mut tasks: Vec<(i64, String, ChildId, String)> = rows
        .iter()
        .flat_map(|r| {
            r.flags
                .iter()
                .filter(|f| match f {
                    Flag::Debrief { .. } => true,
                    Flag::Drift { .. } => f.is_escalation(),
                    _ => false,
                })
                .map(|f| {
                    (
                        f.urgency(today),
                        r.child.display_name.clone(),
                        r.child.child_id.clone(),
                        f.detail(today),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    tasks.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    (!tasks.is_empty()).then(|| {
        view! {
            <section class="tasks" aria-labelledby="tasks-heading" data-testid="team-tasks">
                <h2 id="tasks-heading">"Your tasks"</h2>
                <ul>
                    {tasks.into_iter().map(|(_, name, id, detail)| view! {
                        <li data-testid="team-task">
                            <p><a href=format!("/team/child/{id}")>{name}</a>": "{detail}</p>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn team_row(row: TeamCaseloadRow) -> impl IntoView {
    let id = row.child.child_id.clone();
    let escalated = escalations(&row) > 0;
    let flags = row.flags.clone();
    view! {
        <tr class:escalated=escalated>
            <th scope="row" class="col-child">
                <a href=format!("/team/child/{id}") data-testid=format!("team-child-{id}")>
                    {row.child.display_name.clone()}
                </a>
                <span class="sub">{row.child.legal_status.clone()}</span>
                {row.new_since.summary().map(|n| view! {
                    <span class="sub new-since" data-testid=format!("team-new-{id}")>{n}</span>
                })}
            </th>
            <td class="col-flags" data-label="Flags" data-testid=format!("team-flags-{id}")>
                {if flags.is_empty() {
                    view! { <span class="no-flags">"No flags"</span> }.into_any()
                } else {
                    view! {
                        <ul class="flag-list">
                            {flags.into_iter().map(|f| flag_badge(f, "team-flag")).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </td>
            <td class="col-allocated" data-label="Allocated to">
                {if row.allocated_to.is_empty() { "Nobody".to_owned() } else { row.allocated_to.join(", ") }}
            </td>
            <td class="num" data-label="Observations">
                {row.observation_count}
                <span class="sub">
                    {plural(row.indicator_count, "indicator", "indicators")}", "
                    {plural(row.authors, "author", "authors")}
                </span>
            </td>
            <td data-label="Last entry">
                {row.last_occurred.as_deref().map_or_else(|| "None yet".to_owned(), platform::format_occurred)}
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::CaseloadEntry;
    use shared::calendar::Date;
    use shared::catalogue::Category;

    #[test]
    fn the_filter_offers_every_kind_of_flag() {
        for kind in FlagKind::ALL {
            let filter = FlagFilter::Kind(kind);
            assert!(FlagFilter::OPTIONS.contains(&filter), "{kind:?}");
            assert_eq!(FlagFilter::from_code(filter.code()), filter);
        }
        assert_eq!(FlagFilter::from_code("nonsense"), FlagFilter::All);
    }

    fn row(name: &str, obs: u32, last: Option<&str>, flags: &[Flag]) -> TeamCaseloadRow {
        TeamCaseloadRow {
            child: CaseloadEntry {
                child_id: name.to_lowercase().parse().expect("id"),
                display_name: name.into(),
                date_of_birth: "2015-01-01".into(),
                legal_status: String::new(),
            },
            allocated_to: vec![],
            observation_count: obs,
            indicator_count: 0,
            authors: 0,
            last_occurred: last.map(str::to_owned),
            flags: flags.to_vec(),
            new_since: Default::default(),
        }
    }

    fn names(rows: &[TeamCaseloadRow]) -> Vec<&str> {
        rows.iter().map(|r| r.child.display_name.as_str()).collect()
    }

    fn check(search: &str, filter: &str, sort: Sort, expected: &[&str]) {
        let date = |s: &str| -> Date { s.parse().expect("date") };
        let rows = [
            row(
                "Ava",
                5,
                Some("2026-03-01"),
                &[Flag::Conflicts { count: 1 }],
            ),
            row(
                "leo",
                2,
                None,
                &[
                    Flag::Drift {
                        since: date("2026-03-01"),
                        response: Default::default(),
                    },
                    Flag::Overdue {
                        what: shared::analytics::TimescaleKind::Review,
                        count: 2,
                        due: date("2026-02-01"),
                    },
                ],
            ),
            row("Mia", 9, Some("2026-05-01T10:00"), &[]),
            row(
                "Noah",
                1,
                Some("2026-04-01"),
                &[Flag::StrategyDiscussion {
                    category: Category::Sexual,
                    since: date("2026-04-01"),
                    indicators: 3,
                    sources: 2,
                    due: date("2026-04-02"),
                }],
            ),
        ];
        let out = arrange(
            &rows,
            search,
            FlagFilter::from_code(filter),
            sort,
            date("2026-06-01"),
        );
        assert_eq!(names(&out), expected, "{search:?} {filter} {sort:?}");
    }

    #[test]
    fn sorting_and_filtering() {
        let by = |key| Sort::DEFAULT.clicked(key);
        check("", "all", Sort::DEFAULT, &["leo", "Noah", "Ava", "Mia"]);
        check("", "all", by(SortKey::Name), &["Ava", "leo", "Mia", "Noah"]);
        check(
            "",
            "all",
            by(SortKey::Name).clicked(SortKey::Name),
            &["Noah", "Mia", "leo", "Ava"],
        );
        check(
            "",
            "all",
            by(SortKey::Flags),
            &["leo", "Ava", "Noah", "Mia"],
        );
        check(
            "",
            "all",
            by(SortKey::Observations),
            &["Mia", "Ava", "leo", "Noah"],
        );
        check("", "all", by(SortKey::Last), &["Mia", "Noah", "Ava", "leo"]);
        check("", "any", Sort::DEFAULT, &["leo", "Noah", "Ava"]);
        check("", "drift", Sort::DEFAULT, &["leo"]);
        check("", "overdue", Sort::DEFAULT, &["leo"]);
        check("", "strategy_discussion", Sort::DEFAULT, &["Noah"]);
        check("", "conflicts", Sort::DEFAULT, &["Ava"]);
        check("", "unassessed", Sort::DEFAULT, &[]);
        check(" A ", "all", by(SortKey::Name), &["Ava", "Mia", "Noah"]);
        check("LEO", "any", Sort::DEFAULT, &["leo"]);
    }
}
