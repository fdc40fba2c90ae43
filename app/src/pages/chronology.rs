//! A child's chronology for managers: every author's entries, plan events, conferences and
//! supervision decisions in one list in date order, filterable, printable and exportable as CSV
//! for conferences and courts.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::analytics::{ChronologyItem, ItemKind};
use shared::catalogue::Category;
use shared::choice::Choice as _;
use shared::record::Observation;
use shared::ChildId;
use wasm_bindgen::JsCast;

use crate::api;
use crate::pages::team::with_token;
use crate::platform;
use crate::state::use_app;

fn kind_class(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::EpisodeStarted | ItemKind::EpisodeChanged | ItemKind::EpisodeEnded => "kind-plan",
        ItemKind::Conference => "kind-conference",
        ItemKind::Observation => "kind-observation",
        ItemKind::SupervisionDecision => "kind-supervision",
        ItemKind::PersonAdded | ItemKind::PersonAssessed => "kind-person",
        ItemKind::Scaling | ItemKind::NeglectAssessment | ItemKind::ActionStatus => {
            "kind-assessment"
        }
        ItemKind::Visit | ItemKind::Debrief => "kind-visit",
        ItemKind::DriftResponse | ItemKind::Challenge => "kind-escalation",
        ItemKind::Concern
        | ItemKind::ConcernDecision
        | ItemKind::StrategyDiscussion
        | ItemKind::InformationSharing => "kind-front-door",
    }
}

/// What the filters are set to; empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Filters {
    category: String,
    author: String,
    agency: String,
    /// `YYYY-MM-DD`, inclusive.
    from: String,
    to: String,
}

impl Filters {
    fn keeps(&self, item: &ChronologyItem) -> bool {
        let day = item.date.get(..10).unwrap_or(&item.date);
        (self.category.is_empty() || item.categories.iter().any(|c| c.code() == self.category))
            && (self.author.is_empty() || item.author == self.author)
            && (self.agency.is_empty() || item.agency == self.agency)
            && (self.from.is_empty() || day >= self.from.as_str())
            && (self.to.is_empty() || day <= self.to.as_str())
    }
}

fn distinct(items: &[ChronologyItem], field: fn(&ChronologyItem) -> &str) -> Vec<String> {
    items
        .iter()
        .map(field)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Offers `text` as a file download from memory, through a short-lived object URL.
fn download(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    let failed = |_| "The file could not be offered for download.".to_owned();
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("The file could not be offered for download.")?;
    let result = document
        .create_element("a")
        .map_err(failed)
        .and_then(|a| {
            a.dyn_into::<web_sys::HtmlAnchorElement>()
                .map_err(|_| "The file could not be offered for download.".to_owned())
        })
        .map(|a| {
            a.set_href(&url);
            a.set_download(filename);
            a.click();
        });
    // The click has started the download synchronously; the URL is no longer needed.
    let _ = web_sys::Url::revoke_object_url(&url);
    result
}

/// The filterable chronology, with print and CSV export. `observations` supplies the full
/// narrative and the child's words for observation entries.
#[component]
pub fn ChronologySection(
    child: ChildId,
    items: Vec<ChronologyItem>,
    observations: Vec<Observation>,
) -> impl IntoView {
    let app = use_app();
    let filters = RwSignal::new(Filters::default());
    let export_status = RwSignal::new(None::<Result<String, String>>);
    let exporting = RwSignal::new(false);

    let authors = distinct(&items, |i| i.author.as_str());
    let agencies = distinct(&items, |i| i.agency.as_str());
    let categories: Vec<Category> = Category::ALL
        .iter()
        .copied()
        .filter(|c| items.iter().any(|i| i.categories.contains(c)))
        .collect();
    let total = items.len();
    let observations: BTreeMap<String, Observation> = observations
        .into_iter()
        .map(|o| (o.id.to_string(), o))
        .collect();
    let items = StoredValue::new(items);
    let observations = StoredValue::new(observations);

    let shown = Memo::new(move |_| {
        let f = filters.get();
        items.with_value(|items| {
            items
                .iter()
                .filter(|i| f.keeps(i))
                .cloned()
                .collect::<Vec<_>>()
        })
    });

    let set = move |apply: fn(&mut Filters, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            filters.update(|f| apply(f, value));
        }
    };

    let export_child = child.clone();
    let export = move |anonymised: bool| {
        if exporting.get_untracked() {
            return;
        }
        exporting.set(true);
        export_status.set(None);
        let child = export_child.clone();
        spawn_local(async move {
            let filename = if anonymised {
                format!("chronology-anonymised-{child}.csv")
            } else {
                format!("chronology-{child}.csv")
            };
            let csv = with_token(app, |token| async move {
                api::chronology_csv(&token, &child, anonymised).await
            })
            .await;
            let outcome = csv
                .and_then(|text| download(&filename, "text/csv;charset=utf-8", &text))
                .map(|()| format!("The chronology was downloaded as {filename}."));
            export_status.set(Some(outcome));
            exporting.set(false);
        });
    };
    let export_anonymised = export.clone();
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };

    view! {
        <section class="chronology-section" aria-labelledby="chronology-heading">
            <div class="record-head">
                <h2 id="chronology-heading">"Chronology"</h2>
                <div class="head-actions no-print">
                    <button type="button" class="button secondary" data-testid="export-csv"
                        on:click=move |_| export(false) disabled=move || exporting.get()>
                        {move || if exporting.get() { "Exporting…" } else { "Export CSV" }}
                    </button>
                    <button type="button" class="button secondary" data-testid="export-anonymised"
                        on:click=move |_| export_anonymised(true) disabled=move || exporting.get()>
                        "Anonymised CSV for a case review"
                    </button>
                    <button type="button" class="button secondary" data-testid="print" on:click=print>"Print"</button>
                    <a class="button secondary" data-testid="print-view" href=format!("/team/child/{child}/print")>"Print view (whole chronology)"</a>
                </div>
            </div>
            <div class="status-region no-print" role="status" aria-live="polite">
                {move || export_status.get().and_then(Result::ok).map(|m| view! {
                    <p class="success" data-testid="export-status">{m}</p>
                })}
            </div>
            <div class="error-region no-print" role="alert">
                {move || export_status.get().and_then(Result::err).map(|m| view! {
                    <p class="error" data-testid="export-error">{m}</p>
                })}
            </div>
            <fieldset class="chronology-filters no-print">
                <legend>"Filter the chronology"</legend>
                <div class="filter-grid">
                    <div class="field">
                        <label for="filter-category">"Category"</label>
                        <select id="filter-category" data-testid="filter-category"
                            prop:value=move || filters.with(|f| f.category.clone())
                            on:change=set(|f, v| f.category = v)>
                            <option value="">"All categories"</option>
                            {categories.into_iter().map(|c| view! {
                                <option value=c.code()>{c.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="filter-author">"Author"</label>
                        <select id="filter-author" data-testid="filter-author"
                            prop:value=move || filters.with(|f| f.author.clone())
                            on:change=set(|f, v| f.author = v)>
                            <option value="">"Everyone"</option>
                            {authors.into_iter().map(|a| view! { <option value=a.clone()>{a.clone()}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="filter-agency">"Agency"</label>
                        <select id="filter-agency" data-testid="filter-agency"
                            prop:value=move || filters.with(|f| f.agency.clone())
                            on:change=set(|f, v| f.agency = v)>
                            <option value="">"All agencies"</option>
                            {agencies.into_iter().map(|a| view! { <option value=a.clone()>{a.clone()}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="filter-from">"From"</label>
                        <input id="filter-from" type="date" data-testid="filter-from"
                            prop:value=move || filters.with(|f| f.from.clone())
                            on:input=set(|f, v| f.from = v) on:change=set(|f, v| f.from = v)/>
                    </div>
                    <div class="field">
                        <label for="filter-to">"To"</label>
                        <input id="filter-to" type="date" data-testid="filter-to"
                            prop:value=move || filters.with(|f| f.to.clone())
                            on:input=set(|f, v| f.to = v) on:change=set(|f, v| f.to = v)/>
                    </div>
                </div>
                <button type="button" class="button secondary" data-testid="filter-clear"
                    on:click=move |_| filters.set(Filters::default())>"Clear filters"</button>
            </fieldset>
            <p class="result-count" role="status" data-testid="chronology-count">
                {move || {
                    let n = shown.with(Vec::len);
                    if n == total {
                        format!("{total} entr{}, oldest first.", if total == 1 { "y" } else { "ies" })
                    } else {
                        format!("Showing {n} of {total} entries, oldest first (filtered).")
                    }
                }}
            </p>
            <ol class="chronology" data-testid="chronology">
                {move || shown.get().into_iter().map(|item| {
                    let obs = observations.with_value(|o| {
                        (item.kind == ItemKind::Observation).then(|| o.get(&item.ref_id).cloned()).flatten()
                    });
                    entry(item, obs)
                }).collect_view()}
            </ol>
        </section>
    }
}

fn entry(e: ChronologyItem, obs: Option<Observation>) -> impl IntoView {
    let observation = e.kind == ItemKind::Observation;
    // Decisions and outcomes repeat in the headline only when they are short; show the rest.
    let notes: Vec<String> = if observation {
        Vec::new()
    } else {
        e.significance
            .iter()
            .filter(|s| !s.trim().is_empty() && !e.headline.contains(s.as_str()))
            .cloned()
            .collect()
    };
    let tags = if observation {
        e.significance.clone()
    } else {
        Vec::new()
    };
    let (narrative, words) = obs
        .map(|o| (o.narrative, o.child_words))
        .unwrap_or_default();
    let headline = e.headline.clone();
    let source = [e.author.as_str(), e.agency.as_str()]
        .iter()
        .filter(|s| !s.trim().is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <li class=format!("chronology-entry {}", kind_class(e.kind)) class:withdrawn=e.withdrawn data-testid="chronology-entry" data-ref=e.ref_id.clone()>
            <article>
                <h3 class="entry-date">
                    {platform::format_occurred(&e.date)}
                    {e.approximate.then(|| view! { " " <span class="approx">"approx."</span> })}
                    " "<span class="kind-label">{e.kind.label()}</span>
                </h3>
                <p class="observation-meta">
                    <span class="visually-hidden">"Source: "</span>
                    {if source.is_empty() { "Source not recorded".to_owned() } else { source }}
                </p>
                {e.withdrawn.then(|| view! {
                    <p class="warning chron-withdrawn">{format!("Withdrawn: {}. Kept here so the record stays complete.", if e.withdrawn_reason.trim().is_empty() { "recorded in error" } else { e.withdrawn_reason.trim() })}</p>
                })}
                {(!e.amendments.is_empty()).then(|| view! {
                    <div class="amendments">
                        <p class="hint">{format!("Amended {} time{}; the original stays on the record.", e.amendments.len(), if e.amendments.len() == 1 { "" } else { "s" })}</p>
                        <ul>
                            {e.amendments.iter().map(|a| view! {
                                <li>{format!("{} corrected to \u{201c}{}\u{201d} by {} ({})", a.field, a.corrected, a.by, a.reason)}</li>
                            }).collect_view()}
                        </ul>
                    </div>
                })}
                {(!headline.is_empty()).then(|| view! { <p class="headline">{headline.clone()}</p> })}
                {(!tags.is_empty()).then(|| view! {
                    <ul class="indicator-tags" aria-label="Indicators">
                        {tags.into_iter().map(|i| view! { <li class="tag">{i}</li> }).collect_view()}
                    </ul>
                })}
                {(!notes.is_empty()).then(|| view! {
                    <ul class="significance">
                        {notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                    </ul>
                })}
                {(!narrative.trim().is_empty() && narrative.trim() != headline).then(|| view! {
                    <p class="narrative">{narrative}</p>
                })}
                {(!words.trim().is_empty()).then(|| view! {
                    <figure class="child-words">
                        <figcaption>"In the child's own words"</figcaption>
                        <blockquote><p>{words}</p></blockquote>
                    </figure>
                })}
            </article>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(date: &str, author: &str, agency: &str, categories: &[Category]) -> ChronologyItem {
        ChronologyItem {
            author: author.into(),
            agency: agency.into(),
            categories: categories.to_vec(),
            ..ChronologyItem::new(
                ItemKind::Observation,
                date.into(),
                "o".into(),
                String::new(),
            )
        }
    }

    fn check(f: Filters, expected: bool) {
        let i = item(
            "2026-03-04T10:30",
            "Sam",
            "Children's services",
            &[Category::Neglect, Category::Physical],
        );
        assert_eq!(f.keeps(&i), expected, "{f:?}");
    }

    #[test]
    fn filters() {
        check(Filters::default(), true);
        let f = |category: &str, author: &str, agency: &str, from: &str, to: &str| Filters {
            category: category.into(),
            author: author.into(),
            agency: agency.into(),
            from: from.into(),
            to: to.into(),
        };
        check(f("neglect", "", "", "", ""), true);
        check(f("sexual", "", "", "", ""), false);
        check(f("", "Sam", "Children's services", "", ""), true);
        check(f("", "Hana", "", "", ""), false);
        check(f("", "", "Health", "", ""), false);
        // Date bounds are inclusive and compare the day, not the time.
        check(f("", "", "", "2026-03-04", "2026-03-04"), true);
        check(f("", "", "", "2026-03-05", ""), false);
        check(f("", "", "", "", "2026-03-03"), false);
    }
}
