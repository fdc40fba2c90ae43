//! Scanning a browser profile's files for words typed into the app, in every encoding the disk
//! could hold them in, with a control word written in clear to prove the scan finds what is
//! there; and reading the app's IndexedDB counts from the page.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Result};
use base64::Engine as _;
use tests::Tablet;

/// Words that appear nowhere but in what the practitioner types.
pub(crate) const CANARIES: [&str; 3] = [
    "Zephyrquartzcanary",
    "Marmalowicketcanary",
    "Plinthorbcanary",
];
/// Written in clear by the test itself, to prove the scan finds what is there.
const CONTROL: &str = "Controlwordinclearxq";

/// Every way a word could be written to disk that the scan looks for: UTF-8, UTF-16 (both
/// byte orders), base64 at each of the three alignments, and hex, each case-insensitively.
fn encodings(word: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for w in [word.to_owned(), word.to_lowercase(), word.to_uppercase()] {
        out.push(w.as_bytes().to_vec());
        out.push(w.encode_utf16().flat_map(u16::to_le_bytes).collect());
        out.push(w.encode_utf16().flat_map(u16::to_be_bytes).collect());
        out.push(
            w.bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
                .into_bytes(),
        );
        for pad in 0..3 {
            let mut shifted = vec![b' '; pad];
            shifted.extend_from_slice(w.as_bytes());
            let encoded = base64::engine::general_purpose::STANDARD.encode(&shifted);
            // Skip the characters that depend on the bytes before the word, and the tail.
            let skip = (pad * 4).div_ceil(3);
            let core = &encoded[skip..encoded.len().saturating_sub(4)];
            if core.len() >= 8 {
                out.push(core.as_bytes().to_vec());
            }
        }
    }
    out
}

/// Files under `dir` containing `word` in any encoding.
fn files_containing(dir: &Path, word: &str) -> Result<Vec<String>> {
    let needles = encodings(word);
    let finders: Vec<memchr::memmem::Finder<'_>> =
        needles.iter().map(memchr::memmem::Finder::new).collect();
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            // Chromium may be rewriting a file right now; an unreadable one is skipped.
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            if finders.iter().any(|f| f.find(&bytes).is_some()) {
                hits.push(path.display().to_string());
            }
        }
    }
    Ok(hits)
}

/// Waits until the control word has reached the disk (so the browser has flushed what the
/// app wrote before it), then asserts that no canary is anywhere in the profile.
pub(crate) async fn assert_no_canary_on_disk(profile: &Path, when: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while files_containing(profile, CONTROL)?.is_empty() {
        if Instant::now() > deadline {
            bail!("{when}: the control word never reached the disk, so the scan proves nothing");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for canary in CANARIES {
        let hits = files_containing(profile, canary)?;
        ensure!(
            hits.is_empty(),
            "{when}: {canary} found in clear on disk: {hits:?}"
        );
    }
    Ok(())
}

/// Writes the control word in clear into IndexedDB and local storage, as a careless app would.
pub(crate) async fn write_control(tablet: &Tablet, n: u32) -> Result<()> {
    let script = format!(
        "const done = arguments[0];
         localStorage.setItem('control{n}', '{CONTROL}');
         const open = indexedDB.open('control{n}', 1);
         open.onupgradeneeded = () => open.result.createObjectStore('s');
         open.onsuccess = () => {{
           const tx = open.result.transaction('s', 'readwrite');
           tx.objectStore('s').put('{CONTROL} ' + 'x'.repeat(5000), 'k');
           tx.oncomplete = () => {{ open.result.close(); done(true); }};
         }};"
    );
    tablet.client.execute_async(&script, vec![]).await?;
    Ok(())
}

/// What the app's database holds, read in the page: (has a vault, documents, chunks).
pub(crate) async fn quilt_store_counts(tablet: &Tablet) -> Result<(bool, u64, u64)> {
    let v = tablet
        .client
        .execute_async(
            "const done = arguments[0];
             const open = indexedDB.open('quilt');
             open.onsuccess = () => {
               const db = open.result;
               const tx = db.transaction(['meta', 'docs', 'chunks']);
               const out = {};
               tx.objectStore('meta').get('vault').onsuccess = e => out.vault = e.target.result !== undefined;
               tx.objectStore('docs').count().onsuccess = e => out.docs = e.target.result;
               tx.objectStore('chunks').count().onsuccess = e => out.chunks = e.target.result;
               tx.oncomplete = () => { db.close(); done(out); };
             };",
            vec![],
        )
        .await?;
    Ok((
        v["vault"].as_bool().unwrap_or(false),
        v["docs"].as_u64().unwrap_or(0),
        v["chunks"].as_u64().unwrap_or(0),
    ))
}
