//! Compression benchmarks: what a compressed message costs the thread that sends or receives
//! it (a WebSocket's task for permessage-deflate; the server's lock for a long-poll answer).
//!
//! Run with `cargo bench -p sio-core --bench compress`. Inputs are Socket.IO event texts of
//! JSON objects (about 1 KB and 64 KB), as an application sends them.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sio_core::compress::deflate::{Agreed, Codec, PerMessageDeflate, Role};
use sio_core::compress::http::{self, ContentEncoding};

/// A Socket.IO event of about `n` bytes: an array of user-like objects.
fn event(n: usize) -> Vec<u8> {
    let mut s = String::from("42[\"users\",[");
    let mut i = 0u64;
    while s.len() < n {
        s.push_str(&format!(
            "{{\"id\":{i},\"name\":\"user {}\",\"email\":\"u{}@example.com\",\"admin\":{}}},",
            i * 7919 % 1009,
            i * 31 % 997,
            i.is_multiple_of(7)
        ));
        i += 1;
    }
    s.pop();
    s.push_str("]]");
    s.into_bytes()
}

fn agreed(no_takeover: bool) -> Agreed {
    Agreed {
        server_no_context_takeover: no_takeover,
        client_no_context_takeover: no_takeover,
        server_max_window_bits: None,
        client_max_window_bits: None,
    }
}

fn permessage_deflate(c: &mut Criterion) {
    let cfg = PerMessageDeflate::default();
    for (size, name) in [(1_024, "1k"), (65_536, "64k")] {
        let msg = event(size);
        let mut g = c.benchmark_group(format!("permessage_deflate_{name}"));
        g.throughput(Throughput::Bytes(msg.len() as u64));
        for (no_takeover, label) in [(false, "takeover"), (true, "no_takeover")] {
            let mut server = Codec::new(Role::Server, &agreed(no_takeover), &cfg);
            g.bench_function(format!("compress_{label}"), |b| {
                b.iter(|| black_box(server.compress(black_box(&msg))))
            });
        }
        // One message inflated again and again: valid only without context takeover (with
        // it, a message may refer to the ones before), and the cost per byte is the same.
        let mut client = Codec::new(Role::Client, &agreed(true), &cfg);
        let z = client.compress(&msg).expect("over the threshold");
        let mut server = Codec::new(Role::Server, &agreed(true), &cfg);
        g.bench_function("decompress", |b| {
            b.iter(|| black_box(server.decompress(black_box(&z), 1 << 20).expect("inflates")))
        });
        g.finish();
    }
}

fn http_compression(c: &mut Criterion) {
    let mut scratch = http::Scratch::default();
    for (size, name) in [(4_096, "4k"), (65_536, "64k"), (1_000_000, "1m")] {
        let body = event(size);
        let mut g = c.benchmark_group(format!("http_gzip_{name}"));
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function("encode", |b| {
            b.iter(|| {
                black_box(http::encode(
                    ContentEncoding::Gzip,
                    black_box(&body),
                    6,
                    &mut scratch,
                ))
            })
        });
        let z = http::encode(ContentEncoding::Gzip, &body, 6, &mut scratch);
        g.bench_function("decode", |b| {
            b.iter(|| {
                black_box(
                    http::decode(ContentEncoding::Gzip, black_box(&z), 1 << 21).expect("decodes"),
                )
            })
        });
        g.finish();
    }
}

criterion_group!(benches, permessage_deflate, http_compression);
criterion_main!(benches);
