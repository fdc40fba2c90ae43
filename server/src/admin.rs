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

use shared::api::partnership::{
    AccountEdit, AccountInfo, Agency, Allocation, ChildDetails, ChildFields, ChildMatch,
    ChildSearch, CoreGroup, EndAllocation, NewAccount, NewAllocation, NewChildRequest, Person,
    Team,
};
use shared::api::Role;
use shared::calendar::Date;
use shared::matching::{self, Probe};
use shared::{ChildId, UserId};

use crate::audit::Event;
use crate::audit_log::AuditLog;
use crate::clock::now_ms;
use crate::credentials::{check_strength, hash_password, new_token, WeakPassword};
use crate::store::{Store, StoreError, User};

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
    fn event(&self, action: &str, outcome: &str) -> Event {
        match self {
            Actor::User { user, device_id } => {
                Event::new(action, outcome).by(user.id.as_str(), device_id.as_deref())
            }
            Actor::Operator { name } => {
                Event::new(action, outcome).detail(format!("operator {name} (command line)"))
            }
        }
    }

    fn user(&self) -> Option<&User> {
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
                "{}: role {} -> {}, team {:?} -> {:?}, agency changed: {}",
                before.username,
                before.role.code(),
                edit.role.code(),
                before.team_id,
                edit.team_id,
                before.agency != edit.agency
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

    // ----- children -----

    /// Administrators, and managers for their own team.
    fn may_manage_children(by: &Actor, team: Option<&str>) -> bool {
        match by.user() {
            None => true,
            Some(u) => match u.role {
                Role::Admin => true,
                Role::Manager => team.is_none_or(|t| u.team_id.as_deref() == Some(t)),
                Role::Practitioner => false,
            },
        }
    }

    async fn candidates(&self, probe: &Probe<'_>) -> Result<Vec<ChildDetails>, Denied> {
        let mut dobs = Vec::new();
        if let Some(d) = probe.date_of_birth {
            dobs.push(d.to_string());
            let (y, m, day) = d.ymd();
            if let Some(swapped) = Date::from_ymd(y, day, m) {
                dobs.push(swapped.to_string());
            }
        }
        let words = matching::words(probe.name);
        let longest = words.iter().max_by_key(|w| w.len()).map(String::as_str);
        Ok(self
            .store
            .child_candidates(probe.nhs_number.map(|n| n.as_str()), &dobs, longest)
            .await?)
    }

    /// Children matching a name, a date of birth or an NHS number, likely duplicates first.
    pub async fn search(&self, by: &Actor, q: &ChildSearch) -> Result<Vec<ChildMatch>, Denied> {
        if !Self::may_manage_children(by, None) {
            self.audit
                .record_or_log(by.event("children.search", "refused"))
                .await;
            return Err(Denied::Forbidden);
        }
        let nhs = if q.nhs.trim().is_empty() {
            None
        } else {
            Some(
                q.nhs
                    .parse::<shared::nhs::NhsNumber>()
                    .map_err(|e| invalid(e.to_string()))?,
            )
        };
        let probe = Probe {
            name: &q.name,
            other_names: &[],
            date_of_birth: q.dob.parse().ok(),
            nhs_number: nhs.as_ref(),
        };
        if probe.name.trim().is_empty() && probe.date_of_birth.is_none() && nhs.is_none() {
            return Err(invalid(
                "search by a name, a date of birth or an NHS number",
            ));
        }
        let found = matching::search(&probe, &self.candidates(&probe).await?);
        // Searches are audited (who looked for children), never what was typed.
        self.audit
            .record_or_log(
                by.event("children.search", "ok")
                    .detail(format!("{} found", found.len())),
            )
            .await;
        Ok(found)
    }

    /// The likely duplicates of `fields` that `acknowledged` does not name.
    async fn unjudged_duplicates(
        &self,
        fields: &ChildFields,
        acknowledged: &[ChildId],
    ) -> Result<Vec<ChildMatch>, Denied> {
        let probe = Probe {
            name: &fields.display_name,
            other_names: &fields.other_names,
            date_of_birth: fields.date_of_birth.parse().ok(),
            nhs_number: fields.nhs_number.as_ref(),
        };
        let mut found = matching::likely_duplicates(&probe, &self.candidates(&probe).await?);
        found.retain(|m| !acknowledged.contains(&m.child.child_id));
        Ok(found)
    }

    /// A new child: refused while a likely duplicate has not been judged a different child;
    /// never when the NHS number is another child's.
    pub async fn create_child(
        &self,
        by: &Actor,
        req: NewChildRequest,
    ) -> Result<ChildDetails, Denied> {
        let team = match (&req.team_id, by.user()) {
            (Some(t), _) => t.clone(),
            (None, Some(u)) if u.role == Role::Manager => u.team_id.clone().unwrap_or_default(),
            _ => return Err(invalid("choose the team that holds the record")),
        };
        if !Self::may_manage_children(by, Some(&team)) {
            self.audit
                .record_or_log(by.event("children.create", "refused"))
                .await;
            return Err(Denied::Forbidden);
        }
        self.team_exists(&Some(team.clone())).await?;
        let mut fields = req.fields;
        fields.display_name = fields.display_name.trim().to_owned();
        fields.validate(today()).map_err(|e| invalid(e.0))?;
        let duplicates = self
            .unjudged_duplicates(&fields, &req.not_duplicates)
            .await?;
        let same_nhs = |m: &ChildMatch| {
            m.reasons
                .contains(&shared::api::partnership::MatchReason::SameNhsNumber)
        };
        if let Some(m) = self
            .unjudged_duplicates(&fields, &[])
            .await?
            .iter()
            .find(|m| same_nhs(m))
        {
            return Err(Denied::Conflict(format!(
                "this NHS number is already {}'s ({}): open that record instead",
                m.child.fields.display_name, m.child.child_id
            )));
        }
        if !duplicates.is_empty() {
            return Err(Denied::LikelyDuplicates(duplicates));
        }
        let details = ChildDetails {
            child_id: new_id("child")
                .parse()
                .map_err(|_| Denied::Internal("child id".into()))?,
            team_id: team,
            fields,
            merged_into: None,
        };
        self.store.add_child(&details).await?;
        self.audit
            .record_or_log(
                by.event("children.create", "ok")
                    .child(&details.child_id)
                    .detail(format!(
                        "created in team {}; {} likely duplicate(s) judged different",
                        details.team_id,
                        req.not_duplicates.len()
                    )),
            )
            .await;
        Ok(details)
    }

    pub async fn child(&self, by: &Actor, id: &ChildId) -> Result<ChildDetails, Denied> {
        let details = self
            .store
            .child_details(id)
            .await?
            .ok_or(Denied::NotFound)?;
        if !Self::may_manage_children(by, Some(&details.team_id)) {
            return Err(Denied::NotFound);
        }
        Ok(details)
    }

    pub async fn update_child(
        &self,
        by: &Actor,
        id: &ChildId,
        mut fields: ChildFields,
    ) -> Result<(), Denied> {
        let before = self.child(by, id).await?;
        fields.display_name = fields.display_name.trim().to_owned();
        fields.validate(today()).map_err(|e| invalid(e.0))?;
        if let Some(nhs) = &fields.nhs_number {
            let others = self
                .store
                .child_candidates(Some(nhs.as_str()), &[], None)
                .await?;
            if others
                .iter()
                .any(|c| &c.child_id != id && c.merged_into.is_none())
            {
                return Err(Denied::Conflict(
                    "this NHS number is another child's record".into(),
                ));
            }
        }
        let details = ChildDetails { fields, ..before };
        self.store.update_child(&details).await?;
        self.audit
            .record_or_log(by.event("children.update", "ok").child(id))
            .await;
        Ok(())
    }

    // ----- the core group -----

    /// The child's team manager, or (reading only) someone in the core group now.
    async fn core_group_access(
        &self,
        by: &Actor,
        child: &ChildId,
        write: bool,
    ) -> Result<(ChildDetails, Vec<Allocation>), Denied> {
        let details = self.store.child_details(child).await?;
        let Some(details) = details.filter(|d| d.merged_into.is_none()) else {
            return Err(Denied::NotFound);
        };
        let group = self.store.core_group(child).await?;
        let allowed = match by.user() {
            None => true,
            Some(u) => match u.role {
                Role::Manager => u.team_id.as_deref() == Some(details.team_id.as_str()),
                Role::Practitioner if !write => group
                    .iter()
                    .any(|a| a.user_id == u.id && a.ended_on.is_none()),
                _ => false,
            },
        };
        if !allowed {
            self.audit
                .record_or_log(by.event("core_group", "refused").child(child))
                .await;
            // A child outside one's reach looks like one that does not exist.
            return Err(Denied::NotFound);
        }
        Ok((details, group))
    }

    pub async fn core_group(&self, by: &Actor, child: &ChildId) -> Result<CoreGroup, Denied> {
        let (_, group) = self.core_group_access(by, child, false).await?;
        let (current, ended) = group.into_iter().partition(|a| a.ended_on.is_none());
        Ok(CoreGroup { current, ended })
    }

    /// Everyone a manager can add: practitioners and managers of every agency.
    pub async fn people(&self, by: &Actor) -> Result<Vec<Person>, Denied> {
        if !by.user().is_none_or(|u| u.role == Role::Manager) {
            return Err(Denied::Forbidden);
        }
        Ok(self.store.people().await?)
    }

    pub async fn allocate(
        &self,
        by: &Actor,
        child: &ChildId,
        new: NewAllocation,
    ) -> Result<Allocation, Denied> {
        self.core_group_access(by, child, true).await?;
        let user = self.store.user_by_id(&new.user_id).await?;
        let Some(user) = user.filter(|u| u.disabled_at_ms.is_none() && u.role != Role::Admin)
        else {
            return Err(invalid(
                "choose a practitioner or manager whose account is enabled",
            ));
        };
        let started_on = match &new.started_on {
            Some(d) => d
                .parse::<Date>()
                .map_err(|_| invalid("the start date is not a date"))?,
            None => today(),
        };
        let allocation = Allocation {
            id: new_id("alloc"),
            child_id: child.clone(),
            user_id: user.id.clone(),
            display_name: user.display_name.clone(),
            agency: user.agency.clone(),
            role: new.role,
            started_on: started_on.to_string(),
            ended_on: None,
        };
        if !self.store.add_allocation(&allocation, now_ms()).await? {
            return Err(Denied::Conflict(format!(
                "{} is in this child's core group already",
                user.display_name
            )));
        }
        self.audit
            .record_or_log(
                by.event("core_group.add", "ok")
                    .child(child)
                    .detail(format!(
                        "{} added as {} from {}",
                        user.id,
                        shared::choice::Choice::code(new.role),
                        allocation.started_on
                    )),
            )
            .await;
        Ok(allocation)
    }

    pub async fn end_allocation(
        &self,
        by: &Actor,
        child: &ChildId,
        id: &str,
        end: EndAllocation,
    ) -> Result<(), Denied> {
        let (_, group) = self.core_group_access(by, child, true).await?;
        let Some(open) = group.iter().find(|a| a.id == id && a.ended_on.is_none()) else {
            return Err(Denied::NotFound);
        };
        let ended_on = match &end.ended_on {
            Some(d) => d
                .parse::<Date>()
                .map_err(|_| invalid("the end date is not a date"))?,
            None => today(),
        };
        if ended_on.to_string() < open.started_on {
            return Err(invalid("an allocation cannot end before it started"));
        }
        self.store
            .end_allocation(child, id, &ended_on.to_string())
            .await?;
        self.audit
            .record_or_log(
                by.event("core_group.end", "ok")
                    .child(child)
                    .detail(format!("{} ended {}", open.user_id, ended_on)),
            )
            .await;
        Ok(())
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn audit(&self) -> &AuditLog {
        &self.audit
    }
}
