//! Negotiating permessage-deflate (RFC 7692 section 7.1) in `Sec-WebSocket-Extensions`: the
//! server's answer to a client's offers, the client's offer and its check of the answer, as
//! `ws` 8 does them, less what `miniz_oxide` cannot do (compress with a window under 15 bits).

use std::fmt;

use super::{Agreed, PerMessageDeflate};

/// The extension's name in `Sec-WebSocket-Extensions`.
pub const EXTENSION: &str = "permessage-deflate";

/// A `Sec-WebSocket-Extensions` header that cannot be parsed, or that names permessage-deflate
/// with parameters that are not allowed (the server refuses the upgrade with 400, as `ws`;
/// the client fails the connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionError(pub String);

impl fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExtensionError {}

/// The message `ws` answers a bad `Sec-WebSocket-Extensions` with (HTTP 400).
pub const INVALID_HEADER: &str = "Invalid or unacceptable Sec-WebSocket-Extensions header";

/// A parameter's value: present without a value, or with one (unquoted).
type Param<'a> = (&'a str, Option<String>);

/// Parses `Sec-WebSocket-Extensions` into `(extension name, parameters)` in order: the
/// grammar of RFC 6455 9.1 (tokens, `;`-separated parameters, values as tokens or quoted
/// strings whose unescaped text is a token), as `ws`'s parser accepts it.
fn parse(header: &str) -> Result<Vec<(&str, Vec<Param<'_>>)>, ExtensionError> {
    let bad = || ExtensionError(format!("invalid Sec-WebSocket-Extensions: {header:?}"));
    let mut out = Vec::new();
    for ext in split_outside_quotes(header, ',') {
        let mut parts = split_outside_quotes(ext, ';').into_iter();
        let name = trim_ows(parts.next().ok_or_else(bad)?);
        if !is_token(name) {
            return Err(bad());
        }
        let mut params = Vec::new();
        for p in parts {
            let p = trim_ows(p);
            let (k, v) = match p.split_once('=') {
                None => (p, None),
                Some((k, v)) => (trim_ows(k), Some(value(trim_ows(v)).ok_or_else(bad)?)),
            };
            if !is_token(k) {
                return Err(bad());
            }
            params.push((k, v));
        }
        out.push((name, params));
    }
    Ok(out)
}

fn trim_ows(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

/// A parameter value: a token, or a quoted string whose unescaped text is a token.
fn value(v: &str) -> Option<String> {
    if let Some(inner) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            out.push(if c == '\\' { chars.next()? } else { c });
        }
        is_token(&out).then_some(out)
    } else {
        is_token(v).then(|| v.to_owned())
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// `s` split at `sep` where not inside a quoted string.
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            out.push(&s[start..i]);
            start = i + 1;
        }
    }
    out.push(&s[start..]);
    out
}

/// One permessage-deflate offer or answer, its parameters checked (`ws`'s `normalizeParams`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Params {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (only in a client's offer).
    client_max_window_bits: Option<Option<u8>>,
}

fn params(list: &[Param<'_>], is_server: bool) -> Result<Params, ExtensionError> {
    let mut p = Params::default();
    let mut seen: Vec<&str> = Vec::new();
    for (k, v) in list {
        if seen.contains(k) {
            return Err(ExtensionError(format!(
                "parameter {k:?} must have only a single value"
            )));
        }
        seen.push(k);
        let bits = |v: &Option<String>| -> Result<u8, ExtensionError> {
            v.as_deref()
                .and_then(|v| v.parse::<u8>().ok())
                .filter(|b| (8..=15).contains(b))
                .ok_or_else(|| ExtensionError(format!("invalid value for parameter {k:?}")))
        };
        match *k {
            "client_max_window_bits" => {
                p.client_max_window_bits = match v {
                    None if is_server => Some(None),
                    _ => Some(Some(bits(v)?)),
                }
            }
            "server_max_window_bits" => p.server_max_window_bits = Some(bits(v)?),
            "client_no_context_takeover" | "server_no_context_takeover" => {
                if v.is_some() {
                    return Err(ExtensionError(format!("invalid value for parameter {k:?}")));
                }
                if *k == "client_no_context_takeover" {
                    p.client_no_context_takeover = true;
                } else {
                    p.server_no_context_takeover = true;
                }
            }
            _ => return Err(ExtensionError(format!("unknown parameter {k:?}"))),
        }
    }
    Ok(p)
}

/// The server's answer to a client's `Sec-WebSocket-Extensions` (`None`: the header is absent):
/// the agreed parameters of the first permessage-deflate offer it accepts (`Ok(None)`: no
/// offer, or none it can take: the WebSocket opens without the extension), or `Err` for a
/// header `ws` refuses with 400 [`INVALID_HEADER`].
///
/// As `ws`: every offer's parameters are checked first (a bad one fails the header); an offer
/// asking the server not to take over its context is accepted; the server's own
/// `server_no_context_takeover` / `client_no_context_takeover` are added to the answer; a
/// configured `client_max_window_bits` refuses offers without that parameter or with a
/// smaller value, and is answered; a client's `client_max_window_bits` without a value is
/// dropped from the answer. Unlike `ws`, an offer with `server_max_window_bits` under 15 is
/// declined (RFC 7692 7.1.2.1 allows it), since `miniz_oxide` compresses with a 32 KiB window
/// only; answering `server_max_window_bits=15` when offered so.
pub fn server_accept(
    config: &PerMessageDeflate,
    header: Option<&str>,
) -> Result<Option<Agreed>, ExtensionError> {
    let Some(header) = header else {
        return Ok(None);
    };
    let offers: Vec<Params> = parse(header)?
        .into_iter()
        .filter(|(name, _)| *name == EXTENSION)
        .map(|(_, list)| params(&list, true))
        .collect::<Result<_, _>>()?;
    if offers.is_empty() {
        return Ok(None);
    }
    let mut refused_by_config = false;
    for offer in offers {
        if let Some(want) = config.client_max_window_bits {
            match offer.client_max_window_bits {
                Some(Some(bits)) if bits >= want => {}
                Some(None) => {}
                _ => {
                    refused_by_config = true;
                    continue;
                }
            }
        }
        if offer.server_max_window_bits.is_some_and(|b| b < 15) {
            continue;
        }
        let client_max_window_bits =
            match (config.client_max_window_bits, offer.client_max_window_bits) {
                (Some(want), _) => Some(want),
                (None, Some(Some(bits))) => Some(bits),
                _ => None,
            };
        return Ok(Some(Agreed {
            server_no_context_takeover: offer.server_no_context_takeover
                || config.server_no_context_takeover,
            client_no_context_takeover: offer.client_no_context_takeover
                || config.client_no_context_takeover,
            server_max_window_bits: offer.server_max_window_bits,
            client_max_window_bits,
        }));
    }
    if refused_by_config {
        return Err(ExtensionError(
            "none of the extension offers can be accepted".into(),
        ));
    }
    Ok(None)
}

/// The client's offer: `permessage-deflate`, with the context-takeover requests of `config`.
///
/// Without `client_max_window_bits` (which `ws` and browsers include): it would let the server
/// ask for a window under 15 bits, which `miniz_oxide` cannot compress with; a server may not
/// answer with it when it was not offered (RFC 7692 7.1.2.2).
pub fn client_offer(config: &PerMessageDeflate) -> String {
    let mut offer = String::from(EXTENSION);
    if config.server_no_context_takeover {
        offer.push_str("; server_no_context_takeover");
    }
    if config.client_no_context_takeover {
        offer.push_str("; client_no_context_takeover");
    }
    offer
}

/// The client's check of the server's answer to [`client_offer`] (`None`: the header is
/// absent, the server declined): the agreed parameters, or `Err` when the client must fail the
/// connection (another extension, several answers, a bad parameter, a
/// `client_max_window_bits` under 15, or a context takeover the client asked the server not
/// to keep).
pub fn client_accept(
    config: &PerMessageDeflate,
    header: Option<&str>,
) -> Result<Option<Agreed>, ExtensionError> {
    let Some(header) = header else {
        return Ok(None);
    };
    let answers = parse(header)?;
    let [(name, list)] = answers.as_slice() else {
        return Err(ExtensionError(
            "the server answered several extensions".into(),
        ));
    };
    if *name != EXTENSION {
        return Err(ExtensionError(format!(
            "the server indicated an extension that was not requested: {name}"
        )));
    }
    let p = params(list, false)?;
    if config.server_no_context_takeover && !p.server_no_context_takeover {
        return Err(ExtensionError(
            "the server did not accept server_no_context_takeover".into(),
        ));
    }
    let client_max_window_bits = match p.client_max_window_bits {
        Some(Some(15)) | None => p.client_max_window_bits.flatten(),
        Some(_) => {
            return Err(ExtensionError(
                "client_max_window_bits under 15 is not supported".into(),
            ))
        }
    };
    Ok(Some(Agreed {
        server_no_context_takeover: p.server_no_context_takeover,
        client_no_context_takeover: p.client_no_context_takeover,
        server_max_window_bits: p.server_max_window_bits,
        client_max_window_bits,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> PerMessageDeflate {
        PerMessageDeflate::default()
    }

    #[test]
    fn answers_browser_and_ws_offers() {
        let a = server_accept(&on(), Some("permessage-deflate; client_max_window_bits"))
            .unwrap()
            .unwrap();
        assert_eq!(a.header(), "permessage-deflate");
        let a = server_accept(
            &on(),
            Some("permessage-deflate; client_max_window_bits=10; server_no_context_takeover"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            a.header(),
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"
        );
        assert_eq!(
            server_accept(&on(), Some("x-webkit-deflate-frame")).unwrap(),
            None
        );
        assert_eq!(server_accept(&on(), None).unwrap(), None);
    }

    #[test]
    fn declines_small_server_windows_and_takes_the_next_offer() {
        let h = "permessage-deflate; server_max_window_bits=10, permessage-deflate";
        assert_eq!(
            server_accept(&on(), Some(h)).unwrap().unwrap().header(),
            EXTENSION
        );
        let h = "permessage-deflate; server_max_window_bits=10";
        assert_eq!(server_accept(&on(), Some(h)).unwrap(), None);
        let h = "permessage-deflate; server_max_window_bits=15";
        assert_eq!(
            server_accept(&on(), Some(h)).unwrap().unwrap().header(),
            "permessage-deflate; server_max_window_bits=15"
        );
    }

    #[test]
    fn refuses_headers_ws_refuses() {
        for h in [
            "permessage-deflate; foo",
            "permessage-deflate; client_max_window_bits=16",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate;",
            ", permessage-deflate",
            "permessage-deflate; client_max_window_bits=\"1 0\"",
        ] {
            assert!(server_accept(&on(), Some(h)).is_err(), "{h}");
        }
        let h = "permessage-deflate; client_max_window_bits=\"10\"";
        assert!(server_accept(&on(), Some(h)).is_ok());
        let cfg = PerMessageDeflate {
            client_max_window_bits: Some(12),
            ..on()
        };
        assert!(server_accept(&cfg, Some("permessage-deflate")).is_err());
        assert_eq!(
            server_accept(&cfg, Some("permessage-deflate; client_max_window_bits"))
                .unwrap()
                .unwrap()
                .header(),
            "permessage-deflate; client_max_window_bits=12"
        );
    }

    #[test]
    fn client_checks_the_answer() {
        let c = on();
        assert_eq!(client_offer(&c), "permessage-deflate");
        assert!(client_accept(&c, Some("permessage-deflate"))
            .unwrap()
            .is_some());
        assert!(client_accept(&c, None).unwrap().is_none());
        assert!(client_accept(&c, Some("permessage-deflate; client_max_window_bits=10")).is_err());
        assert!(client_accept(&c, Some("permessage-deflate; client_max_window_bits")).is_err());
        assert!(client_accept(&c, Some("foo")).is_err());
        assert!(client_accept(&c, Some("permessage-deflate, permessage-deflate")).is_err());
        let a = client_accept(
            &c,
            Some("permessage-deflate; server_max_window_bits=9; client_no_context_takeover"),
        )
        .unwrap()
        .unwrap();
        assert!(a.client_no_context_takeover && a.server_max_window_bits == Some(9));
    }
}
