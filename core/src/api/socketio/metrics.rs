//! [`Metrics`]: a snapshot of a server's counters and gauges ([`SocketIo::metrics`]), and its
//! rendering in the Prometheus text format ([`Metrics::to_prometheus`]).
//!
//! The counters are kept by the state machines as they work, under the lock they already run
//! under (no atomics, nothing more per message than a few additions); a snapshot takes that
//! lock once and walks the sessions and namespaces for the gauges, so it suits a scrape every
//! few seconds, not a call per message.

use std::fmt::Write;

use super::SocketIo;
use crate::engine::server::{CloseReason, EngineMetrics, TransportKind};
use crate::socket::server::{DisconnectReason, SocketMetrics};

/// A server's counters since it started and its gauges now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    /// The Engine.IO level: connections, upgrades, messages and bytes, closes by reason.
    pub engine: EngineMetrics,
    /// The Socket.IO level: sockets per namespace, connects and disconnects by reason,
    /// events, broadcasts, acks timed out.
    pub sockets: SocketMetrics,
    /// Times a socket's events outran its handlers past `max_pending_events` or
    /// `max_pending_bytes` and its connection stopped being read (inbound backpressure).
    pub reads_paused: u64,
    /// Gauge: connections not being read now for that reason.
    pub paused_now: u64,
}

impl SocketIo {
    /// A snapshot of the server's counters and gauges (one lock, O(sessions + namespaces)):
    /// for an operator's dashboard or a scrape ([`Metrics::to_prometheus`]).
    pub fn metrics(&self) -> Metrics {
        self.with_untimed(|l, engine| Metrics {
            engine: engine.metrics(),
            sockets: l.server.metrics(),
            reads_paused: l.backlog.pauses,
            paused_now: l.backlog.paused_count() as u64,
        })
    }
}

impl Metrics {
    /// The snapshot in the Prometheus text exposition format (version 0.0.4), every name
    /// prefixed `sio_`: serve it as `text/plain; version=0.0.4` on a `/metrics` route.
    pub fn to_prometheus(&self) -> String {
        let mut out = String::with_capacity(4096);
        let e = &self.engine;
        let s = &self.sockets;
        let mut w = Writer(&mut out);
        w.family(
            "connections",
            "gauge",
            "Engine.IO connections open, by transport.",
        );
        for t in TransportKind::ALL {
            w.sample("connections", &[("transport", t.name())], e.open_on(t));
        }
        w.family(
            "connections_opened_total",
            "counter",
            "Engine.IO connections opened, by the transport of their handshake.",
        );
        for t in TransportKind::ALL {
            w.sample(
                "connections_opened_total",
                &[("transport", t.name())],
                e.opened_with(t),
            );
        }
        w.family(
            "connections_closed_total",
            "counter",
            "Engine.IO connections closed, by reason.",
        );
        for r in CloseReason::ALL {
            w.sample(
                "connections_closed_total",
                &[("reason", r.as_str())],
                e.closed_for(r),
            );
        }
        w.one(
            "upgrades_total",
            "counter",
            "Connections upgraded from polling to WebSocket.",
            e.upgrades,
        );
        w.one(
            "messages_received_total",
            "counter",
            "Engine.IO messages received.",
            e.messages_in,
        );
        w.one(
            "bytes_received_total",
            "counter",
            "Bytes of Engine.IO messages received.",
            e.bytes_in,
        );
        w.one(
            "messages_sent_total",
            "counter",
            "Engine.IO messages queued for clients (a broadcast counts once per recipient).",
            e.messages_out,
        );
        w.one(
            "bytes_sent_total",
            "counter",
            "Bytes of Engine.IO messages queued for clients.",
            e.bytes_out,
        );
        w.one(
            "queued_bytes",
            "gauge",
            "Bytes queued for clients and not yet written.",
            e.queued_bytes,
        );
        w.one(
            "payload_too_large_total",
            "counter",
            "Requests and messages refused over max_payload.",
            e.payload_too_large,
        );
        w.one(
            "bad_requests_total",
            "counter",
            "HTTP requests answered with an Engine.IO error.",
            e.bad_requests,
        );
        w.family("sockets", "gauge", "Sockets connected, by namespace.");
        for (nsp, count) in &s.sockets {
            w.sample("sockets", &[("namespace", nsp.as_str())], *count);
        }
        w.one(
            "sockets_connected_total",
            "counter",
            "Sockets that joined a namespace.",
            s.connected,
        );
        w.one(
            "connects_refused_total",
            "counter",
            "CONNECTs refused by middleware.",
            s.connect_refused,
        );
        w.family(
            "socket_disconnects_total",
            "counter",
            "Sockets that left, by reason.",
        );
        for r in DisconnectReason::ALL {
            w.sample(
                "socket_disconnects_total",
                &[("reason", r.as_str())],
                s.disconnected_for(r),
            );
        }
        w.one(
            "events_received_total",
            "counter",
            "Events received from clients.",
            s.events_in,
        );
        w.one(
            "emits_total",
            "counter",
            "Events emitted to one socket.",
            s.emits,
        );
        w.one(
            "broadcasts_total",
            "counter",
            "Broadcasts (each encoded once).",
            s.broadcasts,
        );
        w.one(
            "broadcast_deliveries_total",
            "counter",
            "Deliveries of broadcasts, one per recipient.",
            s.broadcast_deliveries,
        );
        w.one(
            "acks_timed_out_total",
            "counter",
            "Acks not answered in time.",
            s.acks_timed_out,
        );
        w.one(
            "reads_paused_total",
            "counter",
            "Times a connection stopped being read: the application was behind on its events.",
            self.reads_paused,
        );
        w.one(
            "reads_paused",
            "gauge",
            "Connections not being read now (inbound backpressure).",
            self.paused_now,
        );
        out
    }
}

/// Writes metric families and samples.
struct Writer<'a>(&'a mut String);

impl Writer<'_> {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP sio_{name} {help}");
        let _ = writeln!(self.0, "# TYPE sio_{name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: u64) {
        let _ = write!(self.0, "sio_{name}");
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"");
                escape_label(self.0, v);
                self.0.push('"');
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    fn one(&mut self, name: &str, kind: &str, help: &str, value: u64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// A label value as the text format wants it: backslash, double quote and newline escaped.
fn escape_label(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_has_help_type_and_escaped_labels() {
        let mut m = Metrics::default();
        m.engine.open = [2, 3, 0];
        m.sockets.sockets = vec![(crate::Str::from("/a\"b"), 4)];
        m.sockets.disconnected[DisconnectReason::PingTimeout.index()] = 7;
        let text = m.to_prometheus();
        assert!(text.contains("# TYPE sio_connections gauge\n"));
        assert!(text.contains("sio_connections{transport=\"polling\"} 2\n"));
        assert!(text.contains("sio_connections{transport=\"websocket\"} 3\n"));
        assert!(text.contains("sio_sockets{namespace=\"/a\\\"b\"} 4\n"));
        assert!(text.contains("sio_socket_disconnects_total{reason=\"ping timeout\"} 7\n"));
        // Every sample line belongs to a family announced just before it.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap_or_default();
            assert!(text.contains(&format!("# TYPE {name} ")), "{line}");
        }
    }
}
