//! One observation as the child's record page shows it.

use leptos::prelude::*;
use shared::catalogue;
use shared::record::Observation;

use crate::platform;

#[component]
pub fn ObservationCard(obs: Observation) -> impl IntoView {
    let Observation {
        occurred,
        occurred_approx,
        recorded_at_ms,
        author_name,
        agency,
        location,
        present,
        indicators,
        source,
        narrative,
        child_words,
        action_taken,
        ..
    } = obs;
    let indicators: Vec<(String, &'static str)> = indicators
        .into_iter()
        .map(|i| {
            let label =
                catalogue::find(&i.code).map_or_else(|| i.code.clone(), |c| c.label.to_owned());
            (label, i.level.label())
        })
        .collect();
    let present = present.join(", ");
    view! {
        <article class="observation">
            <header class="observation-head">
                <h3 class="observation-date">
                    {platform::format_occurred(&occurred)}
                    {occurred_approx.then(|| view! { " " <span class="approx">"approx."</span> })}
                </h3>
                <p class="observation-meta">
                    <span class="author">{author_name}</span>", "
                    <span class="agency">{agency}</span>
                    <span class="visually-hidden">". Source: "</span>
                    <span class="source-label">{source.label()}</span>
                </p>
            </header>
            {(!indicators.is_empty()).then(|| view! {
                <ul class="indicator-tags" aria-label="Indicators">
                    {indicators.into_iter().map(|(label, level)| view! {
                        <li class=format!("tag level-{}", level.to_lowercase())>
                            <span class="level">{level}</span>": "{label}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {(!narrative.trim().is_empty()).then(|| view! { <p class="narrative">{narrative}</p> })}
            {(!child_words.trim().is_empty()).then(|| view! {
                <figure class="child-words">
                    <figcaption>"In the child's own words"</figcaption>
                    <blockquote><p>{child_words}</p></blockquote>
                </figure>
            })}
            <dl class="details">
                {(!present.is_empty()).then(|| view! { <div><dt>"Present"</dt><dd>{present}</dd></div> })}
                {(!location.trim().is_empty()).then(|| view! { <div><dt>"Where"</dt><dd>{location}</dd></div> })}
                {(!action_taken.trim().is_empty()).then(|| view! { <div><dt>"Action taken"</dt><dd>{action_taken}</dd></div> })}
                <div><dt>"Recorded"</dt><dd>{platform::format_local(recorded_at_ms as f64)}</dd></div>
            </dl>
        </article>
    }
}
