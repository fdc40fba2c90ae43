//! Picking indicators from the catalogue: search as you type, the ones this device used
//! recently first, then grouped by category; each ticked one gets a level and the carer's
//! explanation, if one was given, with whether it is suitable.

use std::collections::BTreeMap;

use leptos::prelude::*;
use shared::catalogue::{self, Category, Indicator};
use shared::choice::Choice as _;
use shared::record::{Level, Suitability};

/// What the practitioner recorded about one ticked indicator.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ticked {
    pub level: Level,
    /// The carer's explanation, in their words; empty if none was given.
    pub explanation: String,
    pub suitable: Suitability,
}

/// Ticked indicators by code.
pub type Selection = BTreeMap<&'static str, Ticked>;

/// A selection as a draft keeps it: (code, what was recorded) pairs.
pub fn selection_to_draft(selected: &Selection) -> serde_json::Value {
    serde_json::to_value(selected.iter().collect::<Vec<_>>()).unwrap_or_default()
}

/// A kept selection back, dropping codes the catalogue no longer knows.
pub fn selection_from_draft(value: serde_json::Value) -> Option<Selection> {
    let pairs: Vec<(String, Ticked)> = serde_json::from_value(value).ok()?;
    Some(
        pairs
            .into_iter()
            .filter_map(|(code, t)| catalogue::find(&code).map(|i| (i.code, t)))
            .collect(),
    )
}

/// How many recently used indicators the picker lists first.
pub const RECENT_MAX: usize = 8;

/// The recent list after an observation used `used`: those first, then the earlier ones, no
/// repeats, codes the catalogue no longer knows dropped.
pub fn remember(recent: &[String], used: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in used
        .iter()
        .copied()
        .chain(recent.iter().map(String::as_str))
    {
        if catalogue::find(code).is_some() && !out.iter().any(|c| c == code) {
            out.push(code.to_owned());
        }
    }
    out.truncate(RECENT_MAX);
    out
}

/// The catalogue entries for stored recent codes, in order.
pub fn recent_indicators(codes: &[String]) -> Vec<&'static Indicator> {
    codes
        .iter()
        .filter_map(|c| catalogue::find(c))
        .take(RECENT_MAX)
        .collect()
}

/// Whether an indicator matches every word typed in the search box.
fn matches(indicator: &Indicator, query: &str) -> bool {
    let haystack = format!(
        "{} {} {} {}",
        indicator.label,
        indicator.description,
        indicator.code,
        indicator.category.label()
    )
    .to_lowercase();
    query
        .to_lowercase()
        .split_whitespace()
        .all(|word| haystack.contains(word))
}

fn explanation_id(code: &str) -> String {
    format!("ind-expl-{code}")
}

fn suitable_id(code: &str) -> String {
    format!("ind-suit-{code}")
}

/// Short option labels; the stored value's own label reads well in a record, not in a menu.
fn suitability_option(s: Suitability) -> &'static str {
    match s {
        Suitability::NotGiven => "Not given",
        Suitability::Suitable => "Suitable",
        Suitability::NotSuitable => "Not suitable",
    }
}

#[component]
pub fn IndicatorPicker(
    selected: RwSignal<Selection>,
    /// Indicators this device used recently, listed first.
    recent: Vec<&'static Indicator>,
    /// The practitioner's own words, which suggest indicators to consider.
    #[prop(into)]
    suggest_from: Signal<String>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    // The catalogue folds away (one Tab stop) until it is opened or searched.
    let browsing = RwSignal::new(false);
    let searching = move || !query.with(|q| q.trim().is_empty());
    let is_ticked = move |code: &str| selected.with(|s| s.contains_key(code));
    // Each indicator is on the page once: ticked ones in the ticked list (whatever the search
    // says), the others where the search and the catalogue's fold allow.
    let offered =
        move |ind: &'static Indicator| !is_ticked(ind.code) && query.with(|q| matches(ind, q));
    let shown_count = move || {
        catalogue::INDICATORS
            .iter()
            .filter(|i| is_ticked(i.code) || offered(i))
            .count()
    };

    let ticked_view = move || {
        let codes: Vec<&'static str> = catalogue::INDICATORS
            .iter()
            .map(|i| i.code)
            .filter(|c| is_ticked(c))
            .collect();
        (!codes.is_empty()).then(|| {
            view! {
                <section class="indicator-group ticked-group" aria-labelledby="indicator-group-ticked">
                    <h2 id="indicator-group-ticked" class="group-heading">"Ticked"</h2>
                    <ul class="indicator-list">
                        <For each=move || codes.clone() key=|c| *c let(code)>
                            {catalogue::find(code).map(|ind| indicator_row(ind, selected))}
                        </For>
                    </ul>
                </section>
            }
        })
    };

    let rows = move |items: Vec<&'static Indicator>| {
        items
            .into_iter()
            .map(|ind| {
                view! { <Show when=move || offered(ind)>{move || indicator_row(ind, selected)}</Show> }
            })
            .collect_view()
    };
    let recent_view = (!recent.is_empty()).then(|| {
        let any = {
            let recent = recent.clone();
            move || recent.iter().any(|i| offered(i))
        };
        view! {
            <section class="indicator-group" aria-labelledby="indicator-group-recent" hidden=move || !any()>
                <h2 id="indicator-group-recent" class="group-heading">"Recently used on this tablet"</h2>
                <ul class="indicator-list">{rows(recent.clone())}</ul>
            </section>
        }
    });
    let groups = Category::ALL
        .iter()
        .copied()
        .map(|category| {
            let heading_id = format!(
                "indicator-group-{}",
                category.label().to_lowercase().replace(' ', "-")
            );
            let items: Vec<&'static Indicator> = catalogue::in_category(category)
                .filter(|i| !recent.iter().any(|r| r.code == i.code))
                .collect();
            let any = {
                let items = items.clone();
                move || items.iter().any(|i| offered(i))
            };
            let labelled_by = heading_id.clone();
            view! {
                <section class="indicator-group" aria-labelledby=labelled_by hidden=move || !any()>
                    <h2 id=heading_id class="group-heading">{category.label()}</h2>
                    <ul class="indicator-list">{rows(items)}</ul>
                </section>
            }
        })
        .collect_view();

    let suggestions = Memo::new(move |_| {
        suggest_from.with(|text| {
            catalogue::suggest(text, 3)
                .iter()
                .map(|i| i.code)
                .collect::<Vec<_>>()
        })
    });
    let suggested_view = move || {
        let codes: Vec<&'static str> = suggestions
            .get()
            .into_iter()
            .filter(|c| !is_ticked(c))
            .collect();
        (!codes.is_empty()).then(|| {
            view! {
                <div class="indicator-suggestions" data-testid="indicator-suggestions">
                    <p class="hint">"Suggested from what you wrote (tick only what applies):"</p>
                    <ul class="suggestion-list">
                        {codes.into_iter().filter_map(catalogue::find).map(|ind| {
                            let code = ind.code;
                            view! {
                                <li>
                                    <button type="button" class="button secondary suggestion" data-testid=format!("suggest-{code}")
                                        on:click=move |_| selected.update(|s| { s.entry(code).or_default(); })>
                                        {format!("Tick “{}”", ind.label)}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            }
        })
    };

    view! {
        <fieldset class="indicators">
            <legend>"Indicators"</legend>
            <p class="hint" id="indicator-hint">
                "Tick what you saw or heard and choose a level. Nothing here depends on a disclosure."
            </p>
            {suggested_view}
            {ticked_view}
            <div class="field">
                <label for="indicator-search">"Search indicators"</label>
                <input
                    id="indicator-search"
                    type="search"
                    data-testid="indicator-search"
                    autocomplete="off"
                    aria-describedby="indicator-hint indicator-count"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
            </div>
            <p id="indicator-count" class="hint" role="status" aria-live="polite">
                {move || {
                    let ticked = selected.with(|s| s.len());
                    if searching() || browsing.get() {
                        format!("{} shown, {ticked} ticked", shown_count())
                    } else {
                        format!("{ticked} ticked")
                    }
                }}
            </p>
            {recent_view}
            <details class="catalogue" open=move || searching() || browsing.get()>
                <summary data-testid="indicator-browse" on:click=move |ev| {
                    ev.prevent_default();
                    browsing.update(|b| *b = !*b);
                }>
                    {format!("Browse every indicator by category ({})", catalogue::INDICATORS.len())}
                </summary>
                {groups}
            </details>
        </fieldset>
    }
}

fn indicator_row(ind: &'static Indicator, selected: RwSignal<Selection>) -> impl IntoView {
    let code = ind.code;
    let box_id = format!("ind-{code}");
    let level_id = format!("ind-level-{code}");
    let desc_id = format!("ind-desc-{code}");
    let ticked = move || selected.with(|s| s.contains_key(code));
    let details = move || {
        let expl_id = explanation_id(code);
        let suit_id = suitable_id(code);
        let explain = move |text: String| {
            selected.update(|s| {
                if let Some(t) = s.get_mut(code) {
                    t.explanation = text;
                }
            });
        };
        // Read once: the controls own their text while it is typed.
        let (explanation, suitable) = selected.with_untracked(|s| {
            s.get(code)
                .map(|t| (t.explanation.clone(), t.suitable))
                .unwrap_or_default()
        });
        view! {
            <div class="indicator-details">
                <div class="indicator-level">
                    <label for=level_id.clone()>{format!("Level for “{}”", ind.label)}</label>
                    <select
                        id=level_id.clone()
                        data-testid=format!("indicator-level-{code}")
                        prop:value=move || selected.with(|s| s.get(code).map(|t| t.level).map(Level::code).unwrap_or("consider"))
                        on:change=move |ev| {
                            let level = if event_target_value(&ev) == "suspect" { Level::Suspect } else { Level::Consider };
                            selected.update(|s| {
                                if let Some(t) = s.get_mut(code) {
                                    t.level = level;
                                }
                            });
                        }
                    >
                        <option value="consider">"Consider"</option>
                        <option value="suspect">"Suspect"</option>
                    </select>
                </div>
                <div class="field indicator-explanation">
                    <label for=expl_id.clone()>
                        "Carer's explanation"
                        <span class="visually-hidden">{format!(" for “{}”", ind.label)}</span>
                    </label>
                    <textarea
                        id=expl_id.clone()
                        rows="2"
                        data-testid=format!("indicator-explanation-{code}")
                        prop:value=explanation
                        on:input=move |ev| explain(event_target_value(&ev))
                        on:change=move |ev| explain(event_target_value(&ev))
                    ></textarea>
                </div>
                <div class="field indicator-suitable">
                    <label for=suit_id.clone()>
                        "Is the explanation suitable?"
                        <span class="visually-hidden">{format!(" (“{}”)", ind.label)}</span>
                    </label>
                    <select
                        id=suit_id.clone()
                        data-testid=format!("indicator-suitable-{code}")
                        prop:value=suitable.code()
                        on:change=move |ev| {
                            let value = Suitability::from_code(&event_target_value(&ev)).unwrap_or_default();
                            selected.update(|s| {
                                if let Some(t) = s.get_mut(code) {
                                    t.suitable = value;
                                }
                            });
                        }
                    >
                        {Suitability::ALL.iter().copied().map(|s| view! {
                            <option value=s.code() selected=s == suitable>{suitability_option(s)}</option>
                        }).collect_view()}
                    </select>
                </div>
            </div>
        }
    };
    view! {
        <li class="indicator">
            <div class="indicator-check">
                <input
                    type="checkbox"
                    id=box_id.clone()
                    data-testid=format!("indicator-{code}")
                    aria-describedby=desc_id.clone()
                    prop:checked=ticked
                    on:change=move |ev| {
                        let checked = event_target_checked(&ev);
                        selected.update(|s| {
                            if checked {
                                s.entry(code).or_default();
                            } else {
                                s.remove(code);
                            }
                        });
                        // The row moves (to the ticked list, or back): keep the keyboard on it.
                        focus_later(if checked { format!("ind-{code}") } else { "indicator-search".to_owned() });
                    }
                />
                <label for=box_id>
                    <span class="indicator-label">{ind.label}</span>
                    <span class="indicator-desc" id=desc_id>{ind.description}</span>
                </label>
            </div>
            <Show when=ticked>{details.clone()}</Show>
        </li>
    }
}

/// Focuses an element by id once the page has drawn the latest change.
fn focus_later(id: String) {
    use wasm_bindgen::JsCast;
    request_animation_frame(move || {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, code: &str, expected: bool) {
        let ind = catalogue::find(code).expect("catalogue code");
        assert_eq!(matches(ind, query), expected, "{query:?} vs {code}");
    }

    #[test]
    fn search() {
        check("", "NEG-HYGIENE", true);
        check("hygiene", "NEG-HYGIENE", true);
        check("HYGIENE poor", "NEG-HYGIENE", true);
        check("bruise", "NEG-HYGIENE", false);
    }

    #[test]
    fn recent_list() {
        let earlier = vec!["NEG-HYGIENE".to_owned(), "SEX-KNOWLEDGE".to_owned()];
        assert_eq!(
            remember(&earlier, &["SEX-KNOWLEDGE", "NOT-A-CODE"]),
            ["SEX-KNOWLEDGE", "NEG-HYGIENE"]
        );
        let many: Vec<&str> = catalogue::INDICATORS.iter().map(|i| i.code).collect();
        assert_eq!(remember(&[], &many).len(), RECENT_MAX);
        assert_eq!(recent_indicators(&["NOPE".to_owned()]).len(), 0);
    }
}
