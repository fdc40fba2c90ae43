//! Accounts and sessions, the service behind the sign-in routes and the `AuthUser` extractor:
//! signing in (rate limit, device binding, Argon2 off the async workers), issuing and refreshing
//! tokens (a refresh token used twice revokes its family), signing out, and finding the session
//! behind a bearer token. It audits every outcome and knows nothing of HTTP: the routes map its
//! answers to status codes.

use std::sync::Arc;

use shared::api::{LoginResponse, UserInfo};
use shared::DeviceId;

use crate::audit::Event;
use crate::audit_log::AuditLog;
use crate::clock::now_ms;
use crate::credentials::{dummy_hash, new_token, token_hash, verify_password};
use crate::limits::LoginLimiter;
use crate::metrics::{Metrics, SignIn};
use crate::store::{Accounts, Directory, NewRefresh, RefreshUse, Session, StoreError, User};

/// Why a sign-in or refresh was not granted.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Wrong username or password, or a refresh token that is unknown, expired or reused.
    #[error("refused")]
    Credentials,
    /// Too many failed sign-ins for this username lately.
    #[error("too many failed sign-ins")]
    RateLimited,
    /// The device id is not one the app makes (the reason says how).
    #[error("{0}")]
    BadDevice(String),
    /// The device is registered to another user.
    #[error("device registered to another user")]
    DeviceTaken,
    /// The account is disabled (a leaver): the tablet erases what it holds.
    #[error("account disabled")]
    AccountDisabled,
    /// A new password that is too easy to guess.
    #[error(transparent)]
    Weak(#[from] crate::credentials::WeakPassword),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password check: {0}")]
    Internal(String),
}

/// Token lifetimes, from the server's configuration.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub session_ttl_ms: i64,
    pub refresh_ttl_ms: i64,
    /// How long after an account is disabled its tablet may still upload what it holds
    /// (`Access::Leaving`); after that every request is refused.
    pub leaver_grace_ms: i64,
}

/// What a session may do, from its user's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Active,
    /// Signed in with a password an administrator set: only choosing a new one (and signing
    /// out) is allowed until then.
    MustChangePassword,
    /// Disabled within the grace period: a sync that only uploads, answered "erase".
    Leaving,
    /// Disabled, the grace period over: nothing.
    Disabled,
}

/// The accounts service; cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    store: Arc<dyn Accounts>,
    directory: Arc<dyn Directory>,
    audit: AuditLog,
    limiter: LoginLimiter,
    metrics: Arc<Metrics>,
    lifetimes: Lifetimes,
    thresholds: shared::analytics::Thresholds,
}

impl Sessions {
    pub fn new(
        store: Arc<dyn Accounts>,
        directory: Arc<dyn Directory>,
        audit: AuditLog,
        limiter: LoginLimiter,
        metrics: Arc<Metrics>,
        lifetimes: Lifetimes,
        thresholds: shared::analytics::Thresholds,
    ) -> Self {
        Sessions {
            store,
            directory,
            audit,
            limiter,
            metrics,
            lifetimes,
            thresholds,
        }
    }

    /// Who `user` is, as their tablet keeps it, with the partnership's thresholds.
    pub fn user_info(&self, user: &User) -> UserInfo {
        UserInfo {
            id: user.id.clone(),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            agency: user.agency.clone(),
            role: user.role,
            thresholds: self.thresholds,
            front_door: user.front_door,
        }
    }

    /// Signs `username` in on `device` (as sent: checked here), opening a new token family.
    pub async fn sign_in(
        &self,
        username: &str,
        password: String,
        device: Option<&str>,
    ) -> Result<LoginResponse, Refused> {
        let now = now_ms();
        if self.limiter.is_blocked(username, now) {
            tracing::warn!("sign-in rate limited");
            self.metrics.sign_in(SignIn::RateLimited);
            self.audit
                .record_or_log(Event::new("login", "rate_limited"))
                .await;
            return Err(Refused::RateLimited);
        }
        let user = self.store.user_by_username(username.trim()).await?;
        // Checked before the password, which it saves hashing: the app only ever sends canonical
        // ids, so this is a broken or hostile client whatever the password.
        let device = match device.map(str::parse::<DeviceId>) {
            None => None,
            Some(Ok(device)) => Some(device.to_string()),
            Some(Err(invalid)) => {
                tracing::warn!("sign-in refused: {invalid}");
                self.metrics.sign_in(SignIn::Failed);
                let mut event = Event::new("login", "refused").detail(invalid.to_string());
                event.user_id = user.map(|u| u.id.to_string());
                self.audit.record_or_log(event).await;
                return Err(Refused::BadDevice(invalid.to_string()));
            }
        };
        let hash = user
            .as_ref()
            .map_or_else(|| dummy_hash().to_owned(), |u| u.password_hash.clone());
        // Argon2 is deliberately slow: keep it off the async workers.
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(|e| Refused::Internal(e.to_string()))?;
        let user = match user {
            Some(u) if ok && u.disabled_at_ms.is_some() => {
                // The password is right, so telling the tablet is safe: it erases this user's
                // records. Not counted as a failure for the rate limit.
                tracing::info!(user = %u.id, "sign-in refused: account disabled");
                let mut event = Event::new("login", "refused").detail("account disabled");
                event.user_id = Some(u.id.to_string());
                event.device_id = device;
                self.audit.record_or_log(event).await;
                return Err(Refused::AccountDisabled);
            }
            Some(u) if ok => u,
            other => {
                tracing::info!("sign-in refused");
                self.metrics.sign_in(SignIn::Failed);
                self.limiter.failed(username, now);
                let mut event = Event::new("login", "refused");
                event.user_id = other.map(|u| u.id.to_string());
                self.audit.record_or_log(event).await;
                return Err(Refused::Credentials);
            }
        };
        self.limiter.succeeded(username);
        if let Some(device) = &device {
            if !self.store.bind_device(device, &user.id, now).await? {
                tracing::warn!(user = %user.id, "sign-in refused: device registered to another user");
                let mut event =
                    Event::new("login", "refused").detail("device registered to another user");
                event.user_id = Some(user.id.to_string());
                event.device_id = Some(device.clone());
                self.audit.record_or_log(event).await;
                return Err(Refused::DeviceTaken);
            }
        }
        let response = self.issue(&user, device.as_deref(), &new_token()).await?;
        tracing::info!(user = %user.id, "signed in");
        self.metrics.sign_in(SignIn::Ok);
        let mut event = Event::new("login", "ok");
        event.user_id = Some(user.id.to_string());
        event.device_id = device;
        self.audit.record_or_log(event).await;
        Ok(response)
    }

    /// A new access token and refresh token in `family`.
    async fn issue(
        &self,
        user: &User,
        device: Option<&str>,
        family: &str,
    ) -> Result<LoginResponse, StoreError> {
        let now = now_ms();
        let token = new_token();
        let refresh_token = new_token();
        let expires_at_ms = now + self.lifetimes.session_ttl_ms;
        let refresh_expires_at_ms = now + self.lifetimes.refresh_ttl_ms;
        self.store
            .create_session(
                &token_hash(&token),
                &user.id,
                device,
                family,
                now,
                expires_at_ms,
            )
            .await?;
        self.store
            .create_refresh(&NewRefresh {
                token_hash: token_hash(&refresh_token),
                family_id: family.to_owned(),
                user_id: user.id.clone(),
                device_id: device.map(str::to_owned),
                now_ms: now,
                expires_at_ms: refresh_expires_at_ms,
            })
            .await?;
        Ok(LoginResponse {
            token,
            expires_at_ms,
            user: self.user_info(user),
            refresh_token,
            refresh_expires_at_ms,
            must_change_password: user.must_change_password,
        })
    }

    /// Exchanges a refresh token for new tokens. A refresh token presented a second time was
    /// copied: its whole family is revoked and the user must sign in again.
    pub async fn refresh(&self, refresh_token: &str) -> Result<LoginResponse, Refused> {
        if refresh_token.is_empty() || refresh_token.len() > 128 {
            return Err(Refused::Credentials);
        }
        match self
            .store
            .use_refresh(&token_hash(refresh_token), now_ms())
            .await?
        {
            RefreshUse::Valid {
                user,
                device_id,
                family_id,
            } => {
                if self.access(&user) == Access::Disabled {
                    self.store.revoke_family(&family_id).await?;
                    let mut event = Event::new("refresh", "refused").detail("account disabled");
                    event.user_id = Some(user.id.to_string());
                    event.device_id = device_id;
                    self.audit.record_or_log(event).await;
                    return Err(Refused::AccountDisabled);
                }
                let response = self.issue(&user, device_id.as_deref(), &family_id).await?;
                let mut event = Event::new("refresh", "ok");
                event.user_id = Some(user.id.to_string());
                event.device_id = device_id;
                self.audit.record_or_log(event).await;
                Ok(response)
            }
            RefreshUse::Reused { user_id, .. } => {
                tracing::warn!(user = %user_id, "refresh token reused: family revoked");
                let mut event = Event::new("refresh", "reused_family_revoked");
                event.user_id = Some(user_id);
                self.audit.record_or_log(event).await;
                Err(Refused::Credentials)
            }
            RefreshUse::Invalid => Err(Refused::Credentials),
        }
    }

    /// Ends the session `token_hash` and, with it, its refresh family; `event` says who.
    pub async fn sign_out(
        &self,
        token_hash: &str,
        family: Option<&str>,
        event: Event,
    ) -> Result<(), StoreError> {
        self.store.delete_session(token_hash).await?;
        if let Some(family) = family {
            self.store.revoke_family(family).await?;
        }
        self.audit.record_or_log(event).await;
        Ok(())
    }

    /// The live session a bearer token's hash names, if any.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        self.store.session_user(token_hash, now_ms()).await
    }

    /// What `user`'s sessions may do now.
    pub fn access(&self, user: &User) -> Access {
        match user.disabled_at_ms {
            Some(at) if now_ms() < at.saturating_add(self.lifetimes.leaver_grace_ms) => {
                Access::Leaving
            }
            Some(_) => Access::Disabled,
            None if user.must_change_password => Access::MustChangePassword,
            None => Access::Active,
        }
    }

    /// The signed-in `user` chooses a new password: the current one is checked, the new one
    /// must be strong, and every other sign-in of the user is revoked (this one, `family`,
    /// stays signed in).
    pub async fn change_password(
        &self,
        user: &User,
        family: Option<&str>,
        current: String,
        new: String,
    ) -> Result<(), Refused> {
        let now = now_ms();
        if self.limiter.is_blocked(&user.username, now) {
            return Err(Refused::RateLimited);
        }
        let hash = user.password_hash.clone();
        let ok = tokio::task::spawn_blocking(move || verify_password(&current, &hash))
            .await
            .map_err(|e| Refused::Internal(e.to_string()))?;
        if !ok {
            self.limiter.failed(&user.username, now);
            let mut event =
                Event::new("password.change", "refused").detail("current password wrong");
            event.user_id = Some(user.id.to_string());
            self.audit.record_or_log(event).await;
            return Err(Refused::Credentials);
        }
        crate::credentials::check_strength(&new, &user.username)?;
        let new_hash = tokio::task::spawn_blocking(move || crate::credentials::hash_password(&new))
            .await
            .map_err(|e| Refused::Internal(e.to_string()))?
            .map_err(|e| Refused::Internal(e.to_string()))?;
        self.directory
            .set_password(&user.id, &new_hash, false, family)
            .await?;
        let mut event = Event::new("password.change", "ok");
        event.user_id = Some(user.id.to_string());
        self.audit.record_or_log(event).await;
        Ok(())
    }
}
