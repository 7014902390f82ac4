//! The load generator's long-polling client (`--polling F`): requests in POSTs, answers on
//! parked GETs, with the packets each carried counted for the run's report.

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

use sio_bench::polling;
use sio_bench::wire::{self, Incoming};

use super::{complete, Opts, Scenario, Shared};

/// The text of a request (echo or ack) for a polling client.
fn request_text(o: &Opts, seq: u64, payload: &str) -> String {
    match o.scenario {
        Scenario::Ack => wire::ack(seq, payload),
        Scenario::Echo => wire::echo(seq, payload),
        other => panic!("scenario {other:?} does not run over polling"),
    }
}

/// One closed-loop client over long-polling: answers arrive on parked GETs, requests leave
/// in POSTs (everything queued while a POST was in flight goes in the next one).
pub(super) async fn polling_client(o: Rc<Opts>, s: polling::Session, sh: Rc<Shared>, id: u64) {
    let payload = "x".repeat(o.payload);
    let polling::Session {
        mut get,
        mut post,
        path,
    } = s;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let post_path = path.clone();
    let post_sh = sh.clone();
    let writer = tokio::task::spawn_local(async move {
        let post_counts = &post_sh.polling_counts;
        while let Some(mut body) = rx.recv().await {
            let mut n = 1;
            while let Ok(more) = rx.try_recv() {
                body.push(polling::SEPARATOR);
                body.push_str(&more);
                n += 1;
            }
            let mut c = post_counts.get();
            c[2] += 1;
            c[3] += n;
            post_counts.set(c);
            if post.request("POST", &post_path, &body).await.is_err() {
                break;
            }
        }
    });
    let mut outstanding: VecDeque<(u64, Instant)> = VecDeque::new();
    let mut next = id << 32;
    for _ in 0..o.inflight {
        outstanding.push_back((next, Instant::now()));
        let _ = tx.send(request_text(&o, next, &payload));
        next += 1;
    }
    loop {
        if sh.stopping.get() && outstanding.is_empty() {
            break;
        }
        let poll = get.request("GET", &path, "");
        let body = if sh.stopping.get() {
            match tokio::time::timeout(Duration::from_secs(3), poll).await {
                Ok(Ok(b)) => b,
                _ => break,
            }
        } else {
            match poll.await {
                Ok(b) => b,
                Err(_) => break,
            }
        };
        let mut c = sh.polling_counts.get();
        c[0] += 1;
        c[1] += body.split(polling::SEPARATOR).count() as u64;
        sh.polling_counts.set(c);
        for packet in body.split(polling::SEPARATOR) {
            match wire::parse(packet) {
                Incoming::Ping => {
                    let _ = tx.send("3".to_owned());
                }
                Incoming::Answer { seq, .. } => {
                    complete(&mut outstanding, seq, &sh);
                    if !sh.stopping.get() {
                        outstanding.push_back((next, Instant::now()));
                        let _ = tx.send(request_text(&o, next, &payload));
                        next += 1;
                    }
                }
                Incoming::Other => {}
            }
        }
    }
    writer.abort();
    sh.lost.set(sh.lost.get() + outstanding.len() as u64);
}
