//! The audit trail's writer: events of concurrent requests appended together, in one
//! transaction (see `group`), with the server's time. The events and the chain are `audit`.

use std::sync::Arc;

use crate::audit::Event;
use crate::clock::now_ms;
use crate::group::GroupCommit;
use crate::store::AuditTrail;

/// Appends audit events; cheap to clone (one writer per process).
#[derive(Clone)]
pub struct AuditLog {
    appends: GroupCommit<Vec<Event>, Result<(), String>>,
}

/// An append that did not reach the database; what failed is in the message (never record
/// contents: events hold counts and reasons only).
#[derive(Debug, thiserror::Error)]
#[error("audit append: {0}")]
pub struct AuditUnavailable(String);

impl AuditLog {
    pub fn start(store: Arc<dyn AuditTrail>) -> Self {
        let appends = GroupCommit::start(move |batches: Vec<Vec<Event>>| {
            let store = store.clone();
            async move {
                let sizes = batches.len();
                let all: Vec<Event> = batches.into_iter().flatten().collect();
                let done = store
                    .append_audits(&all, now_ms())
                    .await
                    .map_err(|e| e.to_string());
                vec![done; sizes]
            }
        });
        AuditLog { appends }
    }

    async fn append(&self, events: Vec<Event>) -> Result<(), AuditUnavailable> {
        if events.is_empty() {
            return Ok(());
        }
        self.appends
            .submit(events)
            .await
            .unwrap_or_else(|| Err("the audit writer stopped".into()))
            .map_err(AuditUnavailable)
    }

    /// Appends an event. Reads call this before answering and fail closed: a view that cannot
    /// be attributed is not served.
    pub async fn record(&self, event: Event) -> Result<(), AuditUnavailable> {
        self.append(vec![event]).await
    }

    /// For events after the fact (a change already committed): a failure is logged, not
    /// returned.
    pub async fn record_or_log(&self, event: Event) {
        self.record_all_or_log(std::slice::from_ref(&event)).await;
    }

    /// Several events after the fact, in one append: a failure is logged, not returned.
    pub async fn record_all_or_log(&self, events: &[Event]) {
        let n = events.len();
        if let Err(e) = self.append(events.to_vec()).await {
            tracing::error!(error = %e, events = n, "audit append failed");
        }
    }
}
