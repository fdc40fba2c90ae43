//! Closed sets of values a person picks from (a kind of plan, a side of the body, where an
//! observation came from): every value, its wire code and its words, defined once here and used
//! by the tablet's inputs, so a select never writes a code by hand.
//!
//! A code is the value's serde name, which the record stores; `shared/tests/core/choice.rs`
//! checks every code of every choice against serde, so the two cannot drift.

/// A value picked from a closed set.
pub trait Choice: Copy + PartialEq + 'static {
    /// Every value, in the order a person is offered them.
    const ALL: &'static [Self];

    /// The value's wire code: its serde name.
    fn code(self) -> &'static str;

    /// The value in words, for people.
    fn label(self) -> &'static str;

    /// The value with this code, if any.
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
}

/// Implements [`Choice`] for an enum with an inherent `label`: its variants in offering order,
/// each with its serde name.
macro_rules! choice {
    ($ty:ident { $($variant:ident = $code:literal),+ $(,)? }) => {
        impl $crate::choice::Choice for $ty {
            const ALL: &'static [Self] = &[$($ty::$variant),+];

            fn code(self) -> &'static str {
                match self {
                    $($ty::$variant => $code),+
                }
            }

            fn label(self) -> &'static str {
                $ty::label(self)
            }
        }
    };
}

pub(crate) use choice;
