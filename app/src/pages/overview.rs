//! The manager's child overview: who the child is, the flags and facts that must not be missed
//! (prompt with its evidence, unassessed adults, timescales, drift), charts, the plan,
//! supervisions, and the filterable chronology.
//!
//! The page reads the server's record. Without a connection it falls back to the copy on this
//! tablet (a manager's tablet holds the team's records), computed with the same shared analytics,
//! and says so.
//!
//! tidy: long file — one route page made of small views of one `Overview`, read top to bottom; a
//! section moves to `components/` when another page needs it (as issue 11 does with
//! `ChronologySection`).

use std::collections::BTreeSet;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::analytics::{self, Overview, Prompt};
use shared::api::RecordResponse;
use shared::calendar::Date;
use shared::record::plan::PlanAction;
use shared::record::stamped::Field;
use shared::record::supervision::Supervision;
use shared::ChildId;

use crate::api::{self, ApiError};
use crate::components::{
    CategorySeries, IndicatorChart, PlanChart, PlanCounts, ScalingChart, ScalingPoint, SignedIn,
};
use crate::pages::child::child_param;
use crate::pages::chronology::ChronologySection;
use crate::pages::team::{flag_badge, with_token};
use crate::platform;
use crate::state::{use_app, AppState};

#[component]
pub fn TeamChildOverview() -> impl IntoView {
    view! {
        <SignedIn manager_only=true>
            <OverviewPage/>
        </SignedIn>
    }
}

/// The record as the page shows it, and where it came from.
#[derive(Debug, Clone, PartialEq)]
struct Loaded {
    data: RecordResponse,
    /// Computed from this tablet's copy because the server could not be reached.
    local_only: bool,
}

/// The overview from this tablet's copy, as the server would compute it.
fn from_tablet(app: AppState, child: &ChildId) -> Option<Result<Loaded, String>> {
    let record = app.engine()?.read_record(child)?;
    let entry = app
        .entries
        .with_untracked(|es| es.iter().find(|e| &e.child_id == child).cloned())?;
    Some(record.map(|record| {
        let today = platform::today_date();
        let born = entry.date_of_birth.parse().ok();
        Loaded {
            data: RecordResponse {
                child: entry,
                overview: analytics::overview(&record, today, &app.thresholds(), born),
                chronology: analytics::chronology(&record),
                record,
                version: 0,
                new_since: Default::default(),
            },
            local_only: true,
        }
    }))
}

async fn load(app: AppState, child: Option<ChildId>) -> Result<Loaded, String> {
    let child = child.ok_or("This record does not exist.")?;
    let fetched = with_token(app, |token| {
        let child = child.clone();
        async move {
            match api::record(&token, &child).await {
                Err(ApiError::Network) => Ok(None),
                other => other.map(Some),
            }
        }
    })
    .await?;
    match fetched {
        Some(data) => Ok(Loaded {
            data,
            local_only: false,
        }),
        None => from_tablet(app, &child).unwrap_or_else(|| {
            Err("This page needs a connection, and this record is not on this tablet yet.".into())
        }),
    }
}

/// Supervisions saved on this tablet that the loaded record does not have yet.
fn unsynced_supervisions(
    app: AppState,
    child: &ChildId,
    shown: &[Supervision],
) -> Vec<Supervision> {
    let known: BTreeSet<&str> = shown.iter().map(|s| s.id.as_str()).collect();
    app.engine()
        .and_then(|e| e.read_record(child))
        .and_then(Result::ok)
        .map(|r| {
            r.supervisions
                .into_iter()
                .filter(|s| !known.contains(s.id.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

#[component]
fn OverviewPage() -> impl IntoView {
    let app = use_app();
    let child = child_param();
    let data = LocalResource::new(move || load(app, child.get()));

    // The confirmation from the supervision form, moved into a live region that already exists.
    let flash = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(message) = app.flash.get_untracked() {
            app.flash.set(None);
            flash.set(Some(message));
        }
    });

    // After a sync, read again if this tablet holds supervisions the shown record lacks (they
    // have just reached the server) or if the page was showing the tablet's copy.
    Effect::new(move |previous: Option<Option<f64>>| {
        let synced = app.status.last_sync_ms.get();
        if previous.is_some_and(|p| p != synced) {
            let stale = data.with_untracked(|d| match (d, child.get_untracked()) {
                (Some(Ok(loaded)), Some(c)) => {
                    loaded.local_only
                        || !unsynced_supervisions(app, &c, &loaded.data.record.supervisions)
                            .is_empty()
                }
                (Some(Err(_)), _) => true,
                _ => false,
            });
            if stale {
                data.refetch();
            }
        }
        synced
    });

    follow_changes(app, child, data, flash);

    view! {
        <p class="breadcrumb no-print"><a href="/team">"Team caseload"</a></p>
        <div class="status-region" role="status" aria-live="polite">
            {move || flash.get().map(|m| view! { <p class="success" data-testid="saved-message">{m}</p> })}
        </div>
        {move || match (data.get(), child.get()) {
            (None, _) => view! { <p role="status">"Loading the record…"</p> }.into_any(),
            (Some(Err(e)), _) => view! { <h1>"Child overview"</h1><p class="error" role="alert">{e}</p> }.into_any(),
            (Some(Ok(_)), None) => view! { <h1>"Record not found"</h1> }.into_any(),
            (Some(Ok(loaded)), Some(id)) => view! { <OverviewBody loaded id/> }.into_any(),
        }}
    }
}

/// While the page is open, asks the server (a long poll) whether the record has moved on from
/// the version shown, and reads it again when it has: entries merged from other
/// practitioners' tablets, through whichever server process, appear without a reload.
fn follow_changes(
    app: AppState,
    child: Memo<Option<ChildId>>,
    data: LocalResource<Result<Loaded, String>>,
    flash: RwSignal<Option<String>>,
) {
    let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let still_open = open.clone();
    on_cleanup(move || open.store(false, std::sync::atomic::Ordering::Relaxed));
    spawn_local(async move {
        while still_open.load(std::sync::atomic::Ordering::Relaxed) {
            let shown = data.with_untracked(|d| match d {
                Some(Ok(loaded)) if !loaded.local_only => Some(loaded.data.version),
                _ => None,
            });
            let (Some(since), Some(id)) = (shown, child.get_untracked()) else {
                // Loading, or showing the tablet's copy: look again shortly.
                TimeoutFuture::new(2_000).await;
                continue;
            };
            let answer = with_token(app, |token| async move {
                api::changes(&token, &id, since).await
            })
            .await;
            if !still_open.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            match answer {
                Ok(now) if now.version != since => {
                    data.refetch();
                    flash.set(Some("Updated with the latest entries.".into()));
                    // Let the new version load before asking again.
                    TimeoutFuture::new(1_000).await;
                }
                Ok(_) => {}
                // Offline or signed out: the page keeps what it shows and tries again later.
                Err(_) => TimeoutFuture::new(15_000).await,
            }
        }
    });
}

fn age_on(dob: &str, today: Date) -> Option<i32> {
    let born: Date = dob.parse().ok()?;
    let (by, bm, bd) = born.ymd();
    let (ty, tm, td) = today.ymd();
    Some(ty - by - i32::from((tm, td) < (bm, bd)))
}

fn days(n: Option<i32>, none: &str) -> String {
    match n {
        Some(1) => "1 day".to_owned(),
        Some(n) => format!("{n} days"),
        None => none.to_owned(),
    }
}

#[component]
fn OverviewBody(loaded: Loaded, id: ChildId) -> impl IntoView {
    let app = use_app();
    let Loaded { data, local_only } = loaded;
    let RecordResponse {
        child,
        record,
        overview,
        chronology,
        new_since,
        ..
    } = data;
    let today = overview.today;
    let flags = overview.flags();
    let plan = record.plan.latest().map(|p| p.value.clone());
    let plan_counts = PlanCounts::of(&record.actions, today);
    let scalings: Vec<ScalingPoint> = record
        .scalings
        .iter()
        .map(|s| ScalingPoint {
            date: s.date.clone(),
            score: s.score,
            by: if s.agency.is_empty() {
                s.added.by_name.clone()
            } else {
                format!("{}, {}", s.added.by_name, s.agency)
            },
            rationale: s.rationale.clone(),
        })
        .collect();
    let series: Vec<CategorySeries> = overview
        .indicators
        .iter()
        .map(|c| CategorySeries {
            category: c.category,
            by_year: c.by_year.clone(),
        })
        .collect();
    let name = child.display_name.clone();
    let age = age_on(&child.date_of_birth, today);

    // Supervisions: the server's, then any on this tablet that have not reached it yet.
    let local_id = id.clone();
    let shown_supervisions = record.supervisions.clone();
    let pending = move || {
        app.records_rev.track();
        unsynced_supervisions(app, &local_id, &shown_supervisions)
    };
    let supervisions = record.supervisions.clone();

    view! {
        <article class="child-overview" data-testid="child-overview">
            <div class="record-head">
                <h1 data-testid="child-name">{name.clone()}</h1>
                <div class="head-actions no-print">
                    <a class="button primary" data-testid="new-supervision" href=format!("/team/child/{id}/supervision")>
                        "Record supervision"
                    </a>
                    <a class="button secondary" data-testid="core-group" href=format!("/team/child/{id}/group")>
                        "Core group"
                    </a>
                </div>
            </div>
            {local_only.then(|| view! {
                <p class="notice" role="status" data-testid="overview-offline">
                    "No connection: this is the copy on this tablet as of the last sync. Entries made on other tablets since then are not shown."
                </p>
            })}
            {(record.unreadable > 0).then(|| view! {
                <p class="warning">{format!(
                    "{} entr{} written by a newer version of Quilt cannot be shown here, so this overview may be incomplete.",
                    record.unreadable, if record.unreadable == 1 { "y" } else { "ies" }
                )}</p>
            })}
            {new_since.summary().map(|n| view! { <p class="notice new-since" data-testid="new-since">{n}</p> })}
            {history_view(&overview)}
            <dl class="details child-details overview-facts">
                <div><dt>"Date of birth"</dt><dd>
                    {platform::format_occurred(&child.date_of_birth)}
                    {age.map(|a| format!(" (age {a})"))}
                </dd></div>
                <div><dt>"Legal status"</dt><dd data-testid="legal-status">{overview.legal_status.clone().unwrap_or_else(|| child.legal_status.clone())}</dd></div>
                <div><dt>"Days since first concern"</dt><dd data-testid="days-since-first-concern">{days(overview.days_since_first_concern, "No concern recorded")}</dd></div>
                <div><dt>"Days on current plan"</dt><dd data-testid="days-on-plan">{days(overview.days_on_plan, "Not on a plan")}</dd></div>
                <div><dt>"As of"</dt><dd>{platform::format_occurred(&today.to_string())}</dd></div>
            </dl>

            <section class="overview-section" aria-labelledby="flags-heading">
                <h2 id="flags-heading">"Flags"</h2>
                <div data-testid="overview-flags">
                    {if flags.is_empty() {
                        view! { <p class="no-flags">"No flags: nothing calls for escalation today."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="flag-list large">
                                {flags.into_iter().map(|f| flag_badge(f, "overview-flag")).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </div>
            </section>

            {prompts_view(&overview)}
            {drift_view(&overview)}
            {unassessed_view(&overview)}
            {timescales_view(&overview)}
            {plan_view(plan, &record.plan, &record.actions)}

            <section class="overview-section charts" aria-labelledby="charts-heading">
                <h2 id="charts-heading">"Charts"</h2>
                <div class="chart-grid">
                    <ScalingChart points=scalings/>
                    <IndicatorChart series/>
                    <PlanChart counts=plan_counts/>
                </div>
            </section>

            <section class="overview-section" aria-labelledby="supervision-heading">
                <div class="record-head">
                    <h2 id="supervision-heading">"Supervision"</h2>
                </div>
                {move || {
                    let local = pending();
                    let all: Vec<(Supervision, bool)> = supervisions
                        .iter()
                        .cloned()
                        .map(|s| (s, false))
                        .chain(local.into_iter().map(|s| (s, true)))
                        .collect();
                    if all.is_empty() {
                        view! { <p class="hint">"No supervision recorded yet."</p> }.into_any()
                    } else {
                        view! {
                            <ol class="supervisions" reversed>
                                {all.into_iter().rev().map(|(s, unsynced)| supervision_item(s, unsynced)).collect_view()}
                            </ol>
                        }.into_any()
                    }
                }}
            </section>

            <ChronologySection child=id.clone() items=chronology observations=record.observations.clone()/>
        </article>
    }
}

/// The child's plan history, previous plans first: a new plan never hides the old ones.
fn history_view(o: &Overview) -> impl IntoView {
    let today = o.today;
    let previous = o.previous_plans.clone();
    let episodes = o.episodes.clone();
    view! {
        <section class="overview-section plan-history" aria-labelledby="history-heading">
            <h2 id="history-heading">"Plan history"</h2>
            {if previous.is_empty() {
                view! { <p class="hint" data-testid="previous-plans">"No previous plans recorded."</p> }.into_any()
            } else {
                view! {
                    <ul class="previous-plans" data-testid="previous-plans">
                        {previous.into_iter().map(|line| view! { <li><strong>{line}</strong></li> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!episodes.is_empty()).then(|| view! {
                <ol class="episodes" reversed data-testid="episodes">
                    {episodes.into_iter().rev().map(|e| {
                        let open = e.is_open_on(today);
                        let mut words = format!("{}: {}", e.label(), e.period());
                        if !open && e.end_reason != shared::record::episodes::EndReason::Open {
                            words.push_str(&format!(" ({})", e.end_reason.label().to_lowercase()));
                        }
                        if e.categories.len() > 1 {
                            let changes: Vec<String> = e.categories.iter().skip(1)
                                .map(|(d, c)| format!("{} from {}", c.label(), d.dmy())).collect();
                            words.push_str(&format!("; category changed: {}", changes.join(", ")));
                        }
                        if !e.placements.is_empty() {
                            words.push_str(&format!("; {} placement move(s)", e.placements.len()));
                        }
                        if e.disputed_ending {
                            words.push_str("; recorded as ended differently by two people");
                        }
                        view! { <li class:current=open data-testid="episode">{words}</li> }
                    }).collect_view()}
                </ol>
            })}
        </section>
    }
}

fn prompts_view(o: &Overview) -> Option<impl IntoView> {
    (!o.prompts.is_empty()).then(|| {
        view! {
            <section class="overview-section" aria-labelledby="prompts-heading">
                <h2 id="prompts-heading">"Evidence without disclosure"</h2>
                {o.prompts.iter().map(prompt_view).collect_view()}
            </section>
        }
    })
}

fn prompt_view(p: &Prompt) -> impl IntoView {
    let held = p.strategy_discussion_on;
    let evidence = p
        .evidence
        .iter()
        .map(|e| {
            view! {
                <li>
                    <span class="evidence-date">{platform::format_occurred(&e.date.to_string())}</span>": "
                    <strong>{e.label.clone()}</strong>
                    {format!(" ({}). {}, {}. {}.", e.level.to_lowercase(), e.author, e.agency, e.source)}
                </li>
            }
        })
        .collect_view();
    view! {
        <div class=if held.is_some() { "prompt-box resolved" } else { "prompt-box escalation" }>
            <h3>{p.message()}</h3>
            <p>
                {format!("Threshold first crossed on {}. ", platform::format_occurred(&p.first_crossed.to_string()))}
                {match held {
                    Some(d) => format!("A strategy discussion was held on {}.", platform::format_occurred(&d.to_string())),
                    None => "No strategy discussion recorded since. This is advice to consider, not a decision.".to_owned(),
                }}
            </p>
            <h4>"Evidence"</h4>
            <ul class="evidence-list" data-testid="prompt-evidence">{evidence}</ul>
        </div>
    }
}

fn drift_view(o: &Overview) -> Option<impl IntoView> {
    o.drift.as_ref().map(|d| {
        view! {
            <section class="overview-section" aria-labelledby="drift-heading">
                <h2 id="drift-heading">"Drift: consider escalation"</h2>
                <div class="prompt-box escalation">
                    <ul data-testid="drift-reasons">
                        {d.reasons.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}
                    </ul>
                </div>
            </section>
        }
    })
}

fn unassessed_view(o: &Overview) -> Option<impl IntoView> {
    (!o.unassessed_adults.is_empty()).then(|| {
        view! {
            <section class="overview-section" aria-labelledby="unassessed-heading">
                <h2 id="unassessed-heading">"Adults not yet assessed"</h2>
                <ul class="unassessed-list" data-testid="unassessed-adults">
                    {o.unassessed_adults.iter().map(|a| view! {
                        <li>
                            <strong>{a.name.clone()}</strong>
                            {(!a.relationship.is_empty()).then(|| format!(", {}", a.relationship))}
                            {a.disputed.then(|| view! { " " <span class="flag-badge caution inline">"Assessment disputed"</span> })}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

fn timescales_view(o: &Overview) -> impl IntoView {
    let today = o.today;
    let rows = o
        .timescales
        .iter()
        .map(|t| {
            let status = match (t.done_on, t.overdue) {
                (Some(d), _) => view! {
                    <span class="state-done">{format!("Done {}", platform::format_occurred(&d.to_string()))}</span>
                }
                .into_any(),
                (None, true) => view! {
                    <span class="flag-badge escalation inline" data-testid="overdue-badge">
                        {format!("Overdue by {}", days(Some(t.due.days_until(today)), ""))}
                    </span>
                }
                .into_any(),
                (None, false) => view! {
                    <span>{format!("Due in {}", days(Some(today.days_until(t.due)), ""))}</span>
                }
                .into_any(),
            };
            view! {
                <tr data-testid="timescale-row" class:overdue=t.overdue>
                    <td>{t.what.clone()}</td>
                    <td>{platform::format_occurred(&t.due.to_string())}</td>
                    <td>{status}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="overview-section" aria-labelledby="timescales-heading">
            <h2 id="timescales-heading">"Timescales"</h2>
            {if o.timescales.is_empty() {
                view! { <p class="hint">"No statutory dates or plan actions to track yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data-table">
                            <caption class="visually-hidden">"Statutory timescales and plan actions, with due dates"</caption>
                            <thead><tr><th scope="col">"What"</th><th scope="col">"Due"</th><th scope="col">"Status"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// Every current value of a stamped field, with who set it and when; several means people
/// disagreed offline and nobody has resolved it yet.
fn field_values<T>(field: &Field<T>, show: impl Fn(&T) -> String) -> impl IntoView {
    let conflict = field.is_conflict();
    let values = field
        .values
        .iter()
        .map(|v| {
            view! {
                <li>
                    {show(&v.value)}
                    {conflict.then(|| view! {
                        <span class="stamp">{format!(" (set by {}, {})", v.stamp.by_name, platform::format_local(v.stamp.at_ms as f64))}</span>
                    })}
                </li>
            }
        })
        .collect_view();
    view! {
        {conflict.then(|| view! { <span class="flag-badge caution inline">"Conflicting values"</span> })}
        <ul class=if conflict { "field-values has-conflict" } else { "field-values" }>{values}</ul>
    }
}

fn plan_view(
    plan: Option<shared::record::plan::PlanDetails>,
    plan_field: &Field<shared::record::plan::PlanDetails>,
    actions: &[PlanAction],
) -> impl IntoView {
    let details = plan.map(|p| {
        let contingency_missing = p.contingency.trim().is_empty();
        view! {
            <dl class="details">
                <div><dt>"Plan"</dt><dd>{field_values(plan_field, |p| p.kind.label().to_owned())}</dd></div>
                <div><dt>"Started"</dt><dd>{platform::format_occurred(&p.started_on)}</dd></div>
                {(!p.is_active()).then(|| view! { <div><dt>"Ended"</dt><dd>{platform::format_occurred(&p.ended_on)}</dd></div> })}
                <div><dt>"Contingency plan"</dt><dd>
                    {if contingency_missing {
                        view! { <span class="flag-badge caution inline">"No contingency plan recorded"</span> }.into_any()
                    } else {
                        view! { <span>{p.contingency.clone()}</span> }.into_any()
                    }}
                </dd></div>
                <div><dt>"Contingency trigger"</dt><dd>{if p.contingency_trigger.trim().is_empty() { "Not recorded".to_owned() } else { p.contingency_trigger.clone() }}</dd></div>
            </dl>
        }
    });
    let rows = actions
        .iter()
        .map(|a| {
            view! {
                <tr class:disputed=a.status.is_conflict()>
                    <td>{a.base.what.clone()}
                        {(!a.base.success_measure.is_empty()).then(|| view! { <span class="sub">{format!("Success: {}", a.base.success_measure)}</span> })}
                    </td>
                    <td>{a.base.who.clone()}</td>
                    <td>{platform::format_occurred(&a.base.due)}</td>
                    <td>{if a.status.values.is_empty() {
                        view! { <span>"Not started"</span> }.into_any()
                    } else {
                        field_values(&a.status, |s| if s.note.is_empty() { s.state.label().to_owned() } else { format!("{}: {}", s.state.label(), s.note) }).into_any()
                    }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="overview-section" aria-labelledby="plan-heading">
            <h2 id="plan-heading">"Plan"</h2>
            {match details {
                Some(d) => d.into_any(),
                None => view! { <p class="hint">"No plan recorded."</p> }.into_any(),
            }}
            {(!actions.is_empty()).then(|| view! {
                <div class="table-wrap">
                    <table class="data-table">
                        <caption class="visually-hidden">"Plan actions"</caption>
                        <thead><tr><th scope="col">"Action"</th><th scope="col">"Who"</th><th scope="col">"By"</th><th scope="col">"Status"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })}
        </section>
    }
}

fn supervision_item(s: Supervision, unsynced: bool) -> impl IntoView {
    view! {
        <li class="supervision-item" data-testid="supervision-item">
            <article>
                <h3 class="entry-date">
                    {platform::format_occurred(&s.date)}
                    " "<span class="kind-label">{format!("Supervision by {}", s.added.by_name)}</span>
                </h3>
                {unsynced.then(|| view! {
                    <p class="approx" data-testid="supervision-unsynced">"Saved on this tablet; not yet synced"</p>
                })}
                <dl class="details stacked">
                    <div><dt>"Discussed"</dt><dd class="narrative">{s.discussed.clone()}</dd></div>
                    {(!s.reflection.trim().is_empty()).then(|| view! {
                        <div><dt>"Reflection"</dt><dd class="narrative">{s.reflection.clone()}</dd></div>
                    })}
                </dl>
                {(!s.decisions.is_empty()).then(|| view! {
                    <h4>"Decisions"</h4>
                    <ul class="decisions">{s.decisions.iter().map(|d| view! { <li>{d.clone()}</li> }).collect_view()}</ul>
                })}
                {(!s.actions.is_empty()).then(|| view! {
                    <div class="table-wrap">
                        <table class="data-table">
                            <caption>"Actions"</caption>
                            <thead><tr><th scope="col">"What"</th><th scope="col">"Owner"</th><th scope="col">"Due"</th></tr></thead>
                            <tbody>
                                {s.actions.iter().map(|a| view! {
                                    <tr><td>{a.what.clone()}</td><td>{a.owner.clone()}</td><td>{platform::format_occurred(&a.due)}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                })}
            </article>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_days() {
        let today: Date = "2026-03-04".parse().expect("date");
        assert_eq!(age_on("2015-03-04", today), Some(11));
        assert_eq!(age_on("2015-03-05", today), Some(10));
        assert_eq!(age_on("not a date", today), None);
        assert_eq!(days(Some(1), "-"), "1 day");
        assert_eq!(days(Some(12), "-"), "12 days");
        assert_eq!(days(None, "-"), "-");
    }
}
