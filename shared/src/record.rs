//! The child's record as an Automerge document: schema, genesis, writing and reading entries.
//!
//! Layout of the document root (every map is created by the shared genesis change):
//! - `schema`: document schema version (u64)
//! - `child_id`: the child this record belongs to
//! - `observations`: observation id -> [`Observation`]
//! - `amendments`, `withdrawals`: corrections ([`corrections`])
//! - `people`: people around the child ([`people`])
//! - `plan` (a stamped value), `plan_actions`, `conferences` ([`plan`])
//! - `scalings`, `neglect_assessments` ([`assessments`])
//! - `supervisions` ([`supervision`])
//! - added later by canonical changes ([`schema`]): `episodes`, `episode_events`
//!   ([`episodes`]); `visits`, `debriefs` ([`visits`]); `drift_responses`, `challenges`,
//!   `challenge_steps` ([`escalation`]); `concerns`, `concern_responses` ([`front_door`]);
//!   `strategy_discussions` ([`strategy`]); `sharing_decisions` ([`sharing`])
//!
//! Entries live in maps keyed by their id, so two tablets that add entries concurrently
//! never collide. Long free text is stored as plain strings, not Automerge Text, which keeps
//! large records fast to load.
//!
//! tidy: long file — the root schema, the genesis and the observation writers and readers share the
//! map helpers (the other entry kinds are in `record/`), and about 160 lines are unit tests.

use std::collections::BTreeMap;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutomergeError, ObjType, ReadDoc, ROOT};
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::catalogue;
use crate::choice::choice;
use crate::ids::{ChildId, ObservationId, UserId};

pub use automerge::Automerge;

pub mod assessments;
pub mod corrections;
pub mod entries;
pub mod episodes;
pub mod escalation;
pub mod front_door;
pub mod people;
pub mod plan;
pub mod same_child;
pub mod schema;
pub mod sharing;
pub mod stamped;
pub mod strategy;
pub mod supervision;
pub mod visits;

/// Root-level entry maps, created by genesis so no two replicas ever create them concurrently.
pub const ENTRY_MAPS: &[&str] = &[
    "observations",
    corrections::AMENDMENTS,
    corrections::WITHDRAWALS,
    people::MAP,
    plan::ACTIONS,
    plan::CONFERENCES,
    assessments::SCALINGS,
    assessments::NEGLECT,
    supervision::MAP,
];

/// Every entry map: genesis's and the added ones ([`schema::ADDED_MAPS`]), which a record
/// holds once upgraded.
pub fn all_entry_maps() -> impl Iterator<Item = &'static str> {
    ENTRY_MAPS.iter().chain(schema::ADDED_MAPS).copied()
}

/// Current schema version written by this code.
pub const SCHEMA_VERSION: u64 = 1;

/// Limits that keep a single entry reasonable; the server enforces the same values.
pub const MAX_TEXT_LEN: usize = 20_000;
pub const MAX_SHORT_LEN: usize = 200;
pub const MAX_INDICATORS: usize = 60;
pub const MAX_PRESENT: usize = 30;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("the document has no observations map; it was not created by Quilt")]
    NotARecord,
    #[error("automerge: {0}")]
    Automerge(#[from] AutomergeError),
    #[error("writing the entry failed: {0}")]
    Reconcile(#[from] autosurgeon::ReconcileError),
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("the entry does not exist in this record")]
    UnknownEntry,
    #[error("nothing was changed")]
    NoChange,
    #[error("the record already holds this entry")]
    Exists,
}

/// Where the information in an observation came from. A formal disclosure is one option
/// among several and is never required.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Observed,
    ChildSaid,
    CarerSaid,
    ThirdParty,
    FormalDisclosure,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Observed => "Observed directly",
            Source::ChildSaid => "Child said",
            Source::CarerSaid => "Parent or carer said",
            Source::ThirdParty => "Third party reported",
            Source::FormalDisclosure => "Formal disclosure",
        }
    }
}

/// How strongly the practitioner reads an indicator (NICE CG89's two levels).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    #[default]
    Consider,
    Suspect,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Consider => "Consider",
            Level::Suspect => "Suspect",
        }
    }
}

/// Whether a carer's explanation for an indicator is suitable (plausible, adequate, consistent).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Suitability {
    /// No explanation was given.
    #[default]
    NotGiven,
    Suitable,
    NotSuitable,
}

impl Suitability {
    pub fn label(self) -> &'static str {
        match self {
            Suitability::NotGiven => "No explanation given",
            Suitability::Suitable => "Explanation suitable",
            Suitability::NotSuitable => "Explanation not suitable",
        }
    }
}

/// One indicator ticked on an observation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct IndicatorEntry {
    pub code: String,
    pub level: Level,
    /// The carer's explanation, in their words, if one was given.
    #[autosurgeon(missing = "String::new")]
    #[serde(default)]
    pub explanation: String,
    #[autosurgeon(missing = "Suitability::default")]
    #[serde(default)]
    pub explanation_suitable: Suitability,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum BodyView {
    #[default]
    Front,
    Back,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Left,
    Right,
    #[default]
    Midline,
}

impl BodyView {
    pub fn label(self) -> &'static str {
        match self {
            BodyView::Front => "Front",
            BodyView::Back => "Back",
        }
    }
}

impl Side {
    /// Sides are the child's own, not the viewer's.
    pub fn label(self) -> &'static str {
        match self {
            Side::Left => "Child's left",
            Side::Right => "Child's right",
            Side::Midline => "Midline",
        }
    }
}

choice!(BodyView { Front = "front", Back = "back" });
choice!(Side { Left = "left", Right = "right", Midline = "midline" });
choice!(MarkKind { Bruise = "bruise", Burn = "burn", Cut = "cut", Bite = "bite", Other = "other" });
choice!(Source {
    Observed = "observed",
    ChildSaid = "child_said",
    CarerSaid = "carer_said",
    ThirdParty = "third_party",
    FormalDisclosure = "formal_disclosure",
});
choice!(Level { Consider = "consider", Suspect = "suspect" });
choice!(Suitability { NotGiven = "not_given", Suitable = "suitable", NotSuitable = "not_suitable" });

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    #[default]
    Bruise,
    Burn,
    Cut,
    Bite,
    Other,
}

impl MarkKind {
    pub fn label(self) -> &'static str {
        match self {
            MarkKind::Bruise => "Bruise",
            MarkKind::Burn => "Burn or scald",
            MarkKind::Cut => "Cut or scratch",
            MarkKind::Bite => "Bite",
            MarkKind::Other => "Other mark",
        }
    }
}

/// A mark placed on the body map. Coordinates are per-mille of the outline's width and height,
/// so they survive any screen size.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct BodyMark {
    pub id: String,
    pub view: BodyView,
    pub x: u16,
    pub y: u16,
    /// Body region, e.g. "Upper arm", "Cheek".
    pub region: String,
    pub side: Side,
    pub kind: MarkKind,
    /// Size as measured, e.g. "2 cm x 1 cm".
    pub size: String,
    /// Colour, and any view on age (e.g. "yellow-green, older").
    pub colour_age: String,
    pub note: String,
}

pub const MAX_MARKS: usize = 60;

/// One thing seen or heard. Never deleted: later issues add amendment and withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Observation {
    pub id: ObservationId,
    /// When it happened: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, local time of the visit.
    pub occurred: String,
    /// The practitioner only knows roughly when it happened.
    pub occurred_approx: bool,
    /// When it was recorded on the tablet, milliseconds since the Unix epoch.
    pub recorded_at_ms: i64,
    pub author_id: UserId,
    pub author_name: String,
    pub agency: String,
    /// Where the visit took place.
    pub location: String,
    /// Who was present, one entry per person.
    pub present: Vec<String>,
    pub indicators: Vec<IndicatorEntry>,
    pub source: Source,
    pub narrative: String,
    /// The child's own words, verbatim.
    pub child_words: String,
    #[autosurgeon(missing = "String::new")]
    #[serde(default)]
    pub action_taken: String,
    /// Injuries placed on the body map.
    #[autosurgeon(missing = "Vec::new")]
    #[serde(default)]
    pub body_marks: Vec<BodyMark>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("the date it happened is missing or not a date (YYYY-MM-DD)")]
    BadDate,
    #[error("record at least a narrative, the child's words or one indicator")]
    Empty,
    #[error("unknown indicator code {0}")]
    UnknownIndicator(String),
    #[error("indicator {0} is listed twice")]
    DuplicateIndicator(String),
    #[error("{0} is too long")]
    TooLong(&'static str),
    #[error("invalid id")]
    BadId,
    #[error("{0} is out of range")]
    OutOfRange(&'static str),
    #[error("{0} is required")]
    Missing(&'static str),
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Accepts `YYYY-MM-DD` (a real civil date) with an optional `THH:MM`.
pub fn valid_occurred(s: &str) -> bool {
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let date_ok = date.parse::<crate::calendar::Date>().is_ok();
    let time_ok = match time {
        None => true,
        Some(t) => matches!(t.split_once(':'), Some((h, m))
            if h.len() == 2 && m.len() == 2 && digits(h) && digits(m)
            && h.parse::<u32>().unwrap_or(99) < 24 && m.parse::<u32>().unwrap_or(99) < 60),
    };
    date_ok && time_ok
}

/// A text field: at most `max` bytes.
pub fn check_len(value: &str, max: usize, what: &'static str) -> Result<(), ValidationError> {
    if value.len() > max {
        Err(ValidationError::TooLong(what))
    } else {
        Ok(())
    }
}

/// A text field that must say something: not blank, at most `max` bytes.
pub(crate) fn check_required(
    value: &str,
    max: usize,
    what: &'static str,
) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::Missing(what));
    }
    check_len(value, max, what)
}

/// A civil date, `YYYY-MM-DD`.
pub(crate) fn check_date(value: &str) -> Result<(), ValidationError> {
    value
        .parse::<crate::calendar::Date>()
        .map(|_| ())
        .map_err(|_| ValidationError::BadDate)
}

/// A civil date, or empty when there is none.
pub(crate) fn check_optional_date(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        Ok(())
    } else {
        check_date(value)
    }
}

/// An entry id: the safe id alphabet, as ids travel in document keys and URLs.
pub fn check_id(value: &str) -> Result<(), ValidationError> {
    value
        .parse::<crate::ObservationId>()
        .map(|_| ())
        .map_err(|_| ValidationError::BadId)
}

impl Observation {
    /// Checks an observation before it is written; the server re-checks what arrives.
    /// (Its id keeps the id rule by its type: an `ObservationId` holds no other.)
    pub fn validate(&self) -> Result<(), ValidationError> {
        if !valid_occurred(&self.occurred) {
            return Err(ValidationError::BadDate);
        }
        if self.narrative.trim().is_empty()
            && self.child_words.trim().is_empty()
            && self.indicators.is_empty()
            && self.body_marks.is_empty()
        {
            return Err(ValidationError::Empty);
        }
        for (field, value, max) in [
            ("narrative", &self.narrative, MAX_TEXT_LEN),
            ("the child's words", &self.child_words, MAX_TEXT_LEN),
            ("action taken", &self.action_taken, MAX_TEXT_LEN),
            ("location", &self.location, MAX_SHORT_LEN),
            ("author name", &self.author_name, MAX_SHORT_LEN),
            ("agency", &self.agency, MAX_SHORT_LEN),
        ] {
            if value.len() > max {
                return Err(ValidationError::TooLong(field));
            }
        }
        if self.present.len() > MAX_PRESENT || self.present.iter().any(|p| p.len() > MAX_SHORT_LEN)
        {
            return Err(ValidationError::TooLong("who was present"));
        }
        if self.body_marks.len() > MAX_MARKS
            || self.body_marks.iter().any(|m| {
                m.x > 1000
                    || m.y > 1000
                    || [&m.id, &m.region, &m.size, &m.colour_age]
                        .iter()
                        .any(|t| t.len() > MAX_SHORT_LEN)
                    || m.note.len() > MAX_TEXT_LEN
            })
        {
            return Err(ValidationError::TooLong("body map"));
        }
        if self
            .indicators
            .iter()
            .any(|i| i.explanation.len() > MAX_TEXT_LEN)
        {
            return Err(ValidationError::TooLong("explanation"));
        }
        if self.indicators.len() > MAX_INDICATORS {
            return Err(ValidationError::TooLong("indicators"));
        }
        for (i, entry) in self.indicators.iter().enumerate() {
            if catalogue::find(&entry.code).is_none() {
                return Err(ValidationError::UnknownIndicator(entry.code.clone()));
            }
            if self.indicators[..i].iter().any(|e| e.code == entry.code) {
                return Err(ValidationError::DuplicateIndicator(entry.code.clone()));
            }
        }
        Ok(())
    }
}

/// The actor prefixes only the server writes with are defined with the ids they constrain.
pub use crate::ids::{
    DEMO_ACTOR_PREFIX, GENESIS_ACTOR_PREFIX, MERGE_ACTOR_PREFIX, RESERVED_ACTOR_PREFIXES,
};

/// The actor that writes every record's genesis change. Derived from the child id, so every
/// replica creates a byte-identical first change and nobody's `observations` map shadows
/// another's.
pub fn genesis_actor(child: &ChildId) -> ActorId {
    let mut bytes = GENESIS_ACTOR_PREFIX.to_vec();
    bytes.extend_from_slice(child.as_str().as_bytes());
    ActorId::from(bytes)
}

/// Creates the record's first change. Deterministic: same child, same bytes, same hash.
pub fn genesis(child: &ChildId) -> Automerge {
    let mut doc = Automerge::new().with_actor(genesis_actor(child));
    let result = doc.transact_with::<_, _, AutomergeError, _>(
        |_| CommitOptions::default().with_time(0),
        |tx| {
            tx.put(ROOT, "schema", SCHEMA_VERSION)?;
            tx.put(ROOT, "child_id", child.as_str())?;
            for map in ENTRY_MAPS {
                tx.put_object(ROOT, *map, ObjType::Map)?;
            }
            Ok(())
        },
    );
    // The three puts above act on a fresh in-memory document; they cannot fail.
    debug_assert!(result.is_ok());
    doc
}

/// Opens a local replica of a child's record for the given device actor.
pub fn new_replica(child: &ChildId, actor: ActorId) -> Automerge {
    let mut doc = genesis(child);
    doc.set_actor(actor);
    doc
}

fn observations_obj(doc: &Automerge) -> Result<automerge::ObjId, RecordError> {
    match doc.get(ROOT, "observations")? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(RecordError::NotARecord),
    }
}

/// Writes a new observation as one Automerge change, timestamped with `now_ms`.
pub fn add_observation(
    doc: &mut Automerge,
    obs: &Observation,
    now_ms: i64,
) -> Result<automerge::ChangeHash, RecordError> {
    obs.validate()?;
    let obj = observations_obj(doc)?;
    if doc.get(&obj, obs.id.as_str())?.is_some() {
        return Err(RecordError::Exists);
    }
    let mut tx = doc.transaction();
    autosurgeon::reconcile_prop(&mut tx, &obj, obs.id.as_str(), obs)?;
    let (hash, _) = tx.commit_with(
        CommitOptions::default()
            .with_time(now_ms / 1000)
            .with_message("observation"),
    );
    hash.ok_or(RecordError::NotARecord)
}

/// What reading a record found: the entries that parsed, and how many did not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordView {
    pub observations: Vec<Observation>,
    /// Entries written by a newer or broken client that this version cannot read. They stay in
    /// the document untouched; the count is shown so nobody assumes the record is complete.
    pub unreadable: usize,
}

/// Reads every observation, in chronological order (when it happened, then when recorded).
pub fn read(doc: &Automerge) -> Result<RecordView, RecordError> {
    read_reusing(doc, &std::collections::BTreeMap::new())
}

/// [`read`], taking observations from `known` (by id, already read from this `doc`) instead
/// of reading them again.
pub fn read_reusing(
    doc: &Automerge,
    known: &std::collections::BTreeMap<String, Observation>,
) -> Result<RecordView, RecordError> {
    let obj = observations_obj(doc)?;
    let mut view = RecordView::default();
    let keys: Vec<String> = doc.keys(&obj).collect();
    for key in keys {
        if let Some(obs) = known.get(&key) {
            view.observations.push(obs.clone());
            continue;
        }
        match autosurgeon::hydrate_prop::<_, Observation, _, _>(doc, &obj, key.as_str()) {
            Ok(obs) => view.observations.push(obs),
            Err(_) => view.unreadable += 1,
        }
    }
    view.observations.sort_by(|a, b| {
        (a.occurred.as_str(), a.recorded_at_ms, a.id.as_str()).cmp(&(
            b.occurred.as_str(),
            b.recorded_at_ms,
            b.id.as_str(),
        ))
    });
    Ok(view)
}

/// Reads one observation by id.
pub fn observation(doc: &Automerge, id: &str) -> Result<Option<Observation>, RecordError> {
    let obj = observations_obj(doc)?;
    if doc.get(&obj, id)?.is_none() {
        return Ok(None);
    }
    Ok(autosurgeon::hydrate_prop::<_, Observation, _, _>(doc, &obj, id).ok())
}

/// Everything in a child's record, read once, for analytics and display. The server keeps it
/// as JSON beside the document so managers' pages never hydrate Automerge documents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Record {
    pub observations: Vec<Observation>,
    pub amendments: Vec<corrections::Amendment>,
    pub withdrawals: Vec<corrections::Withdrawal>,
    pub people: Vec<people::Person>,
    pub plan: stamped::Field<plan::PlanDetails>,
    pub actions: Vec<plan::PlanAction>,
    pub conferences: Vec<plan::Conference>,
    pub scalings: Vec<assessments::Scaling>,
    pub neglect: Vec<assessments::NeglectAssessment>,
    pub supervisions: Vec<supervision::Supervision>,
    /// Every episode (plan periods, looked after, pre-proceedings), oldest first.
    pub episodes: Vec<episodes::Episode>,
    pub episode_events: Vec<episodes::EpisodeEvent>,
    /// Visits, with whether the child was seen (alone, at home, the bedroom) and what made
    /// one difficult; in date order.
    pub visits: Vec<visits::Visit>,
    pub debriefs: Vec<visits::Debrief>,
    pub drift_responses: Vec<escalation::DriftResponse>,
    pub challenges: Vec<escalation::Challenge>,
    pub challenge_steps: Vec<escalation::ChallengeStep>,
    /// Concerns matched to the child at the front door, in order of receipt, and the answers.
    pub concerns: Vec<front_door::Concern>,
    pub concern_responses: Vec<front_door::ConcernResponse>,
    pub strategy_discussions: Vec<strategy::StrategyRecord>,
    pub sharing_decisions: Vec<sharing::SharingDecision>,
    /// Entries this version could not read (written by a newer client); never silently zero.
    pub unreadable: usize,
}

impl Record {
    pub fn is_withdrawn(&self, observation_id: &str) -> bool {
        self.withdrawals
            .iter()
            .any(|w| w.observation_id == observation_id)
    }
}

/// Reads the whole record.
pub fn read_record(doc: &Automerge) -> Result<Record, RecordError> {
    let view = read(doc)?;
    let mut record = read_record_except_observations(doc)?;
    record.observations = view.observations;
    record.unreadable += view.unreadable;
    Ok(record)
}

/// Everything in the record but its observations (`observations` is empty, `unreadable`
/// counts the other entries only). The server's read model keeps observations as rows of
/// their own and re-reads only the ones a merge touched; this part is small and read whole.
pub fn read_record_except_observations(doc: &Automerge) -> Result<Record, RecordError> {
    let (amendments, a) = corrections::read_amendments(doc)?;
    let (withdrawals, w) = corrections::read_withdrawals(doc)?;
    let (people, p) = people::read(doc)?;
    let (actions, ac) = plan::read_actions(doc)?;
    let (conferences, c) = plan::read_conferences(doc)?;
    let (scalings, s) = assessments::read_scalings(doc)?;
    let (neglect, n) = assessments::read_neglect(doc)?;
    let (supervisions, su) = supervision::read(doc)?;
    let (episodes, ep) = episodes::read(doc)?;
    let (episode_events, ev) = episodes::read_events(doc)?;
    let (visits, vi) = visits::read_visits(doc)?;
    let (debriefs, de) = visits::read_debriefs(doc)?;
    let (drift_responses, dr) = escalation::read_drift_responses(doc)?;
    let (challenges, ch) = escalation::read_challenges(doc)?;
    let (challenge_steps, cs) = escalation::read_steps(doc)?;
    let (concerns, co) = front_door::read_concerns(doc)?;
    let (concern_responses, cr) = front_door::read_responses(doc)?;
    let (strategy_discussions, sd) = strategy::read_strategies(doc)?;
    let (sharing_decisions, sh) = sharing::read_sharing(doc)?;
    Ok(Record {
        observations: Vec::new(),
        amendments,
        withdrawals,
        people,
        plan: plan::read_plan(doc)?,
        actions,
        conferences,
        scalings,
        neglect,
        supervisions,
        episodes,
        episode_events,
        visits,
        debriefs,
        drift_responses,
        challenges,
        challenge_steps,
        concerns,
        concern_responses,
        strategy_discussions,
        sharing_decisions,
        unreadable: a
            + w
            + p
            + ac
            + c
            + s
            + n
            + su
            + ep
            + ev
            + vi
            + de
            + dr
            + ch
            + cs
            + co
            + cr
            + sd
            + sh,
    })
}

/// The ids of observations that changes between `before` and `after` (heads of `doc`) added or
/// wrote into: what a merge must re-project.
pub fn observations_changed(
    doc: &Automerge,
    before: &[automerge::ChangeHash],
    after: &[automerge::ChangeHash],
) -> std::collections::BTreeSet<String> {
    observations_in(&doc.diff(before, after))
}

/// The ids of observations that `patches` add or write into.
pub fn observations_in(patches: &[automerge::Patch]) -> std::collections::BTreeSet<String> {
    use automerge::{PatchAction, Prop};
    let mut ids = std::collections::BTreeSet::new();
    for patch in patches {
        let in_observations = matches!(
            patch.path.first(),
            Some((_, Prop::Map(k))) if k == "observations"
        );
        if !in_observations {
            continue;
        }
        match patch.path.get(1) {
            Some((_, Prop::Map(id))) => {
                ids.insert(id.clone());
            }
            Some(_) => {}
            None => match &patch.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    ids.insert(key.clone());
                }
                PatchAction::Conflict {
                    prop: Prop::Map(key),
                } => {
                    ids.insert(key.clone());
                }
                _ => {}
            },
        }
    }
    ids
}

/// Observation ids, cheaply, without hydrating entries.
pub fn observation_ids(doc: &Automerge) -> Result<BTreeMap<String, ()>, RecordError> {
    let obj = observations_obj(doc)?;
    Ok(doc.keys(&obj).map(|k| (k, ())).collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(id: &str, occurred: &str, author: &str) -> Observation {
        Observation {
            id: id.parse().expect("a valid id"),
            occurred: occurred.into(),
            occurred_approx: false,
            recorded_at_ms: 1_700_000_000_000,
            author_id: author.parse().expect("a valid id"),
            author_name: format!("{author} name"),
            agency: "Children's services".into(),
            location: "Home".into(),
            present: vec!["Mother".into()],
            indicators: vec![IndicatorEntry {
                code: "NEG-HYGIENE".into(),
                level: Level::Consider,
                ..Default::default()
            }],
            source: Source::Observed,
            narrative: "Child in the same clothes as last week.".into(),
            child_words: "I'm hungry".into(),
            action_taken: String::new(),
            body_marks: Vec::new(),
        }
    }

    #[test]
    fn genesis_is_deterministic() {
        let c: ChildId = "child-1".parse().expect("valid");
        assert_eq!(genesis(&c).get_heads(), genesis(&c).get_heads());
        let other: ChildId = "child-2".parse().expect("valid");
        assert_ne!(genesis(&c).get_heads(), genesis(&other).get_heads());
    }

    #[test]
    fn concurrent_replicas_share_one_observations_map() {
        let c: ChildId = "child-1".parse().expect("valid");
        let mut a = new_replica(&c, ActorId::from(b"tablet-a".to_vec()));
        let mut b = new_replica(&c, ActorId::from(b"tablet-b".to_vec()));
        add_observation(&mut a, &sample("o1", "2026-01-02", "u1"), 1).expect("add");
        add_observation(&mut b, &sample("o2", "2026-01-01", "u2"), 2).expect("add");
        a.merge(&mut b).expect("merge");
        let view = read(&a).expect("read");
        let ids: Vec<_> = view.observations.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["o2", "o1"], "both kept, ordered by when it happened");
        assert_eq!(view.unreadable, 0);
    }

    #[test]
    fn round_trip() {
        let c: ChildId = "c".parse().expect("valid");
        let mut doc = new_replica(&c, ActorId::from(b"t".to_vec()));
        let obs = sample("o1", "2026-03-04T10:30", "u1");
        add_observation(&mut doc, &obs, 5_000).expect("add");
        let loaded = Automerge::load(&doc.save()).expect("load");
        assert_eq!(observation(&loaded, "o1").expect("read"), Some(obs));
    }

    #[test]
    fn body_marks_round_trip_and_old_documents_still_read() {
        let c: ChildId = "c".parse().expect("valid");
        let mut doc = new_replica(&c, ActorId::from(b"t".to_vec()));
        let mut obs = sample("o1", "2026-03-04", "u1");
        obs.indicators[0].explanation = "Said he fell off the sofa".into();
        obs.indicators[0].explanation_suitable = Suitability::NotSuitable;
        obs.body_marks.push(BodyMark {
            id: "m1".into(),
            view: BodyView::Front,
            x: 420,
            y: 180,
            region: "Cheek".into(),
            side: Side::Left,
            kind: MarkKind::Bruise,
            size: "2 cm x 1 cm".into(),
            colour_age: "Purple, fresh".into(),
            note: "Finger-shaped".into(),
        });
        add_observation(&mut doc, &obs, 1).expect("add");
        assert_eq!(observation(&doc, "o1").expect("read"), Some(obs.clone()));

        // A tablet on an older version wrote entries without these fields.
        let obj = observations_obj(&doc).expect("map");
        let (_, entry) = doc.get(&obj, "o1").expect("get").expect("entry");
        let (_, inds) = doc.get(&entry, "indicators").expect("get").expect("list");
        let (_, first) = doc.get(&inds, 0).expect("get").expect("item");
        let mut tx = doc.transaction();
        tx.delete(&entry, "body_marks").expect("delete");
        tx.delete(&first, "explanation").expect("delete");
        tx.delete(&first, "explanation_suitable").expect("delete");
        tx.commit();
        let old = observation(&doc, "o1")
            .expect("read")
            .expect("still readable");
        assert!(old.body_marks.is_empty());
        assert_eq!(
            old.indicators[0].explanation_suitable,
            Suitability::NotGiven
        );
    }

    fn check(mutate: impl FnOnce(&mut Observation), expected: Result<(), ValidationError>) {
        let mut obs = sample("o1", "2026-03-04", "u1");
        mutate(&mut obs);
        assert_eq!(obs.validate(), expected);
    }

    #[test]
    fn validation() {
        check(|_| {}, Ok(()));
        check(
            |o| o.occurred = "yesterday".into(),
            Err(ValidationError::BadDate),
        );
        check(
            |o| o.occurred = "2026-13-01".into(),
            Err(ValidationError::BadDate),
        );
        check(
            |o| o.occurred = "2026-12-01T25:00".into(),
            Err(ValidationError::BadDate),
        );
        check(|o| o.occurred = "2026-12-01T09:05".into(), Ok(()));
        check(
            |o| {
                o.narrative.clear();
                o.child_words.clear();
                o.indicators.clear();
            },
            Err(ValidationError::Empty),
        );
        check(
            |o| {
                o.indicators.push(IndicatorEntry {
                    code: "XXX".into(),
                    level: Level::Suspect,
                    ..Default::default()
                })
            },
            Err(ValidationError::UnknownIndicator("XXX".into())),
        );
        check(
            |o| {
                o.indicators.push(IndicatorEntry {
                    code: "NEG-HYGIENE".into(),
                    level: Level::Suspect,
                    ..Default::default()
                })
            },
            Err(ValidationError::DuplicateIndicator("NEG-HYGIENE".into())),
        );
        check(
            |o| o.narrative = "x".repeat(MAX_TEXT_LEN + 1),
            Err(ValidationError::TooLong("narrative")),
        );
    }

    #[test]
    fn an_observation_whose_id_breaks_the_rule_does_not_read_back() {
        use automerge::transaction::Transactable;
        let child: ChildId = "child-1".parse().expect("id");
        let mut doc = genesis(&child);
        add_observation(&mut doc, &sample("o1", "2026-01-02", "u1"), 1).expect("add");
        assert!(observation(&doc, "o1").expect("read").is_some());
        let entry = match doc.get(observations_obj(&doc).expect("map"), "o1") {
            Ok(Some((_, id))) => id,
            other => panic!("no entry: {other:?}"),
        };
        // Ids are written as the plain strings they were before they had types.
        for (field, expected) in [("id", "o1"), ("author_id", "u1")] {
            let value = doc
                .get(&entry, field)
                .expect("get")
                .map(|(v, _)| v.to_string());
            assert_eq!(value.as_deref(), Some(format!("\"{expected}\"").as_str()));
        }
        let mut tx = doc.transaction();
        tx.put(&entry, "id", "a/b").expect("put");
        tx.commit();
        assert_eq!(
            observation(&doc, "o1").expect("read"),
            None,
            "an id outside the rule is refused when read, never handed on"
        );
        let view = read(&doc).expect("read");
        assert!(view.observations.is_empty());
        assert_eq!(view.unreadable, 1, "and counted, never silently dropped");
    }
}
