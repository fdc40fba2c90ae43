//! The demo caseload's visits: the child seen (alone, at home, the bedroom), one visit a
//! father cut short with threats, not yet debriefed, so the manager's dashboard shows the
//! task and the practitioner's record shows what is owed.

use shared::record::stamped::Stamp;
use shared::record::visits::{self, Difficulty, Visit, VisitPlace};
use shared::record::{Automerge, RecordError};

pub(super) fn demo_visits(
    doc: &mut Automerge,
    stamp: &dyn Fn(&str) -> Stamp,
    agency: &str,
) -> Result<(), Box<RecordError>> {
    let visits = [
        (
            "visit-2026-06-01",
            "2026-06-01",
            VisitPlace::Home,
            true,
            true,
            true,
            "My room is cold",
            &[][..],
        ),
        (
            "visit-2026-09-14",
            "2026-09-14",
            VisitPlace::School,
            true,
            true,
            false,
            "",
            &[][..],
        ),
        (
            "visit-2026-11-23",
            "2026-11-23",
            VisitPlace::Home,
            true,
            false,
            false,
            "",
            &[Difficulty::Threatened, Difficulty::CutShort][..],
        ),
    ];
    for (id, date, place, seen, alone, bedroom, words, hard) in visits {
        visits::add_visit(
            doc,
            &Visit {
                id: id.into(),
                date: date.into(),
                place,
                seen,
                seen_alone: alone,
                bedroom_seen: bedroom,
                child_words: words.into(),
                difficulties: hard.to_vec(),
                note: if hard.is_empty() {
                    String::new()
                } else {
                    "Father came home during the visit, shouted and told me to leave".into()
                },
                agency: agency.into(),
                added: stamp(date),
            },
        )?;
    }
    Ok(())
}
