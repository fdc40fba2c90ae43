//! A field two people set differently while offline: every value side by side with who set it
//! and when, until someone keeps one (which writes it again, superseding both) or enters a new one.

use leptos::prelude::*;
use shared::record::stamped::Stamp;

use crate::components::form::by_line;

/// One of the values in a conflict, as lines of (label, value).
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub lines: Vec<(&'static str, String)>,
    pub stamp: Stamp,
}

#[component]
pub fn ConflictView(
    /// What disagrees, e.g. "Dean Walsh's assessment".
    #[prop(into)]
    what: String,
    choices: Vec<Choice>,
    /// Keeps the choice at this index.
    on_keep: Callback<usize>,
    saving: RwSignal<bool>,
) -> impl IntoView {
    let n = choices.len();
    view! {
        <div class="conflict" data-testid="conflict-item" role="group" aria-label=format!("Conflicting edits: {what}")>
            <p class="conflict-head">
                <strong>{format!("Conflicting edits: {what}")}</strong>
                " "
                {format!("{n} people set this differently while offline. Every version is kept until someone chooses.")}
            </p>
            <div class="conflict-values">
                {choices.into_iter().enumerate().map(|(i, c)| view! {
                    <div class="conflict-value">
                        <p class="conflict-by">{format!("Version {}: set by {}", i + 1, by_line(&c.stamp))}</p>
                        <dl class="details">
                            {c.lines.into_iter().map(|(label, value)| view! {
                                <div><dt>{label}</dt><dd>{if value.trim().is_empty() { "—".to_owned() } else { value }}</dd></div>
                            }).collect_view()}
                        </dl>
                        <button type="button" class="button secondary" data-testid="conflict-keep"
                            disabled=move || saving.get()
                            on:click=move |_| on_keep.run(i)>
                            {format!("Keep version {}", i + 1)}
                        </button>
                    </div>
                }).collect_view()}
            </div>
        </div>
    }
}
