//! ARCHITECTURE.md against the tree: the paths it names exist, and so do the items it names
//! as code (how each is read: the module doc of `tidy.rs`).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{collect, is_comment, is_ident, relative, Source};

/// Every offence of ARCHITECTURE.md (`text`) against the tree at `root`.
pub(super) fn check(
    root: &Path,
    text: &str,
    files: &[Source],
    out: &mut Vec<String>,
) -> Result<()> {
    let defined = Defined::of(root, files)?;
    architecture_names(root, text, &defined, out);
    Ok(())
}

/// The workspace's crates, whose items are checked.
const CRATES: &[&str] = &["app", "server", "shared", "tests", "xtask", "quilt_server"];

/// Every name the workspace defines, as a plain set, and the crates it depends on (whose
/// items are not checked: `anyhow::Error` only needs `anyhow`).
struct Defined {
    names: BTreeSet<String>,
    dependencies: BTreeSet<String>,
}

impl Defined {
    fn of(root: &Path, files: &[Source]) -> Result<Defined> {
        let mut names: BTreeSet<String> = CRATES.iter().map(|c| c.to_string()).collect();
        for file in files {
            if let Some(stem) = file
                .path
                .rsplit('/')
                .next()
                .and_then(|n| n.strip_suffix(".rs"))
            {
                names.insert(stem.to_owned());
            }
            for line in file.text.lines().filter(|l| !is_comment(l)) {
                declared(line, &mut names);
            }
        }
        let mut sql = Vec::new();
        collect(root, &root.join("server/migrations"), "sql", &mut sql)?;
        for file in &sql {
            tables(&file.text, &mut names);
        }
        let mut dependencies = BTreeSet::new();
        for krate in ["", "app", "server", "shared", "tests", "xtask"] {
            let manifest = root.join(krate).join("Cargo.toml");
            if !manifest.exists() {
                continue;
            }
            let text = fs::read_to_string(&manifest)
                .with_context(|| format!("reading {}", manifest.display()))?;
            dependencies.extend(dependency_names(&text).filter(|d| !CRATES.contains(&d.as_str())));
        }
        Ok(Defined {
            names,
            dependencies,
        })
    }

    /// The names of `path` (its `::` segments) that nothing defines.
    fn missing<'a>(&self, path: &[&'a str]) -> Vec<&'a str> {
        if path.first().is_some_and(|p| self.dependencies.contains(*p)) {
            return Vec::new();
        }
        path.iter()
            .copied()
            .filter(|n| !self.names.contains(*n))
            .collect()
    }
}

/// The crates a manifest depends on, as Rust names (`async-trait` is `async_trait`).
fn dependency_names(manifest: &str) -> impl Iterator<Item = String> + '_ {
    let mut in_dependencies = false;
    manifest.lines().filter_map(move |line| {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line.contains("dependencies");
            return None;
        }
        let key = line.split(['=', '.']).next()?.trim();
        (in_dependencies && !key.is_empty() && !key.starts_with('#')).then(|| key.replace('-', "_"))
    })
}

fn idents(line: &str) -> Vec<&str> {
    line.split(|c: char| !is_ident(c))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The names a line of Rust declares: after `fn`, `struct`, `enum`, `trait`, `type`,
/// `const`, `static`, `mod`, `union`, `macro_rules!`; a field (`pub name: T`); an enum variant
/// (a CamelCase name opening a line); the first argument of a macro call at the start of a
/// line (`id_type!(ChildId, …)`).
fn declared(line: &str, names: &mut BTreeSet<String>) {
    const KEYWORDS: &[&str] = &[
        "fn",
        "struct",
        "enum",
        "trait",
        "type",
        "const",
        "static",
        "mod",
        "union",
        "macro_rules",
    ];
    let words = idents(line);
    for pair in words.windows(2) {
        if KEYWORDS.contains(&pair[0]) {
            names.insert(pair[1].to_owned());
        }
    }
    let mut trimmed = line.trim_start();
    for vis in ["pub(crate) ", "pub(super) ", "pub "] {
        if let Some(rest) = trimmed.strip_prefix(vis) {
            trimmed = rest;
        }
    }
    let head: String = trimmed.chars().take_while(|c| is_ident(*c)).collect();
    let after = &trimmed[head.len()..];
    if !head.is_empty() {
        let field = after.starts_with(':') && !after.starts_with("::");
        // An enum variant: `Internal(…)`, `Drift,`, `Conflicts { … }`, `Low = 1`.
        let variant = head.starts_with(|c: char| c.is_ascii_uppercase())
            && (after.is_empty()
                || after.starts_with('(')
                || after.starts_with(',')
                || after.starts_with(" {")
                || after.starts_with(" ="));
        if field || variant {
            names.insert(head.clone());
        }
        if let Some(args) = after.strip_prefix("!(") {
            let first: String = args.chars().take_while(|c| is_ident(*c)).collect();
            if !first.is_empty() {
                names.insert(first);
            }
        }
    }
}

/// The tables a migration creates.
fn tables(sql: &str, names: &mut BTreeSet<String>) {
    let words: Vec<&str> = idents(sql);
    for (i, w) in words.iter().enumerate() {
        if w.eq_ignore_ascii_case("table") && i > 0 && words[i - 1].eq_ignore_ascii_case("create") {
            let mut j = i + 1;
            if words.get(j).is_some_and(|w| w.eq_ignore_ascii_case("if")) {
                j += 3; // IF NOT EXISTS
            }
            if let Some(name) = words.get(j) {
                names.insert(name.to_ascii_lowercase());
            }
        }
    }
}

/// ARCHITECTURE.md as list items (or paragraphs) outside fenced code: each a run of lines
/// starting at a `- ` line, a heading or after a blank line.
fn items(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut fenced = false;
    let mut current = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let starts = line.trim().is_empty() || line.starts_with("- ") || line.starts_with('#');
        if starts && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if !line.trim().is_empty() {
            current.push_str(line);
            current.push('\n');
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The backticked spans of an item, in order.
fn spans(item: &str) -> Vec<&str> {
    item.split('`').skip(1).step_by(2).collect()
}

/// The targets of an item's Markdown links that name files of the tree.
fn links(item: &str) -> Vec<&str> {
    item.match_indices("](")
        .filter_map(|(i, _)| item[i + 2..].split_once(')').map(|(t, _)| t))
        .map(|t| t.split('#').next().unwrap_or(""))
        .filter(|t| !t.is_empty() && !t.contains("://") && !t.starts_with("mailto:"))
        .collect()
}

const PATH_ENDINGS: &[&str] = &[
    ".rs",
    ".md",
    ".sql",
    ".js",
    ".css",
    ".html",
    ".toml",
    ".webmanifest",
];

/// A span that names a file or directory (not a URL, route, command or pattern).
fn path_like(span: &str) -> bool {
    !span.is_empty()
        && !span.starts_with('/')
        && !span.contains("://")
        && span
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        && (span.contains('/') || PATH_ENDINGS.iter().any(|e| span.ends_with(e)))
}

/// What a span names as code: the identifiers to look up, if it has the shape of code.
fn item_names(span: &str) -> Option<Vec<&str>> {
    let (path, call) = match span.split_once('(') {
        Some((path, rest)) => {
            let args_end = rest.find(')')?;
            let tail = rest[args_end + 1..].trim();
            if !(tail.is_empty() || tail.starts_with("->")) {
                return None;
            }
            (path, true)
        }
        None => (span, false),
    };
    let segments: Vec<&str> = path.split("::").collect();
    let ident = |s: &&str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(is_ident)
    };
    if !segments.iter().all(ident) {
        return None;
    }
    if segments.len() > 1 || call {
        return Some(segments);
    }
    let name = segments[0];
    let camel = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().any(|c| c.is_ascii_lowercase());
    let snake = name.contains('_') && !name.chars().any(|c| c.is_ascii_uppercase());
    (camel || snake).then_some(segments)
}

fn is_module_name(span: &str) -> bool {
    span.starts_with(|c: char| c.is_ascii_lowercase())
        && span
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Whether a path is read from the repository root: its first part is an entry there.
fn rooted(root: &Path, span: &str) -> bool {
    let first = span.split('/').next().unwrap_or("");
    !first.is_empty() && first != "target" && root.join(first).exists()
}

fn architecture_names(root: &Path, text: &str, defined: &Defined, out: &mut Vec<String>) {
    for item in items(text) {
        let spans = spans(&item);
        // An item about a directory names its modules bare.
        let directory = spans
            .first()
            .filter(|s| s.ends_with('/') && path_like(s) && rooted(root, s))
            .map(|s| root.join(s));
        let mut context: Option<PathBuf> = None;
        for link in links(&item) {
            if !root.join(link).exists() {
                out.push(format!(
                    "ARCHITECTURE.md: links to `{link}`, which does not exist"
                ));
            }
        }
        for span in spans {
            if path_like(span) {
                if span.starts_with("target/") {
                    continue;
                }
                let path = if rooted(root, span) {
                    root.join(span)
                } else if let Some(dir) = &context {
                    dir.join(span)
                } else {
                    out.push(format!(
                        "ARCHITECTURE.md: `{span}` is not a path from the repository root and no \
                         path before it in its item says where it is"
                    ));
                    continue;
                };
                if !path.exists() {
                    out.push(format!(
                        "ARCHITECTURE.md: `{span}` names {}, which does not exist",
                        relative(root, &path)
                    ));
                    continue;
                }
                if rooted(root, span) {
                    context = Some(if path.is_dir() {
                        path
                    } else {
                        path.parent().map(Path::to_path_buf).unwrap_or(path)
                    });
                }
            } else if let (Some(dir), true) = (&directory, is_module_name(span)) {
                let module = dir.join(format!("{span}.rs"));
                if !module.exists() && !dir.join(span).is_dir() {
                    out.push(format!(
                        "ARCHITECTURE.md: `{span}` in the item about {} names {}, which does not exist",
                        relative(root, dir),
                        relative(root, &module)
                    ));
                }
            } else if let Some(names) = item_names(span) {
                for name in defined.missing(&names) {
                    out.push(format!(
                        "ARCHITECTURE.md: `{span}` names `{name}`, which nothing in the workspace defines"
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_spans_are_paths() {
        for (span, expected) in [
            ("shared/src/ids.rs", true),
            ("people.rs", true),
            ("server/migrations/sqlite/", true),
            ("tests/", true),
            (".ci/run", true),
            ("/health", false),
            ("/api/", false),
            ("QUILT_TEST_DATABASE_URL=postgres://…", false),
            ("GET\n  /api/children/{id}/changes?since=", false),
            ("cargo xtask bench", false),
            ("Store::commit_merge", false),
        ] {
            assert_eq!(path_like(span), expected, "{span:?}");
        }
    }

    #[test]
    fn what_spans_are_code() {
        for (span, expected) in [
            ("Store::commit_merge", Some(vec!["Store", "commit_merge"])),
            ("app(state) -> Router", Some(vec!["app"])),
            ("open_store(url)", Some(vec!["open_store"])),
            ("validate()", Some(vec!["validate"])),
            (
                "record::RESERVED_ACTOR_PREFIXES",
                Some(vec!["record", "RESERVED_ACTOR_PREFIXES"]),
            ),
            ("DocCache", Some(vec!["DocCache"])),
            ("anyhow::Error", Some(vec!["anyhow", "Error"])),
            ("project_unversioned", Some(vec!["project_unversioned"])),
            ("report", None),
            ("NOTIFY", None),
            ("BEGIN IMMEDIATE", None),
            ("Cache-Control: no-store", None),
            ("QUILT_*", None),
        ] {
            assert_eq!(item_names(span), expected, "{span:?}");
        }
    }

    #[test]
    fn dependencies() {
        let manifest = "[package]\nname = \"server\"\n\n[dependencies]\nanyhow.workspace = true\n\
                        async-trait = \"0.1\"\n\n[dev-dependencies]\ntempfile = \"3\"\n\n[lints]\nworkspace = true\n";
        assert_eq!(
            dependency_names(manifest).collect::<Vec<_>>(),
            ["anyhow", "async_trait", "tempfile"]
        );
    }

    #[test]
    fn declarations() {
        let mut names = BTreeSet::new();
        for line in [
            "pub async fn commit_merge(",
            "    pub merge_commits: GroupCommit<MergeBatch>,",
            "id_type!(ChildId, \"child\", safe);",
            "pub(crate) const fn limit() -> usize {",
            "impl Store for SqliteStore {",
            "    Internal(#[source] anyhow::Error),",
        ] {
            declared(line, &mut names);
        }
        let expected = [
            "ChildId",
            "Internal",
            "commit_merge",
            "fn",
            "limit",
            "merge_commits",
        ];
        assert_eq!(names.into_iter().collect::<Vec<_>>(), expected);
        let mut tables_found = BTreeSet::new();
        tables(
            "CREATE TABLE IF NOT EXISTS doc_state (x INT);\ncreate table quarantined_records (y);",
            &mut tables_found,
        );
        assert_eq!(
            tables_found.into_iter().collect::<Vec<_>>(),
            ["doc_state", "quarantined_records"]
        );
    }
}
