//! The install icons as PNG, drawn here from the same design as `public/icon.svg` (four
//! outlined quilt squares on the brand colour), so no image tool is needed: full-bleed and
//! with the squares inside the maskable safe zone (a centred circle of 40% radius).

use std::io::Write;

use anyhow::Result;

/// Sizes written as `icon-<size>.png`.
pub const SIZES: [u32; 2] = [192, 512];

const BRAND: [u8; 4] = [0x1d, 0x4f, 0x6e, 0xff];
const WHITE: [u8; 4] = [0xff, 0xff, 0xff, 0xff];
const GOLD: [u8; 4] = [0xf2, 0xc1, 0x4e, 0xff];

/// The colour at a point of the 512-unit design.
fn colour(x: f64, y: f64) -> [u8; 4] {
    // The SVG's squares, drawn at 80% about the centre to sit inside the safe zone.
    let scale = |v: f64| 256.0 + (v - 256.0) * 0.8;
    for (left, top) in [(96.0, 96.0), (264.0, 96.0), (96.0, 264.0), (264.0, 264.0)] {
        let (x0, y0, x1, y1) = (
            scale(left),
            scale(top),
            scale(left + 152.0),
            scale(top + 152.0),
        );
        let inset = 16.0;
        let inside = x >= x0 && x < x1 && y >= y0 && y < y1;
        let inner = x >= x0 + inset && x < x1 - inset && y >= y0 + inset && y < y1 - inset;
        if inside && !inner {
            return WHITE;
        }
        // A stitch across each square's middle.
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        if inner && (y - cy).abs() < 8.0 && (x - cx).abs() < 24.0 {
            return GOLD;
        }
    }
    BRAND
}

/// The icon at `size` pixels square, as PNG bytes.
pub fn png(size: u32) -> Result<Vec<u8>> {
    let unit = 512.0 / f64::from(size);
    let mut raw = Vec::with_capacity((size * (size * 4 + 1)) as usize);
    for py in 0..size {
        raw.push(0); // filter: none
        for px in 0..size {
            raw.extend_from_slice(&colour(
                (f64::from(px) + 0.5) * unit,
                (f64::from(py) + 0.5) * unit,
            ));
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&raw)?;
    let idat = z.finish()?;

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&size.to_be_bytes());
    ihdr.extend_from_slice(&size.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, no interlace
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    for (kind, data) in [
        (*b"IHDR", &ihdr[..]),
        (*b"IDAT", &idat[..]),
        (*b"IEND", &[][..]),
    ] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(&kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    Ok(out)
}

/// CRC-32 (ISO-HDLC), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn icons_are_pngs_of_their_size() {
        let p = png(192).expect("png");
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&p[16..20], &192u32.to_be_bytes());
        assert_eq!(&p[20..24], &192u32.to_be_bytes());
        // Full-bleed: the corner is the brand colour, the safe zone holds the squares.
        assert_eq!(colour(1.0, 1.0), BRAND);
        assert_eq!(colour(130.0, 130.0), WHITE);
    }
}
