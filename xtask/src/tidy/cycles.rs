//! No import cycles between the top-level modules of a crate: `server/src/merge/cache.rs`
//! naming `crate::store` is an edge `merge → store`, and no module may reach itself again.
//! Edges are read from code (comments are prose), across lines, so a `use crate::{…}` group
//! that rustfmt wrapped counts too. The crate roots (`lib.rs`, `main.rs`) and `src/bin/` are
//! not modules of the graph.

use std::collections::{BTreeMap, BTreeSet};

use super::{is_comment, layers::crate_modules, Source};

/// The crates whose module graph must have no cycle.
const CRATES: &[&str] = &[
    "server/src/",
    "app/src/",
    "shared/src/",
    "xtask/src/",
    "tests/src/",
];

/// Every cycle among the top-level modules of each crate in `files`, one sentence each.
pub(super) fn check(files: &[Source], out: &mut Vec<String>) {
    for krate in CRATES {
        let graph = graph(files, krate);
        for cycle in cycles(&graph) {
            out.push(format!(
                "{krate}: modules import each other in a cycle: {}; one of these imports must go \
                 (move what both need below them)",
                cycle.join(" → ")
            ));
        }
    }
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The top-level module a file of `krate` belongs to (`merge` for `merge/cache.rs`), or
/// `None` for a crate root or a binary.
fn module_of<'a>(path: &'a str, krate: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(krate)?;
    if rest.starts_with("bin/") {
        return None;
    }
    let first = rest.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then_some(name)
}

fn graph(files: &[Source], krate: &str) -> Graph {
    let mut graph = Graph::new();
    for file in files {
        let Some(module) = module_of(&file.path, krate) else {
            continue;
        };
        let code: String = file
            .text
            .lines()
            .filter(|l| !is_comment(l))
            .collect::<Vec<_>>()
            .join("\n");
        let edges = graph.entry(module.to_owned()).or_default();
        for named in crate_modules(&code) {
            if named != module {
                edges.insert(named);
            }
        }
    }
    // Names that are not modules (a re-exported item, `crate::VERSION`) are not nodes.
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for edges in graph.values_mut() {
        edges.retain(|m| modules.contains(m));
    }
    graph
}

/// One cycle (as a path that comes back to its start) for each strongly connected group of
/// more than one module.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in graph.keys() {
        if done.contains(start.as_str()) {
            continue;
        }
        if let Some(path) = path_back(graph, start) {
            done.extend(path.iter().copied());
            let mut cycle: Vec<String> = path.iter().map(|s| s.to_string()).collect();
            cycle.push(start.clone());
            out.push(cycle);
        }
    }
    out
}

/// The shortest path of imports from `start` back to itself, if there is one (breadth-first).
fn path_back<'a>(graph: &'a Graph, start: &'a str) -> Option<Vec<&'a str>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(at) = queue.pop_front() {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                let mut path = vec![at];
                while let Some(prev) = came_from.get(path[path.len() - 1]) {
                    path.push(prev);
                }
                path.reverse();
                return Some(path);
            }
            if !came_from.contains_key(next.as_str()) && next != start {
                came_from.insert(next, at);
                queue.push_back(next);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> Source {
        Source {
            path: path.into(),
            text: text.into(),
        }
    }

    #[test]
    fn a_cycle_across_files_and_wrapped_groups_is_found() {
        let files = [
            file(
                "server/src/lib.rs",
                "//! Root.\npub mod a;\nuse crate::a::X;\n",
            ),
            file("server/src/a.rs", "//! A.\nuse crate::{\n    b::Y,\n};\n"),
            file(
                "server/src/b/inner.rs",
                "//! B.\nfn f() { crate::c::z(); }\n",
            ),
            file(
                "server/src/b.rs",
                "//! B.\n// crate::a in a comment is prose\n",
            ),
            file(
                "server/src/c.rs",
                "//! C.\nuse crate::a;\nuse crate::VERSION;\n",
            ),
            file("server/src/d.rs", "//! D.\nuse crate::a;\n"),
        ];
        let mut out = Vec::new();
        check(&files, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].contains("a → b → c → a"), "{out:?}");
    }

    #[test]
    fn layers_pointing_down_are_no_cycle() {
        let files = [
            file("app/src/a.rs", "//! A.\nuse crate::b;\nuse crate::c;\n"),
            file("app/src/b.rs", "//! B.\nuse crate::c;\n"),
            file("app/src/c.rs", "//! C.\n"),
            file("app/src/bin/x.rs", "//! X.\nuse crate::a;\n"),
        ];
        let mut out = Vec::new();
        check(&files, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}
