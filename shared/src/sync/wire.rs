//! The compact form of a caseload sync request: binary, then deflated, so what a tablet sends
//! on a weak signal is close to the size of its compressed changes rather than base64 in JSON
//! (`Content-Type: application/vnd.quilt.sync`). The JSON form stays accepted (older tablets,
//! debugging).
//!
//! Layout: the magic `QSY1`, then one raw deflate stream of: the number of children; for each,
//! its id (length-prefixed UTF-8), a flags byte (1: server heads follow, 2: a sync message
//! follows), the server heads (a count, then 32 bytes each), the changes (a count, then each
//! length-prefixed), and the sync message (length-prefixed); then, only when the tablet has
//! concerns to send or awaits what became of some, the section mark 1, a flags byte (1: it
//! awaits outcomes), the concerns' count and each as length-prefixed JSON (they are small, and
//! rare). Numbers are LEB128 varints.
//! Decoding inflates at most a caller-given number of bytes (a small body cannot expand into a
//! large one), checks every length against what is left, refuses trailing bytes and any other
//! flag, and never allocates more than the bytes it has.

use std::io::{Read, Write};

use super::protocol::{Bytes, ChildSyncRequest, SyncRequest};
use crate::ids::ChildId;

/// The content type of the compact form.
pub const CONTENT_TYPE: &str = "application/vnd.quilt.sync";

const MAGIC: &[u8; 4] = b"QSY1";
const HAS_HEADS: u8 = 1;
const HAS_MESSAGE: u8 = 2;
const HASH_LEN: usize = 32;
/// The mark of the concerns section after the children.
const CONCERNS_SECTION: u8 = 1;

/// Why a compact body was refused; each says what, never echoes the bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("the body does not start with the compact sync form's mark")]
    Magic,
    #[error("the body is not a valid deflate stream")]
    Deflate,
    #[error("the body expands beyond {0} bytes")]
    TooLarge(usize),
    #[error("the body ends in the middle of a field")]
    Truncated,
    #[error("a number in the body is not a valid varint")]
    Varint,
    #[error("a child id in the body is not a valid id")]
    ChildId,
    #[error("a flags byte in the body has an unknown bit")]
    Flags,
    #[error("the body has bytes after its last child")]
    Trailing,
    #[error("a concern in the body is not a valid concern")]
    Concern,
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Encodes a request in the compact form.
pub fn encode_request(request: &SyncRequest) -> Vec<u8> {
    let mut raw = Vec::new();
    varint(&mut raw, request.children.len() as u64);
    for c in &request.children {
        field(&mut raw, c.child_id.as_str().as_bytes());
        let heads: Option<Vec<[u8; HASH_LEN]>> = c.server_heads.as_ref().map(|hs| {
            hs.iter()
                .filter_map(|h| h.parse::<automerge::ChangeHash>().ok().map(|h| h.0))
                .collect()
        });
        let flags = heads.as_ref().map_or(0, |_| HAS_HEADS)
            | c.sync_message.as_ref().map_or(0, |_| HAS_MESSAGE);
        raw.push(flags);
        if let Some(heads) = &heads {
            varint(&mut raw, heads.len() as u64);
            for h in heads {
                raw.extend_from_slice(h);
            }
        }
        varint(&mut raw, c.changes.len() as u64);
        for change in &c.changes {
            field(&mut raw, &change.0);
        }
        if let Some(m) = &c.sync_message {
            field(&mut raw, &m.0);
        }
    }
    if !request.concerns.is_empty() || request.awaiting_concerns {
        raw.push(CONCERNS_SECTION);
        raw.push(u8::from(request.awaiting_concerns));
        varint(&mut raw, request.concerns.len() as u64);
        for c in &request.concerns {
            // Serialising a plain struct into a Vec cannot fail.
            field(&mut raw, &serde_json::to_vec(c).unwrap_or_default());
        }
    }
    let mut out = MAGIC.to_vec();
    let mut enc = flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(&raw);
    let _ = enc.finish();
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, WireError> {
        let mut n: u64 = 0;
        for i in 0..10 {
            let (&b, rest) = self.bytes.split_first().ok_or(WireError::Truncated)?;
            self.bytes = rest;
            if i == 9 && b > 1 {
                return Err(WireError::Varint);
            }
            n |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(WireError::Varint)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], WireError> {
        let n = usize::try_from(n).map_err(|_| WireError::Truncated)?;
        if n > self.bytes.len() {
            return Err(WireError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn field(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.varint()?;
        self.take(n)
    }

    /// A count of items each at least `min` bytes long: never more than could fit.
    fn count(&mut self, min: usize) -> Result<usize, WireError> {
        let n = self.varint()?;
        if n > (self.bytes.len() / min.max(1)) as u64 {
            return Err(WireError::Truncated);
        }
        Ok(n as usize)
    }
}

/// Decodes a compact request, inflating at most `max_inflated` bytes.
pub fn decode_request(body: &[u8], max_inflated: usize) -> Result<SyncRequest, WireError> {
    let deflated = body.strip_prefix(MAGIC).ok_or(WireError::Magic)?;
    let mut raw = Vec::new();
    flate2::read::DeflateDecoder::new(deflated)
        .take(max_inflated as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(|_| WireError::Deflate)?;
    if raw.len() > max_inflated {
        return Err(WireError::TooLarge(max_inflated));
    }
    let mut r = Reader { bytes: &raw };
    // A child takes at least 3 bytes: an id's length and one byte, flags, a change count.
    let n = r.count(3)?;
    let mut children = Vec::with_capacity(n);
    for _ in 0..n {
        let id = std::str::from_utf8(r.field()?).map_err(|_| WireError::ChildId)?;
        let child_id: ChildId = id.parse().map_err(|_| WireError::ChildId)?;
        let flags = *r.take(1)?.first().ok_or(WireError::Truncated)?;
        if flags & !(HAS_HEADS | HAS_MESSAGE) != 0 {
            return Err(WireError::Flags);
        }
        let server_heads = if flags & HAS_HEADS != 0 {
            let count = r.count(HASH_LEN)?;
            let mut heads = Vec::with_capacity(count);
            for _ in 0..count {
                let bytes: [u8; HASH_LEN] = r
                    .take(HASH_LEN as u64)?
                    .try_into()
                    .map_err(|_| WireError::Truncated)?;
                heads.push(automerge::ChangeHash(bytes).to_string());
            }
            Some(heads)
        } else {
            None
        };
        let count = r.count(1)?;
        let mut changes = Vec::with_capacity(count);
        for _ in 0..count {
            changes.push(Bytes(r.field()?.to_vec()));
        }
        let sync_message = if flags & HAS_MESSAGE != 0 {
            Some(Bytes(r.field()?.to_vec()))
        } else {
            None
        };
        children.push(ChildSyncRequest {
            child_id,
            server_heads,
            changes,
            sync_message,
        });
    }
    let mut concerns = Vec::new();
    let mut awaiting_concerns = false;
    if r.bytes.first() == Some(&CONCERNS_SECTION) {
        r.take(1)?;
        let flags = *r.take(1)?.first().ok_or(WireError::Truncated)?;
        if flags > 1 {
            return Err(WireError::Flags);
        }
        awaiting_concerns = flags == 1;
        // A concern's JSON is at least its length and a few bytes.
        let count = r.count(2)?;
        if count == 0 && !awaiting_concerns {
            // The encoder writes no empty section.
            return Err(WireError::Concern);
        }
        for _ in 0..count {
            concerns.push(serde_json::from_slice(r.field()?).map_err(|_| WireError::Concern)?);
        }
    }
    if !r.bytes.is_empty() {
        return Err(WireError::Trailing);
    }
    Ok(SyncRequest {
        children,
        concerns,
        awaiting_concerns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> SyncRequest {
        SyncRequest {
            children: vec![
                ChildSyncRequest {
                    child_id: "child-ava".parse().expect("id"),
                    server_heads: Some(vec!["ab".repeat(32), "cd".repeat(32)]),
                    changes: vec![Bytes(vec![1, 2, 3]), Bytes(vec![0; 300])],
                    sync_message: None,
                },
                ChildSyncRequest {
                    child_id: "child-leo".parse().expect("id"),
                    server_heads: None,
                    changes: Vec::new(),
                    sync_message: Some(Bytes(vec![9; 10])),
                },
                ChildSyncRequest {
                    child_id: "child-mia".parse().expect("id"),
                    server_heads: Some(Vec::new()),
                    changes: Vec::new(),
                    sync_message: None,
                },
            ],
            concerns: vec![crate::api::front_door::ConcernSubmission {
                id: "concern-1".into(),
                raised_at_ms: 1_796_000_000_000,
                child: crate::api::front_door::ConcernChild {
                    name: "Ava Smyth".into(),
                    date_of_birth: "2019-05-03".into(),
                    ..Default::default()
                },
                indicators: Vec::new(),
                source: crate::record::Source::Observed,
                narrative: "Hungry again".into(),
                child_words: String::new(),
                urgency: crate::record::front_door::Urgency::Routine,
                contact: "01632 960000".into(),
            }],
            awaiting_concerns: true,
        }
    }

    #[test]
    fn a_request_round_trips() {
        let r = request();
        let body = encode_request(&r);
        assert_eq!(decode_request(&body, 1 << 20), Ok(r));
        let empty = SyncRequest::default();
        assert_eq!(decode_request(&encode_request(&empty), 10), Ok(empty));
    }

    /// The raw (inflated) bytes wrapped as a body.
    fn body(raw: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        let mut enc = flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::best());
        enc.write_all(raw).expect("write");
        enc.finish().expect("finish");
        out
    }

    #[test]
    fn malformed_bodies_are_refused_with_a_reason() {
        let good = encode_request(&request());
        assert_eq!(
            decode_request(b"{\"children\":[]}", 100),
            Err(WireError::Magic)
        );
        assert_eq!(
            decode_request(b"QSY1\xff\xff\xff", 100),
            Err(WireError::Deflate)
        );
        assert_eq!(decode_request(&good, 20), Err(WireError::TooLarge(20)));
        // A small body that would expand a thousandfold stops at the bound.
        let bomb = body(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 8_000, "{}", bomb.len());
        assert_eq!(
            decode_request(&bomb, 1 << 16),
            Err(WireError::TooLarge(1 << 16))
        );
        // Counts larger than the bytes left, a bad id, an unknown flag, trailing bytes.
        assert_eq!(
            decode_request(&body(&[0xff, 0xff, 0x03]), 100),
            Err(WireError::Truncated)
        );
        assert_eq!(
            decode_request(&body(&[1, 3, b'a', b'/', b'b', 0, 0]), 100),
            Err(WireError::ChildId)
        );
        assert_eq!(
            decode_request(&body(&[1, 1, b'a', 4, 0]), 100),
            Err(WireError::Flags)
        );
        assert_eq!(
            decode_request(&body(&[1, 1, b'a', 0, 0, 7]), 100),
            Err(WireError::Trailing)
        );
        // A concerns section that is empty, has an unknown flag, or whose concern is not one.
        assert_eq!(
            decode_request(&body(&[0, 1, 0, 0]), 100),
            Err(WireError::Concern)
        );
        assert_eq!(
            decode_request(&body(&[0, 1, 2, 0]), 100),
            Err(WireError::Flags)
        );
        assert_eq!(
            decode_request(&body(&[0, 1, 0, 1, 2, b'{', b'}']), 100),
            Err(WireError::Concern)
        );
        // Awaiting outcomes with nothing new to send.
        let awaiting = SyncRequest {
            awaiting_concerns: true,
            ..SyncRequest::default()
        };
        assert_eq!(
            decode_request(&encode_request(&awaiting), 100).as_ref(),
            Ok(&awaiting)
        );
        assert_eq!(
            decode_request(&body(&[1, 1, b'a', 0, 1, 9, 1]), 100),
            Err(WireError::Truncated),
            "a change longer than the body"
        );
        assert_eq!(
            decode_request(&body(&[0xff; 11]), 100),
            Err(WireError::Varint)
        );
        // Every truncation of a good body is refused, never a panic.
        let raw = {
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(&good[4..])
                .read_to_end(&mut out)
                .expect("inflate");
            out
        };
        // Cut just before the concerns section, the body is the same request without concerns
        // (the form before concerns existed): valid. Every other cut is refused.
        let without = SyncRequest {
            concerns: Vec::new(),
            awaiting_concerns: false,
            ..request()
        };
        let boundary = {
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(&encode_request(&without)[4..])
                .read_to_end(&mut out)
                .expect("inflate");
            out.len()
        };
        for cut in 0..raw.len() {
            let decoded = decode_request(&body(&raw[..cut]), 1 << 20);
            if cut == boundary {
                assert_eq!(decoded.as_ref(), Ok(&without));
            } else {
                assert!(decoded.is_err(), "cut at {cut}");
            }
        }
    }
}
