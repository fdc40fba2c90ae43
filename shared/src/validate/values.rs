//! Judging what the operations wrote: each new entry and stamped value is read back as its
//! Rust type, must hold only the keys that type writes, must pass the same validation the
//! tablet's writer runs, and must name the sender wherever it names an author.

use automerge::{Automerge, ObjId, ObjType, ReadDoc, Value};
use autosurgeon::Hydrate;
use serde::Serialize;

use super::ops::{StampedKind, Written};
use super::{Policy, Rejection, Sender};
use crate::api::Role;
use crate::record::assessments::{NeglectAssessment, Scaling, NEGLECT, SCALINGS};
use crate::record::corrections::{Amendment, Withdrawal, AMENDMENTS, WITHDRAWALS};
use crate::record::episodes::{
    self, EpisodeBase, EpisodeEnding, EpisodeEvent, EPISODES, EPISODE_EVENTS,
};
use crate::record::escalation::{
    Challenge, ChallengeStep, DriftResponse, CHALLENGES, CHALLENGE_STEPS, DRIFT_RESPONSES,
};
use crate::record::front_door::{ConcernResponse, CONCERNS, CONCERN_RESPONSES};
use crate::record::people::{self, Assessment, PersonBase, PersonDetails};
use crate::record::plan::{self, ActionBase, ActionStatus, Conference, PlanDetails};
use crate::record::sharing::{SharingDecision, SHARING_DECISIONS};
use crate::record::stamped::Stamp;
use crate::record::strategy::{StrategyRecord, STRATEGY_DISCUSSIONS};
use crate::record::supervision::{self, Supervision};
use crate::record::visits::{Debrief, Visit, DEBRIEFS, VISITS};
use crate::record::{self, Observation, ValidationError};

/// Checks everything in `written`; new observations go into `observations`.
pub(super) fn check(
    after: &Automerge,
    written: &[Written],
    sender: &Sender,
    policy: Policy,
    checked: &mut super::Checked,
) -> Result<(), Rejection> {
    let judge = Judge {
        doc: after,
        sender,
        policy,
    };
    for w in written {
        match w {
            Written::Entry { map, key, obj } => judge.entry(map, key, obj, checked)?,
            Written::Stamped { kind, obj } => judge.stamped(*kind, obj)?,
        }
    }
    Ok(())
}

struct Judge<'a> {
    doc: &'a Automerge,
    sender: &'a Sender,
    policy: Policy,
}

impl Judge<'_> {
    fn entry(
        &self,
        map: &str,
        key: &str,
        obj: &ObjId,
        checked: &mut super::Checked,
    ) -> Result<(), Rejection> {
        match map {
            "observations" => {
                let o: Observation = self.read(obj)?;
                valid(o.validate())?;
                same(&o.id, key)?;
                self.author(&o.author_id, &o.author_name)?;
                self.agency(&o.agency)?;
                self.time(o.recorded_at_ms)?;
                checked.observations.insert(o.id.to_string(), o);
            }
            AMENDMENTS => {
                let a: Amendment = self.read(obj)?;
                valid(a.validate())?;
                same(&a.id, key)?;
                self.stamp(&a.added)?;
                self.observation(&a.observation_id)?;
            }
            WITHDRAWALS => {
                let w: Withdrawal = self.read(obj)?;
                valid(w.validate())?;
                same(&w.observation_id, key)?;
                self.stamp(&w.added)?;
                let o = self.observation(&w.observation_id)?;
                if o.author_id != self.sender.user_id && self.sender.role != Role::Manager {
                    return Err(Rejection::WithdrawNotAllowed);
                }
            }
            supervision::MAP => {
                self.manager()?;
                let s: Supervision = self.read(obj)?;
                valid(s.validate())?;
                same(&s.id, key)?;
                self.stamp(&s.added)?;
            }
            plan::CONFERENCES => {
                let c: Conference = self.read(obj)?;
                valid(c.validate())?;
                same(&c.id, key)?;
                self.stamp(&c.added)?;
            }
            SCALINGS => {
                let s: Scaling = self.read(obj)?;
                valid(s.validate())?;
                same(&s.id, key)?;
                self.stamp(&s.added)?;
                self.agency(&s.agency)?;
            }
            NEGLECT => {
                let n: NeglectAssessment = self.read(obj)?;
                valid(n.validate())?;
                same(&n.id, key)?;
                self.stamp(&n.added)?;
            }
            people::MAP => {
                let [base, details, assessment] =
                    self.fields(obj, ["base", "details", "assessment"])?;
                let b: PersonBase = self.read(&base)?;
                valid(b.validate())?;
                same(&b.id, key)?;
                self.stamp(&b.added)?;
                self.stamped(StampedKind::PersonDetails, &details)?;
                self.stamped(StampedKind::PersonAssessment, &assessment)?;
            }
            plan::ACTIONS => {
                let [base, status] = self.fields(obj, ["base", "status"])?;
                let b: ActionBase = self.read(&base)?;
                valid(b.validate())?;
                same(&b.id, key)?;
                self.stamp(&b.added)?;
                self.stamped(StampedKind::ActionStatus, &status)?;
            }
            EPISODES => {
                self.manager()?;
                let [base, ending] = self.fields(obj, ["base", "ending"])?;
                let b: EpisodeBase = self.read(&base)?;
                valid(b.validate())?;
                same(&b.id, key)?;
                self.stamp(&b.added)?;
                self.stamped(StampedKind::EpisodeEnding, &ending)?;
            }
            EPISODE_EVENTS => {
                self.manager()?;
                let e: EpisodeEvent = self.read(obj)?;
                valid(e.validate())?;
                same(&e.id, key)?;
                self.stamp(&e.added)?;
                let (all, _) = episodes::read(self.doc).map_err(|_| Rejection::Structure)?;
                let episode = all
                    .iter()
                    .find(|x| x.base.id == e.episode_id)
                    .ok_or(Rejection::UnknownEntry)?;
                if !e.fits(episode.base.kind) {
                    return Err(Rejection::Malformed);
                }
            }
            VISITS => {
                let v: Visit = self.read(obj)?;
                valid(v.validate())?;
                same(&v.id, key)?;
                self.stamp(&v.added)?;
                self.agency(&v.agency)?;
            }
            DEBRIEFS => {
                self.manager()?;
                let d: Debrief = self.read(obj)?;
                valid(d.validate())?;
                same(&d.id, key)?;
                self.stamp(&d.added)?;
                self.exists(VISITS, &d.visit_id)?;
            }
            DRIFT_RESPONSES => {
                self.manager()?;
                let r: DriftResponse = self.read(obj)?;
                valid(r.validate())?;
                same(&r.id, key)?;
                self.stamp(&r.added)?;
            }
            CHALLENGES => {
                let c: Challenge = self.read(obj)?;
                valid(c.validate())?;
                same(&c.id, key)?;
                self.stamp(&c.added)?;
                self.agency(&c.agency)?;
            }
            CHALLENGE_STEPS => {
                let s: ChallengeStep = self.read(obj)?;
                valid(s.validate())?;
                same(&s.id, key)?;
                self.stamp(&s.added)?;
                self.agency(&s.agency)?;
                self.exists(CHALLENGES, &s.challenge_id)?;
            }
            CONCERNS => return Err(Rejection::FrontDoorOnly),
            CONCERN_RESPONSES => {
                let r: ConcernResponse = self.read(obj)?;
                valid(r.validate())?;
                same(&r.id, key)?;
                self.stamp(&r.added)?;
                self.agency(&r.agency)?;
                self.exists(CONCERNS, &r.concern_id)?;
            }
            STRATEGY_DISCUSSIONS => {
                let r: StrategyRecord = self.read(obj)?;
                valid(r.validate())?;
                same(&r.id, key)?;
                self.stamp(&r.added)?;
                self.agency(&r.agency)?;
                if !r.concern_id.is_empty() {
                    self.exists(CONCERNS, &r.concern_id)?;
                }
            }
            SHARING_DECISIONS => {
                let d: SharingDecision = self.read(obj)?;
                valid(d.validate())?;
                same(&d.id, key)?;
                self.stamp(&d.added)?;
                self.agency(&d.agency)?;
                if !d.about_map.is_empty() {
                    self.exists(&d.about_map, &d.about_id)?;
                }
                checked
                    .sharing
                    .push((d.id.clone(), d.shared, d.more_detrimental));
            }
            _ => return Err(Rejection::Structure),
        }
        Ok(())
    }

    /// The entry `id` of `map` that a new entry names.
    fn exists(&self, map: &str, id: &str) -> Result<(), Rejection> {
        match record::entries::contains(self.doc, map, id) {
            Ok(true) => Ok(()),
            _ => Err(Rejection::UnknownEntry),
        }
    }

    /// Plans, episodes, supervision, debriefs and drift responses are recorded by managers.
    fn manager(&self) -> Result<(), Rejection> {
        if self.sender.role == Role::Manager {
            Ok(())
        } else {
            Err(Rejection::ManagerOnly)
        }
    }

    /// A stamped value: exactly `value` and `stamp`, the stamp the sender's.
    fn stamped(&self, kind: StampedKind, obj: &ObjId) -> Result<(), Rejection> {
        let [value, stamp] = self.fields(obj, ["value", "stamp"])?;
        let s: Stamp = self.read(&stamp)?;
        self.stamp(&s)?;
        match kind {
            StampedKind::Plan => valid(self.read::<PlanDetails>(&value)?.validate()),
            StampedKind::PersonDetails => valid(self.read::<PersonDetails>(&value)?.validate()),
            StampedKind::PersonAssessment => valid(self.read::<Assessment>(&value)?.validate()),
            StampedKind::ActionStatus => valid(self.read::<ActionStatus>(&value)?.validate()),
            StampedKind::EpisodeEnding => {
                self.manager()?;
                valid(self.read::<EpisodeEnding>(&value)?.validate())
            }
        }
    }

    /// Reads the map `obj` as a `T`, refusing any key `T` does not write.
    fn read<T: Hydrate + Serialize>(&self, obj: &ObjId) -> Result<T, Rejection> {
        let value = T::hydrate_map(self.doc, obj).map_err(|_| Rejection::Malformed)?;
        let shape = serde_json::to_value(&value).map_err(|_| Rejection::Malformed)?;
        if !shape_matches(self.doc, obj, &shape) {
            return Err(Rejection::Malformed);
        }
        Ok(value)
    }

    /// The map `obj` holds exactly the keys `names`, each an object; returns those objects.
    fn fields<const N: usize>(
        &self,
        obj: &ObjId,
        names: [&str; N],
    ) -> Result<[ObjId; N], Rejection> {
        if self.doc.keys(obj).count() != N {
            return Err(Rejection::Malformed);
        }
        let mut out = Vec::with_capacity(N);
        for name in names {
            match self.doc.get(obj, name) {
                Ok(Some((Value::Object(ObjType::Map), id))) => out.push(id),
                _ => return Err(Rejection::Malformed),
            }
        }
        out.try_into().map_err(|_| Rejection::Malformed)
    }

    fn author(&self, by: &str, name: &str) -> Result<(), Rejection> {
        if self.sender.user_id == by && name == self.sender.display_name {
            Ok(())
        } else {
            Err(Rejection::ForgedAuthor)
        }
    }

    fn agency(&self, agency: &str) -> Result<(), Rejection> {
        if agency == self.sender.agency {
            Ok(())
        } else {
            Err(Rejection::ForgedAuthor)
        }
    }

    fn stamp(&self, stamp: &Stamp) -> Result<(), Rejection> {
        self.author(&stamp.by, &stamp.by_name)?;
        self.time(stamp.at_ms)
    }

    /// A time an entry says it was recorded: not before the epoch, not after what the server
    /// allows.
    fn time(&self, at_ms: i64) -> Result<(), Rejection> {
        if at_ms < 0 || self.policy.latest_ms.is_some_and(|latest| at_ms > latest) {
            Err(Rejection::OutOfRange)
        } else {
            Ok(())
        }
    }

    /// The observation a correction names.
    fn observation(&self, id: &str) -> Result<Observation, Rejection> {
        record::observation(self.doc, id)
            .ok()
            .flatten()
            .ok_or(Rejection::UnknownEntry)
    }
}

/// An entry's inner id must be its key.
fn same(inner: &str, key: &str) -> Result<(), Rejection> {
    if inner == key {
        Ok(())
    } else {
        Err(Rejection::Malformed)
    }
}

fn valid(result: Result<(), ValidationError>) -> Result<(), Rejection> {
    result.map_err(|e| match e {
        ValidationError::TooLong(_) | ValidationError::OutOfRange(_) => Rejection::OutOfRange,
        _ => Rejection::Malformed,
    })
}

/// Whether the object `obj` has exactly the shape of `shape` (the value it hydrated to, as
/// serde writes it): no key the type does not write, lists of the same length, an object
/// wherever the type has one and a scalar wherever it has a scalar. Scalar types themselves
/// were checked by hydrating, which accepts only the exact Automerge type Quilt writes.
fn shape_matches(doc: &Automerge, obj: &ObjId, shape: &serde_json::Value) -> bool {
    let value_matches = |found: Option<(Value<'_>, ObjId)>, shape: &serde_json::Value| match found {
        Some((Value::Object(_), child)) => shape_matches(doc, &child, shape),
        Some((Value::Scalar(_), _)) => !shape.is_object() && !shape.is_array(),
        None => false,
    };
    match shape {
        serde_json::Value::Object(fields) => {
            matches!(doc.object_type(obj), Ok(ObjType::Map))
                && doc.keys(obj).all(|k| match fields.get(&k) {
                    Some(field) => value_matches(doc.get(obj, k.as_str()).ok().flatten(), field),
                    None => false,
                })
        }
        serde_json::Value::Array(items) => {
            matches!(doc.object_type(obj), Ok(ObjType::List))
                && doc.length(obj) == items.len()
                && items
                    .iter()
                    .enumerate()
                    .all(|(i, item)| value_matches(doc.get(obj, i).ok().flatten(), item))
        }
        _ => false,
    }
}
