//! One observation as the child's record page shows it.

use leptos::prelude::*;
use shared::catalogue;
use shared::choice::Choice;
use shared::record::{Observation, Suitability};

use crate::components::body_map::ObservationMarks;
use crate::platform;

/// The carer's explanation beside an indicator, with whether it was judged suitable.
fn explanation_text(explanation: &str, suitable: Suitability) -> Option<String> {
    let explanation = explanation.trim();
    match (explanation.is_empty(), suitable) {
        (true, Suitability::NotGiven) => None,
        (true, s) => Some(s.label().to_owned()),
        (false, Suitability::NotGiven) => Some(format!(
            "Carer's explanation: “{explanation}” (suitability not recorded)"
        )),
        (false, s) => Some(format!(
            "Carer's explanation: “{explanation}”. {}",
            s.label()
        )),
    }
}

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
        body_marks,
        ..
    } = obs;
    let indicators: Vec<(String, &'static str, Option<String>, Suitability)> = indicators
        .into_iter()
        .map(|i| {
            let label =
                catalogue::find(&i.code).map_or_else(|| i.code.clone(), |c| c.label.to_owned());
            let explanation = explanation_text(&i.explanation, i.explanation_suitable);
            (label, i.level.label(), explanation, i.explanation_suitable)
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
                    {indicators.into_iter().map(|(label, level, explanation, suitable)| view! {
                        <li class="indicator-entry">
                            <span class=format!("tag level-{}", level.to_lowercase())>
                                <span class="level">{level}</span>": "{label}
                            </span>
                            {explanation.map(|e| view! {
                                <span class=format!("explanation {}", suitable.code().replace('_', "-"))>{e}</span>
                            })}
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
            {(!body_marks.is_empty()).then(|| view! { <ObservationMarks marks=body_marks/> })}
            <dl class="details">
                {(!present.is_empty()).then(|| view! { <div><dt>"Present"</dt><dd>{present}</dd></div> })}
                {(!location.trim().is_empty()).then(|| view! { <div><dt>"Where"</dt><dd>{location}</dd></div> })}
                {(!action_taken.trim().is_empty()).then(|| view! { <div><dt>"Action taken"</dt><dd>{action_taken}</dd></div> })}
                <div><dt>"Recorded"</dt><dd>{platform::format_local(recorded_at_ms as f64)}</dd></div>
            </dl>
        </article>
    }
}
