//! Errors of the Engine.IO layer: decoding failures and the reference's HTTP error answers.

use std::fmt;

/// Why an Engine.IO packet or payload could not be decoded.
///
/// The reference server answers every one of these by closing the session with the reason
/// "parse error".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A text packet was empty: there is no type digit.
    Empty,
    /// The first character is not a packet type `0`–`6` (nor `b` for base64 binary).
    UnknownType(u8),
    /// A `b` record whose base64 is invalid.
    InvalidBase64,
    /// Text that is not UTF-8.
    InvalidUtf8,
    /// A length that cannot be: a v3 polling payload record whose length is not decimal
    /// digits, runs past the end of the payload, or splits a character; or a WebTransport
    /// frame header with a length of 0 or beyond 2^53 − 1.
    InvalidLength,
    /// A payload larger than the configured maximum.
    TooLarge {
        /// The configured maximum, in bytes.
        max: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => f.write_str("empty packet"),
            DecodeError::UnknownType(c) => write!(f, "unknown packet type {:?}", char::from(*c)),
            DecodeError::InvalidBase64 => f.write_str("invalid base64 in binary record"),
            DecodeError::InvalidUtf8 => f.write_str("text is not valid UTF-8"),
            DecodeError::InvalidLength => f.write_str("invalid record or frame length"),
            DecodeError::TooLarge { max } => write!(f, "payload larger than {max} bytes"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// The error codes of the reference Engine.IO server, sent as an HTTP answer
/// `{"code":N,"message":"…"}` when a request cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 0, "Transport unknown": `transport` missing or not enabled.
    UnknownTransport = 0,
    /// 1, "Session ID unknown": no session has that `sid`.
    UnknownSid = 1,
    /// 2, "Bad handshake method": a request without `sid` that is not a GET.
    BadHandshakeMethod = 2,
    /// 3, "Bad request": e.g. a WebSocket transport asked for without an upgrade.
    BadRequest = 3,
    /// 4, "Forbidden": the application's `allow_request` hook refused (HTTP 403).
    Forbidden = 4,
    /// 5, "Unsupported protocol version": `EIO` missing or not `4`, and v3 not allowed
    /// ([`allow_eio3`](super::server::ServerConfig::allow_eio3)).
    UnsupportedProtocolVersion = 5,
}

impl ErrorCode {
    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The reference's message for this code.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::UnknownTransport => "Transport unknown",
            ErrorCode::UnknownSid => "Session ID unknown",
            ErrorCode::BadHandshakeMethod => "Bad handshake method",
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }

    /// The HTTP status the reference answers with: 403 for [`ErrorCode::Forbidden`], else 400.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::Forbidden => 403,
            _ => 400,
        }
    }

    /// The JSON body with the reference's message.
    pub fn body(self) -> String {
        self.body_with_message(self.message())
    }

    /// The JSON body with another message (the reference lets `allowRequest` supply one).
    pub fn body_with_message(self, message: &str) -> String {
        let mut out = format!("{{\"code\":{},\"message\":", self.code());
        // A &str always serializes.
        out.push_str(&serde_json::to_string(message).unwrap_or_default());
        out.push('}');
        out
    }

    /// The code for a number, if it is one of the six.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => ErrorCode::UnknownTransport,
            1 => ErrorCode::UnknownSid,
            2 => ErrorCode::BadHandshakeMethod,
            3 => ErrorCode::BadRequest,
            4 => ErrorCode::Forbidden,
            5 => ErrorCode::UnsupportedProtocolVersion,
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_the_reference() {
        assert_eq!(
            ErrorCode::UnknownTransport.body(),
            r#"{"code":0,"message":"Transport unknown"}"#
        );
        assert_eq!(
            ErrorCode::UnknownSid.body(),
            r#"{"code":1,"message":"Session ID unknown"}"#
        );
        assert_eq!(
            ErrorCode::UnsupportedProtocolVersion.body(),
            r#"{"code":5,"message":"Unsupported protocol version"}"#
        );
        assert_eq!(ErrorCode::Forbidden.status(), 403);
        assert_eq!(ErrorCode::BadRequest.status(), 400);
        assert_eq!(
            ErrorCode::Forbidden.body_with_message("no \"way\""),
            r#"{"code":4,"message":"no \"way\""}"#
        );
        for c in 0..6 {
            assert_eq!(ErrorCode::from_code(c).unwrap().code(), c);
        }
        assert_eq!(ErrorCode::from_code(6), None);
    }
}
