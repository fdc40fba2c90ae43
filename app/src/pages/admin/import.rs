//! Importing children and allocations from a system-of-record export: the administrator picks
//! the two CSV files, checks them (a dry run lists every bad row with its line), then imports
//! (all rows or none). The columns are listed in the README.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::partnership::{ImportReport, ImportRequest};
use wasm_bindgen::JsCast;

use crate::api;
use crate::state::use_app;

/// The text of the file chosen in the input `id`, or empty when none is.
async fn file_text(id: &str) -> Result<String, String> {
    let input = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok());
    let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) else {
        return Ok(String::new());
    };
    if file.size() > 8.0 * 1024.0 * 1024.0 {
        return Err(format!("{} is larger than 8 MB; split it.", file.name()));
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| format!("{} could not be read.", file.name()))?;
    Ok(text.as_string().unwrap_or_default())
}

#[component]
pub fn Import() -> impl IntoView {
    let app = use_app();
    let report = RwSignal::new(None::<ImportReport>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let run = move |dry_run: bool| {
        busy.set(true);
        spawn_local(async move {
            let files = async {
                Ok::<_, String>((
                    file_text("import-children").await?,
                    file_text("import-allocations").await?,
                ))
            };
            match files.await {
                Err(e) => error.set(Some(e)),
                Ok((children_csv, allocations_csv)) => {
                    let req = ImportRequest {
                        children_csv,
                        allocations_csv,
                        dry_run,
                    };
                    match app
                        .online(async |token| {
                            api::send_json::<_, ImportReport>(
                                &token,
                                "/api/admin/import",
                                &req,
                                false,
                            )
                            .await
                        })
                        .await
                    {
                        Ok(r) => {
                            report.set(Some(r));
                            error.set(None);
                        }
                        Err(e) => error.set(Some(e)),
                    }
                }
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="import-heading">
            <h2 id="import-heading">"Import from the system of record"</h2>
            <p class="hint">"Two CSV files with a header row (columns in the README). Check them first: every bad row is listed with its line, and nothing is stored unless every row is good."</p>
            <div class="field">
                <label for="import-children">"Children (children.csv)"</label>
                <input id="import-children" type="file" accept=".csv,text/csv" data-testid="import-children"/>
            </div>
            <div class="field">
                <label for="import-allocations">"Allocations (allocations.csv)"</label>
                <input id="import-allocations" type="file" accept=".csv,text/csv" data-testid="import-allocations"/>
            </div>
            <div class="button-row">
                <button type="button" class="button secondary" data-testid="import-check" disabled=move || busy.get() on:click=move |_| run(true)>"Check the files"</button>
                <button type="button" class="button primary" data-testid="import-run" disabled=move || busy.get() on:click=move |_| run(false)>"Import"</button>
            </div>
            <div role="status" aria-live="polite" class="status-region" data-testid="import-report">
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                {move || report.get().map(|r| {
                    let summary = if r.imported {
                        format!("Imported {} children and {} allocations.", r.children, r.allocations)
                    } else if r.problems.is_empty() {
                        format!("All rows are good: {} children and {} allocations would be imported.", r.children, r.allocations)
                    } else {
                        format!("{} problem(s); nothing was imported.", r.problems.len())
                    };
                    view! {
                        <p class=if r.problems.is_empty() { "success" } else { "error" }>{summary}</p>
                        <ul>
                            {r.problems.into_iter().map(|p| view! {
                                <li>{format!("{}.csv line {}: {}", p.file, p.line, p.reason)}</li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </div>
        </section>
    }
}
