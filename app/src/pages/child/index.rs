//! The record's section index: a link to each part with how many entries it holds and how many
//! are new since this user last had the record open on this tablet (ids remembered, sealed, in
//! `storage::meta`). It stays on screen on a tablet. [`NewSinceNote`] says, above it, what
//! other people and agencies added since this user last opened the record
//! (`analytics::since`), and tells the server what this look saw.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::record::Record;
use shared::ChildId;

use crate::state::use_app;

/// Entry ids per section anchor.
type Ids = BTreeMap<String, Vec<String>>;

/// What each section holds, as ids, keyed by the section's anchor.
pub fn entry_ids(record: &Record) -> Ids {
    let mut out = Ids::new();
    out.insert(
        "observations".into(),
        record
            .observations
            .iter()
            .map(|o| o.id.to_string())
            .chain(record.amendments.iter().map(|a| a.id.clone()))
            .collect(),
    );
    out.insert(
        "body-map".into(),
        record
            .observations
            .iter()
            .flat_map(|o| o.body_marks.iter().map(|m| m.id.clone()))
            .collect(),
    );
    out.insert(
        "people".into(),
        record.people.iter().map(|p| p.id.clone()).collect(),
    );
    out.insert(
        "plan".into(),
        record
            .actions
            .iter()
            .map(|a| a.base.id.clone())
            .chain(record.conferences.iter().map(|c| c.id.clone()))
            .collect(),
    );
    out.insert(
        "safety-scale".into(),
        record.scalings.iter().map(|s| s.id.clone()).collect(),
    );
    out.insert(
        "concerns".into(),
        record
            .concerns
            .iter()
            .map(|c| c.id.clone())
            .chain(record.concern_responses.iter().map(|r| r.id.clone()))
            .chain(record.strategy_discussions.iter().map(|s| s.id.clone()))
            .chain(record.sharing_decisions.iter().map(|s| s.id.clone()))
            .collect(),
    );
    out.insert(
        "neglect".into(),
        record.neglect.iter().map(|n| n.id.clone()).collect(),
    );
    out
}

/// How many of `now`'s ids `seen` does not have, per section.
pub fn new_since(seen: &Ids, now: &Ids) -> BTreeMap<String, usize> {
    now.iter()
        .map(|(section, ids)| {
            let before = seen.get(section);
            let n = ids
                .iter()
                .filter(|id| before.is_none_or(|b| !b.contains(id)))
                .count();
            (section.clone(), n)
        })
        .collect()
}

#[component]
pub fn SectionIndex(
    record: Memo<Record>,
    child: ChildId,
    sections: &'static [(&'static str, &'static str, &'static str)],
) -> impl IntoView {
    let app = use_app();
    let now = Memo::new(move |_| record.with(entry_ids));
    // What this user had seen when the record opened; `None` until read.
    let baseline = RwSignal::new(None::<Ids>);
    {
        let child = child.clone();
        spawn_local(async move {
            let Some(store) = app.unlocked_store() else {
                return;
            };
            let seen = store.seen(&child).await.ok().flatten();
            // First time here: nothing is "new", everything is simply there.
            baseline.set(Some(seen.unwrap_or_else(|| now.get_untracked())));
        });
    }
    // Everything on screen now counts as seen next time.
    Effect::new(move |_| {
        let ids = now.get();
        if baseline.with(Option::is_none) {
            return;
        }
        let child = child.clone();
        spawn_local(async move {
            if let Some(store) = app.unlocked_store() {
                let _ = store.put_seen(&child, &ids).await;
            }
        });
    });
    let fresh = Memo::new(move |_| {
        baseline.with(|b| {
            b.as_ref()
                .map(|b| now.with(|n| new_since(b, n)))
                .unwrap_or_default()
        })
    });
    view! {
        <nav class="section-nav" aria-label="Parts of the record" data-testid="section-index">
            <ul>
                {sections.iter().map(|(anchor, heading, _)| {
                    let total = move || now.with(|n| n.get(*anchor).map_or(0, Vec::len));
                    let new = move || fresh.with(|f| f.get(*anchor).copied().unwrap_or(0));
                    view! {
                        <li>
                            <a href=format!("#{anchor}") data-testid=format!("index-{anchor}")>
                                <span class="index-heading">{*heading}</span>
                                " "
                                <span class="index-count" data-testid=format!("index-count-{anchor}")>{total}</span>
                                {move || (new() > 0).then(|| view! {
                                    " "
                                    <span class="badge new" data-testid=format!("index-new-{anchor}")>
                                        {format!("{} new", new())}
                                    </span>
                                })}
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_entries_are_those_not_seen() {
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let seen = Ids::from([("people".to_owned(), ids(&["a", "b"]))]);
        let now = Ids::from([
            ("people".to_owned(), ids(&["a", "b", "c"])),
            ("plan".to_owned(), ids(&["x"])),
        ]);
        let fresh = new_since(&seen, &now);
        assert_eq!(fresh["people"], 1);
        assert_eq!(fresh["plan"], 1, "a section not seen before is all new");
    }
}

/// "3 new since you last looked: …", from what this user saw when they last opened the
/// record on this tablet; then this look is remembered, here and (online) on the server.
#[component]
pub fn NewSinceNote(record: Memo<Record>, child: ChildId) -> impl IntoView {
    let app = use_app();
    // What the last look saw: `None` until read, `Some(None)` for a first look.
    let before = RwSignal::new(None::<Option<BTreeSet<String>>>);
    let kept = RwSignal::new(false);
    {
        let child = child.clone();
        spawn_local(async move {
            let Some(store) = app.unlocked_store() else {
                return;
            };
            let look = store.look(&child).await.ok().flatten();
            before.set(Some(look));
            let now = record.with_untracked(shared::analytics::since::look);
            let _ = store.put_look(&child, &now).await;
            kept.set(true);
            // The server keeps each user's look too; offline, the next open tells it.
            let _ = app
                .online(async |token| crate::api::seen(&token, &child, &now).await)
                .await;
        });
    }
    let me = app.user_id().unwrap_or_default();
    let note = Memo::new(move |_| {
        before.with(|b| {
            b.as_ref().and_then(|b| {
                record.with(|r| shared::analytics::since::new_since(r, b.as_ref(), &me).summary())
            })
        })
    });
    view! {
        {move || note.get().map(|n| view! { <p class="notice new-since" data-testid="new-since">{n}</p> })}
        <span hidden data-testid="look-kept" data-kept=move || kept.get().to_string()></span>
    }
}
