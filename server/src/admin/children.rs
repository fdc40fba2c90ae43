//! Children's identifying details (create with likely duplicates checked, search, edit) and
//! their core groups (allocations): who may do each, and the audit of every outcome.

use shared::api::partnership::{
    Allocation, ChildDetails, ChildFields, ChildMatch, ChildSearch, CoreGroup, EndAllocation,
    NewAllocation, NewChildRequest, Person,
};
use shared::api::Role;
use shared::calendar::Date;
use shared::matching::{self, Probe};
use shared::ChildId;

use super::{invalid, new_id, today, Actor, Admin, Denied};
use crate::clock::now_ms;

impl Admin {
    /// Administrators, and managers for their own team.
    pub(super) fn may_manage_children(by: &Actor, team: Option<&str>) -> bool {
        match by.user() {
            None => true,
            Some(u) => match u.role {
                Role::Admin => true,
                Role::Manager => team.is_none_or(|t| u.team_id.as_deref() == Some(t)),
                Role::Practitioner => false,
            },
        }
    }

    pub(super) async fn candidates(&self, probe: &Probe<'_>) -> Result<Vec<ChildDetails>, Denied> {
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

    /// The likely duplicates of `fields`, strongest first.
    async fn duplicates(&self, fields: &ChildFields) -> Result<Vec<ChildMatch>, Denied> {
        let probe = Probe {
            name: &fields.display_name,
            other_names: &fields.other_names,
            date_of_birth: fields.date_of_birth.parse().ok(),
            nhs_number: fields.nhs_number.as_ref(),
        };
        Ok(matching::likely_duplicates(
            &probe,
            &self.candidates(&probe).await?,
        ))
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
        self.create_checked(by, team, req).await
    }

    /// A new child's record for a concern the front door matched to no existing child: the
    /// same checks as [`Admin::create_child`], for a front-door worker of any role.
    pub async fn create_child_at_front_door(
        &self,
        by: &Actor,
        req: NewChildRequest,
    ) -> Result<ChildDetails, Denied> {
        if !by.user().is_some_and(|u| u.front_door) {
            self.audit
                .record_or_log(by.event("children.create", "refused"))
                .await;
            return Err(Denied::Forbidden);
        }
        let team = req
            .team_id
            .clone()
            .ok_or_else(|| invalid("choose the team that holds the record"))?;
        self.create_checked(by, team, req).await
    }

    /// The likely duplicates of what a concern says of the child, strongest first.
    pub async fn likely_matches(&self, probe: &Probe<'_>) -> Result<Vec<ChildMatch>, Denied> {
        Ok(matching::likely_duplicates(
            probe,
            &self.candidates(probe).await?,
        ))
    }

    async fn create_checked(
        &self,
        by: &Actor,
        team: String,
        req: NewChildRequest,
    ) -> Result<ChildDetails, Denied> {
        self.team_exists(&Some(team.clone())).await?;
        let mut fields = req.fields;
        fields.display_name = fields.display_name.trim().to_owned();
        fields.validate(today()).map_err(|e| invalid(e.0))?;
        let mut duplicates = self.duplicates(&fields).await?;
        // Another child's NHS number is never judged away.
        if let Some(m) = duplicates.iter().find(|m| {
            m.reasons
                .contains(&shared::api::partnership::MatchReason::SameNhsNumber)
        }) {
            return Err(Denied::Conflict(format!(
                "this NHS number is already {}'s ({}): open that record instead",
                m.child.fields.display_name, m.child.child_id
            )));
        }
        duplicates.retain(|m| !req.not_duplicates.contains(&m.child.child_id));
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

    /// Checks a "same child" merge of `duplicate` into `survivor` before its entries are
    /// copied: both exist, neither is merged already, and the actor administers, or manages
    /// the team holding both. Refusals are audited.
    pub async fn check_merge(
        &self,
        by: &Actor,
        duplicate: &ChildId,
        survivor: &ChildId,
    ) -> Result<(), Denied> {
        let (Some(dup), Some(stays)) = (
            self.store().child_details(duplicate).await?,
            self.store().child_details(survivor).await?,
        ) else {
            return Err(Denied::NotFound);
        };
        let allowed = match by.user() {
            None => true,
            Some(u) => match u.role {
                Role::Admin => true,
                Role::Manager => {
                    u.team_id.as_deref() == Some(dup.team_id.as_str())
                        && u.team_id.as_deref() == Some(stays.team_id.as_str())
                }
                Role::Practitioner => false,
            },
        };
        if !allowed {
            self.audit()
                .record_or_log(by.event("children.merge", "refused").child(duplicate))
                .await;
            return Err(Denied::NotFound);
        }
        if duplicate == survivor {
            return Err(invalid("a record cannot be merged into itself"));
        }
        if dup.merged_into.is_some() || stays.merged_into.is_some() {
            return Err(Denied::Conflict(
                "one of these records has been merged already".into(),
            ));
        }
        if let (Some(a), Some(b)) = (&dup.fields.nhs_number, &stays.fields.nhs_number) {
            if a != b {
                return Err(invalid(
                    "the two records have different NHS numbers: they are different children",
                ));
            }
        }
        Ok(())
    }

    /// Ends a merge whose entries are copied: `duplicate` now redirects to `survivor`, and its
    /// core group moves there (ended on the old record, kept in its history).
    pub async fn finish_merge(
        &self,
        by: &Actor,
        duplicate: &ChildId,
        survivor: &ChildId,
        copied: usize,
    ) -> Result<(), Denied> {
        let today = today().to_string();
        if !self
            .store()
            .mark_merged(duplicate, survivor, &today, now_ms())
            .await?
        {
            return Err(Denied::Conflict(
                "the record was merged by someone else meanwhile".into(),
            ));
        }
        let event = by
            .event("children.merge", "ok")
            .child(duplicate)
            .detail(format!(
            "same child: merged into {survivor}, {copied} entr(ies) copied; the core group moved"
        ));
        self.audit().record_or_log(event).await;
        let event = by
            .event("children.merge", "ok")
            .child(survivor)
            .detail(format!("same child: {duplicate} merged into this record"));
        self.audit().record_or_log(event).await;
        Ok(())
    }
}
