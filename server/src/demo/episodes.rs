//! The demo caseload's plan history: episodes a manager recorded over the years.

/// The Thompson children's plan history: a child in need plan, a child protection plan for
/// emotional abuse that ended, and the current one for neglect (`episode-cp-2025`).
pub(super) fn demo_episodes(
    doc: &mut shared::record::Automerge,
    stamp: &dyn Fn(&str) -> shared::record::stamped::Stamp,
) -> Result<(), Box<shared::record::RecordError>> {
    use shared::record::episodes::{
        self, EndReason, EpisodeBase, EpisodeEnding, EpisodeKind, PlanCategory,
    };
    let history = [
        (
            "episode-cin-2019",
            EpisodeKind::ChildInNeed,
            PlanCategory::None,
            "2019-03-04",
            Some(("2020-01-20", EndReason::SteppedDown)),
        ),
        (
            "episode-cp-2021",
            EpisodeKind::ChildProtection,
            PlanCategory::Emotional,
            "2021-06-14",
            Some(("2022-07-11", EndReason::RiskReduced)),
        ),
        (
            "episode-cp-2025",
            EpisodeKind::ChildProtection,
            PlanCategory::Neglect,
            "2025-11-10",
            None,
        ),
    ];
    for (id, kind, category, started_on, ended) in history {
        episodes::start(
            doc,
            &EpisodeBase {
                id: id.into(),
                kind,
                category,
                started_on: started_on.into(),
                detail: String::new(),
                added: stamp(started_on),
            },
        )?;
        if let Some((ended_on, reason)) = ended {
            episodes::end(
                doc,
                id,
                &EpisodeEnding {
                    ended_on: ended_on.into(),
                    reason,
                    note: String::new(),
                },
                &stamp(ended_on),
            )?;
        }
    }
    Ok(())
}
