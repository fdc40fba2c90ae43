//! The extractor that authenticates a request from its bearer token (through `sessions`), and
//! the identity a request's changes are checked against.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::audit::Event;
use crate::credentials::token_hash;
use crate::error::ApiError;
use crate::sessions::{Access, Sessions};
use crate::store::User;

/// The signed-in user of a request, from `Authorization: Bearer <token>`.
pub struct AuthUser {
    pub user: User,
    pub token_hash: String,
    /// The device the session was opened on, if the client named one.
    pub device_id: Option<String>,
    /// The sign-in this session belongs to (shared with its refresh tokens).
    pub family_id: Option<String>,
    /// What the account may do now. `AuthUser` itself admits only `Active`; the wrappers
    /// below admit more for the few routes that serve the other states.
    pub access: Access,
}

/// A session that may only choose a new password (or be signed out), as well as an active one.
pub struct PasswordUser(pub AuthUser);

/// A session whose account was disabled within the grace period, as well as an active one:
/// what `POST /api/sync` takes, to accept a leaver's last upload and tell the tablet to erase.
pub struct SyncUser(pub AuthUser);

/// Any session, whatever its account's state: signing out.
pub struct AnyUser(pub AuthUser);

impl AuthUser {
    /// An audit event attributed to this user and the device the session was opened on.
    pub fn audit(&self, action: &str, outcome: &str) -> Event {
        Event::new(action, outcome).by(self.user.id.as_str(), self.device_id.as_deref())
    }

    /// Who does something through the partnership service.
    pub fn actor(&self) -> crate::admin::Actor {
        crate::admin::Actor::User {
            user: self.user.clone(),
            device_id: self.device_id.clone(),
        }
    }

    /// The identity changes are checked against: every actor this device writes with starts
    /// with the device id's 16 bytes. A session whose stored device id is not canonical (opened
    /// before sign-in checked them) has no prefix, so the validator refuses its changes.
    pub fn sender(&self) -> shared::validate::Sender {
        let actor_prefix = self
            .device_id
            .as_deref()
            .and_then(|d| d.parse::<shared::DeviceId>().ok())
            .map(|d| d.bytes().to_vec())
            .unwrap_or_default();
        shared::validate::Sender {
            user_id: self.user.id.clone(),
            role: self.user.role,
            display_name: self.user.display_name.clone(),
            agency: self.user.agency.clone(),
            actor_prefix,
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty() && token.len() <= 128).then_some(token)
}

async fn authenticate<S: Send + Sync>(parts: &Parts, state: &S) -> Result<AuthUser, ApiError>
where
    Sessions: FromRef<S>,
{
    let token = bearer(parts).ok_or(ApiError::Unauthorised)?;
    let hash = token_hash(token);
    let sessions = Sessions::from_ref(state);
    let session = sessions
        .session(&hash)
        .await?
        .ok_or(ApiError::Unauthorised)?;
    Ok(AuthUser {
        access: sessions.access(&session.user),
        user: session.user,
        token_hash: hash,
        device_id: session.device_id,
        family_id: session.family_id,
    })
}

/// The refusal for a session in `access`, where the route does not serve it.
fn refusal(access: Access) -> ApiError {
    match access {
        Access::MustChangePassword => ApiError::PasswordChangeRequired,
        Access::Active | Access::Leaving | Access::Disabled => ApiError::AccountDisabled,
    }
}

/// Implements an extractor that admits sessions whose access is one of `$admit`.
macro_rules! admitting {
    ($ty:ty, $wrap:expr, [$($admit:ident),+]) => {
        impl<S: Send + Sync> FromRequestParts<S> for $ty
        where
            Sessions: FromRef<S>,
        {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                let auth = authenticate(parts, state).await?;
                match auth.access {
                    $(Access::$admit)|+ => Ok($wrap(auth)),
                    #[allow(unreachable_patterns)]
                    other => Err(refusal(other)),
                }
            }
        }
    };
}

admitting!(AuthUser, std::convert::identity, [Active]);
admitting!(PasswordUser, PasswordUser, [Active, MustChangePassword]);
admitting!(SyncUser, SyncUser, [Active, Leaving]);
admitting!(
    AnyUser,
    AnyUser,
    [Active, MustChangePassword, Leaving, Disabled]
);

#[cfg(test)]
mod tests {
    use super::*;

    /// `expected` is the actor prefix a session on `device` is checked against.
    fn check(device: Option<&str>, expected: &[u8]) {
        let auth = AuthUser {
            user: User {
                id: "user-sam".parse().expect("id"),
                username: "sam".into(),
                display_name: "Sam".into(),
                agency: "Test".into(),
                role: shared::api::Role::Practitioner,
                team_id: None,
                password_hash: String::new(),
                disabled_at_ms: None,
                must_change_password: false,
                front_door: false,
            },
            token_hash: String::new(),
            device_id: device.map(str::to_owned),
            family_id: None,
            access: Access::Active,
        };
        assert_eq!(auth.sender().actor_prefix, expected, "{device:?}");
    }

    #[test]
    fn the_actor_prefix_is_the_canonical_device_ids_bytes() {
        check(
            Some("00112233445566778899aabbccddeeff"),
            &[
                0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                0xee, 0xff,
            ],
        );
        // Sessions opened before sign-in checked device ids: no prefix, nothing accepted.
        check(Some("00112233445566778899AABBCCDDEEFF"), &[]);
        check(Some("73616d2e736f6369616c"), &[]);
        check(Some("tablet-1"), &[]);
        check(None, &[]);
    }
}
