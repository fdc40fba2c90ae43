//! The demo's front door: Ava's record holds a concern from her school (Jo Adams, Hilltop
//! Primary School), matched and decided (a child and family assessment), so the school's
//! tablet shows the outcome; and the queue holds an anonymous call about a child with no
//! record yet, so the front-door worker (Fran) has a concern to match and decide.

use shared::api::front_door::{decision_due, ConcernChild, ConcernSubmission};
use shared::calendar::Date;
use shared::nhs::NhsNumber;
use shared::record::front_door::{self, Concern, ConcernFrom, ConcernResponse, Decision, Urgency};
use shared::record::stamped::Stamp;
use shared::record::Source;
use shared::ChildId;

use crate::state::AppState;
use crate::store::{StoredConcern, User};

/// Ava's NHS number in the demo (a valid check digit; a made-up child).
pub const AVA_NHS: &str = "4505577104";
/// The concern from Ava's school the demo's record holds.
pub const AVA_CONCERN: &str = "concern-demo-ava";

fn at(date: &str) -> i64 {
    Date::parse_prefix(date).map_or(0, |d| d.days_since_epoch() as i64 * 86_400_000 + 36_000_000)
}

pub(super) async fn seed(state: &AppState, users: &[User]) -> anyhow::Result<()> {
    let (Some(fran), Some(jo)) = (
        users.iter().find(|u| u.username == super::FRONT_DOOR_USER),
        users.iter().find(|u| u.username == "jo.school"),
    ) else {
        return Ok(());
    };
    let ava: ChildId = "child-ava".parse()?;
    if let Some(mut details) = state.store.child_details(&ava).await? {
        details.fields.nhs_number = Some(AVA_NHS.parse::<NhsNumber>()?);
        state.store.update_child(&details).await?;
    }
    let received: Date = "2026-11-16".parse()?;
    let submission = ConcernSubmission {
        id: AVA_CONCERN.into(),
        raised_at_ms: at("2026-11-16"),
        child: ConcernChild {
            name: "Ava Thompson".into(),
            date_of_birth: "2016-04-12".into(),
            age_years: None,
            nhs_number: Some(AVA_NHS.parse()?),
            address: String::new(),
            school: "Hilltop Primary School".into(),
        },
        indicators: Vec::new(),
        source: Source::Observed,
        narrative: "Came to school hungry again, in the same clothes as all last week, with a \
                    bruise on her cheek she would not talk about."
            .into(),
        child_words: "Mum was cross".into(),
        urgency: Urgency::Today,
        contact: "Hilltop Primary School office, 01632 960123".into(),
    };
    let row = StoredConcern {
        id: AVA_CONCERN.into(),
        recorded_by: jo.id.clone(),
        from: ConcernFrom::Professional,
        referrer: jo.display_name.clone(),
        agency: jo.agency.clone(),
        relationship: String::new(),
        submission: submission.clone(),
        received_at_ms: at("2026-11-16"),
        received_on: received,
        due: decision_due(received),
        owner: String::new(),
        owner_name: "The front door".into(),
        child_id: None,
        matched_by: None,
        decision: None,
        decided_on: None,
        decided_by: None,
    };
    state.store.insert_concern(&row).await?;
    state
        .store
        .set_concern_match(AVA_CONCERN, &ava, &fran.id)
        .await?;
    state
        .store
        .set_concern_decision(
            AVA_CONCERN,
            Decision::Assessment,
            decision_due(received),
            &fran.id,
        )
        .await?;
    let stamp = |date: &str| Stamp {
        by: fran.id.clone(),
        by_name: fran.display_name.clone(),
        at_ms: at(date),
    };
    let concern = Concern {
        id: AVA_CONCERN.into(),
        received_on: received.to_string(),
        raised_on: received.to_string(),
        from: ConcernFrom::Professional,
        referrer: jo.display_name.clone(),
        agency: jo.agency.clone(),
        relationship: String::new(),
        indicators: Vec::new(),
        source: submission.source,
        narrative: submission.narrative.clone(),
        child_words: submission.child_words.clone(),
        urgency: submission.urgency,
        owner: fran.id.to_string(),
        owner_name: fran.display_name.clone(),
        due: decision_due(received).to_string(),
        added: stamp("2026-11-16"),
    };
    let answer = ConcernResponse {
        id: format!("decision-{AVA_CONCERN}"),
        concern_id: AVA_CONCERN.into(),
        decision: Decision::Assessment,
        note: "Second concern from school this term alongside the neglect plan: assess, and \
               the lead social worker to visit this week."
            .into(),
        date: decision_due(received).to_string(),
        agency: fran.agency.clone(),
        added: stamp("2026-11-17"),
    };
    let mut failure = None;
    state
        .documents
        .append(&ava, |doc| {
            let written = front_door::as_front_door(doc, &ava, |d| {
                front_door::add_concern(d, &concern).map_err(|e| e.to_string())?;
                front_door::add_response(d, &answer).map_err(|e| e.to_string())
            });
            if let Err(e) = written {
                failure = Some(e.to_string());
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(e) = failure {
        anyhow::bail!("demo concern: {e}");
    }
    // An anonymous call about a child nobody has a record of: in the queue, to decide.
    let now = crate::clock::now_ms();
    let today = Date::london_from_unix_ms(now);
    let call = StoredConcern {
        id: "concern-demo-call".into(),
        recorded_by: fran.id.clone(),
        from: ConcernFrom::Anonymous,
        referrer: String::new(),
        agency: String::new(),
        relationship: String::new(),
        submission: ConcernSubmission {
            id: "concern-demo-call".into(),
            raised_at_ms: now,
            child: ConcernChild {
                name: "Mia".into(),
                date_of_birth: String::new(),
                age_years: Some(3),
                nhs_number: None,
                address: "Flat 4, 12 Canal Street".into(),
                school: String::new(),
            },
            indicators: Vec::new(),
            source: Source::ThirdParty,
            narrative: "A neighbour hears a small child crying for hours most evenings and \
                        has not seen an adult come or go for two days."
                .into(),
            child_words: String::new(),
            urgency: Urgency::Today,
            contact: String::new(),
        },
        received_at_ms: now,
        received_on: today,
        due: decision_due(today),
        owner: fran.id.to_string(),
        owner_name: fran.display_name.clone(),
        child_id: None,
        matched_by: None,
        decision: None,
        decided_on: None,
        decided_by: None,
    };
    state.store.insert_concern(&call).await?;
    Ok(())
}
