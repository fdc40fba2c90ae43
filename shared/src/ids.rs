//! Newtype identifiers, so a child id can never be passed where a user id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The bytes that begin every genesis actor.
pub const GENESIS_ACTOR_PREFIX: &[u8] = b"quilt-genesis:";

/// The bytes that begin every actor of the server's demo caseload (`server/src/demo.rs`).
pub const DEMO_ACTOR_PREFIX: &[u8] = b"demo-seed-";

/// The bytes that begin the actor a same-child merge copies entries with
/// (`record::same_child`).
pub const MERGE_ACTOR_PREFIX: &[u8] = b"quilt-merge:";

/// The bytes that begin the actor the front door writes concerns and its decisions into a
/// child's record with (`record::front_door`).
pub const FRONT_DOOR_ACTOR_PREFIX: &[u8] = b"quilt-door:";

/// Actors only the server writes with. No device id may begin with one of these (see
/// [`DeviceId`]): a tablet's actors begin with its device id, so it can never write as them.
pub const RESERVED_ACTOR_PREFIXES: &[&[u8]] = &[
    GENESIS_ACTOR_PREFIX,
    DEMO_ACTOR_PREFIX,
    MERGE_ACTOR_PREFIX,
    FRONT_DOOR_ACTOR_PREFIX,
];

/// Why an id string was refused. The message names the rule, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id: {rule}")]
pub struct InvalidId {
    kind: &'static str,
    rule: &'static str,
}

const SAFE_ALPHABET: &str = "must be 1-64 characters of a-z, A-Z, 0-9, '-' or '_'";
const NOT_CANONICAL: &str = "must be exactly 32 lowercase hexadecimal characters";
const RESERVED: &str = "its bytes begin with a prefix reserved for the server's own changes";

/// Ids travel in URLs and document keys, so they are restricted to a safe alphabet.
fn safe(s: &str) -> Result<(), &'static str> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(SAFE_ALPHABET)
    }
}

/// A device id has one spelling: its 16 bytes in lowercase hex. Any other spelling of the same
/// bytes, or a prefix or extension of a bound id, would be a second name for one device.
fn device(s: &str) -> Result<(), &'static str> {
    let bytes = device_bytes(s).ok_or(NOT_CANONICAL)?;
    if RESERVED_ACTOR_PREFIXES
        .iter()
        .any(|prefix| bytes.starts_with(prefix))
    {
        return Err(RESERVED);
    }
    Ok(())
}

/// The 16 bytes a canonical device id spells, or `None` if it is not canonical.
fn device_bytes(s: &str) -> Option<[u8; DeviceId::BYTES]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    if s.len() != 2 * DeviceId::BYTES {
        return None;
    }
    let mut out = [0; DeviceId::BYTES];
    for (byte, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

macro_rules! id_type {
    ($name:ident, $kind:literal, $rule:path) => {
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
                match $rule(s) {
                    Ok(()) => Ok(Self(s.to_owned())),
                    Err(rule) => Err(InvalidId { kind: $kind, rule }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                match $rule(&s) {
                    Ok(()) => Ok(Self(s)),
                    Err(rule) => Err(InvalidId { kind: $kind, rule }),
                }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        // An id reads as the string it is wherever a `&str` is wanted.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        // In a document an id is a plain string, so document bytes are what they were
        // before the newtype; one that breaks the rule does not hydrate.
        impl autosurgeon::Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
                self.0.reconcile(reconciler)
            }
        }

        impl autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> Result<Self, autosurgeon::HydrateError> {
                s.parse().map_err(|e: InvalidId| {
                    autosurgeon::HydrateError::unexpected(
                        concat!("a ", $kind, " id"),
                        e.to_string(),
                    )
                })
            }
        }
    };
}

id_type!(ChildId, "child", safe);
id_type!(ObservationId, "observation", safe);
id_type!(UserId, "user", safe);
id_type!(DeviceId, "device", device);

impl DeviceId {
    /// A device id is 16 random bytes; every actor the device writes with begins with them.
    pub const BYTES: usize = 16;

    /// The id of the device with these bytes, unless they begin with a reserved actor prefix.
    pub fn from_bytes(bytes: [u8; Self::BYTES]) -> Result<Self, InvalidId> {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        hex.parse()
    }

    /// The bytes every actor of this device begins with.
    pub fn bytes(&self) -> [u8; Self::BYTES] {
        // Only canonical ids are ever constructed, and every canonical id decodes.
        device_bytes(&self.0).unwrap_or_default()
    }
}

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

    /// `expected` is `Ok(())` or the rule the id breaks.
    fn check_device(input: &str, expected: Result<(), &str>) {
        let parsed = input.parse::<DeviceId>();
        assert_eq!(
            parsed.as_ref().map(|_| ()).map_err(|e| e.rule),
            expected,
            "{input:?}"
        );
        let from_json = serde_json::from_value::<DeviceId>(serde_json::json!(input));
        assert_eq!(from_json.is_ok(), expected.is_ok(), "{input:?} as JSON");
        if let Ok(id) = parsed {
            assert_eq!(DeviceId::from_bytes(id.bytes()), Ok(id), "round trip");
        }
    }

    fn hex_of(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn device_ids_have_one_canonical_form() {
        let bound = "0123456789abcdef0123456789abcdef";
        check_device(bound, Ok(()));
        check_device(&"0".repeat(32), Ok(()));
        check_device(&"f".repeat(32), Ok(()));
        // Other spellings of the same bytes.
        check_device(&bound.to_uppercase(), Err(NOT_CANONICAL));
        check_device("0123456789ABCDEF0123456789abcdef", Err(NOT_CANONICAL));
        check_device(&format!("0x{}", &bound[2..]), Err(NOT_CANONICAL));
        check_device(&format!(" {}", &bound[1..]), Err(NOT_CANONICAL));
        // Prefixes and extensions of a bound id.
        check_device(&bound[..31], Err(NOT_CANONICAL));
        check_device(&bound[..30], Err(NOT_CANONICAL));
        check_device(&format!("{bound}0"), Err(NOT_CANONICAL));
        check_device(&format!("{bound}00"), Err(NOT_CANONICAL));
        // Not hex at all, or empty; non-ASCII never splits a character.
        check_device("", Err(NOT_CANONICAL));
        check_device(&"g".repeat(32), Err(NOT_CANONICAL));
        check_device(&format!("{}é", &bound[..30]), Err(NOT_CANONICAL));
        check_device(&format!("{}+1", &bound[..30]), Err(NOT_CANONICAL));
    }

    #[test]
    fn device_ids_never_name_the_servers_own_actors() {
        let padded = |prefix: &[u8], fill: u8| {
            let mut bytes = prefix.to_vec();
            bytes.resize(DeviceId::BYTES, fill);
            hex_of(&bytes)
        };
        for prefix in RESERVED_ACTOR_PREFIXES {
            check_device(&padded(prefix, 0), Err(RESERVED));
            check_device(&padded(prefix, 0xff), Err(RESERVED));
        }
        // The first 16 bytes of a real genesis actor and of a demo actor.
        let child: ChildId = "child-ava".parse().expect("id");
        let genesis = [GENESIS_ACTOR_PREFIX, child.as_str().as_bytes()].concat();
        check_device(&hex_of(&genesis[..DeviceId::BYTES]), Err(RESERVED));
        check_device(
            &hex_of(&b"demo-seed-user-sam"[..DeviceId::BYTES]),
            Err(RESERVED),
        );
        // Sharing only part of a reserved prefix is fine.
        check_device(&padded(b"quilt-genesis", b'-'), Ok(()));
        check_device(&padded(b"demo-seed", b'_'), Ok(()));
        let mut bytes = [0; DeviceId::BYTES];
        bytes[..10].copy_from_slice(b"demo-seed-");
        assert!(DeviceId::from_bytes(bytes).is_err());
    }
}
