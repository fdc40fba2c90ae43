//! The server's side of a child's sync, as a pure function over the stored document.
//!
//! The caller loads the document, calls [`merge_child`], durably stores `persist`, and only then
//! sends `result`: that ordering is what makes a response an acknowledgement.

use std::collections::HashSet;

use automerge::sync::{self, SyncDoc};
use automerge::{ActorId, Automerge, Change, ChangeHash};

pub use super::protocol::encode_changes;
use super::protocol::{Bytes, ChildResult, ChildSyncRequest};
use super::{heads_from_hex, heads_to_hex};
pub use crate::validate::{apply_ready, apply_ready_keeping, ApplyError, Rejection};

/// Bounds on one child's part of a request. The HTTP layer bounds the whole body.
///
/// They are checked on the decoded changes before any is applied, because applying is the
/// expensive step: a crafted batch of thousands of changes from thousands of actors would
/// otherwise cost minutes of CPU (and hold the child's lock) before the policy refused it.
/// Sizes count decompressed bytes: a change may arrive deflated, and a small deflated chunk
/// can expand a thousandfold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_changes: usize,
    /// Largest change, decompressed.
    pub max_change_bytes: usize,
    /// All of one child's changes together, decompressed.
    pub max_total_bytes: usize,
    /// Distinct actors in one child's batch. An honest tablet uses one actor per page load.
    pub max_actors: usize,
    /// Operations over the whole batch.
    pub max_total_ops: usize,
    /// Operations in one change.
    pub max_change_ops: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_changes: crate::validate::Policy::default().max_changes,
            max_change_bytes: 1024 * 1024,
            max_total_bytes: 16 * 1024 * 1024,
            max_actors: 64,
            max_total_ops: 500_000,
            max_change_ops: crate::validate::Policy::default().max_ops,
        }
    }
}

/// The outcome of merging one child's request.
#[derive(Debug)]
pub struct ChildMerge {
    /// Changes new to the server, in an order that satisfies their dependencies: store these
    /// durably before sending `result`.
    pub persist: Vec<Change>,
    pub result: ChildResult,
}

/// The answer refusing a child's batch; `reason`'s text is what the tablet is told.
fn rejected(reason: impl std::fmt::Display) -> ChildMerge {
    ChildMerge {
        persist: Vec::new(),
        result: ChildResult::Rejected {
            reason: reason.to_string(),
        },
    }
}

/// Why a batch of changes was refused before any was applied. The text is what the tablet is
/// told, made at the wire ([`ChildResult::Rejected`]); none quotes the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("too many changes in one sync")]
    TooManyChanges,
    #[error("a change is larger than the server accepts")]
    ChangeTooLarge,
    #[error("the changes are larger than the server accepts in one sync")]
    BatchTooLarge,
    #[error("a change could not be decoded")]
    Undecodable,
    /// The same words as [`Rejection::TooManyOps`]: one rule, whichever check meets it first.
    #[error("a change has more operations than allowed")]
    TooManyOps,
    #[error("changes from too many writers in one sync")]
    TooManyWriters,
    #[error("too many operations in one sync")]
    TooManyOpsInBatch,
}

/// Decodes a batch of changes, refusing the whole batch on the first bad one.
pub fn decode_changes(raw: &[Bytes], limits: Limits) -> Result<Vec<Change>, DecodeError> {
    decode_chunks(raw.iter().map(|b| b.0.as_slice()), limits)
}

/// [`decode_changes`] over borrowed chunks (a sync message's).
fn decode_chunks<'a>(
    raw: impl ExactSizeIterator<Item = &'a [u8]>,
    limits: Limits,
) -> Result<Vec<Change>, DecodeError> {
    if raw.len() > limits.max_changes {
        return Err(DecodeError::TooManyChanges);
    }
    let mut total = 0usize;
    let changes: Vec<Change> = raw
        .map(|b| {
            let size = change_size(b, limits.max_change_bytes)?;
            total = total.saturating_add(size);
            if total > limits.max_total_bytes {
                return Err(DecodeError::BatchTooLarge);
            }
            let change = Change::from_bytes(b.to_vec()).map_err(|_| DecodeError::Undecodable)?;
            // Automerge does not check a change chunk's checksum: the first 4 bytes of the
            // hash of what it holds, written after the magic bytes.
            if b.get(4..8) != Some(&change.hash().0[..4]) {
                return Err(DecodeError::Undecodable);
            }
            if change.len() > limits.max_change_ops {
                return Err(DecodeError::TooManyOps);
            }
            Ok(change)
        })
        .collect::<Result<_, _>>()?;
    let actors: HashSet<&ActorId> = changes.iter().map(|c| c.actor_id()).collect();
    if actors.len() > limits.max_actors {
        return Err(DecodeError::TooManyWriters);
    }
    if changes.iter().map(Change::len).sum::<usize>() > limits.max_total_ops {
        return Err(DecodeError::TooManyOpsInBatch);
    }
    Ok(changes)
}

/// Whether a sync message's Bloom filter has parameters Automerge can use safely: empty, or at
/// least one entry with 1-64 bits per entry and 1-64 probes (Automerge writes 10 and 7).
fn honest_bloom(bloom: &sync::BloomFilter) -> bool {
    let bytes = bloom.to_bytes();
    if bytes.is_empty() {
        return true;
    }
    let mut rest = bytes.as_slice();
    let mut next = || leb128(&mut rest);
    match (next(), next(), next()) {
        (Some(entries), Some(bits_per_entry), Some(probes)) => {
            entries > 0 && (1..=64).contains(&bits_per_entry) && (1..=64).contains(&probes)
        }
        _ => false,
    }
}

/// Reads one unsigned LEB128 number off the front of `bytes`.
fn leb128(bytes: &mut &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The first bytes of every Automerge chunk.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHANGE_CHUNK: u8 = 1;
const COMPRESSED_CHANGE_CHUNK: u8 = 2;

/// The size of the change chunk `bytes` once decompressed, read without decompressing more
/// than `max` bytes: refuses anything that is not a change (a whole document or a bundle,
/// which Automerge would decompress column by column) or that is larger than `max`.
pub fn change_size(bytes: &[u8], max: usize) -> Result<usize, DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::ChangeTooLarge);
    }
    let not_a_change = DecodeError::Undecodable;
    let (magic, rest) = bytes.split_at_checked(4).ok_or(not_a_change)?;
    // Then a 4-byte checksum, the chunk type, and the length of what follows (LEB128).
    let rest = rest.get(4..).ok_or(not_a_change)?;
    let (&kind, mut rest) = rest.split_first().ok_or(not_a_change)?;
    if magic != MAGIC {
        return Err(not_a_change);
    }
    let len = leb128(&mut rest).ok_or(not_a_change)?;
    let body = usize::try_from(len)
        .ok()
        .and_then(|n| rest.get(..n))
        .ok_or(not_a_change)?;
    match kind {
        CHANGE_CHUNK => Ok(bytes.len()),
        COMPRESSED_CHANGE_CHUNK => {
            use std::io::Read;
            let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
            let mut inflated = flate2::read::DeflateDecoder::new(body).take(limit);
            let size =
                std::io::copy(&mut inflated, &mut std::io::sink()).map_err(|_| not_a_change)?;
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            if size > max {
                Err(DecodeError::ChangeTooLarge)
            } else {
                Ok(size)
            }
        }
        _ => Err(not_a_change),
    }
}

/// Decides whether changes new to the server may be stored (see `crate::validate`), given the
/// record before, the record with them applied, and the changes. The rejection becomes the
/// reason given to the tablet only at the wire ([`ChildResult::Rejected`]).
pub type Check<'a> = &'a dyn Fn(&Automerge, &Automerge, &[Change]) -> Result<(), Rejection>;

/// Wire bytes of changes the caller already holds, by hash, in the order asked; `None` unless
/// it holds every one. Answers are built from these rather than rebuilt from the document's
/// operations, which costs far more than sending bytes kept from when the changes arrived.
pub type ChangeBytes<'a> = &'a dyn Fn(&[ChangeHash]) -> Option<Vec<Bytes>>;

/// Holds no bytes: every answer is rebuilt from the document.
pub fn no_change_bytes(_: &[ChangeHash]) -> Option<Vec<Bytes>> {
    None
}

/// The changes in `doc` beyond `have_deps`, as wire bytes: from `change_bytes` when it holds them
/// all, else rebuilt from the document.
fn changes_beyond(
    doc: &Automerge,
    have_deps: &[ChangeHash],
    change_bytes: ChangeBytes<'_>,
) -> Vec<Bytes> {
    // Asks the change graph alone which changes are wanted.
    let wanted: Vec<ChangeHash> = doc
        .get_changes_meta(have_deps)
        .into_iter()
        .map(|m| m.hash)
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    change_bytes(&wanted).unwrap_or_else(|| encode_changes(doc.get_changes(have_deps)))
}

/// Accepts every change; for simulations and tools that have no sender to check.
pub fn accept_all(_: &Automerge, _: &Automerge, _: &[Change]) -> Result<(), Rejection> {
    Ok(())
}

/// Merges one child's request into `doc`. Everything new is applied to one working copy,
/// which `check` judges against `doc`; on refusal `doc` is left exactly as it was.
/// `change_bytes` supplies the bytes of changes the answer sends back (see [`ChangeBytes`]).
pub fn merge_child(
    doc: &mut Automerge,
    req: &ChildSyncRequest,
    limits: Limits,
    check: Check<'_>,
    change_bytes: ChangeBytes<'_>,
) -> ChildMerge {
    let mut work = doc.clone();
    let outcome = merge_into(&mut work, req, limits, change_bytes);
    if outcome.persist.is_empty() || matches!(outcome.result, ChildResult::Rejected { .. }) {
        return outcome;
    }
    if let Err(rejection) = check(doc, &work, &outcome.persist) {
        return ChildMerge {
            persist: Vec::new(),
            result: ChildResult::Rejected {
                reason: rejection.to_string(),
            },
        };
    }
    *doc = work;
    outcome
}

fn merge_into(
    doc: &mut Automerge,
    req: &ChildSyncRequest,
    limits: Limits,
    change_bytes: ChangeBytes<'_>,
) -> ChildMerge {
    let before = doc.get_heads();
    let mut changes = match decode_changes(&req.changes, limits) {
        Ok(c) => c,
        Err(reason) => return rejected(reason),
    };
    let sent: Vec<ChangeHash> = changes.iter().map(|c| c.hash()).collect();
    let mut message = None;
    if let Some(raw) = &req.sync_message {
        let Ok(mut msg) = sync::Message::decode(&raw.0) else {
            return rejected("the sync message could not be decoded");
        };
        // Automerge trusts a Bloom filter's parameters: no bits per entry divides by zero, and
        // billions of probes allocate gigabytes. Only what an honest peer sends gets through.
        if !msg.have.iter().all(|have| honest_bloom(&have.bloom)) {
            return rejected("the sync message could not be decoded");
        }
        // Changes the message carries go through the same door as the fast path's, with the
        // same bounds, and are judged with them; Automerge is then given the message without
        // them, so it never applies a change itself, nor queues one with a missing dependency
        // inside the document to release, unjudged, when that dependency arrives.
        match decode_chunks(msg.changes.iter(), limits) {
            Ok(carried) => changes.extend(carried),
            Err(reason) => return rejected(reason),
        }
        if changes.len() > limits.max_changes {
            return rejected(DecodeError::TooManyChanges);
        }
        msg.changes = sync::ChunkList::empty();
        message = Some(msg);
    }
    let (applied, blocked) = match apply_ready_keeping(doc, changes) {
        Ok(b) => b,
        Err(e) => return rejected(e),
    };
    let mut fallback_message = None;
    if let Some(msg) = message {
        // The server keeps no per-device sync state: a fresh state per round is enough,
        // because the tablet leaves fallback as soon as it holds heads the server has.
        let mut state = sync::State::new();
        if doc.receive_sync_message(&mut state, msg).is_err() {
            return rejected("the sync message could not be applied");
        }
        fallback_message = Some(doc.generate_sync_message(&mut state));
    }

    // What is new is exactly what was applied, kept as it arrived: Automerge applied nothing
    // of its own.
    let persist = applied;
    // The tablet lacks nothing when it held everything the server had before this merge and
    // everything new came from it: the usual case, answered without asking the document.
    let sent_set: HashSet<&ChangeHash> = sent.iter().collect();
    let tablet_has_all = fallback_message.is_none()
        && blocked.is_empty()
        && same_heads(req.server_heads.as_deref(), &before)
        && persist.iter().all(|c| sent_set.contains(&c.hash()));
    let result = if tablet_has_all {
        ChildResult::Merged {
            heads: heads_to_hex(&doc.get_heads()),
            changes: Vec::new(),
            accepted: persist.len(),
        }
    } else {
        respond(
            doc,
            req.server_heads.as_deref(),
            &sent,
            persist.len(),
            blocked.is_empty(),
            fallback_message,
            change_bytes,
        )
    };
    ChildMerge { persist, result }
}

/// Whether `held` (hex, as a tablet sends them) names exactly the heads `heads`.
fn same_heads(held: Option<&[String]>, heads: &[ChangeHash]) -> bool {
    let Some(held) = held.and_then(heads_from_hex) else {
        return false;
    };
    let held: HashSet<ChangeHash> = held.into_iter().collect();
    held.len() == heads.len() && heads.iter().all(|h| held.contains(h))
}

/// The answer for a child the tablet sent nothing for, read-only: the changes beyond the heads
/// the tablet holds, or a fallback sync message if it names heads the server does not have.
pub fn deliver(
    doc: &Automerge,
    server_heads: Option<&[String]>,
    change_bytes: ChangeBytes<'_>,
) -> ChildResult {
    respond(doc, server_heads, &[], 0, true, None, change_bytes)
}

/// What the tablet is told after a merge: everything it lacks beyond the heads it says the
/// server had (`known`) plus what it just sent, or a fallback sync message when those heads
/// are not the server's or some of its changes wait for missing dependencies.
fn respond(
    doc: &Automerge,
    known: Option<&[String]>,
    sent: &[ChangeHash],
    accepted: usize,
    none_blocked: bool,
    fallback_message: Option<Option<sync::Message>>,
    change_bytes: ChangeBytes<'_>,
) -> ChildResult {
    let heads = doc.get_heads();
    let known = known.and_then(heads_from_hex);
    let recognised = known.as_ref().filter(|h| super::holds(doc, h));
    match (recognised, fallback_message) {
        (Some(have), None) if none_blocked => {
            let mut have_deps: Vec<ChangeHash> = have.clone();
            have_deps.extend(
                sent.iter()
                    .filter(|h| super::holds(doc, std::slice::from_ref(*h))),
            );
            ChildResult::Merged {
                heads: heads_to_hex(&heads),
                changes: changes_beyond(doc, &have_deps, change_bytes),
                accepted,
            }
        }
        (_, message) => {
            let message = message
                .flatten()
                .or_else(|| doc.generate_sync_message(&mut sync::State::new()));
            ChildResult::Fallback {
                sync_message: Bytes(message.map(|m| m.encode()).unwrap_or_default()),
                heads: heads_to_hex(&heads),
                accepted,
            }
        }
    }
}

/// What a tablet receives for a child it has never held: everything beyond the genesis change,
/// which every tablet creates identically for itself.
pub fn initial(
    doc: &Automerge,
    genesis_heads: &[ChangeHash],
    change_bytes: ChangeBytes<'_>,
) -> ChildResult {
    let have_deps: Vec<ChangeHash> = if super::holds(doc, genesis_heads) {
        genesis_heads.to_vec()
    } else {
        Vec::new()
    };
    ChildResult::Merged {
        heads: heads_to_hex(&doc.get_heads()),
        changes: changes_beyond(doc, &have_deps, change_bytes),
        accepted: 0,
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::ROOT;

    use super::*;

    fn change_by(base: &Automerge, actor: u8, ops: usize) -> Bytes {
        let mut doc = base.fork().with_actor(ActorId::from(vec![actor; 16]));
        let before = doc.get_heads();
        let mut tx = doc.transaction();
        for i in 0..ops {
            tx.put(ROOT, format!("k{i}"), i as i64).expect("put");
        }
        tx.commit();
        let mut change = doc.get_changes(&before).remove(0).clone();
        Bytes(change.bytes().into_owned())
    }

    /// Found by the fuzzer: a Bloom filter with entries but no bits per entry made Automerge
    /// divide by zero while answering; one with billions of probes would allocate gigabytes.
    #[test]
    fn a_sync_message_with_a_crafted_bloom_filter_is_refused_not_panicked_on() {
        let doc = crate::record::genesis(&"child-1".parse().expect("id"));
        for (bloom, honest) in [
            (&[1u8, 0, 7][..], false),
            (&[1, 10, 0, 0, 0], false),
            (&[1, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0], false),
            (&[1, 10, 7, 0, 0], true),
        ] {
            let bloom = sync::BloomFilter::try_from(bloom).expect("a filter");
            assert_eq!(honest_bloom(&bloom), honest, "{bloom:?}");
            let mut msg = doc
                .clone()
                .generate_sync_message(&mut sync::State::new())
                .expect("a message");
            msg.have = vec![sync::Have {
                last_sync: Vec::new(),
                bloom,
            }];
            let req = ChildSyncRequest {
                child_id: "child-1".parse().expect("id"),
                server_heads: None,
                changes: Vec::new(),
                sync_message: Some(Bytes(msg.encode())),
            };
            let mut server = doc.clone();
            let merge = merge_child(
                &mut server,
                &req,
                Limits::default(),
                &accept_all,
                &no_change_bytes,
            );
            let refused = matches!(merge.result, ChildResult::Rejected { .. });
            assert_eq!(refused, !honest, "{:?}", merge.result);
        }
    }

    #[test]
    fn batches_too_wide_or_too_heavy_are_refused_before_anything_is_applied() {
        let base = Automerge::new();
        let limits = Limits {
            max_actors: 3,
            max_total_ops: 10,
            ..Limits::default()
        };
        let three: Vec<Bytes> = (0..3).map(|a| change_by(&base, a, 1)).collect();
        assert_eq!(decode_changes(&three, limits).map(|c| c.len()), Ok(3));
        let four: Vec<Bytes> = (0..4).map(|a| change_by(&base, a, 1)).collect();
        assert_eq!(
            decode_changes(&four, limits).err(),
            Some(DecodeError::TooManyWriters)
        );
        let heavy = vec![change_by(&base, 1, 6), change_by(&base, 2, 5)];
        assert_eq!(
            decode_changes(&heavy, limits).err(),
            Some(DecodeError::TooManyOpsInBatch)
        );
    }
}
