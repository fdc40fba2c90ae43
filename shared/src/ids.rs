//! Newtype identifiers, so a child id can never be passed where a user id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an id string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id: must be 1-64 characters of a-z, A-Z, 0-9, '-' or '_'")]
pub struct InvalidId {
    kind: &'static str,
}

/// Ids travel in URLs and document keys, so they are restricted to a safe alphabet.
fn valid(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

macro_rules! id_type {
    ($name:ident, $kind:literal) => {
        #[doc = concat!("Identifier of a ", $kind, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if valid(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(InvalidId { kind: $kind })
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                if valid(&s) {
                    Ok(Self(s))
                } else {
                    Err(InvalidId { kind: $kind })
                }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

id_type!(ChildId, "child");
id_type!(ObservationId, "observation");
id_type!(UserId, "user");
id_type!(DeviceId, "device");

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, ok: bool) {
        assert_eq!(input.parse::<ChildId>().is_ok(), ok, "{input:?}");
    }

    #[test]
    fn id_alphabet() {
        check("child-1", true);
        check("A_b-9", true);
        check("", false);
        check("a/b", false);
        check("a b", false);
        check(&"x".repeat(64), true);
        check(&"x".repeat(65), false);
    }

    #[test]
    fn serde_rejects_bad_ids() {
        let ok: Result<ChildId, _> = serde_json::from_str("\"c1\"");
        assert!(ok.is_ok());
        let bad: Result<ChildId, _> = serde_json::from_str("\"../etc\"");
        assert!(bad.is_err());
    }
}
