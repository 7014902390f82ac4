//! Property tests of the WebTransport stream framing: any frames, cut into any chunks, decode
//! back to themselves; any bytes give frames or one error, never a panic, and the decoder
//! never holds more than one frame's worth beyond what it was given.

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use sio_core::engine::webtransport::{self, StreamDecoder};
use sio_core::engine::Frame;
use sio_core::Str;

fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        "[0-6].{0,300}".prop_map(|s| Frame::Text(Str::from(s))),
        vec(any::<u8>(), 1..70_000).prop_map(|b| Frame::Binary(Bytes::from(b))),
        vec(any::<u8>(), 1..200).prop_map(|b| Frame::Binary(Bytes::from(b))),
    ]
}

/// Cuts `wire` at the given fractions.
fn cut(wire: &[u8], cuts: &[u16]) -> Vec<Bytes> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| usize::from(*c) * wire.len() / usize::from(u16::MAX))
        .collect();
    points.push(0);
    points.push(wire.len());
    points.sort_unstable();
    points.dedup();
    points
        .windows(2)
        .map(|w| Bytes::copy_from_slice(&wire[w[0]..w[1]]))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn frames_round_trip_however_the_stream_is_cut(
        frames in vec(frame(), 1..6),
        cuts in vec(any::<u16>(), 0..12),
    ) {
        let mut wire = Vec::new();
        for f in &frames {
            webtransport::encode(f, &mut wire);
        }
        let mut d = StreamDecoder::new(1_000_000);
        let mut out = Vec::new();
        for chunk in cut(&wire, &cuts) {
            d.push(chunk);
            while let Some(f) = d.next_frame() {
                out.push(f.expect("valid frames decode"));
            }
        }
        prop_assert_eq!(out, frames);
        prop_assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn any_bytes_give_frames_then_at_most_one_error(
        wire in vec(any::<u8>(), 0..2_000),
        cuts in vec(any::<u16>(), 0..8),
        max in 1usize..600,
    ) {
        let mut d = StreamDecoder::new(max);
        let mut errors = 0;
        let mut total = 0;
        for chunk in cut(&wire, &cuts) {
            total += chunk.len();
            d.push(chunk);
            while let Some(f) = d.next_frame() {
                match f {
                    // Text grows where invalid UTF-8 becomes U+FFFD; its wire length was checked.
                    Ok(Frame::Binary(b)) => prop_assert!(b.len() <= max),
                    Ok(Frame::Text(t)) => prop_assert!(!t.is_empty()),
                    Err(_) => errors += 1,
                }
            }
            // What it holds is what it was given and did not hand back: never more.
            prop_assert!(d.buffered() <= total);
        }
        prop_assert!(errors <= 1);
        prop_assert_eq!(errors == 1, d.is_failed());
    }
}
