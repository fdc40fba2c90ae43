//! Every choice the tablet offers (`shared::choice`): each value's code is its serde name, the
//! code reads back as the value, each value is offered once and has words.

use shared::api::partnership::CoreRole;
use shared::catalogue::Category;
use shared::choice::Choice;
use shared::record::episodes::{EndReason, EpisodeKind, EventKind, PlanCategory};
use shared::record::escalation::{DriftAction, Outcome, StepKind};
use shared::record::front_door::{ConcernFrom, Decision, Urgency};
use shared::record::people::{AgeGroup, AssessmentStatus, Household};
use shared::record::plan::{ActionState, ConferenceKind, PlanKind};
use shared::record::sharing::{Consent, LawfulBasis};
use shared::record::strategy::AttendeeRole;
use shared::record::visits::{Difficulty, VisitPlace};
use shared::record::{BodyView, Level, MarkKind, Side, Source, Suitability};

fn codes_are_serde_names<T: Choice + serde::Serialize + std::fmt::Debug>() {
    assert!(!T::ALL.is_empty());
    for &v in T::ALL {
        let serde = serde_json::to_value(v).expect("serialise");
        assert_eq!(serde, serde_json::Value::String(v.code().into()), "{v:?}");
        assert_eq!(T::from_code(v.code()), Some(v), "{v:?}");
        assert!(!v.label().is_empty(), "{v:?}");
    }
    let mut codes: Vec<&str> = T::ALL.iter().map(|v| v.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), T::ALL.len(), "each value once");
    assert_eq!(T::from_code("no such code"), None);
}

#[test]
fn every_code_is_the_serde_name_of_its_value() {
    codes_are_serde_names::<PlanKind>();
    codes_are_serde_names::<ActionState>();
    codes_are_serde_names::<ConferenceKind>();
    codes_are_serde_names::<AgeGroup>();
    codes_are_serde_names::<Household>();
    codes_are_serde_names::<AssessmentStatus>();
    codes_are_serde_names::<BodyView>();
    codes_are_serde_names::<Side>();
    codes_are_serde_names::<MarkKind>();
    codes_are_serde_names::<Source>();
    codes_are_serde_names::<Level>();
    codes_are_serde_names::<Suitability>();
    codes_are_serde_names::<Category>();
    codes_are_serde_names::<CoreRole>();
    codes_are_serde_names::<EpisodeKind>();
    codes_are_serde_names::<PlanCategory>();
    codes_are_serde_names::<EndReason>();
    codes_are_serde_names::<EventKind>();
    codes_are_serde_names::<VisitPlace>();
    codes_are_serde_names::<Difficulty>();
    codes_are_serde_names::<DriftAction>();
    codes_are_serde_names::<StepKind>();
    codes_are_serde_names::<Outcome>();
    codes_are_serde_names::<ConcernFrom>();
    codes_are_serde_names::<Urgency>();
    codes_are_serde_names::<Decision>();
    codes_are_serde_names::<AttendeeRole>();
    codes_are_serde_names::<LawfulBasis>();
    codes_are_serde_names::<Consent>();
}
