//! Drafts: every form that takes record content keeps what is typed, sealed on the tablet
//! (`storage::drafts`), a moment after each change. The draft survives Cancel, navigation, the
//! idle lock, a reload, a crash and the browser being closed; when the form opens again it is
//! offered back before anything can be typed ("Continue your draft from 14:32"), so an old
//! draft is never overwritten unseen. Saving the form erases it; so does signing out.

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::platform;
use crate::state::{use_app, AppState};
use crate::storage::Draft;

/// How long after the last change the draft is written.
const SAVE_AFTER_MS: u32 = 250;

type Values = BTreeMap<String, Value>;

/// One value of a form, as a draft keeps it.
#[derive(Clone)]
pub struct DraftField {
    name: &'static str,
    read: Arc<dyn Fn() -> Value + Send + Sync>,
    write: Arc<dyn Fn(Value) + Send + Sync>,
}

/// A field kept as its JSON form.
pub fn field<T>(name: &'static str, signal: RwSignal<T>) -> DraftField
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    field_with(
        name,
        move || signal.with(|v| serde_json::to_value(v).unwrap_or(Value::Null)),
        move |v| {
            if let Ok(v) = serde_json::from_value(v) {
                signal.set(v);
            }
        },
    )
}

/// A field with its own conversion (for values that are not plain data).
pub fn field_with(
    name: &'static str,
    read: impl Fn() -> Value + Send + Sync + 'static,
    write: impl Fn(Value) + Send + Sync + 'static,
) -> DraftField {
    DraftField {
        name,
        read: Arc::new(read),
        write: Arc::new(write),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Status {
    /// Looking for a stored draft; the form is not shown yet.
    Checking,
    /// A stored draft waits for the person to continue it or discard it.
    Offered(Draft),
    /// Typing is kept.
    Keeping,
    /// Saved: nothing more is kept.
    Done,
}

/// A form's draft; cheap to copy.
#[derive(Clone, Copy)]
pub struct Drafted {
    app: AppState,
    key: StoredValue<String>,
    fields: StoredValue<Vec<DraftField>>,
    /// The values the form opened with: a form left as it opened has no draft.
    initial: StoredValue<Values>,
    status: RwSignal<Status>,
    generation: StoredValue<u64>,
}

impl Drafted {
    /// Keeps the draft of the form `key` (unique per child, form and entry) over `fields`.
    pub fn keep(key: String, fields: Vec<DraftField>) -> Self {
        let initial = fields
            .iter()
            .map(|f| (f.name.to_owned(), untrack(|| (f.read)())))
            .collect::<Values>();
        let app = use_app();
        let draft = Drafted {
            app,
            key: StoredValue::new(key.clone()),
            fields: StoredValue::new(fields),
            initial: StoredValue::new(initial.clone()),
            status: RwSignal::new(Status::Checking),
            generation: StoredValue::new(0),
        };
        spawn_local(async move {
            let stored = match app.unlocked_store() {
                Some(store) => store.draft(&key).await.ok().flatten(),
                None => None,
            };
            draft.status.set(match stored {
                Some(d) if d.fields != initial => Status::Offered(d),
                _ => Status::Keeping,
            });
        });
        Effect::new(move |_| {
            let values = draft.fields.with_value(|fs| {
                fs.iter()
                    .map(|f| (f.name.to_owned(), (f.read)()))
                    .collect::<Values>()
            });
            if draft.status.with(|s| *s != Status::Keeping) {
                return;
            }
            if draft.initial.with_value(|i| *i == values) {
                return;
            }
            draft.save_soon(values);
        });
        draft
    }

    fn save_soon(self, values: Values) {
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(SAVE_AFTER_MS).await;
            let still_wanted = self.generation.try_get_value() == Some(generation)
                && self.status.try_with_untracked(|s| *s == Status::Keeping) == Some(true);
            if !still_wanted {
                return;
            }
            let Some(store) = self.app.unlocked_store() else {
                return;
            };
            let draft = Draft {
                saved_at_ms: platform::now_ms(),
                fields: values,
            };
            let key = self.key.get_value();
            if let Err(e) = store.put_draft(&key, &draft).await {
                web_sys::console::warn_1(&format!("draft not kept: {e}").into());
            }
        });
    }

    /// Whether the form may be shown and typed into (tracked).
    pub fn ready(&self) -> bool {
        self.status
            .with(|s| matches!(s, Status::Keeping | Status::Done))
    }

    /// The form was saved: its draft goes.
    pub fn saved(&self) {
        self.status.set(Status::Done);
        self.erase();
    }

    fn erase(&self) {
        let (app, key) = (self.app, self.key.get_value());
        spawn_local(async move {
            if let Some(store) = app.unlocked_store() {
                let _ = store.delete_draft(&key).await;
            }
        });
    }

    fn resume(&self) {
        let Status::Offered(draft) = self.status.get_untracked() else {
            return;
        };
        self.fields.with_value(|fs| {
            for f in fs {
                if let Some(v) = draft.fields.get(f.name) {
                    (f.write)(v.clone());
                }
            }
        });
        self.status.set(Status::Keeping);
    }

    fn discard(&self) {
        self.erase();
        self.status.set(Status::Keeping);
    }
}

/// The offer of a stored draft, shown in place of the form until the person chooses.
#[component]
pub fn DraftOffer(draft: Drafted) -> impl IntoView {
    move || {
        draft.status.with(|s| match s {
            Status::Offered(d) => {
                let at = platform::format_local(d.saved_at_ms);
                let time = at.rsplit(' ').next().unwrap_or_default().to_owned();
                Some(view! {
                    <div class="draft-offer card" role="group" aria-label="Unsaved draft" data-testid="draft-offer">
                        <p>{format!("You started this on {at} and did not save it. It is kept, sealed, on this tablet.")}</p>
                        <div class="form-actions">
                            <button type="button" class="button primary" data-testid="draft-continue"
                                on:click=move |_| draft.resume()>
                                {format!("Continue your draft from {time}")}
                            </button>
                            <button type="button" class="button secondary" data-testid="draft-discard"
                                on:click=move |_| draft.discard()>
                                "Discard the draft and start again"
                            </button>
                        </div>
                    </div>
                })
            }
            _ => None,
        })
    }
}
