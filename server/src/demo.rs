//! The demo caseload `cargo xtask run` starts with: one team, two practitioners from two
//! agencies, one manager and five children with fictional histories.
//!
//! Everything here is invented. Names are deliberately ordinary and do not describe real people.

mod episodes;
mod front_door;
mod lessons;

use automerge::ActorId;
use shared::api::{CaseloadEntry, Role};
use shared::record::{self, IndicatorEntry, Level, Observation, Source};
use shared::ChildId;

use crate::credentials::hash_password;
use crate::state::AppState;
use crate::store::User;

/// The one password every demo account uses; printed by `cargo xtask run`.
pub const DEMO_PASSWORD: &str = "quilt-demo";

/// (username, display name, agency, role)
pub const DEMO_USERS: &[(&str, &str, &str, Role)] = &[
    (
        "sam.social",
        "Sam Okafor",
        "Children's Social Care",
        Role::Practitioner,
    ),
    (
        "hana.health",
        "Hana Patel",
        "Health Visiting (NHS)",
        Role::Practitioner,
    ),
    (
        "morgan.manager",
        "Morgan Reid",
        "Children's Social Care",
        Role::Manager,
    ),
    ("ada.admin", "Ada Mensah", "Partnership IT", Role::Admin),
    (
        "fran.frontdoor",
        "Fran Hughes",
        "Children's Social Care",
        Role::Practitioner,
    ),
    (
        "jo.school",
        "Jo Adams",
        "Hilltop Primary School",
        Role::Practitioner,
    ),
];

/// The demo account that works the front door.
pub const FRONT_DOOR_USER: &str = "fran.frontdoor";

/// The demo's agency directory: (name, kind, remit, contact, can do, cannot do).
const AGENCIES: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "Children's Social Care",
        "Local authority children's services",
        "Assesses children in need and at risk of significant harm; leads child protection \
         enquiries (section 47), plans and conferences.",
        "Front door 0300 000 0000 (9-5); Emergency Duty Team 0300 000 0001 out of hours.",
        "Open a child and family assessment; convene a strategy discussion; apply to court.",
        "Cannot compel a family to engage without a court order.",
    ),
    (
        "Health Visiting (NHS)",
        "Community health",
        "Visits every family with a child under 5; growth, development, feeding and \
         parental health.",
        "Health visiting hub 0300 000 0002, weekdays 8-6.",
        "Home visits, developmental reviews, referral to GP and paediatrics.",
        "Cannot enter a home without consent; not an emergency service.",
    ),
    (
        "Police",
        "Police public protection unit",
        "Investigates crimes against children; joins strategy discussions; \
         police protection powers.",
        "999 in an emergency; public protection unit 101 ext 2000.",
        "Take a child into police protection (up to 72 hours); joint visits under section 47.",
        "Cannot share intelligence outside a strategy discussion without a lawful basis.",
    ),
];

const TEAM: &str = "north-team";

/// (id, name, date of birth, legal status, allocated usernames)
const CHILDREN: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "child-ava",
        "Ava Thompson",
        "2016-04-12",
        "Child protection plan (neglect)",
        &["sam.social", "hana.health"],
    ),
    (
        "child-leo",
        "Leo Thompson",
        "2019-09-30",
        "Child protection plan (neglect)",
        &["sam.social", "hana.health"],
    ),
    (
        "child-mia",
        "Mia Clarke",
        "2011-02-03",
        "Child in need",
        &["sam.social"],
    ),
    (
        "child-noah",
        "Noah Bennett",
        "2023-06-18",
        "Child in need",
        &["hana.health"],
    ),
    (
        "child-zara",
        "Zara Ahmed",
        "2013-11-21",
        "Looked after",
        &["sam.social"],
    ),
];

struct Entry {
    child: &'static str,
    author: &'static str,
    occurred: &'static str,
    source: Source,
    indicators: &'static [(&'static str, Level)],
    narrative: &'static str,
    child_words: &'static str,
}

const HISTORY: &[Entry] = &[
    Entry {
        child: "child-ava",
        author: "hana.health",
        occurred: "2025-10-02",
        source: Source::Observed,
        indicators: &[
            ("NEG-HYGIENE", Level::Consider),
            ("NEG-CLOTHING", Level::Consider),
        ],
        narrative: "Home visit. Ava in a summer dress and no socks on a cold day; hair matted.",
        child_words: "",
    },
    Entry {
        child: "child-ava",
        author: "sam.social",
        occurred: "2025-11-14",
        source: Source::ChildSaid,
        indicators: &[("NEG-HUNGRY-TIRED", Level::Suspect)],
        narrative: "School reports Ava asking classmates for food most mornings.",
        child_words: "There's no breakfast at home, only for Leo.",
    },
    Entry {
        child: "child-ava",
        author: "sam.social",
        occurred: "2026-01-20",
        source: Source::Observed,
        indicators: &[("NEG-HOME-CONDITIONS", Level::Suspect)],
        narrative:
            "Kitchen without working heating; rotting food on surfaces; dog mess in hallway.",
        child_words: "",
    },
    Entry {
        child: "child-leo",
        author: "hana.health",
        occurred: "2025-09-18",
        source: Source::ThirdParty,
        indicators: &[("NEG-MISSED-HEALTH", Level::Consider)],
        narrative: "GP practice reports Leo missed his third immunisation appointment.",
        child_words: "",
    },
    Entry {
        child: "child-leo",
        author: "sam.social",
        occurred: "2026-01-20",
        source: Source::Observed,
        indicators: &[("PCI-UNRESPONSIVE", Level::Consider)],
        narrative: "Leo cried for ten minutes during the visit; mother did not respond.",
        child_words: "",
    },
    Entry {
        child: "child-mia",
        author: "sam.social",
        occurred: "2026-02-11",
        source: Source::ChildSaid,
        indicators: &[("SEX-SECRECY-GIFTS", Level::Consider)],
        narrative: "Mia has a new phone and will not say who gave it to her.",
        child_words: "It's from a friend. You wouldn't know him.",
    },
    Entry {
        child: "child-mia",
        author: "sam.social",
        occurred: "2026-03-03",
        source: Source::ThirdParty,
        indicators: &[("BEH-RUNNING-AWAY", Level::Suspect)],
        narrative: "Police returned Mia at 02:00 after she was reported missing overnight.",
        child_words: "",
    },
    Entry {
        child: "child-noah",
        author: "hana.health",
        occurred: "2026-04-07",
        source: Source::Observed,
        indicators: &[],
        narrative:
            "New birth visit follow-up. Noah feeding well, weight on 50th centile. Warm home.",
        child_words: "",
    },
    Entry {
        child: "child-zara",
        author: "sam.social",
        occurred: "2026-05-15",
        source: Source::ChildSaid,
        indicators: &[("EMO-LOW-ESTEEM", Level::Consider)],
        narrative:
            "Statutory visit at foster placement. Zara settled but describes herself negatively.",
        child_words: "Nobody ever keeps me, so it must be me.",
    },
];

/// The actor the demo caseload's seeded changes are written with: reserved, so no device id
/// can claim it.
fn demo_actor(name: &str) -> ActorId {
    let mut bytes = record::DEMO_ACTOR_PREFIX.to_vec();
    bytes.extend_from_slice(name.as_bytes());
    ActorId::from(bytes)
}

/// Creates the demo caseload if the database has no users. Returns whether it seeded.
pub async fn seed_if_empty(state: &AppState) -> anyhow::Result<bool> {
    if state
        .store
        .user_by_username(DEMO_USERS[0].0)
        .await?
        .is_some()
    {
        // A demo database from before there was a demo administrator gets one.
        add_missing_demo_users(state).await?;
        return Ok(false);
    }
    state
        .store
        .create_team(TEAM, "North safeguarding team")
        .await?;
    let mut users = Vec::new();
    for account in DEMO_USERS {
        let user = demo_user(account)?;
        state.store.create_user(&user).await?;
        users.push(user);
    }
    for (name, kind, remit, contact, can_do, cannot_do) in AGENCIES {
        state
            .store
            .put_agency(&shared::api::partnership::Agency {
                id: format!(
                    "agency-{}",
                    name.to_lowercase()
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
                ),
                name: (*name).into(),
                kind: (*kind).into(),
                remit: (*remit).into(),
                contact: (*contact).into(),
                can_do: (*can_do).into(),
                cannot_do: (*cannot_do).into(),
            })
            .await?;
    }
    for (id, name, dob, status, allocated) in CHILDREN {
        let child_id: ChildId = id.parse()?;
        state
            .store
            .create_child(
                &CaseloadEntry {
                    child_id: child_id.clone(),
                    display_name: (*name).into(),
                    date_of_birth: (*dob).into(),
                    legal_status: (*status).into(),
                },
                TEAM,
            )
            .await?;
        for username in *allocated {
            if let Some(u) = users.iter().find(|u| u.username == *username) {
                state.store.allocate(&child_id, &u.id).await?;
            }
        }
    }
    for (n, e) in HISTORY.iter().enumerate() {
        let Some(author) = users.iter().find(|u| u.username == e.author) else {
            continue;
        };
        let obs = Observation {
            id: format!("demo-{n}").parse()?,
            occurred: e.occurred.into(),
            occurred_approx: false,
            recorded_at_ms: 1_760_000_000_000 + n as i64 * 1000,
            author_id: author.id.clone(),
            author_name: author.display_name.clone(),
            agency: author.agency.clone(),
            location: "Family home".into(),
            present: vec!["Mother".into()],
            indicators: e
                .indicators
                .iter()
                .map(|(code, level)| IndicatorEntry {
                    code: (*code).into(),
                    level: *level,
                    ..Default::default()
                })
                .collect(),
            source: e.source,
            narrative: e.narrative.into(),
            child_words: e.child_words.into(),
            action_taken: String::new(),
            body_marks: Vec::new(),
        };
        let child: ChildId = e.child.parse()?;
        let actor = demo_actor(author.id.as_str());
        let mut failure = None;
        state
            .documents
            .append(&child, |doc| {
                doc.set_actor(actor.clone());
                if let Err(err) = record::add_observation(doc, &obs, obs.recorded_at_ms) {
                    failure = Some(err);
                }
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(err) = failure {
            anyhow::bail!("demo observation {n}: {err}");
        }
    }
    seed_plans(state, &users).await?;
    front_door::seed(state, &users).await?;
    Ok(true)
}

/// Demo accounts a demo database seeded by an older version lacks (the administrator).
async fn add_missing_demo_users(state: &AppState) -> anyhow::Result<()> {
    for account in DEMO_USERS {
        if state.store.user_by_username(account.0).await?.is_none() {
            state.store.create_user(&demo_user(account)?).await?;
        }
    }
    Ok(())
}

/// A demo account: its id from the username, the demo password, the demo team (but for the
/// administrator, who holds no records).
fn demo_user((username, name, agency, role): &(&str, &str, &str, Role)) -> anyhow::Result<User> {
    Ok(User {
        id: format!("user-{}", username.replace('.', "-")).parse()?,
        username: (*username).into(),
        display_name: (*name).into(),
        agency: (*agency).into(),
        role: *role,
        team_id: (*role != Role::Admin).then(|| TEAM.into()),
        password_hash: hash_password(DEMO_PASSWORD)?,
        disabled_at_ms: None,
        must_change_password: false,
        front_door: *username == FRONT_DOOR_USER,
    })
}

/// People, plans, conferences and scalings for the Thompson children, so the dashboard shows
/// what the product is for: unassessed adults, a stalled safety scale, an overdue review.
async fn seed_plans(state: &AppState, users: &[User]) -> anyhow::Result<()> {
    use shared::record::assessments::{self, NeglectAssessment, Scaling};
    use shared::record::people::{
        self, AgeGroup, Assessment, AssessmentStatus, Household, PersonDetails,
    };
    use shared::record::plan::{
        self, ActionBase, Conference, ConferenceKind, PlanDetails, PlanKind,
    };
    use shared::record::stamped::Stamp;

    let Some(sam) = users.iter().find(|u| u.username == "sam.social") else {
        return Ok(());
    };
    let morgan = users
        .iter()
        .find(|u| u.username == "morgan.manager")
        .unwrap_or(sam);
    let manager_stamp = |date: &str| Stamp {
        by: morgan.id.clone(),
        by_name: morgan.display_name.clone(),
        at_ms: shared::calendar::Date::parse_prefix(date)
            .map_or(0, |d| d.days_since_epoch() as i64 * 86_400_000 + 36_000_000),
    };
    let stamp = |date: &str| Stamp {
        by: sam.id.clone(),
        by_name: sam.display_name.clone(),
        at_ms: shared::calendar::Date::parse_prefix(date)
            .map_or(0, |d| d.days_since_epoch() as i64 * 86_400_000 + 36_000_000),
    };
    for child in ["child-ava", "child-leo"] {
        let child_id: ChildId = child.parse()?;
        let actor = demo_actor(&format!("plan-{child}"));
        let mut failure: Option<String> = None;
        state
            .documents
            .append(&child_id, |doc| {
                doc.set_actor(actor.clone());
                let mut run = || -> Result<(), Box<shared::record::RecordError>> {
                    let person = |name: &str, rel: &str, household, risk: &str| PersonDetails {
                        name: name.into(),
                        relationship: rel.into(),
                        age_group: AgeGroup::Adult,
                        household,
                        risk_info: risk.into(),
                        contact: String::new(),
                        linked_child_id: String::new(),
                    };
                    people::add(
                        doc,
                        "person-kerry",
                        &person("Kerry Thompson", "Mother", Household::LivesWithChild, ""),
                        Some(&Assessment {
                            status: AssessmentStatus::Both,
                            date: "2025-11-10".into(),
                            note: "Loving; overwhelmed".into(),
                        }),
                        &stamp("2025-10-20"),
                    )?;
                    let (sibling, sibling_name, relationship) = if child == "child-ava" {
                        ("child-leo", "Leo Thompson", "Brother")
                    } else {
                        ("child-ava", "Ava Thompson", "Sister")
                    };
                    people::add(
                        doc,
                        "person-sibling",
                        &PersonDetails {
                            name: sibling_name.into(),
                            relationship: relationship.into(),
                            age_group: AgeGroup::YoungPerson,
                            household: Household::LivesWithChild,
                            risk_info: String::new(),
                            contact: "Lives at home".into(),
                            linked_child_id: sibling.into(),
                        },
                        None,
                        &stamp("2025-10-20"),
                    )?;
                    people::add(
                        doc,
                        "person-dean",
                        &person(
                            "Dean Walsh",
                            "Mother's partner",
                            Household::LivesWithChild,
                            "Conviction for an offence against a child (2012)",
                        ),
                        None,
                        &stamp("2025-10-20"),
                    )?;
                    for (id, kind, date, outcome) in [
                        (
                            "conf-strategy",
                            ConferenceKind::StrategyDiscussion,
                            "2025-10-20",
                            "Section 47 enquiries",
                        ),
                        (
                            "conf-icpc",
                            ConferenceKind::InitialConference,
                            "2025-11-10",
                            "Child protection plan: neglect",
                        ),
                        (
                            "conf-core",
                            ConferenceKind::CoreGroup,
                            "2025-11-21",
                            "Plan agreed",
                        ),
                    ] {
                        plan::add_conference(
                            doc,
                            &Conference {
                                id: id.into(),
                                kind,
                                date: date.into(),
                                outcome: outcome.into(),
                                added: stamp(date),
                                no_further_action: false,
                                categories: Vec::new(),
                            },
                        )?;
                    }
                    plan::set_plan(
                        doc,
                        &PlanDetails {
                            kind: PlanKind::ChildProtectionNeglect,
                            started_on: "2025-11-10".into(),
                            ended_on: String::new(),
                            contingency: "Legal planning meeting".into(),
                            contingency_trigger: "Home conditions not improved by the first review"
                                .into(),
                        },
                        &stamp("2025-11-10"),
                    )?;
                    episodes::demo_episodes(doc, &manager_stamp)?;
                    plan::add_action(
                        doc,
                        &ActionBase {
                            id: "action-heating".into(),
                            what: "Get the heating repaired".into(),
                            who: "Mother, with housing officer".into(),
                            due: "2026-01-15".into(),
                            success_measure: "Working heating seen at a home visit".into(),
                            added: stamp("2025-11-21"),
                        },
                    )?;
                    for (id, date, score) in [
                        ("scale-1", "2025-11-21", 3u8),
                        ("scale-2", "2026-02-10", 4),
                        ("scale-3", "2026-06-01", 3),
                    ] {
                        assessments::add_scaling(
                            doc,
                            &Scaling {
                                id: id.into(),
                                date: date.into(),
                                score,
                                rationale: "Core group".into(),
                                agency: sam.agency.clone(),
                                added: stamp(date),
                            },
                        )?;
                    }
                    for (id, date, s) in [
                        ("neglect-1", "2025-11-21", 4u8),
                        ("neglect-2", "2026-05-20", 4),
                    ] {
                        assessments::add_neglect(
                            doc,
                            &NeglectAssessment {
                                id: id.into(),
                                date: date.into(),
                                physical_care: s,
                                care_of_safety: s,
                                emotional_care: 3,
                                developmental_care: 3,
                                note: String::new(),
                                added: stamp(date),
                            },
                        )?;
                    }
                    lessons::demo_visits(doc, &stamp, &sam.agency)?;
                    Ok(())
                };
                if let Err(e) = run() {
                    failure = Some(e.to_string());
                }
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(e) = failure {
            anyhow::bail!("demo plan for {child}: {e}");
        }
    }
    Ok(())
}
