//! Credentials: password hashes (Argon2id) and bearer tokens (random, stored only as digests).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Hashing failed (Argon2's own error does not implement `std::error::Error`).
#[derive(Debug, thiserror::Error)]
#[error("hashing password: {0}")]
pub struct HashError(String);

/// Why a new password is refused, in words for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WeakPassword(pub String);

/// The shortest password a person may choose.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Passwords people choose first, refused whatever their length.
const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "qwerty",
    "letmein",
    "welcome",
    "123456",
    "iloveyou",
    "admin",
    "changeme",
    "safeguarding",
    "quilt",
    "monkey",
    "football",
    "sunshine",
    "abc123",
];

/// Refuses a password that is short, mostly one character, a common password padded out, or
/// the username (NCSC guidance: length and a deny list, no composition rules).
pub fn check_strength(password: &str, username: &str) -> Result<(), WeakPassword> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(WeakPassword(format!(
            "choose a password of at least {MIN_PASSWORD_CHARS} characters (three random words work well)"
        )));
    }
    if chars > 256 {
        return Err(WeakPassword(
            "choose a password of at most 256 characters".into(),
        ));
    }
    let lower = password.to_lowercase();
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Err(WeakPassword(
            "choose a password with more different characters".into(),
        ));
    }
    let stripped: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    let username = username.trim().to_lowercase();
    if (!username.is_empty() && lower.contains(&username))
        || COMMON.iter().any(|c| {
            stripped == *c || lower.trim_end_matches(|c: char| c.is_ascii_digit() || c == '!') == *c
        })
        || lower.contains("password")
    {
        return Err(WeakPassword(
            "that password is too easy to guess; choose another (not your username)".into(),
        ));
    }
    Ok(())
}

/// An Argon2id hash of `password`, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A password hash nobody's password matches, verified when the username is unknown so that
/// a missing account takes as long to refuse as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

/// A new random bearer token (256 bits, hex).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Only this digest of a token is stored, so a database leak yields no usable sessions.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords() {
        let h = hash_password("correct horse").expect("hash");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!verify_password("", dummy_hash()));
    }

    #[test]
    fn weak_passwords_are_refused() {
        for weak in [
            "short",
            "aaaaaaaaaaaaaaaa",
            "password12345",
            "Password123!",
            "sam.social-2026",
            "qwerty1234567",
            "safeguarding!!",
        ] {
            assert!(check_strength(weak, "sam.social").is_err(), "{weak}");
        }
        for strong in [
            "correct horse battery",
            "tablet-river-orange-7",
            "Kettle and 3 swans",
        ] {
            assert!(check_strength(strong, "sam.social").is_ok(), "{strong}");
        }
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
