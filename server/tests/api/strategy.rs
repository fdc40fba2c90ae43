//! Strategy discussions and information-sharing decisions through the server: recorded on a
//! tablet, they reach the record and its chronology; a section 47 decision makes the initial
//! conference due; every sharing decision is in the audit trail, without its contents.

use crate::support::{stamp, today, Tablet, TestServer};
use shared::ChildId;

/// A strategy discussion and a decision not to share, recorded on a tablet: both reach the
/// record; the initial conference falls due; the decision not to share is audited.
#[tokio::test]
async fn strategy_discussions_and_sharing_decisions_reach_the_record_and_the_trail() {
    use shared::record::sharing::{self, Consent, LawfulBasis, SharingDecision};
    use shared::record::strategy::{self, Attendee, AttendeeRole, StrategyRecord};
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let ava: ChildId = "child-ava".parse().expect("id");
    let by = "user-sam-social";
    let held = today().to_string();
    {
        let doc = &mut sam.caseload.replicas.get_mut(&ava).expect("ava").doc;
        strategy::add_strategy(
            doc,
            &StrategyRecord {
                id: "strategy-1".into(),
                date: held.clone(),
                attendees: vec![
                    Attendee {
                        name: "Sam Okafor".into(),
                        agency: "Children's Social Care".into(),
                        role: AttendeeRole::SocialCare,
                    },
                    Attendee {
                        name: "DC Rowe".into(),
                        agency: "Police".into(),
                        role: AttendeeRole::Police,
                    },
                ],
                section_47: true,
                reasons: "Bruising reported by school".into(),
                concern_id: "concern-demo-ava".into(),
                agency: crate::support::agency(by),
                added: stamp(by),
            },
        )
        .expect("strategy");
        sharing::add_sharing(
            doc,
            &SharingDecision {
                id: "sharing-1".into(),
                about_map: String::new(),
                about_id: String::new(),
                shared: false,
                what: "Where the children are staying".into(),
                with_whom: "The children's father".into(),
                date: held.clone(),
                purpose: "He asked at the school gate".into(),
                basis: LawfulBasis::PublicTask,
                consent: Consent::NotSought,
                consent_reason: "Asking would alert him".into(),
                more_detrimental: true,
                protect_identity: String::new(),
                agency: crate::support::agency(by),
                added: stamp(by),
            },
        )
        .expect("sharing");
    }
    sam.sync(&server).await;
    let morgan = server.login("morgan.manager").await;
    let view = server.record(&morgan, "child-ava").await;
    assert_eq!(view.record.strategy_discussions.len(), 1);
    assert_eq!(
        view.record.strategy_discussions[0].missing_core(),
        vec![AttendeeRole::Health, AttendeeRole::Education]
    );
    assert!(view.overview.timescales.iter().any(|t| t.kind
        == shared::analytics::TimescaleKind::InitialConference
        && t.due == today().add_working_days(15)));
    for id in ["strategy-1", "sharing-1"] {
        assert!(view.chronology.iter().any(|i| i.ref_id == id), "{id}");
    }
    let trail = server
        .state
        .store
        .audit_for_child(&ava)
        .await
        .expect("audit");
    assert!(trail.iter().any(|e| e.event.action == "sharing_decision"
        && e.event.detail.contains("sharing-1")
        && e.event.detail.contains("more detrimental")));
    assert!(!trail.iter().any(|e| e.event.detail.contains("father")));
}
