//! JSON types of running a partnership: accounts, teams, the agency directory, children's
//! identifying details, the core group (allocations) and imports.
//!
//! A child's identifying details (names, date of birth, NHS number, address, school) are what
//! matches a concern or an import to the right child; they are not record contents, so an
//! administrator who cannot read records can still find and create children.

use serde::{Deserialize, Serialize};

use crate::calendar::Date;
use crate::choice::{choice, Choice};
use crate::ids::{ChildId, UserId};
use crate::nhs::NhsNumber;

use super::Role;

/// The longest name, address or free-text detail.
pub const MAX_DETAIL_LEN: usize = 200;
/// The most other names a child can have listed.
pub const MAX_OTHER_NAMES: usize = 10;

/// What a practitioner is to a child in the core group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoreRole {
    LeadSocialWorker,
    SocialWorker,
    HealthVisitor,
    SchoolNurse,
    Midwife,
    Gp,
    SchoolSafeguardingLead,
    Police,
    FamilySupport,
    Other,
}

choice!(CoreRole {
    LeadSocialWorker = "lead_social_worker",
    SocialWorker = "social_worker",
    HealthVisitor = "health_visitor",
    SchoolNurse = "school_nurse",
    Midwife = "midwife",
    Gp = "gp",
    SchoolSafeguardingLead = "school_safeguarding_lead",
    Police = "police",
    FamilySupport = "family_support",
    Other = "other",
});

impl CoreRole {
    pub fn label(self) -> &'static str {
        match self {
            CoreRole::LeadSocialWorker => "Lead social worker",
            CoreRole::SocialWorker => "Social worker",
            CoreRole::HealthVisitor => "Health visitor",
            CoreRole::SchoolNurse => "School nurse",
            CoreRole::Midwife => "Midwife",
            CoreRole::Gp => "GP",
            CoreRole::SchoolSafeguardingLead => "School safeguarding lead",
            CoreRole::Police => "Police",
            CoreRole::FamilySupport => "Family support worker",
            CoreRole::Other => "Other",
        }
    }
}

/// What a person types about a child: everything that identifies them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChildFields {
    /// The name the child is known by.
    pub display_name: String,
    /// Previous names, other spellings, names used by the family.
    #[serde(default)]
    pub other_names: Vec<String>,
    /// `YYYY-MM-DD`: the date of birth, or for an unborn child the expected date of birth.
    pub date_of_birth: String,
    #[serde(default)]
    pub unborn: bool,
    #[serde(default)]
    pub nhs_number: Option<NhsNumber>,
    /// Why there is no NHS number (required when there is none).
    #[serde(default)]
    pub nhs_unknown_reason: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub school: String,
    #[serde(default = "default_legal_status")]
    pub legal_status: String,
}

fn default_legal_status() -> String {
    "Child in need".to_owned()
}

/// Why a child's details cannot be stored, in words for the person who typed them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadDetails(pub String);

impl ChildFields {
    /// Checks the details as of `today`: a name, a real date of birth that is not in the future
    /// (an expected date of birth within the next ten months for an unborn child), an NHS number
    /// or the reason there is none, and nothing too long.
    pub fn validate(&self, today: Date) -> Result<(), BadDetails> {
        let bad = |s: &str| Err(BadDetails(s.to_owned()));
        if self.display_name.trim().is_empty() {
            return bad(
                "enter the child's name (for an unborn child, \"Unborn\" and the mother's surname)",
            );
        }
        let texts = [
            ("the name", &self.display_name),
            (
                "the reason there is no NHS number",
                &self.nhs_unknown_reason,
            ),
            ("the address", &self.address),
            ("the school", &self.school),
            ("the legal status", &self.legal_status),
        ];
        for (what, text) in texts
            .into_iter()
            .chain(self.other_names.iter().map(|n| ("an other name", n)))
        {
            if text.chars().count() > MAX_DETAIL_LEN {
                return Err(BadDetails(format!(
                    "{what} is longer than {MAX_DETAIL_LEN} characters"
                )));
            }
            if text.chars().any(|c| c.is_control()) {
                return Err(BadDetails(format!(
                    "{what} has characters that cannot be stored"
                )));
            }
        }
        if self.other_names.len() > MAX_OTHER_NAMES {
            return Err(BadDetails(format!(
                "list at most {MAX_OTHER_NAMES} other names"
            )));
        }
        let Ok(dob) = self.date_of_birth.parse::<Date>() else {
            return bad("enter the date of birth as a date (YYYY-MM-DD)");
        };
        if self.unborn {
            if dob < today.add_days(-60) || dob > today.add_days(300) {
                return bad("an expected date of birth is within the next ten months");
            }
        } else {
            if dob > today {
                return bad(
                    "the date of birth is in the future; for an unborn child tick \"unborn\"",
                );
            }
            if dob < today.add_days(-26 * 366) {
                return bad("the date of birth is more than 25 years ago; check the year");
            }
        }
        if self.nhs_number.is_none() && self.nhs_unknown_reason.trim().is_empty() {
            return bad("enter the NHS number, or say why it is not known");
        }
        Ok(())
    }
}

/// A child as the partnership's directory holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildDetails {
    pub child_id: ChildId,
    pub team_id: String,
    #[serde(flatten)]
    pub fields: ChildFields,
    /// Set when this record was found to be the same child as another and merged into it.
    #[serde(default)]
    pub merged_into: Option<ChildId>,
}

/// `POST /api/children`: a new child's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewChildRequest {
    #[serde(flatten)]
    pub fields: ChildFields,
    /// The team that holds the record; a manager's own team when not given.
    #[serde(default)]
    pub team_id: Option<String>,
    /// The likely duplicates the person was shown and judged to be other children. The
    /// server refuses the record while any likely duplicate is not named here.
    #[serde(default)]
    pub not_duplicates: Vec<ChildId>,
}

/// Why a child may be the same as one already held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchReason {
    SameNhsNumber,
    SameNameAndDateOfBirth,
    SimilarNameSameDateOfBirth,
    OtherNameSameDateOfBirth,
    SameNameDayAndMonthSwapped,
}

impl MatchReason {
    pub fn label(self) -> &'static str {
        match self {
            MatchReason::SameNhsNumber => "same NHS number",
            MatchReason::SameNameAndDateOfBirth => "same name and date of birth",
            MatchReason::SimilarNameSameDateOfBirth => "similar name, same date of birth",
            MatchReason::OtherNameSameDateOfBirth => "one of the other names, same date of birth",
            MatchReason::SameNameDayAndMonthSwapped => {
                "same name, date of birth with day and month swapped"
            }
        }
    }
}

/// A child who may be the one being searched for or created, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildMatch {
    pub child: ChildDetails,
    /// Strongest first.
    pub reasons: Vec<MatchReason>,
}

/// `GET /api/children?name=&dob=&nhs=`: children found by any of the three.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChildSearch {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub dob: String,
    #[serde(default)]
    pub nhs: String,
}

/// The answer to a search, and to a new child refused for likely duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChildSearchResponse {
    /// Likely duplicates (a [`MatchReason`] applies) first, then other name matches.
    pub matches: Vec<ChildMatch>,
}

/// One period of a practitioner's place in a child's core group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub id: String,
    pub child_id: ChildId,
    pub user_id: UserId,
    pub display_name: String,
    pub agency: String,
    pub role: CoreRole,
    /// `YYYY-MM-DD`
    pub started_on: String,
    /// `YYYY-MM-DD`; an ended allocation stays in the history.
    #[serde(default)]
    pub ended_on: Option<String>,
}

/// `POST /api/children/{id}/allocations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAllocation {
    pub user_id: UserId,
    pub role: CoreRole,
    /// Today when not given.
    #[serde(default)]
    pub started_on: Option<String>,
}

/// `POST /api/children/{id}/allocations/{allocation}/end`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EndAllocation {
    /// Today when not given.
    #[serde(default)]
    pub ended_on: Option<String>,
}

/// `GET /api/children/{id}/allocations`: the core group now and before.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CoreGroup {
    pub current: Vec<Allocation>,
    pub ended: Vec<Allocation>,
}

/// Someone a manager can add to a core group: a practitioner or manager of any agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: UserId,
    pub display_name: String,
    pub agency: String,
    pub role: Role,
}

/// A device a user has signed in on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub device_id: String,
    pub first_seen_ms: i64,
}

/// An account as the administration pages list it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub agency: String,
    pub role: Role,
    pub team_id: Option<String>,
    /// When the account was disabled; it can do nothing since.
    pub disabled_at_ms: Option<i64>,
    /// The next sign-in must choose a new password.
    pub must_change_password: bool,
    /// Works the front door: the queue of concerns.
    #[serde(default)]
    pub front_door: bool,
    pub devices: Vec<DeviceInfo>,
    /// How many children the user is in the core group of now.
    pub open_allocations: u32,
}

/// `POST /api/admin/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub agency: String,
    pub role: Role,
    #[serde(default)]
    pub team_id: Option<String>,
    /// The first password, which the user must change at their first sign-in.
    pub password: String,
    #[serde(default)]
    pub front_door: bool,
}

/// `PUT /api/admin/users/{id}`: what an administrator can change about an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEdit {
    pub display_name: String,
    pub agency: String,
    pub role: Role,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub front_door: bool,
}

/// `POST /api/admin/users/{id}/password`: a new password set by an administrator, to be
/// changed at the next sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    pub password: String,
}

/// `POST /api/password`: a user choosing their own password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: String,
    pub name: String,
}

/// An agency of the partnership, as its directory describes it: "find out about the agencies
/// you work with".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Agency {
    /// Empty in a request that creates one.
    #[serde(default)]
    pub id: String,
    pub name: String,
    /// Its part in safeguarding ("Children's social care", "Health visiting", "Police").
    pub kind: String,
    pub remit: String,
    /// How to reach it about a child, in and out of hours.
    pub contact: String,
    pub can_do: String,
    pub cannot_do: String,
}

impl Agency {
    pub fn validate(&self) -> Result<(), BadDetails> {
        if self.name.trim().is_empty() {
            return Err(BadDetails("enter the agency's name".into()));
        }
        for (what, text, max) in [
            ("the name", &self.name, MAX_DETAIL_LEN),
            ("the kind", &self.kind, MAX_DETAIL_LEN),
            ("the remit", &self.remit, 4_000),
            ("the contact route", &self.contact, 4_000),
            ("what it can do", &self.can_do, 4_000),
            ("what it cannot do", &self.cannot_do, 4_000),
        ] {
            if text.chars().count() > max {
                return Err(BadDetails(format!(
                    "{what} is longer than {max} characters"
                )));
            }
        }
        Ok(())
    }
}

/// `POST /api/admin/import`: a system-of-record export as CSV text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportRequest {
    #[serde(default)]
    pub children_csv: String,
    #[serde(default)]
    pub allocations_csv: String,
    /// Check every row and report, storing nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A row an import cannot take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProblem {
    /// `children` or `allocations`.
    pub file: String,
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub reason: String,
}

/// What an import found and did: all of it, or (with any problem, or a dry run) nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportReport {
    pub children: usize,
    pub allocations: usize,
    pub problems: Vec<ImportProblem>,
    pub imported: bool,
}

/// Whether text names a [`CoreRole`] by its code or its words.
pub fn core_role(text: &str) -> Option<CoreRole> {
    let t = text.trim();
    CoreRole::from_code(t).or_else(|| {
        CoreRole::ALL
            .iter()
            .copied()
            .find(|r| r.label().eq_ignore_ascii_case(t))
    })
}
