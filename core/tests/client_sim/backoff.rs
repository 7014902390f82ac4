//! The reconnection backoff schedule: delays, jitter, attempts, reconnect events.

use super::*;

/// Fails every connection attempt; returns the virtual times of the attempts (the GETs) after
/// the first, and every event.
fn unreachable_schedule(config: ManagerConfig, attempts: usize) -> (Vec<u64>, Vec<Event>) {
    let mut s = Sim::connected_root(config, SocketConfig::default());
    let get = s.get();
    s.fail(get);
    let mut times = Vec::new();
    for _ in 0..attempts {
        let at = s.run_until_output(60_000);
        times.push(at);
        let get = s.get();
        s.fail(get);
    }
    (times, s.events())
}

#[test]
fn reconnect_attempts_double_from_one_second_up_to_five_without_jitter() {
    let (times, events) = unreachable_schedule(config(), 5);
    let gaps: Vec<u64> = std::iter::once(times[0])
        .chain(times.windows(2).map(|w| w[1] - w[0]))
        .collect();
    assert_eq!(gaps, [1000, 2000, 4000, 5000, 5000]);
    // The first failure is a connection error, each later one a reconnection error, in the
    // reference's order.
    let mut expected = vec![Event::Error(REFUSED.into()), connect_error(REFUSED)];
    for n in 1..=5 {
        expected.extend([
            Event::ReconnectAttempt(n),
            Event::Error(REFUSED.into()),
            connect_error(REFUSED),
            Event::ReconnectError(REFUSED.into()),
        ]);
    }
    assert_eq!(events, expected);
}

#[test]
fn reconnect_delays_stay_in_the_jitter_band_and_follow_the_seed() {
    let jittered = |seed| {
        let config = ManagerConfig {
            randomization_factor: 0.5,
            seed,
            ..config()
        };
        let (times, _) = unreachable_schedule(config, 6);
        std::iter::once(times[0])
            .chain(times.windows(2).map(|w| w[1] - w[0]))
            .collect::<Vec<u64>>()
    };
    let a = jittered(1);
    for (n, gap) in a.iter().enumerate() {
        let base = 1000u64 << n;
        let (lo, hi) = (base / 2, (base * 3 / 2).min(5000));
        assert!((lo.min(5000)..=hi).contains(gap), "attempt {n}: {gap} ms");
    }
    // Seeded: the same seed gives the same schedule, another seed another one.
    assert_eq!(jittered(1), a);
    assert_ne!(jittered(2), a);
}

#[test]
fn reconnection_gives_up_after_the_configured_attempts() {
    let config = ManagerConfig {
        reconnection_attempts: 3,
        ..config()
    };
    let mut s = Sim::connected_root(config, SocketConfig::default());
    let get = s.get();
    s.fail(get);
    for at in [1000, 3000, 7000] {
        assert_eq!(s.run_until_output(60_000), at);
        let get = s.get();
        s.fail(get);
    }
    let events = s.events();
    // As the reference: reconnect() reports the failure before the attempt's own error.
    assert_eq!(
        events[events.len() - 2..],
        [
            Event::ReconnectFailed,
            Event::ReconnectError(REFUSED.into())
        ]
    );
    let attempts: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, Event::ReconnectAttempt(_)))
        .collect();
    assert_eq!(attempts.len(), 3);
    assert!(!s.m.is_reconnecting());
    assert_eq!(s.m.poll_timeout(), None, "no further attempt is scheduled");
    s.advance_to(600_000);
    assert!(s.out.is_empty());
}

#[test]
fn successful_reconnect_reports_the_attempts_resets_backoff_and_reconnects_sockets() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.handshake_and_connect();
    s.events();
    // The server goes away: the parked GET breaks.
    s.fail(get);
    assert_eq!(
        s.events(),
        [
            Event::Error(REFUSED.into()),
            Event::Close(DisconnectReason::TransportError),
            disconnect("/", DisconnectReason::TransportError)
        ]
    );
    assert_eq!(s.run_until_output(60_000), 1000);
    let get = s.get();
    s.fail(get);
    assert_eq!(s.run_until_output(60_000), 3000);
    s.events();
    // Attempt 2 reaches the server: the socket sends CONNECT again.
    let get = s.get();
    s.reply(get, HS_NO_UPGRADE);
    assert_eq!(s.events(), [Event::Open, Event::Reconnect(2)]);
    let _get = s.get();
    let (post, body) = s.post();
    assert_eq!(body, "40");
    s.reply(post, "ok");
    // The backoff starts over: the next loss waits 1 s again.
    s.fail(_get);
    s.events();
    assert_eq!(s.run_until_output(60_000), 4000);
    assert_eq!(s.events(), [Event::ReconnectAttempt(1)]);
}
