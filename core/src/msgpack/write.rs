//! MessagePack writers making notepack's choices of format.

/// `nil`.
pub(crate) fn nil(out: &mut Vec<u8>) {
    out.push(0xc0);
}

/// `true` or `false`.
pub(crate) fn bool(out: &mut Vec<u8>, b: bool) {
    out.push(if b { 0xc3 } else { 0xc2 });
}

/// A string: header and bytes.
pub(crate) fn str(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 0x20 {
        out.push(0xa0 | len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len < 0x10000 {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// Binary data: header and bytes.
pub(crate) fn bin(out: &mut Vec<u8>, b: &[u8]) {
    let len = b.len();
    if len < 0x100 {
        out.extend_from_slice(&[0xc4, len as u8]);
    } else if len < 0x10000 {
        out.push(0xc5);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

/// An array header.
pub(crate) fn array_len(out: &mut Vec<u8>, len: usize) {
    container_len(out, len, 0x90, 0xdc, 0xdd);
}

/// A map header.
pub(crate) fn map_len(out: &mut Vec<u8>, len: usize) {
    container_len(out, len, 0x80, 0xde, 0xdf);
}

fn container_len(out: &mut Vec<u8>, len: usize, fix: u8, b16: u8, b32: u8) {
    if len < 0x10 {
        out.push(fix | len as u8);
    } else if len < 0x10000 {
        out.push(b16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// A non-negative integer in its smallest format.
pub(crate) fn uint(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
    } else if v < 0x100 {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v < 0x10000 {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v < 0x1_0000_0000 {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// An integer in its smallest format.
pub(crate) fn int(out: &mut Vec<u8>, v: i64) {
    if v >= 0 {
        uint(out, v as u64);
    } else if v >= -0x20 {
        out.push(v as u8);
    } else if v >= -0x80 {
        out.extend_from_slice(&[0xd0, v as u8]);
    } else if v >= -0x8000 {
        out.push(0xd1);
        out.extend_from_slice(&(v as i16).to_be_bytes());
    } else if v >= -0x8000_0000 {
        out.push(0xd2);
        out.extend_from_slice(&(v as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// A number as notepack writes a JavaScript number: `Math.floor(v) === v` takes the integer
/// formats (so `2.0` is `0x02` and `-0` is `0x00`), anything else is float 64.
///
/// notepack writes integral values of 2^63 and beyond as the 64-bit integer of their value
/// modulo 2^64, which reads back as another number; sio writes them as float 64 instead.
pub(crate) fn f64(out: &mut Vec<u8>, v: f64) {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if v.is_finite() && v.floor() == v && v.abs() < TWO_63 {
        // Integral and in range: exact as an i64.
        int(out, v as i64);
        return;
    }
    out.push(0xcb);
    out.extend_from_slice(&v.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        f(&mut out);
        out
    }

    #[test]
    fn integral_floats_take_integer_formats_as_in_notepack() {
        assert_eq!(w(|o| f64(o, 2.0)), [0x02]);
        assert_eq!(w(|o| f64(o, -0.0)), [0x00]);
        assert_eq!(w(|o| f64(o, -1.0)), [0xff]);
        assert_eq!(
            w(|o| f64(o, 2f64.powi(53))),
            [0xcf, 0, 0x20, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(w(|o| f64(o, 2f64.powi(63)))[0], 0xcb);
        assert_eq!(w(|o| f64(o, f64::NAN))[0], 0xcb);
        assert_eq!(w(|o| f64(o, 1.5)), {
            let mut f = vec![0xcb];
            f.extend_from_slice(&1.5f64.to_be_bytes());
            f
        });
    }

    #[test]
    fn lengths_take_the_smallest_header() {
        assert_eq!(w(|o| array_len(o, 15)), [0x9f]);
        assert_eq!(w(|o| array_len(o, 16)), [0xdc, 0, 16]);
        assert_eq!(w(|o| map_len(o, 0x10000)), [0xdf, 0, 1, 0, 0]);
    }
}
