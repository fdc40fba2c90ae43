//! Picking indicators from the catalogue: search as you type, grouped by category, each with a
//! level once ticked.

use std::collections::BTreeMap;

use leptos::prelude::*;
use shared::catalogue::{self, Category, Indicator};
use shared::record::Level;

/// Ticked indicators by code, with their level.
pub type Selection = BTreeMap<&'static str, Level>;

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

fn level_code(level: Level) -> &'static str {
    match level {
        Level::Consider => "consider",
        Level::Suspect => "suspect",
    }
}

#[component]
pub fn IndicatorPicker(selected: RwSignal<Selection>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    // Ticked indicators stay visible whatever the search says, so nothing ticked is hidden.
    let visible = move |ind: &'static Indicator| {
        selected.with(|s| s.contains_key(ind.code)) || query.with(|q| matches(ind, q))
    };
    let visible_count = move || catalogue::INDICATORS.iter().filter(|i| visible(i)).count();

    let groups = Category::ALL
        .into_iter()
        .map(|category| {
            let heading_id = format!("indicator-group-{}", category.label().to_lowercase().replace(' ', "-"));
            let labelled_by = heading_id.clone();
            let items: Vec<&'static Indicator> = catalogue::in_category(category).collect();
            let any_visible = {
                let items = items.clone();
                move || items.iter().any(|i| visible(i))
            };
            view! {
                <section class="indicator-group" aria-labelledby=labelled_by hidden=move || !any_visible()>
                    <h2 id=heading_id class="group-heading">{category.label()}</h2>
                    <ul class="indicator-list">
                        {items.into_iter().map(|ind| indicator_row(ind, selected, move || visible(ind))).collect_view()}
                    </ul>
                </section>
            }
        })
        .collect_view();

    view! {
        <fieldset class="indicators">
            <legend>"Indicators"</legend>
            <p class="hint" id="indicator-hint">
                "Tick what you saw or heard and choose a level. Nothing here depends on a disclosure."
            </p>
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
                    format!("{} shown, {ticked} ticked", visible_count())
                }}
            </p>
            {groups}
        </fieldset>
    }
}

fn indicator_row(
    ind: &'static Indicator,
    selected: RwSignal<Selection>,
    visible: impl Fn() -> bool + Send + Sync + 'static,
) -> impl IntoView {
    let code = ind.code;
    let box_id = format!("ind-{code}");
    let level_id = format!("ind-level-{code}");
    let desc_id = format!("ind-desc-{code}");
    let ticked = move || selected.with(|s| s.contains_key(code));
    view! {
        <li class="indicator" hidden=move || !visible()>
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
                                s.entry(code).or_insert(Level::Consider);
                            } else {
                                s.remove(code);
                            }
                        });
                    }
                />
                <label for=box_id>
                    <span class="indicator-label">{ind.label}</span>
                    <span class="indicator-desc" id=desc_id>{ind.description}</span>
                </label>
            </div>
            <Show when=ticked>
                <div class="indicator-level">
                    <label for=level_id.clone()>{format!("Level for “{}”", ind.label)}</label>
                    <select
                        id=level_id.clone()
                        data-testid=format!("indicator-level-{code}")
                        prop:value=move || selected.with(|s| s.get(code).copied().map(level_code).unwrap_or("consider"))
                        on:change=move |ev| {
                            let level = if event_target_value(&ev) == "suspect" { Level::Suspect } else { Level::Consider };
                            selected.update(|s| {
                                s.insert(code, level);
                            });
                        }
                    >
                        <option value="consider">"Consider"</option>
                        <option value="suspect">"Suspect"</option>
                    </select>
                </div>
            </Show>
        </li>
    }
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
}
