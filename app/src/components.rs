//! Building blocks shared by several pages.

pub mod assessments;
pub mod body_map;
mod charts;
pub mod conflict;
pub mod draft;
pub mod escalation;
pub mod form;
pub mod front_door;
mod header;
pub mod indicator_picker;
pub mod observation_card;
pub mod observation_list;
pub mod online;
pub mod overview_panel;
pub mod people;
pub mod plan;
mod signed_in;
pub mod visits;

pub use assessments::{NeglectSection, ScalingSection};
pub use body_map::BodyMapEditor;
pub use charts::{
    CategorySeries, IndicatorChart, PlanChart, PlanCounts, ScalingChart, ScalingPoint,
};
pub use escalation::EscalationSection;
pub use front_door::ConcernsSection;
pub use header::Header;
pub use indicator_picker::{IndicatorPicker, Selection};
pub use observation_card::ObservationCard;
pub use observation_list::ObservationsSection;
pub use overview_panel::OverviewPanel;
pub use people::PeopleSection;
pub use plan::PlanSection;
pub use signed_in::SignedIn;
pub use visits::VisitsSection;
