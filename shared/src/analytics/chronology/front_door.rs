//! The front door's items in the chronology: concerns (attributed to whoever raised them),
//! their answers, strategy discussions as minuted, and information-sharing decisions.

use std::collections::BTreeSet;

use super::{ChronologyItem, ItemKind};
use crate::calendar::Date;
use crate::catalogue::{self, Category};
use crate::record::Record;

/// Concerns as the front door received them (attributed to whoever raised them), the
/// answers, strategy discussions as minuted, and information-sharing decisions.
pub(super) fn items(record: &Record, items: &mut Vec<ChronologyItem>) {
    for c in &record.concerns {
        let mut item = ChronologyItem::new(
            ItemKind::Concern,
            c.received_on.clone(),
            c.id.clone(),
            c.headline(),
        );
        item.recorded_at_ms = c.added.at_ms;
        item.author = if c.referrer.is_empty() {
            "Anonymous".to_owned()
        } else {
            c.referrer.clone()
        };
        item.agency = if c.agency.is_empty() {
            c.from.label().to_owned()
        } else {
            c.agency.clone()
        };
        item.source = c.source.label().to_owned();
        item.narrative = c.narrative.clone();
        item.child_words = c.child_words.clone();
        let found: Vec<_> = c
            .indicators
            .iter()
            .filter_map(|code| catalogue::find(code))
            .collect();
        item.indicators = found.iter().map(|i| i.label.to_owned()).collect();
        let cats: BTreeSet<Category> = found.iter().map(|i| i.category).collect();
        item.categories = cats.into_iter().collect();
        item.significance = vec![format!(
            "Received by the front door {}; matched by {}; response due {} ({})",
            c.received_on,
            c.added.by_name,
            c.due,
            c.urgency.label().to_lowercase()
        )];
        items.push(item);
    }
    for r in &record.concern_responses {
        let mut item = ChronologyItem::new(
            ItemKind::ConcernDecision,
            r.date.clone(),
            r.id.clone(),
            format!("Concern answered: {}", r.decision.label().to_lowercase()),
        )
        .by(&r.added);
        item.agency = r.agency.clone();
        item.narrative = r.note.clone();
        item.significance = record
            .concerns
            .iter()
            .find(|c| c.id == r.concern_id)
            .map(|c| format!("{} of {}", c.headline(), c.received_on))
            .into_iter()
            .collect();
        items.push(item);
    }
    for s in &record.strategy_discussions {
        let mut item = ChronologyItem::new(
            ItemKind::StrategyDiscussion,
            s.date.clone(),
            s.id.clone(),
            s.headline(),
        )
        .by(&s.added);
        item.agency = s.agency.clone();
        item.narrative = s.reasons.clone();
        item.present = s
            .attendees
            .iter()
            .map(|a| {
                format!(
                    "{} ({}, {})",
                    a.name,
                    a.agency,
                    a.role.label().to_lowercase()
                )
            })
            .collect();
        if s.section_47 {
            item.action = format!(
                "Initial child protection conference due {}",
                s.date.parse::<Date>().map_or(String::new(), |d| d
                    .add_working_days(crate::analytics::front_door::INITIAL_CONFERENCE_WORKING_DAYS)
                    .to_string())
            );
        }
        items.push(item);
    }
    for d in &record.sharing_decisions {
        let mut item = ChronologyItem::new(
            ItemKind::InformationSharing,
            d.date.clone(),
            d.id.clone(),
            d.headline(),
        )
        .by(&d.added);
        item.agency = d.agency.clone();
        item.narrative = format!("What: {}. Why: {}", d.what, d.purpose);
        item.significance = vec![
            format!("Lawful basis: {}", d.basis.label()),
            format!("Consent: {}", d.consent.label().to_lowercase()),
        ];
        if !d.consent_reason.is_empty() {
            item.significance
                .push(format!("Consent: {}", d.consent_reason));
        }
        if !d.protect_identity.is_empty() {
            item.significance
                .push("Someone's identity is to be protected".to_owned());
        }
        items.push(item);
    }
}
