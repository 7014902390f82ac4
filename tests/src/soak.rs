//! What the soak run's binaries share (`tests/soak/run.sh`; `soak-server`, `soak-load`, `soak`):
//! the soak server's control protocol, `key=value` report lines, and readings of `/proc`.
//!
//! The control protocol is one line per request and one line per answer over TCP on the soak
//! server's control port, so a shell (`exec 3<>/dev/tcp/…`) can speak it too:
//!
//! | request | answer |
//! |---|---|
//! | `stats` | `STATS sessions=N sockets=N fds=N rss_kib=N hwm_kib=N panics=N tasks=N lag_ms=N cpu_ms=N rec_seq=N …` |
//! | `received CLIENT` | `RECEIVED ranges=A-B,C-D dups=N` (the `msg` sequence numbers the app got from CLIENT) |
//! | `exit` | none: the process exits with 0 (exit handlers run: a heap profiler writes its data) |

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends one control request to the soak server at `addr` and returns its answer line.
pub fn ctl(addr: &str, request: &str) -> std::io::Result<String> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut w = stream.try_clone()?;
    w.write_all(format!("{request}\n").as_bytes())?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    if line.is_empty() {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(line.trim_end().to_owned())
}

/// The `key=value` pairs of a report line (words without `=` are skipped).
pub fn kv(line: &str) -> HashMap<String, String> {
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The number under `key` in a parsed report line (0 when missing or not a number).
pub fn num(map: &HashMap<String, String>, key: &str) -> u64 {
    map.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Sorted sequence numbers as `A-B,C,D-E` (runs of consecutive numbers collapsed).
pub fn ranges(sorted: &[u64]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}-{end}"));
        }
        i += 1;
    }
    out
}

/// The inclusive `(start, end)` runs of a list written by [`ranges`], in its order.
pub fn parse_ranges(text: &str) -> Vec<(u64, u64)> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|r| match r.split_once('-') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => r.parse().ok().map(|n| (n, n)),
        })
        .collect()
}

/// Whether `n` lies in one of `ranges` (sorted, as [`parse_ranges`] returns them).
pub fn in_ranges(ranges: &[(u64, u64)], n: u64) -> bool {
    let i = ranges.partition_point(|&(_, end)| end < n);
    ranges.get(i).is_some_and(|&(start, _)| start <= n)
}

/// Resident memory of process `pid` (`"self"` for this one), in KiB (`VmRSS`).
pub fn rss_kib(pid: &str) -> u64 {
    status_kib(pid, "VmRSS:")
}

/// The most resident memory process `pid` ever had, in KiB (`VmHWM`, the high-water mark).
pub fn hwm_kib(pid: &str) -> u64 {
    status_kib(pid, "VmHWM:")
}

/// CPU time process `pid` has used (user + system, all threads), in ms.
pub fn cpu_ms(pid: &str) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
    (ticks(11) + ticks(12)) * 10
}

/// The machine's load average over the last minute (`/proc/loadavg`).
pub fn load_avg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

fn status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Open file descriptors of process `pid` (`"self"` for this one). For `self` the directory
/// listing's own descriptor is not counted.
pub fn fd_count(pid: &str) -> u64 {
    let n = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64);
    if pid == "self" {
        n.saturating_sub(1)
    } else {
        n
    }
}

/// TCP sockets of this network namespace touching `port`, from `/proc/net/tcp`: the states of
/// the server's ends (local port = `port`) and of the clients' ends (remote port = `port`),
/// with the bytes waiting in their send and receive queues.
#[derive(Debug, Default, Clone)]
pub struct TcpCensus {
    /// Server ends by state name (`ESTABLISHED`, `CLOSE_WAIT`, …); `LISTEN` included.
    pub server: std::collections::BTreeMap<&'static str, u64>,
    /// Client ends by state name.
    pub client: std::collections::BTreeMap<&'static str, u64>,
    /// Bytes queued to send on the server's ends (written by the server, not yet acked).
    pub server_send_q: u64,
    /// Bytes received but not yet read on the clients' ends.
    pub client_recv_q: u64,
}

impl TcpCensus {
    /// Reads `/proc/net/tcp` for `port`.
    pub fn read(port: u16) -> TcpCensus {
        let mut c = TcpCensus::default();
        let Ok(text) = std::fs::read_to_string("/proc/net/tcp") else {
            return c;
        };
        let port_hex = format!("{port:04X}");
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 5 {
                continue;
            }
            let lport = f[1].rsplit(':').next().unwrap_or("");
            let rport = f[2].rsplit(':').next().unwrap_or("");
            let state = state_name(f[3]);
            let (tx, rx) = f[4].split_once(':').unwrap_or(("0", "0"));
            let tx = u64::from_str_radix(tx, 16).unwrap_or(0);
            let rx = u64::from_str_radix(rx, 16).unwrap_or(0);
            if lport == port_hex {
                *c.server.entry(state).or_default() += 1;
                c.server_send_q += tx;
            } else if rport == port_hex {
                *c.client.entry(state).or_default() += 1;
                c.client_recv_q += rx;
            }
        }
        c
    }

    /// One line: `server=ESTABLISHED:N,… client=… server_send_q=N client_recv_q=N`.
    pub fn line(&self) -> String {
        let list = |m: &std::collections::BTreeMap<&str, u64>| {
            m.iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            "server={} client={} server_send_q={} client_recv_q={}",
            list(&self.server),
            list(&self.client),
            self.server_send_q,
            self.client_recv_q
        )
    }
}

/// What the descriptors of process `pid` are, grouped and counted: `in:PEER_IP:STATE` for
/// TCP connections accepted on `port`, `out:PEER_IP:PEER_PORT:STATE` for the others it holds
/// (Redis, …), `listen`, and `other` for anything that is not a TCP socket (epoll, eventfd,
/// pipes, files). Tells where descriptors above a baseline went.
pub fn fd_summary(pid: &str, port: u16) -> String {
    let mut inodes = std::collections::HashSet::new();
    let mut other = 0u64;
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for e in dir.flatten() {
            match std::fs::read_link(e.path()) {
                Ok(t) => match t
                    .to_string_lossy()
                    .strip_prefix("socket:[")
                    .and_then(|r| r.strip_suffix(']'))
                {
                    Some(inode) => {
                        inodes.insert(inode.to_owned());
                    }
                    None => other += 1,
                },
                Err(_) => other += 1,
            }
        }
    }
    let mut groups = std::collections::BTreeMap::<String, u64>::new();
    let mut found = 0u64;
    if let Ok(text) = std::fs::read_to_string("/proc/net/tcp") {
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || !inodes.contains(f[9]) {
                continue;
            }
            found += 1;
            let (_, lport) = hex_addr(f[1]);
            let (rip, rport) = hex_addr(f[2]);
            let state = state_name(f[3]);
            let key = if state == "LISTEN" {
                "listen".to_owned()
            } else if lport == port {
                format!("in:{rip}:{state}")
            } else {
                format!("out:{rip}:{rport}:{state}")
            };
            *groups.entry(key).or_default() += 1;
        }
    }
    // Sockets that are not IPv4 TCP (Unix sockets, …) count as other.
    other += (inodes.len() as u64).saturating_sub(found);
    let mut out: Vec<String> = groups.iter().map(|(k, v)| format!("{k}={v}")).collect();
    out.push(format!("other={other}"));
    out.join(",")
}

/// An address of `/proc/net/tcp` (`0100007F:1F90`) as an IPv4 address and a port.
fn hex_addr(text: &str) -> (std::net::Ipv4Addr, u16) {
    let (ip, port) = text.split_once(':').unwrap_or(("0", "0"));
    let ip = u32::from_str_radix(ip, 16).unwrap_or(0);
    (
        // The kernel prints the address's four network-order bytes as one native u32.
        std::net::Ipv4Addr::from(ip.to_ne_bytes()),
        u16::from_str_radix(port, 16).unwrap_or(0),
    )
}

fn state_name(hex: &str) -> &'static str {
    match hex {
        "01" => "ESTABLISHED",
        "02" => "SYN_SENT",
        "03" => "SYN_RECV",
        "04" => "FIN_WAIT1",
        "05" => "FIN_WAIT2",
        "06" => "TIME_WAIT",
        "07" => "CLOSE",
        "08" => "CLOSE_WAIT",
        "09" => "LAST_ACK",
        "0A" => "LISTEN",
        "0B" => "CLOSING",
        _ => "OTHER",
    }
}

/// Milliseconds since the Unix epoch (the soak's processes compare times across processes).
pub fn unix_ms() -> u64 {
    std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_round_trip() {
        let seqs = [0, 1, 2, 5, 7, 8, 20];
        let text = ranges(&seqs);
        assert_eq!(text, "0-2,5,7-8,20");
        let r = parse_ranges(&text);
        for n in 0..25 {
            assert_eq!(in_ranges(&r, n), seqs.contains(&n), "{n}");
        }
        assert!(parse_ranges("").is_empty());
    }

    #[test]
    fn proc_net_addresses_parse() {
        let text = format!("{:08X}:1F90", u32::from_ne_bytes([127, 0, 0, 12]));
        assert_eq!(
            hex_addr(&text),
            (std::net::Ipv4Addr::new(127, 0, 0, 12), 8080)
        );
    }

    #[test]
    fn report_lines_parse() {
        let m = kv("STATS sessions=3 sockets=2 junk rss_kib=100");
        assert_eq!(num(&m, "sessions"), 3);
        assert_eq!(num(&m, "rss_kib"), 100);
        assert_eq!(num(&m, "missing"), 0);
    }
}
