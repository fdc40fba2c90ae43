//! A same-child merge (`shared::record::same_child`): every entry copied once, with its
//! author, and a second copy adds only what is new.

use automerge::ActorId;
use shared::api::Role;
use shared::record::same_child::copy_entries;
use shared::record::{add_observation, genesis, read_record};
use shared::testing::{observation, sender};
use shared::ChildId;

#[test]
fn every_entry_is_copied_once_with_its_author_and_copying_again_adds_only_what_is_new() {
    let (a, b): (ChildId, ChildId) = (
        "child-a".parse().expect("test"),
        "child-b".parse().expect("test"),
    );
    let sam = sender("user-sam", Role::Practitioner);
    let hana = sender("user-hana", Role::Practitioner);
    let mut stays = genesis(&a);
    stays.set_actor(ActorId::from(b"tablet-one-000000000000".to_vec()));
    let mut goes = genesis(&b);
    goes.set_actor(ActorId::from(b"tablet-two-000000000000".to_vec()));
    add_observation(&mut stays, &observation("o-1", &sam), 1).expect("test");
    add_observation(&mut goes, &observation("o-2", &hana), 2).expect("test");
    add_observation(&mut goes, &observation("o-3", &hana), 3).expect("test");
    let done = copy_entries(&goes, &mut stays, &a, 1_000).expect("test");
    assert_eq!((done.entries, done.already), (2, 0));
    let record = read_record(&stays).expect("test");
    assert_eq!(record.observations.len(), 3);
    let copied = record
        .observations
        .iter()
        .find(|o| o.id.as_str() == "o-2")
        .expect("test");
    let original = read_record(&goes).expect("test");
    assert!(
        original.observations.contains(copied),
        "copied as it was, author and all"
    );
    // A late entry in the old record: the second copy adds it alone.
    add_observation(&mut goes, &observation("o-4", &hana), 4).expect("test");
    let again = copy_entries(&goes, &mut stays, &a, 2_000).expect("test");
    assert_eq!((again.entries, again.already), (1, 2));
    let heads = stays.get_heads();
    assert_eq!(
        copy_entries(&goes, &mut stays, &a, 3_000)
            .expect("test")
            .entries,
        0
    );
    assert_eq!(stays.get_heads(), heads, "nothing new, nothing written");
    assert_eq!(read_record(&stays).expect("test").observations.len(), 4);
}
