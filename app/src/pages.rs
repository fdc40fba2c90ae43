//! One component per route.

mod admin;
mod agencies;
mod caseload;
mod child;
mod children;
mod chronology;
mod concerns;
mod core_group;
mod front_door;
mod login;
mod new_observation;
mod overview;
mod print;
mod supervision;
mod team;
mod unlock;

pub use admin::Admin;
pub use agencies::Agencies;
pub use caseload::Caseload;
pub use child::ChildRecord;
pub use children::Children;
pub use concerns::Concerns;
pub use core_group::CoreGroupPage;
pub use front_door::FrontDoor;
pub use login::Login;
pub use new_observation::NewObservation;
pub use overview::TeamChildOverview;
pub use print::PrintChronology;
pub use supervision::NewSupervision;
pub use team::Team;
pub use unlock::Unlock;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main id="main" class="page">
            <h1>"Page not found"</h1>
            <p><a href="/caseload">"Go to the caseload"</a></p>
        </main>
    }
}
