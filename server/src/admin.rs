//! Running the partnership, the service behind the administration routes and
//! `quilt-server admin`: accounts (create, edit, reset a password, disable a leaver, enable
//! again, release a device), teams, the agency directory, children's identifying details
//! (create with likely duplicates checked, search, edit), the core group (allocations) and
//! imports. It decides who may do each thing, audits every outcome with who did it, and knows
//! nothing of HTTP.
//!
//! Administrators manage accounts and children's details, never records: nothing here reads
//! a child's record.

use std::sync::Arc;

use shared::api::partnership::{AccountEdit, AccountInfo, Agency, ChildMatch, NewAccount, Team};
use shared::api::Role;
use shared::calendar::Date;
use shared::UserId;

use crate::audit::Event;
use crate::audit_log::AuditLog;
use crate::clock::now_ms;
use crate::credentials::{check_strength, hash_password, new_token, WeakPassword};
use crate::store::{Store, StoreError, User};

mod children;
pub mod cli;
pub mod import;

/// Who asks: a signed-in user, or an operator at the command line.
#[derive(Debug, Clone)]
pub enum Actor {
    User {
        user: User,
        device_id: Option<String>,
    },
    /// `quilt-server admin …`: whoever can run the binary on the database is an operator.
    Operator { name: String },
}

impl Actor {
    pub(crate) fn event(&self, action: &str, outcome: &str) -> Event {
        match self {
            Actor::User { user, device_id } => {
                Event::new(action, outcome).by(user.id.as_str(), device_id.as_deref())
            }
            Actor::Operator { name } => {
                Event::new(action, outcome).detail(format!("operator {name} (command line)"))
            }
        }
    }

    pub(crate) fn user(&self) -> Option<&User> {
        match self {
            Actor::User { user, .. } => Some(user),
            Actor::Operator { .. } => None,
        }
    }

    fn is_admin(&self) -> bool {
        self.user().is_none_or(|u| u.role == Role::Admin)
    }
}

/// Why something was not done, for the route to map to a status.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    #[error("you do not have access to this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    /// Children who may be the one being created, not yet judged by the person.
    #[error("{} likely duplicate record(s): check them before creating a new one", .0.len())]
    LikelyDuplicates(Vec<ChildMatch>),
    #[error(transparent)]
    Weak(#[from] WeakPassword),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing: {0}")]
    Internal(String),
}

fn invalid(s: impl Into<String>) -> Denied {
    Denied::Invalid(s.into())
}

/// The partnership service; cheap to clone.
#[derive(Clone)]
pub struct Admin {
    store: Arc<dyn Store>,
    audit: AuditLog,
}

fn today() -> Date {
    Date::london_from_unix_ms(now_ms())
}

/// A short random id with a prefix (`user-…`, `child-…`).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", &new_token()[..20])
}

/// Checks a username: what people type at the sign-in form, so plain and short.
fn check_username(username: &str) -> Result<(), Denied> {
    let ok = (3..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "a username is 3 to 64 lowercase letters, digits, dots, hyphens or underscores",
        ))
    }
}

fn check_text(what: &str, text: &str, required: bool) -> Result<(), Denied> {
    if required && text.trim().is_empty() {
        return Err(invalid(format!("enter {what}")));
    }
    if text.chars().count() > 200 || text.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} is too long or has characters that cannot be stored"
        )));
    }
    Ok(())
}

impl Admin {
    pub fn new(store: Arc<dyn Store>, audit: AuditLog) -> Self {
        Admin { store, audit }
    }

    /// Refused (and audited) unless the actor administers accounts.
    async fn require_admin(&self, by: &Actor, action: &str) -> Result<(), Denied> {
        if by.is_admin() {
            return Ok(());
        }
        self.audit
            .record_or_log(by.event(action, "refused").detail("not an administrator"))
            .await;
        Err(Denied::Forbidden)
    }

    async fn team_exists(&self, team: &Option<String>) -> Result<(), Denied> {
        if let Some(team) = team {
            if !self.store.teams().await?.iter().any(|t| &t.id == team) {
                return Err(invalid("there is no such team"));
            }
        }
        Ok(())
    }

    async fn hash(password: String) -> Result<String, Denied> {
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| Denied::Internal(e.to_string()))?
            .map_err(|e| Denied::Internal(e.to_string()))
    }

    // ----- accounts -----

    pub async fn accounts(&self, by: &Actor) -> Result<Vec<AccountInfo>, Denied> {
        self.require_admin(by, "admin.accounts").await?;
        Ok(self.store.accounts().await?)
    }

    /// A new account. A password an administrator chose on the page must be changed at the
    /// first sign-in (`must_change`); an operator typing their own at the command line need not.
    pub async fn create_account(
        &self,
        by: &Actor,
        new: NewAccount,
        must_change: bool,
    ) -> Result<UserId, Denied> {
        self.require_admin(by, "admin.create_user").await?;
        let username = new.username.trim().to_owned();
        check_username(&username)?;
        check_text("the name", &new.display_name, true)?;
        check_text("the agency", &new.agency, true)?;
        if new.role != Role::Admin && new.team_id.is_none() && new.role == Role::Manager {
            return Err(invalid("a manager manages a team: choose one"));
        }
        self.team_exists(&new.team_id).await?;
        check_strength(&new.password, &username)?;
        if self.store.user_by_username(&username).await?.is_some() {
            return Err(Denied::Conflict("that username is taken".into()));
        }
        let id: UserId = new_id("user")
            .parse()
            .map_err(|_| Denied::Internal("user id".into()))?;
        let user = User {
            id: id.clone(),
            username: username.clone(),
            display_name: new.display_name.trim().to_owned(),
            agency: new.agency.trim().to_owned(),
            role: new.role,
            team_id: new.team_id,
            password_hash: Self::hash(new.password).await?,
            disabled_at_ms: None,
            must_change_password: must_change,
            front_door: new.front_door,
        };
        self.store.create_user(&user).await?;
        self.audit
            .record_or_log(
                by.event("admin.create_user", "ok")
                    .detail(format!("created {username} ({id}) as {}", user.role.code())),
            )
            .await;
        Ok(id)
    }

    async fn user(&self, id: &UserId) -> Result<User, Denied> {
        self.store.user_by_id(id).await?.ok_or(Denied::NotFound)
    }

    pub async fn edit_account(
        &self,
        by: &Actor,
        id: &UserId,
        edit: AccountEdit,
    ) -> Result<(), Denied> {
        self.require_admin(by, "admin.edit_user").await?;
        check_text("the name", &edit.display_name, true)?;
        check_text("the agency", &edit.agency, true)?;
        if edit.role == Role::Manager && edit.team_id.is_none() {
            return Err(invalid("a manager manages a team: choose one"));
        }
        self.team_exists(&edit.team_id).await?;
        let before = self.user(id).await?;
        if by.user().is_some_and(|u| &u.id == id) && edit.role != Role::Admin {
            return Err(invalid("you cannot take away your own administration"));
        }
        self.store.update_user(id, &edit).await?;
        self.audit
            .record_or_log(by.event("admin.edit_user", "ok").detail(format!(
                "{}: role {} -> {}, team {:?} -> {:?}, agency changed: {}, front door {} -> {}",
                before.username,
                before.role.code(),
                edit.role.code(),
                before.team_id,
                edit.team_id,
                before.agency != edit.agency,
                before.front_door,
                edit.front_door
            )))
            .await;
        Ok(())
    }

    /// Sets a password an administrator chose; the user must change it at the next sign-in,
    /// and every session they had is revoked.
    pub async fn reset_password(
        &self,
        by: &Actor,
        id: &UserId,
        password: String,
    ) -> Result<(), Denied> {
        self.require_admin(by, "admin.reset_password").await?;
        let user = self.user(id).await?;
        check_strength(&password, &user.username)?;
        let hash = Self::hash(password).await?;
        self.store.set_password(id, &hash, true, None).await?;
        self.audit
            .record_or_log(
                by.event("admin.reset_password", "ok")
                    .detail(format!("{}: must change at next sign-in", user.username)),
            )
            .await;
        Ok(())
    }

    /// Disables a leaver's account at once (see `sessions::Access`).
    pub async fn disable(&self, by: &Actor, id: &UserId) -> Result<(), Denied> {
        self.require_admin(by, "admin.disable_user").await?;
        let user = self.user(id).await?;
        if by.user().is_some_and(|u| &u.id == id) {
            return Err(invalid("you cannot disable your own account"));
        }
        if user.disabled_at_ms.is_none() {
            self.store.set_disabled(id, Some(now_ms())).await?;
        }
        self.audit
            .record_or_log(
                by.event("admin.disable_user", "ok")
                    .detail(format!("{} disabled", user.username)),
            )
            .await;
        Ok(())
    }

    /// Enables an account again; its old sessions stay revoked, so the user signs in afresh.
    pub async fn enable(&self, by: &Actor, id: &UserId) -> Result<(), Denied> {
        self.require_admin(by, "admin.enable_user").await?;
        let user = self.user(id).await?;
        self.store.set_disabled(id, None).await?;
        self.audit
            .record_or_log(
                by.event("admin.enable_user", "ok")
                    .detail(format!("{} enabled", user.username)),
            )
            .await;
        Ok(())
    }

    /// Frees a device id (a tablet passed to someone else after it was wiped).
    pub async fn release_device(&self, by: &Actor, device: &str) -> Result<(), Denied> {
        self.require_admin(by, "admin.release_device").await?;
        if !self.store.release_device(device).await? {
            return Err(Denied::NotFound);
        }
        self.audit
            .record_or_log(
                by.event("admin.release_device", "ok")
                    .detail(format!("device {device} released")),
            )
            .await;
        Ok(())
    }

    /// The first administrator of an empty database, or any account, by an operator at the
    /// command line: the same checks as the administration page.
    pub async fn user_by_username(&self, username: &str) -> Result<User, Denied> {
        self.store
            .user_by_username(username)
            .await?
            .ok_or(Denied::NotFound)
    }

    // ----- teams and agencies -----

    pub async fn teams(&self) -> Result<Vec<Team>, Denied> {
        Ok(self.store.teams().await?)
    }

    pub async fn create_team(&self, by: &Actor, name: &str) -> Result<Team, Denied> {
        self.require_admin(by, "admin.create_team").await?;
        check_text("the team's name", name, true)?;
        let team = Team {
            id: new_id("team"),
            name: name.trim().to_owned(),
        };
        self.store.create_team(&team.id, &team.name).await?;
        self.audit
            .record_or_log(
                by.event("admin.create_team", "ok")
                    .detail(format!("team {} created", team.id)),
            )
            .await;
        Ok(team)
    }

    pub async fn rename_team(&self, by: &Actor, id: &str, name: &str) -> Result<(), Denied> {
        self.require_admin(by, "admin.rename_team").await?;
        check_text("the team's name", name, true)?;
        if !self.store.rename_team(id, name.trim()).await? {
            return Err(Denied::NotFound);
        }
        self.audit
            .record_or_log(
                by.event("admin.rename_team", "ok")
                    .detail(format!("team {id} renamed")),
            )
            .await;
        Ok(())
    }

    /// The agency directory: every signed-in user may read it.
    pub async fn agencies(&self) -> Result<Vec<Agency>, Denied> {
        Ok(self.store.agencies().await?)
    }

    pub async fn put_agency(&self, by: &Actor, mut agency: Agency) -> Result<Agency, Denied> {
        self.require_admin(by, "admin.put_agency").await?;
        agency.validate().map_err(|e| invalid(e.0))?;
        let existing = self.store.agencies().await?;
        if agency.id.is_empty() {
            agency.id = new_id("agency");
        } else if !existing.iter().any(|a| a.id == agency.id) {
            return Err(Denied::NotFound);
        }
        if existing
            .iter()
            .any(|a| a.id != agency.id && a.name.eq_ignore_ascii_case(agency.name.trim()))
        {
            return Err(Denied::Conflict(
                "an agency of that name is listed already".into(),
            ));
        }
        agency.name = agency.name.trim().to_owned();
        self.store.put_agency(&agency).await?;
        self.audit
            .record_or_log(
                by.event("admin.put_agency", "ok")
                    .detail(format!("agency {} saved", agency.id)),
            )
            .await;
        Ok(agency)
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn audit(&self) -> &AuditLog {
        &self.audit
    }
}
