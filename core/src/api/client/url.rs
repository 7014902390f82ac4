//! Reading the server URL a client is given.

use std::fmt;

use super::io::Endpoint;

/// A server URL: `http://host:port/namespace?query` (or `https`, `ws`, `wss`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerUrl {
    pub(crate) endpoint: Endpoint,
    /// The path, taken as the namespace of the default socket (`/` when empty).
    pub(crate) namespace: String,
    /// Query pairs, decoded.
    pub(crate) query: Vec<(String, String)>,
}

/// A URL the client cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub(crate) String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid server URL: {}", self.0)
    }
}

impl std::error::Error for UrlError {}

impl ServerUrl {
    pub(crate) fn parse(url: &str) -> Result<ServerUrl, UrlError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| UrlError(format!("{url:?} has no scheme")))?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "http" | "ws" => false,
            "https" | "wss" => true,
            other => return Err(UrlError(format!("unsupported scheme {other:?}"))),
        };
        let (authority, tail) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (path, query) = match tail.split_once('?') {
            Some((p, q)) => (p, q),
            None => (tail, ""),
        };
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let default_port = if secure { 443 } else { 80 };
        let (host, port) = if let Some(h) = authority.strip_prefix('[') {
            let (h, after) = h
                .split_once(']')
                .ok_or_else(|| UrlError("unclosed [".into()))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| UrlError(format!("bad port {p:?}")))?,
                None => default_port,
            };
            (h.to_owned(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (
                    h.to_owned(),
                    p.parse().map_err(|_| UrlError(format!("bad port {p:?}")))?,
                ),
                None => (authority.to_owned(), default_port),
            }
        };
        if host.is_empty() {
            return Err(UrlError("no host".into()));
        }
        let namespace = if path.is_empty() {
            "/".to_owned()
        } else {
            path.to_owned()
        };
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Ok(ServerUrl {
            endpoint: Endpoint { secure, host, port },
            namespace,
            query,
        })
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scheme_host_port_namespace_and_query() {
        let u = ServerUrl::parse("http://localhost:3000/admin?token=a%20b&x").unwrap();
        assert!(!u.endpoint.secure);
        assert_eq!(u.endpoint.host, "localhost");
        assert_eq!(u.endpoint.port, 3000);
        assert_eq!(u.namespace, "/admin");
        assert_eq!(
            u.query,
            [("token".into(), "a b".into()), ("x".into(), String::new())]
        );
        let u = ServerUrl::parse("wss://[::1]").unwrap();
        assert_eq!((u.endpoint.host.as_str(), u.endpoint.port), ("::1", 443));
        assert_eq!(u.namespace, "/");
        assert!(ServerUrl::parse("ftp://x").is_err());
        assert!(ServerUrl::parse("localhost:3000").is_err());
        assert!(ServerUrl::parse("http://h:99999").is_err());
    }
}
