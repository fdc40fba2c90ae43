//! The top of a child's record: what must not be missed, computed on the tablet from the local
//! document with `analytics::overview`, so it is there offline too.

use leptos::prelude::*;
use shared::analytics::{Flag, Overview, Prompt};
use shared::choice::Choice as _;

use crate::platform;

fn date(d: shared::calendar::Date) -> String {
    d.dmy()
}

fn days(n: i32) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

fn prompt_flag(p: Prompt, detail: String) -> impl IntoView {
    let code = p.category.code();
    let heading_id = format!("flag-prompt-{code}-heading");
    let labelled = heading_id.clone();
    view! {
        <li data-testid="flag-item" class="flag flag-prompt">
            <section data-testid=format!("flag-prompt-{code}") aria-labelledby=labelled>
                <h3 id=heading_id>{platform::sentence(&p.message())}</h3>
                <p class="flag-detail" data-testid="flag-detail">{detail}</p>
                <p>
                    {format!(
                        "Indicators of {} concern crossed the threshold on {}. This is advice: decide with your manager whether a strategy discussion is needed. No disclosure is required.",
                        p.category.label().to_lowercase(),
                        date(p.first_crossed)
                    )}
                </p>
                <div class="table-scroll">
                    <table class="evidence">
                        <caption>"Evidence"</caption>
                        <thead><tr>
                            <th scope="col">"Date"</th>
                            <th scope="col">"Indicator"</th>
                            <th scope="col">"Author"</th>
                            <th scope="col">"Agency"</th>
                            <th scope="col">"Source"</th>
                        </tr></thead>
                        <tbody>
                            {p.evidence.into_iter().map(|e| view! {
                                <tr data-testid="evidence-item">
                                    <td>{date(e.date)}</td>
                                    <td>{format!("{} ({})", e.label, e.level.to_lowercase())}</td>
                                    <td>{e.author}</td>
                                    <td>{e.agency}</td>
                                    <td>{e.source}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
        </li>
    }
}

/// The flags `Overview::flags` lists, each with what the record says about it, so the tablet
/// shows exactly the flags the manager's dashboard does.
fn flags(o: Overview) -> impl IntoView {
    let items: Vec<AnyView> = o
        .flags()
        .into_iter()
        .filter_map(|flag| flag_item(&o, flag))
        .collect();
    let none = items.is_empty();
    view! {
        <ul class="flags" data-testid="flags" aria-label="Flags">{items}</ul>
        {none.then(|| view! { <p class="hint">"No flags on this record."</p> })}
    }
}

fn flag_item(o: &Overview, flag: Flag) -> Option<AnyView> {
    let detail = flag.detail(o.today);
    Some(match flag {
        Flag::StrategyDiscussion { category, .. } => {
            let prompt = o
                .prompts
                .iter()
                .find(|p| p.category == category && p.strategy_discussion_on.is_none())?;
            prompt_flag(prompt.clone(), detail).into_any()
        }
        Flag::Unassessed { adults: n, .. } => view! {
            <li data-testid="flag-item" class="flag">
                <section data-testid="flag-unassessed" aria-label="Adults not assessed">
                    <h3>{if n == 1 { "1 adult not assessed".to_owned() } else { format!("{n} adults not assessed") }}</h3>
                    <p class="flag-detail" data-testid="flag-detail">{detail.clone()}</p>
                    <p>"Every adult around the child needs an assessment as a risk, protective, or both."</p>
                    <ul>
                        {o.unassessed_adults.iter().map(|a| {
                            let mut text = a.name.clone();
                            if !a.relationship.is_empty() {
                                text.push_str(&format!(" ({})", a.relationship));
                            }
                            if a.disputed {
                                text.push_str(": assessments disagree");
                            }
                            view! { <li>{text}</li> }
                        }).collect_view()}
                    </ul>
                    <p><a href="#people">"Go to people around the child"</a></p>
                </section>
            </li>
        }
        .into_any(),
        Flag::Overdue { count, .. } => view! {
            <li data-testid="flag-item" class="flag">
                <section data-testid="flag-overdue" aria-label="Overdue">
                    <h3>{format!("{count} overdue")}</h3>
                    <p class="flag-detail" data-testid="flag-detail">{detail.clone()}</p>
                    <ul>
                        {o.timescales.iter().filter(|t| t.overdue).map(|t| view! {
                            <li>{format!("{}: due {}", t.what, date(t.due))}</li>
                        }).collect_view()}
                    </ul>
                    <p><a href="#plan">"Go to the plan"</a></p>
                </section>
            </li>
        }
        .into_any(),
        Flag::HarmToOthers { entries, agencies, .. } => view! {
            <li data-testid="flag-item" class="flag">
                <section data-testid="flag-harm-to-others" aria-label="Harm to others">
                    <h3>"Harmful behaviour towards other children"</h3>
                    <p class="flag-detail" data-testid="flag-detail">{detail.clone()}</p>
                    <p>{format!("Recorded in {entries} entries by {agencies} agencies. Think about the other children's safety as well as this child's: harmful sexual behaviour can be a sign that the child has been abused.")}</p>
                </section>
            </li>
        }
        .into_any(),
        Flag::Drift { .. } => {
            let reasons = o.drift.as_ref().map(|d| d.reasons.clone()).unwrap_or_default();
            view! {
                <li data-testid="flag-item" class="flag">
                    <section data-testid="flag-drift" aria-label="Drift">
                        <h3>{flag.label()}</h3>
                        <p class="flag-detail" data-testid="flag-detail">{detail.clone()}</p>
                        <p>"Risks are not reducing while the plan is active. The team manager responds: escalate to a senior manager, a legal planning meeting, the complex case panel, or continue with a reason, with a date to review."</p>
                        <p><a href="#escalation">"Go to drift and challenges"</a></p>
                        <ul>{reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                    </section>
                </li>
            }
            .into_any()
        }
        Flag::NotSeen { .. }
        | Flag::NotSeenAlone { .. }
        | Flag::BedroomNotSeen { .. }
        | Flag::SeenOnlyAtSchool { .. }
        | Flag::Debrief { .. }
        | Flag::Avoidance { .. } => lesson_flag(&flag, detail, "#visits", "Go to visits"),
        Flag::Challenge { .. } => {
            lesson_flag(&flag, detail, "#escalation", "Go to drift and challenges")
        }
        Flag::UnansweredConcern { .. } => {
            lesson_flag(&flag, detail, "#concerns", "Go to concerns")
        }
        Flag::Conflicts { count } => view! {
            <li data-testid="flag-item" class="flag">
                <section data-testid="flag-conflict" aria-label="Conflicting edits">
                    <h3>{if count == 1 { "1 conflicting edit".to_owned() } else { format!("{count} conflicting edits") }}</h3>
                    <p class="flag-detail" data-testid="flag-detail">{detail.clone()}</p>
                    <p>"People changed the same thing while offline. Every version is shown below with who set it and when; choose one to resolve it."</p>
                </section>
            </li>
        }
        .into_any(),
    })
}

/// A flag from the case review's lessons: what it is, its detail, where to act on it.
fn lesson_flag(flag: &Flag, detail: String, href: &'static str, go: &'static str) -> AnyView {
    let testid = format!("flag-{}", flag.kind().code().replace('_', "-"));
    view! {
        <li data-testid="flag-item" class="flag">
            <section data-testid=testid aria-label=flag.label()>
                <h3>{flag.label()}</h3>
                <p class="flag-detail" data-testid="flag-detail">{detail}</p>
                <p><a href=href>{go}</a></p>
            </section>
        </li>
    }
    .into_any()
}

fn held_prompts(o: &Overview) -> impl IntoView {
    let held: Vec<String> = o
        .prompts
        .iter()
        .filter_map(|p| {
            p.strategy_discussion_on.map(|d| {
                format!(
                    "{} indicators reached the threshold for a strategy discussion; one was held on {}.",
                    p.category.label(),
                    date(d)
                )
            })
        })
        .collect();
    (!held.is_empty()).then(|| {
        view! { <ul class="held">{held.into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}</ul> }
    })
}

fn indicator_table(o: &Overview) -> impl IntoView {
    let rows: Vec<_> = o
        .indicators
        .iter()
        .filter(|c| c.total > 0)
        .cloned()
        .collect();
    if rows.is_empty() {
        return view! { <p class="hint">"No indicators recorded yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="indicator-overview">
                <caption>"Indicators from every author and agency"</caption>
                <thead><tr>
                    <th scope="col">"Category"</th>
                    <th scope="col">"Indicators"</th>
                    <th scope="col">"Suspect"</th>
                    <th scope="col">"Authors"</th>
                    <th scope="col">"Agencies"</th>
                    <th scope="col">"First"</th>
                    <th scope="col">"Latest"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|c| view! {
                        <tr>
                            <th scope="row">{c.category.label()}</th>
                            <td>{c.total}</td>
                            <td>{c.suspect}</td>
                            <td>{c.authors}</td>
                            <td>{c.agencies}</td>
                            <td>{c.first.map(date).unwrap_or_default()}</td>
                            <td>{c.last.map(date).unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn OverviewPanel(overview: Memo<Option<Overview>>) -> impl IntoView {
    view! {
        <section class="overview-panel" data-testid="overview-panel" aria-labelledby="overview-heading">
            <h2 id="overview-heading">"Overview"</h2>
            {move || overview.get().map(|o| {
                let since = o.days_since_first_concern.map_or_else(|| "No concerns recorded".to_owned(), days);
                let on_plan = o.days_on_plan.map_or_else(|| "No active plan".to_owned(), days);
                let unreadable = o.unreadable;
                view! {
                    {flags(o.clone())}
                    <dl class="facts">
                        <div>
                            <dt>"Days since first concern"</dt>
                            <dd data-testid="days-since-first-concern">{since}</dd>
                        </div>
                        <div>
                            <dt>"Days on current plan"</dt>
                            <dd data-testid="days-on-plan">{on_plan}</dd>
                        </div>
                    </dl>
                    {held_prompts(&o)}
                    {(unreadable > 0).then(|| view! {
                        <p class="warning">{format!(
                            "{unreadable} entr{} written by a newer version of Quilt cannot be shown or counted here. Update the app to see the whole record.",
                            if unreadable == 1 { "y" } else { "ies" }
                        )}</p>
                    })}
                    <details class="indicator-summary">
                        <summary>"Indicator overview"</summary>
                        {indicator_table(&o)}
                    </details>
                }
            })}
        </section>
    }
}
