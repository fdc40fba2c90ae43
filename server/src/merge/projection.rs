//! What a merge writes besides its changes: the read model's rows (the observations it
//! touched, or everything on a record's first versioned write) and, past the compaction
//! threshold, a snapshot, checked to load back before it replaces the changes.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{Automerge, Change};
use shared::record;
use shared::sync::{heads_to_hex, Bytes};

use super::quarantine;
use super::ChangeBytes;
use crate::cpu::CpuPool;
use crate::store::{MergeWrite, NewChange, Projection};

/// The read model's rows after a merge: only the observations it touched (`changed`), unless
/// this is the child's first versioned write (`base_version` 0), which projects everything.
/// `read` holds observations already read from `doc` (by the validator), not read again.
pub fn projection(
    doc: &Automerge,
    changed: &BTreeSet<String>,
    read: &BTreeMap<String, record::Observation>,
    base_version: i64,
) -> Projection {
    let record = record::read_record_except_observations(doc).unwrap_or_else(|e| {
        tracing::error!(error = %e, "a stored record could not be read for the read model");
        record::Record::default()
    });
    if base_version > 0 {
        let observations: Option<Vec<record::Observation>> = changed
            .iter()
            .map(|id| match read.get(id) {
                Some(o) => Some(o.clone()),
                None => record::observation(doc, id).ok().flatten(),
            })
            .collect();
        // An observation that cannot be read (the validator lets none through) is counted by
        // a full projection rather than silently left out.
        if let Some(observations) = observations {
            return Projection {
                record,
                observations,
                replace_all: None,
            };
        }
    }
    let view = record::read_reusing(doc, read).unwrap_or_default();
    Projection {
        record,
        observations: view.observations,
        replace_all: Some(view.unreadable),
    }
}

/// A write for changes new to the server, with the wire bytes to keep once it is committed.
pub(super) struct NewWrite {
    pub write: MergeWrite,
    pub bytes: ChangeBytes,
}

/// What a merge has read back, to build its write from.
pub(super) struct Merged<'a> {
    pub doc: &'a Automerge,
    /// The observations the changes touched, and those of them already read (by the
    /// validator), not read again.
    pub changed: &'a BTreeSet<String>,
    pub read: &'a BTreeMap<String, record::Observation>,
    /// The stored version the changes were merged into, and how many changes are stored after
    /// its snapshot.
    pub base_version: i64,
    pub changes_after_snapshot: usize,
}

/// Builds the write for `new` changes, with their read-model rows and, past `compact_after`
/// stored changes, a compacted snapshot.
pub(super) fn write_for(merged: Merged<'_>, new: Vec<Change>, compact_after: usize) -> NewWrite {
    let mut changes = Vec::with_capacity(new.len());
    let mut bytes = Vec::with_capacity(new.len());
    for mut c in new {
        let raw = c.bytes().into_owned();
        bytes.push((c.hash(), Bytes(raw.clone())));
        changes.push(NewChange {
            hash: c.hash().to_string(),
            bytes: raw,
        });
    }
    let doc = merged.doc;
    let compact_to =
        (merged.changes_after_snapshot + changes.len() > compact_after).then(|| doc.save());
    let write = MergeWrite {
        heads: heads_to_hex(&doc.get_heads()),
        projection: projection(doc, merged.changed, merged.read, merged.base_version),
        changes,
        compact_to,
    };
    NewWrite { write, bytes }
}

/// How many changes are stored after the snapshot once `write` is committed.
pub(super) fn changes_after_commit(changes_after_snapshot: usize, write: &MergeWrite) -> usize {
    if write.compact_to.is_some() {
        0
    } else {
        changes_after_snapshot + write.changes.len()
    }
}

/// Whether each write's compacted snapshot loads back into the same document. One that does
/// not is taken out of its write, so the changes stay stored and nothing is lost (the record
/// is quarantined once the write is committed); the rest are put back. Compactions are rare
/// (one per `compact_after_changes` changes of a child), so the check costs little.
pub(super) async fn check_compactions(
    cpu: &CpuPool,
    mut writes: Vec<&mut MergeWrite>,
) -> Vec<bool> {
    let snapshots: Vec<(usize, Vec<u8>, Vec<String>)> = writes
        .iter_mut()
        .enumerate()
        .filter_map(|(n, w)| w.compact_to.take().map(|s| (n, s, w.heads.clone())))
        .collect();
    let mut unsaveable = vec![false; writes.len()];
    if snapshots.is_empty() {
        return unsaveable;
    }
    let checked = cpu
        .run(move || {
            snapshots
                .into_iter()
                .map(|(n, snapshot, heads)| {
                    let loads = quarantine::loads_back(&snapshot, &heads);
                    (n, loads.then_some(snapshot))
                })
                .collect::<Vec<_>>()
        })
        .await
        // The check itself failing: no compaction this time, and no verdict on the record.
        .unwrap_or_default();
    for (n, snapshot) in checked {
        unsaveable[n] = snapshot.is_none();
        writes[n].compact_to = snapshot;
    }
    unsaveable
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::genesis_change;

    #[tokio::test]
    async fn a_compaction_whose_snapshot_does_not_load_back_keeps_the_changes() {
        let mut doc = Automerge::new();
        doc.apply_changes([genesis_change(&"child-1".parse().expect("id"))])
            .expect("genesis");
        let write = |compact_to: Option<Vec<u8>>| MergeWrite {
            heads: heads_to_hex(&doc.get_heads()),
            compact_to,
            ..MergeWrite::default()
        };
        let (mut good, mut broken, mut none) = (
            write(Some(doc.save())),
            write(Some(b"garbage".to_vec())),
            write(None),
        );
        let unsaveable =
            check_compactions(&CpuPool::new(1), vec![&mut good, &mut broken, &mut none]).await;
        assert_eq!(unsaveable, [false, true, false]);
        assert_eq!(
            good.compact_to,
            Some(doc.save()),
            "a sound snapshot is kept"
        );
        assert_eq!(broken.compact_to, None, "the changes stay instead");
        assert_eq!(none.compact_to, None);
    }
}
