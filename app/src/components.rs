//! Building blocks shared by several pages.

mod header;
mod indicator_picker;
mod observation_card;
mod signed_in;

pub use header::Header;
pub use indicator_picker::{IndicatorPicker, Selection};
pub use observation_card::ObservationCard;
pub use signed_in::SignedIn;
