//! The front door, the service behind `routes::front_door` and the concerns a caseload sync
//! carries: every concern about any child gets a row ([`StoredConcern`]) the moment it
//! arrives, an owner and a due date (one working day), a match to a child's record (or a new
//! record), and a decision. Matching writes the concern into the child's record and deciding
//! writes the decision there too, both with the front-door actor
//! (`shared::record::front_door`), so the chronology, the flags and every tablet holding
//! the record see them.
//!
//! Who may do what: anyone signed in may raise a concern (from their tablet, in the sync);
//! they hear back the decision and its date, nothing of the record, and gain no access to it.
//! Only an account marked as working the front door (`User::front_door`) sees the queue,
//! takes calls, matches and decides. Every outcome is audited.
//!
//! A match or a decision is claimed in the queue first (once, conditionally), then written
//! into the record; a retry after a failed write writes the same entry (its id comes from the
//! concern's), which the record already holding it makes a no-op.

use std::sync::Arc;

use shared::api::front_door::{
    decision_due, is_overdue, CallerConcern, ConcernFeedback, ConcernOutcome, ConcernSubmission,
    DecisionRequest, MatchRequest, Queue, QueueItem, QueueState, MAX_CONCERNS_PER_SYNC,
};
use shared::api::partnership::NewChildRequest;
use shared::calendar::Date;
use shared::choice::Choice;
use shared::matching::Probe;
use shared::record::front_door::{self as entry, Concern, ConcernFrom, ConcernResponse};
use shared::record::stamped::Stamp;
use shared::record::RecordError;
use shared::ChildId;

use crate::admin::{Actor, Admin, Denied};
use crate::audit_log::AuditLog;
use crate::clock::now_ms;
use crate::merge::{Documents, MergeError};
use crate::store::{Store, StoredConcern, User};

/// How many of a referrer's concerns each sync answer reports.
pub const FEEDBACK_LIMIT: i64 = 200;
/// How long a decided concern stays in the queue's list, in days.
pub const DECIDED_SHOWN_DAYS: i32 = 14;

/// Why something was not done.
#[derive(Debug, thiserror::Error)]
pub enum FrontDoorError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Merge(#[from] MergeError),
}

impl From<crate::store::StoreError> for FrontDoorError {
    fn from(e: crate::store::StoreError) -> Self {
        FrontDoorError::Denied(Denied::Store(e))
    }
}

type Result<T> = std::result::Result<T, FrontDoorError>;

fn today() -> Date {
    Date::london_from_unix_ms(now_ms())
}

fn invalid(s: impl Into<String>) -> FrontDoorError {
    FrontDoorError::Denied(Denied::Invalid(s.into()))
}

/// The front-door service; cheap to clone.
#[derive(Clone)]
pub struct FrontDoor {
    store: Arc<dyn Store>,
    documents: Arc<Documents>,
    audit: AuditLog,
    admin: Admin,
}

impl FrontDoor {
    pub fn new(
        store: Arc<dyn Store>,
        documents: Arc<Documents>,
        audit: AuditLog,
        admin: Admin,
    ) -> Self {
        FrontDoor {
            store,
            documents,
            audit,
            admin,
        }
    }

    /// Stores the concerns a tablet's sync carried (each once, by id) and, when it sent some or
    /// awaits outcomes, answers with every concern `user` raised, the latest first, with its
    /// outcome; a concern refused says why. A sync with neither costs no query.
    pub async fn receive(
        &self,
        by: &Actor,
        user: &User,
        submissions: &[ConcernSubmission],
        awaiting: bool,
    ) -> Result<Vec<ConcernFeedback>> {
        if submissions.is_empty() && !awaiting {
            return Ok(Vec::new());
        }
        if submissions.len() > MAX_CONCERNS_PER_SYNC {
            return Err(invalid(format!(
                "a sync may carry at most {MAX_CONCERNS_PER_SYNC} concerns"
            )));
        }
        let now = now_ms();
        let mut refused = Vec::new();
        for s in submissions {
            if let Err(e) = s.validate() {
                refused.push(ConcernFeedback {
                    id: s.id.clone(),
                    outcome: ConcernOutcome::Refused {
                        reason: format!("the concern cannot be stored: {e}"),
                    },
                });
                continue;
            }
            let received_on = Date::london_from_unix_ms(now);
            let row = StoredConcern {
                id: s.id.clone(),
                recorded_by: user.id.clone(),
                from: ConcernFrom::Professional,
                referrer: user.display_name.clone(),
                agency: user.agency.clone(),
                relationship: String::new(),
                submission: s.clone(),
                received_at_ms: now,
                received_on,
                due: decision_due(received_on),
                owner: String::new(),
                owner_name: "The front door".into(),
                child_id: None,
                matched_by: None,
                decision: None,
                decided_on: None,
                decided_by: None,
            };
            if self.store.insert_concern(&row).await? {
                self.audit
                    .record_or_log(by.event("concern.received", "ok").detail(format!(
                        "concern {} from {} ({})",
                        row.id,
                        user.agency,
                        s.urgency.code()
                    )))
                    .await;
            } else if self
                .store
                .concern(&s.id)
                .await?
                .is_some_and(|c| c.recorded_by != user.id)
            {
                self.audit
                    .record_or_log(
                        by.event("concern.received", "refused")
                            .detail(format!("concern id {} is another user's", s.id)),
                    )
                    .await;
                refused.push(ConcernFeedback {
                    id: s.id.clone(),
                    outcome: ConcernOutcome::Refused {
                        reason: "another concern has this id; raise it again".into(),
                    },
                });
            }
        }
        let mut out = refused;
        out.extend(
            self.store
                .concerns_recorded_by(&user.id, FEEDBACK_LIMIT)
                .await?
                .iter()
                .map(feedback),
        );
        Ok(out)
    }

    /// Refused (and audited) unless `by` works the front door.
    async fn require_front_door<'a>(&self, by: &'a Actor, action: &str) -> Result<&'a User> {
        match by.user() {
            Some(u) if u.front_door => Ok(u),
            _ => {
                self.audit.record_or_log(by.event(action, "refused")).await;
                Err(Denied::Forbidden.into())
            }
        }
    }

    /// The queue: undecided concerns, then those decided in the last fortnight; each new
    /// one with the children it may be about and why.
    pub async fn queue(&self, by: &Actor) -> Result<Queue> {
        self.require_front_door(by, "front_door.queue").await?;
        let today = today();
        let rows = self
            .store
            .front_door_queue(today.add_days(-DECIDED_SHOWN_DAYS))
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push(self.item(row, today).await?);
        }
        // The most overdue first, then by when each is due; decided ones last.
        items.sort_by_key(|i| {
            (
                i.state == QueueState::Decided,
                !i.overdue,
                i.due,
                i.received_on,
            )
        });
        self.audit
            .record_or_log(
                by.event("front_door.queue", "ok")
                    .detail(format!("{} concern(s) listed", items.len())),
            )
            .await;
        Ok(Queue { items })
    }

    async fn item(&self, row: &StoredConcern, today: Date) -> Result<QueueItem> {
        let state = match (&row.child_id, row.decision) {
            (_, Some(_)) => QueueState::Decided,
            (Some(_), None) => QueueState::Matched,
            (None, None) => QueueState::New,
        };
        let candidates = if state == QueueState::New {
            let c = &row.submission.child;
            let probe = Probe {
                name: &c.name,
                other_names: &[],
                date_of_birth: c.born(),
                nhs_number: c.nhs_number.as_ref(),
            };
            self.admin.likely_matches(&probe).await?
        } else {
            Vec::new()
        };
        let child_name = match &row.child_id {
            Some(id) => self
                .store
                .child_details(id)
                .await?
                .map(|d| d.fields.display_name),
            None => None,
        };
        Ok(QueueItem {
            id: row.id.clone(),
            state,
            received_on: row.received_on,
            due: row.due,
            overdue: is_overdue(row.due, row.decision.is_some(), today),
            from: row.from,
            referrer: if row.from == ConcernFrom::Anonymous {
                "Anonymous".into()
            } else {
                row.referrer.clone()
            },
            agency: row.agency.clone(),
            relationship: row.relationship.clone(),
            contact: row.submission.contact.clone(),
            owner_name: row.owner_name.clone(),
            concern: row.submission.clone(),
            candidates,
            child_id: row.child_id.clone(),
            child_name,
            decision: row.decision,
            decided_on: row.decided_on,
        })
    }

    async fn stored(&self, id: &str) -> Result<StoredConcern> {
        self.store
            .concern(id)
            .await?
            .ok_or(FrontDoorError::Denied(Denied::NotFound))
    }

    /// A concern the front door takes from a call: from the public, a relative, an anonymous
    /// caller (or a practitioner on the phone), with its owner and due date.
    pub async fn record_call(&self, by: &Actor, call: CallerConcern) -> Result<QueueItem> {
        let worker = self.require_front_door(by, "concern.recorded").await?;
        call.concern
            .validate()
            .map_err(|e| invalid(format!("the concern cannot be stored: {e}")))?;
        let anonymous = call.from == ConcernFrom::Anonymous;
        if anonymous && !call.caller_name.trim().is_empty() {
            return Err(invalid("an anonymous caller has no name"));
        }
        if !anonymous && call.caller_name.trim().is_empty() {
            return Err(invalid(
                "who called: their name, or mark the call anonymous",
            ));
        }
        let owner = self
            .store
            .user_by_id(&call.owner)
            .await?
            .filter(|u| u.disabled_at_ms.is_none())
            .ok_or_else(|| invalid("the owner is not an active account"))?;
        let now = now_ms();
        let received_on = Date::london_from_unix_ms(now);
        let due = if call.due.is_empty() {
            decision_due(received_on)
        } else {
            let due: Date = call
                .due
                .parse()
                .map_err(|_| invalid("the due date is not a date"))?;
            if due < received_on {
                return Err(invalid("the response cannot be due before today"));
            }
            due
        };
        let row = StoredConcern {
            id: call.concern.id.clone(),
            recorded_by: worker.id.clone(),
            from: call.from,
            referrer: call.caller_name.trim().to_owned(),
            agency: if call.from == ConcernFrom::Professional {
                call.relationship.trim().to_owned()
            } else {
                String::new()
            },
            relationship: if call.from == ConcernFrom::Professional {
                String::new()
            } else {
                call.relationship.trim().to_owned()
            },
            submission: call.concern.clone(),
            received_at_ms: now,
            received_on,
            due,
            owner: owner.id.to_string(),
            owner_name: owner.display_name.clone(),
            child_id: None,
            matched_by: None,
            decision: None,
            decided_on: None,
            decided_by: None,
        };
        // What the record will hold once matched must be writable: checked now, not at the match.
        record_entry(&row, worker, now)
            .validate()
            .map_err(|e| invalid(format!("the concern cannot be stored: {e}")))?;
        if !self.store.insert_concern(&row).await? {
            return Err(FrontDoorError::Denied(Denied::Conflict(
                "a concern with this id is already stored".into(),
            )));
        }
        self.audit
            .record_or_log(by.event("concern.recorded", "ok").detail(format!(
                "concern {} from a call ({}), owned by {}",
                row.id,
                row.from.code(),
                owner.id
            )))
            .await;
        self.item(&row, today()).await
    }

    /// Matches a concern to a child (an existing record, or a new one made from the details),
    /// and writes the concern into that record.
    pub async fn match_concern(
        &self,
        by: &Actor,
        id: &str,
        req: MatchRequest,
    ) -> Result<QueueItem> {
        let worker = self.require_front_door(by, "concern.match").await?.clone();
        let row = self.stored(id).await?;
        // What the record will hold must be writable before anything is claimed or made.
        let concern = record_entry(&row, &worker, now_ms());
        concern.validate().map_err(|e| {
            invalid(format!(
                "the concern cannot be written into the record: {e}"
            ))
        })?;
        let child = match req {
            MatchRequest::Existing { child_id } => {
                let details = self
                    .store
                    .child_details(&child_id)
                    .await?
                    .ok_or(FrontDoorError::Denied(Denied::NotFound))?;
                if details.merged_into.is_some() {
                    return Err(invalid(
                        "that record was merged into another: match to the one that stays",
                    ));
                }
                child_id
            }
            MatchRequest::New {
                fields,
                team_id,
                not_duplicates,
            } => {
                if row.child_id.is_some() {
                    return Err(FrontDoorError::Denied(Denied::Conflict(
                        "this concern is already matched".into(),
                    )));
                }
                self.admin
                    .create_child_at_front_door(
                        by,
                        NewChildRequest {
                            fields: *fields,
                            team_id: team_id.or_else(|| worker.team_id.clone()),
                            not_duplicates,
                        },
                    )
                    .await?
                    .child_id
            }
        };
        let claimed = self.store.set_concern_match(id, &child, &worker.id).await?;
        if !claimed && row.child_id.as_ref() != Some(&child) {
            return Err(FrontDoorError::Denied(Denied::Conflict(
                "this concern is already matched to another child".into(),
            )));
        }
        self.write(&child, |doc| {
            entry::as_front_door(doc, &child, |d| kept(entry::add_concern(d, &concern)))
        })
        .await?;
        self.audit
            .record_or_log(
                by.event("concern.match", "ok")
                    .child(&child)
                    .detail(format!("concern {id} written into the record")),
            )
            .await;
        self.item(&self.stored(id).await?, today()).await
    }

    /// Records the front door's decision on a matched concern, in the queue and the record.
    pub async fn decide(&self, by: &Actor, id: &str, req: DecisionRequest) -> Result<QueueItem> {
        let worker = self
            .require_front_door(by, "concern.decision")
            .await?
            .clone();
        let row = self.stored(id).await?;
        let Some(child) = row.child_id.clone() else {
            return Err(invalid("match the concern to a child before deciding"));
        };
        let on = today();
        let response = ConcernResponse {
            id: format!("decision-{id}"),
            concern_id: id.to_owned(),
            decision: req.decision,
            note: req.note.trim().to_owned(),
            date: on.to_string(),
            agency: worker.agency.clone(),
            added: Stamp {
                by: worker.id.clone(),
                by_name: worker.display_name.clone(),
                at_ms: now_ms(),
            },
        };
        response
            .validate()
            .map_err(|e| invalid(format!("the decision cannot be stored: {e}")))?;
        let claimed = self
            .store
            .set_concern_decision(id, req.decision, on, &worker.id)
            .await?;
        if !claimed && row.decision != Some(req.decision) {
            return Err(FrontDoorError::Denied(Denied::Conflict(
                "this concern is already decided".into(),
            )));
        }
        self.write(&child, |doc| {
            entry::as_front_door(doc, &child, |d| kept(entry::add_response(d, &response)))
        })
        .await?;
        self.audit
            .record_or_log(
                by.event("concern.decision", "ok")
                    .child(&child)
                    .detail(format!("concern {id}: {}", req.decision.code())),
            )
            .await;
        self.item(&self.stored(id).await?, today()).await
    }

    /// Runs `write` on the child's record through the merge pipeline.
    async fn write(
        &self,
        child: &ChildId,
        mut write: impl FnMut(&mut automerge::Automerge) -> std::result::Result<(), String> + Send,
    ) -> Result<()> {
        let mut outcome = Ok(());
        self.documents
            .append(child, |doc| outcome = write(doc))
            .await?;
        outcome.map_err(|e| {
            tracing::error!(error = %e, child = %child, "writing the front door's entry failed");
            FrontDoorError::Merge(MergeError::Internal(
                "the front door's entry could not be written",
            ))
        })
    }
}

/// A write's outcome, where an entry the record already holds (a retry) is not an error.
fn kept(written: std::result::Result<(), RecordError>) -> std::result::Result<(), String> {
    match written {
        Ok(()) | Err(RecordError::Exists) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// A referrer's view of one of their concerns: the decision and its date only.
fn feedback(row: &StoredConcern) -> ConcernFeedback {
    ConcernFeedback {
        id: row.id.clone(),
        outcome: match (row.decision, row.decided_on) {
            (Some(decision), Some(decided_on)) => ConcernOutcome::Decided {
                received_on: row.received_on,
                decision,
                decided_on,
            },
            _ => ConcernOutcome::Received {
                received_on: row.received_on,
            },
        },
    }
}

/// The concern as the child's record holds it, attributed to whoever raised it.
fn record_entry(row: &StoredConcern, worker: &User, at_ms: i64) -> Concern {
    let s = &row.submission;
    Concern {
        id: row.id.clone(),
        received_on: row.received_on.to_string(),
        raised_on: Date::london_from_unix_ms(s.raised_at_ms.min(row.received_at_ms)).to_string(),
        from: row.from,
        referrer: row.referrer.clone(),
        agency: row.agency.clone(),
        relationship: row.relationship.clone(),
        indicators: s.indicators.clone(),
        source: s.source,
        narrative: s.narrative.clone(),
        child_words: s.child_words.clone(),
        urgency: s.urgency,
        owner: if row.owner.is_empty() {
            worker.id.to_string()
        } else {
            row.owner.clone()
        },
        owner_name: if row.owner.is_empty() {
            worker.display_name.clone()
        } else {
            row.owner_name.clone()
        },
        due: row.due.to_string(),
        added: Stamp {
            by: worker.id.clone(),
            by_name: worker.display_name.clone(),
            at_ms,
        },
    }
}
