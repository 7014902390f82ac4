//! [`Cookie`]: the reference's `cookie` option, a cookie holding the session id.
//!
//! engine.io 6.6 sets it on the answer to a polling handshake (the first GET, without a sid)
//! and nowhere else: not on later polls, not on a WebSocket opened without polling first. Its
//! text is what the `cookie` package (0.7) writes: `name=sid`, then `Max-Age`, `Domain`,
//! `Path`, `HttpOnly`, `Secure`, `Partitioned` and `SameSite`, in that order. The reference's
//! defaults for `cookie: true` are [`Cookie::default`]: `io=<sid>; Path=/; HttpOnly;
//! SameSite=Lax`. A load balancer can route by it (sticky sessions).

/// The cookie the server sets on a polling handshake's answer
/// ([`ServerConfig::cookie`](super::ServerConfig::cookie)); its value is the session id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    /// The cookie's name (reference `"io"`): a token (letters, digits and
    /// ``!#$%&'*+-.^_`|~``).
    pub name: String,
    /// `Path` (reference `"/"`); no `;`, `<` or control characters.
    pub path: Option<String>,
    /// `Domain`, a host name (none by default).
    pub domain: Option<String>,
    /// `Max-Age` in seconds (none by default: a session cookie).
    pub max_age: Option<i64>,
    /// `HttpOnly` (reference true): scripts in the page cannot read it.
    pub http_only: bool,
    /// `Secure`: sent over HTTPS only.
    pub secure: bool,
    /// `Partitioned` (CHIPS).
    pub partitioned: bool,
    /// `SameSite` (reference [`SameSite::Lax`]).
    pub same_site: Option<SameSite>,
}

/// The `SameSite` attribute of a [`Cookie`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=None` (browsers want `Secure` with it).
    None,
}

impl Default for Cookie {
    /// The reference's `cookie: true`: `io`, `Path=/`, `HttpOnly`, `SameSite=Lax`.
    fn default() -> Self {
        Cookie {
            name: "io".to_owned(),
            path: Some("/".to_owned()),
            domain: None,
            max_age: None,
            http_only: true,
            secure: false,
            partitioned: false,
            same_site: Some(SameSite::Lax),
        }
    }
}

impl Cookie {
    /// The `Set-Cookie` value for session `sid`, or the reference's message for an option it
    /// refuses (`"argument name is invalid"`, `"option domain is invalid"`, `"option path is
    /// invalid"`). Session ids need no encoding (base64url).
    pub fn header_value(&self, sid: &str) -> Result<String, &'static str> {
        Ok(self.checked()?.value(sid))
    }

    /// The cookie checked as the `cookie` package checks it, its attributes written once.
    pub(crate) fn checked(&self) -> Result<CheckedCookie, &'static str> {
        Ok(CheckedCookie {
            name: self.name.clone(),
            attributes: self.attributes()?,
        })
    }

    /// What follows `name=value`: every attribute, checked.
    fn attributes(&self) -> Result<String, &'static str> {
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if self.name.is_empty() || !self.name.bytes().all(token) {
            return Err("argument name is invalid");
        }
        let mut out = String::new();
        if let Some(age) = self.max_age {
            out.push_str(&format!("; Max-Age={age}"));
        }
        if let Some(domain) = self.domain.as_deref().filter(|d| !d.is_empty()) {
            if !valid_domain(domain) {
                return Err("option domain is invalid");
            }
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        if let Some(path) = self.path.as_deref().filter(|p| !p.is_empty()) {
            if !path
                .bytes()
                .all(|b| (0x20..=0x7e).contains(&b) && b != b';' && b != b'<')
            {
                return Err("option path is invalid");
            }
            out.push_str("; Path=");
            out.push_str(path);
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if self.partitioned {
            out.push_str("; Partitioned");
        }
        match self.same_site {
            Some(SameSite::Strict) => out.push_str("; SameSite=Strict"),
            Some(SameSite::Lax) => out.push_str("; SameSite=Lax"),
            Some(SameSite::None) => out.push_str("; SameSite=None"),
            None => {}
        }
        Ok(out)
    }
}

/// A [`Cookie`] found valid, kept by the server to write for each new session.
#[derive(Debug)]
pub(crate) struct CheckedCookie {
    name: String,
    /// Everything after `name=value`.
    attributes: String,
}

impl CheckedCookie {
    /// The `Set-Cookie` value for session `sid`.
    pub(crate) fn value(&self, sid: &str) -> String {
        format!("{}={sid}{}", self.name, self.attributes)
    }
}

/// The `cookie` package's domain check: dot-separated labels of letters, digits and inner
/// hyphens (at most 63 characters each), with an optional leading dot.
fn valid_domain(domain: &str) -> bool {
    let domain = domain.strip_prefix('.').unwrap_or(domain);
    domain.split('.').all(|label| {
        let b = label.as_bytes();
        !b.is_empty()
            && b.len() <= 63
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_references_cookie_true() {
        assert_eq!(
            Cookie::default().header_value("abc-_1").unwrap(),
            "io=abc-_1; Path=/; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn attributes_come_in_the_cookie_packages_order() {
        let c = Cookie {
            name: "sticky".to_owned(),
            path: Some("/app".to_owned()),
            domain: Some(".example.com".to_owned()),
            max_age: Some(3600),
            http_only: false,
            secure: true,
            partitioned: true,
            same_site: Some(SameSite::None),
        };
        assert_eq!(
            c.header_value("s").unwrap(),
            "sticky=s; Max-Age=3600; Domain=.example.com; Path=/app; Secure; Partitioned; SameSite=None"
        );
        let bare = Cookie {
            path: None,
            http_only: false,
            same_site: None,
            ..Cookie::default()
        };
        assert_eq!(bare.header_value("s").unwrap(), "io=s");
    }

    #[test]
    fn what_the_cookie_package_refuses_is_refused() {
        let with = |f: fn(&mut Cookie)| {
            let mut c = Cookie::default();
            f(&mut c);
            c.header_value("s")
        };
        assert_eq!(
            with(|c| c.name = "a b".into()),
            Err("argument name is invalid")
        );
        assert_eq!(
            with(|c| c.name = String::new()),
            Err("argument name is invalid")
        );
        assert_eq!(
            with(|c| c.path = Some("/a;b".into())),
            Err("option path is invalid")
        );
        assert_eq!(
            with(|c| c.path = Some("/a\r\n".into())),
            Err("option path is invalid")
        );
        for bad in ["-a.com", "a..com", "a_b.com", "a.com."] {
            let c = Cookie {
                domain: Some(bad.to_owned()),
                ..Cookie::default()
            };
            assert_eq!(
                c.header_value("s"),
                Err("option domain is invalid"),
                "{bad}"
            );
        }
    }
}
