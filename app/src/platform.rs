//! Thin wrappers over browser facilities: clock, randomness, connectivity, service worker.

use wasm_bindgen::JsValue;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// `n` bytes from the Web Crypto generator.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; n];
    let crypto = web_sys::window()
        .ok_or("no window")?
        .crypto()
        .map_err(|_| "this browser has no secure random number generator".to_owned())?;
    crypto
        .get_random_values_with_u8_array(&mut buf)
        .map_err(|_| "the secure random number generator failed".to_owned())?;
    Ok(buf)
}

/// A fresh random entry id (16 hex digits), like observation ids.
pub fn new_id() -> Result<String, String> {
    random_bytes(8).map(|b| hex(&b)).map_err(|e| sentence(&e))
}

/// A sentence for the person: capital first letter, full stop.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

/// Loads the page afresh (at `path`, or the current address when empty), dropping everything
/// the app holds in memory.
pub fn reload(path: &str) {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return;
    };
    // Navigation only fails in detached documents, where there is nothing left to protect.
    let _ = if path.is_empty() {
        location.reload()
    } else {
        location.replace(path)
    };
}

/// Whether the browser believes it has a network connection.
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Today's date in England, `YYYY-MM-DD`: from the clock alone, not the tablet's time zone
/// setting, so it is the day the server counts timescales and flags from.
pub fn today() -> String {
    today_date().to_string()
}

/// Today's date in England (Europe/London), computed as the server computes it.
pub fn today_date() -> shared::calendar::Date {
    shared::calendar::Date::london_from_unix_ms(now_ms() as i64)
}

/// A moment as the tablet's local date and time, e.g. `26/11/2026 14:05`.
pub fn format_local(ms: f64) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(ms));
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}",
        d.get_date(),
        d.get_month() + 1,
        d.get_full_year(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// Shows a stored `YYYY-MM-DD[THH:MM]` as `DD/MM/YYYY[ HH:MM]` without touching time zones.
pub fn format_occurred(s: &str) -> String {
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let date = match parts.as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => date.to_owned(),
    };
    match time {
        Some(t) => format!("{date} {t}"),
        None => date,
    }
}

/// Registers the service worker that lets the app open without a network. Failures only mean
/// the app will not open offline, so they are reported on the console, which holds no records.
pub fn register_service_worker() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    // `navigator.serviceWorker` is missing on insecure origins; calling into it would throw.
    if !js_sys::Reflect::has(&navigator, &JsValue::from_str("serviceWorker")).unwrap_or(false) {
        return;
    }
    let promise = navigator.service_worker().register("/sw.js");
    wasm_bindgen_futures::spawn_local(async move {
        if wasm_bindgen_futures::JsFuture::from(promise).await.is_err() {
            web_sys::console::warn_1(&JsValue::from_str(
                "Quilt: service worker registration failed",
            ));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(from_hex("000fff"), Some(vec![0, 15, 255]));
        assert_eq!(from_hex("0g"), None);
        assert_eq!(from_hex("abc"), None);
    }

    #[test]
    fn sentences() {
        assert_eq!(
            sentence("record at least one thing"),
            "Record at least one thing."
        );
        assert_eq!(sentence("Done."), "Done.");
    }

    #[test]
    fn occurred_formats() {
        assert_eq!(format_occurred("2026-03-04"), "04/03/2026");
        assert_eq!(format_occurred("2026-03-04T09:30"), "04/03/2026 09:30");
    }
}
