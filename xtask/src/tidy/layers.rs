//! The layering rules that hold today, as searches over code lines (comments are prose).

use std::collections::BTreeSet;

use super::{is_comment, is_ident, Source};

/// Files (a path, or a directory ending in `/`) and what code in them must not name.
struct Layer {
    files: &'static [&'static str],
    forbid: Forbid,
    why: &'static str,
}

enum Forbid {
    /// These modules of the file's own crate (`crate::state`, also inside `crate::{…}`).
    Modules(&'static [&'static str]),
    /// Any module of the file's own crate: a leaf.
    AnyModule,
    /// These paths or identifiers anywhere in code (`tokio`, `std::time`).
    Names(&'static [&'static str]),
}

/// The layering rules (issue 11; see `../shared/docs/architecture-review.md`, Change 7). The
/// cycle check (`cycles.rs`) covers every pair of modules; these say which way a layer points.
const LAYERS: &[Layer] = &[
    Layer {
        files: &["shared/src/"],
        forbid: Forbid::Names(&[
            "std::time",
            "SystemTime",
            "Instant",
            "std::fs",
            "std::net",
            "std::thread",
            "std::env",
            "std::process",
            "tokio",
            "web_sys",
            "js_sys",
            "wasm_bindgen",
            "rand",
            "getrandom",
        ]),
        why: "`shared` does no IO: no clock, randomness or network; time and ids are arguments",
    },
    Layer {
        files: &["server/src/store.rs", "server/src/store/"],
        forbid: Forbid::Modules(&["state", "error", "auth", "routes", "merge", "observe", "live"]),
        why: "the store knows nothing of HTTP, the app state, the merge service or live updates \
              (`Store::watch` takes a callback)",
    },
    Layer {
        files: &["server/src/merge.rs", "server/src/merge/"],
        forbid: Forbid::Modules(&["state", "error", "auth", "routes", "observe", "demo"]),
        why: "the merge service owns what it uses and knows nothing of HTTP or the app state",
    },
    Layer {
        files: &["server/src/audit_log.rs"],
        forbid: Forbid::Modules(&["state", "error", "auth", "routes", "merge"]),
        why: "the audit writer is a service below the app state and the routes",
    },
    Layer {
        files: &["server/src/sessions.rs", "server/src/credentials.rs"],
        forbid: Forbid::Modules(&["state", "error", "auth", "routes", "merge"]),
        why: "the accounts service is below the app state, the extractor and the routes",
    },
    Layer {
        files: &[
            "server/src/merge.rs",
            "server/src/merge/",
            "server/src/store.rs",
            "server/src/store/",
            "server/src/audit.rs",
            "server/src/audit_log.rs",
            "server/src/live.rs",
            "server/src/sessions.rs",
            "server/src/credentials.rs",
        ],
        forbid: Forbid::Names(&["axum", "anyhow"]),
        why: "services say their errors in their own types (errors by layer) and know nothing of HTTP",
    },
    Layer {
        files: &["shared/src/validate.rs", "shared/src/validate/"],
        forbid: Forbid::Modules(&["sync"]),
        why: "the change policy, with the one door into Automerge, is below the sync protocol: \
              `sync::server` uses it, never the other way round",
    },
    Layer {
        files: &["shared/src/sync/client.rs"],
        forbid: Forbid::Names(&["super::server", "sync::server"]),
        why: "the tablet's half of the sync protocol does not depend on the server's half",
    },
    Layer {
        files: &[
            "server/src/audit.rs",
            "server/src/clock.rs",
            "server/src/live.rs",
            "server/src/cpu.rs",
            "server/src/group.rs",
            "server/src/metrics.rs",
            "server/src/logging.rs",
            "server/src/limits.rs",
            "server/src/backup.rs",
        ],
        forbid: Forbid::AnyModule,
        why: "the server's infrastructure modules are leaves that every layer may use",
    },
    Layer {
        files: &["app/src/storage.rs", "app/src/storage/"],
        forbid: Forbid::Modules(&["state", "sync", "api", "pages", "components"]),
        why: "the tablet's storage is below the app state, sync and the pages",
    },
    Layer {
        files: &["app/src/engine.rs"],
        forbid: Forbid::Modules(&["state", "sync", "pages", "components"]),
        why: "the sync engine is below the app state and the pages",
    },
    Layer {
        files: &["app/src/state.rs"],
        forbid: Forbid::Modules(&["sync", "pages", "components"]),
        why: "the app state is below the sync scheduler: it asks for a sync through \
              `AppState::sync_wanted`, which `sync` watches",
    },
    Layer {
        files: &["app/src/components.rs", "app/src/components/"],
        forbid: Forbid::Modules(&["pages"]),
        why: "pages are made of components, not the other way round",
    },
    Layer {
        files: &["app/src/platform.rs", "app/src/api.rs"],
        forbid: Forbid::AnyModule,
        why: "the browser wrappers and the HTTP calls are leaves of the app",
    },
];

/// Every place `file` breaks a rule of [`LAYERS`].
pub(super) fn check(file: &Source, out: &mut Vec<String>) {
    for layer in LAYERS {
        layering(file, layer, out);
    }
}

fn applies(layer: &Layer, path: &str) -> bool {
    layer.files.iter().any(|f| {
        if f.ends_with('/') {
            path.starts_with(f)
        } else {
            path == *f
        }
    })
}

fn layering(file: &Source, layer: &Layer, out: &mut Vec<String>) {
    if !applies(layer, &file.path) {
        return;
    }
    for (n, line) in file.text.lines().enumerate() {
        if is_comment(line) {
            continue;
        }
        let found: Vec<String> = match &layer.forbid {
            Forbid::Modules(modules) => crate_modules(line)
                .into_iter()
                .filter(|m| modules.contains(&m.as_str()))
                .map(|m| format!("crate::{m}"))
                .collect(),
            Forbid::AnyModule => crate_modules(line)
                .into_iter()
                .map(|m| format!("crate::{m}"))
                .collect(),
            Forbid::Names(names) => names
                .iter()
                .filter(|name| contains_name(line, name))
                .map(|name| name.to_string())
                .collect(),
        };
        for name in found {
            out.push(format!(
                "{}:{}: names `{name}`, but {}",
                file.path,
                n + 1,
                layer.why
            ));
        }
    }
}

/// Whether `line` holds `name` as a whole identifier or path (`rand` is not in `operand`).
fn contains_name(line: &str, name: &str) -> bool {
    line.match_indices(name).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + name.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// The modules of its own crate a line of code names: `crate::a::…` and `crate::{a, b::c}`.
pub(super) fn crate_modules(line: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in line.match_indices("crate::") {
        if line[..i].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = &line[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level names of the group: each before `,`, `::` or `}` at depth 0.
            let mut depth = 0;
            let mut at_name = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => at_name = true,
                    c if at_name && depth == 0 && is_ident(c) => {
                        let name: String =
                            group[j..].chars().take_while(|c| is_ident(*c)).collect();
                        if name != "self" {
                            out.insert(name);
                        }
                        at_name = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_of_the_own_crate() {
        for (line, expected) in [
            ("use crate::state::{now_ms, AppState};", vec!["state"]),
            (
                "use crate::{audit::{self, Event}, error::ApiError, state};",
                vec!["audit", "error", "state"],
            ),
            ("    state: &crate::state::AppState,", vec!["state"]),
            ("use shared::sync::server;", vec![]),
            ("use other_crate::thing;", vec![]),
        ] {
            let found: Vec<String> = crate_modules(line).into_iter().collect();
            assert_eq!(found, expected, "{line:?}");
        }
        assert!(contains_name("use tokio::sync::Mutex;", "tokio"));
        assert!(!contains_name("let operand = 1;", "rand"));
        assert!(!contains_name("use foo::rand_like;", "rand"));
    }
}
