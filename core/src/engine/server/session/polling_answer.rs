//! A parked long-poll GET answered with the frames queued for it: the payload in the
//! session's format (v4, v3 text, or v3 binary for XHR2 clients), its headers, and HTTP
//! compression when the answer is large enough.

use super::*;

impl Session {
    pub(super) fn respond_to_get(&mut self, frames: &[Frame], out: &mut Outbox) {
        let Active::Polling { get } = &mut self.active else {
            return;
        };
        let Some(ParkedGet {
            id,
            mut headers,
            encoding,
        }) = get.take()
        else {
            return;
        };
        let mut body = Vec::new();
        let content_type = match self.protocol {
            Protocol::V4 => {
                encode_payload(frames, &mut body);
                "text/plain; charset=UTF-8"
            }
            Protocol::V3 if self.binary && v3::needs_binary_payload(frames) => {
                v3::encode_binary_payload(frames, &mut body);
                "application/octet-stream"
            }
            Protocol::V3 => {
                v3::encode_text_payload(frames, &mut body);
                "text/plain; charset=UTF-8"
            }
        };
        headers.push(("content-type", Str::from_static(content_type)));
        // As the reference: bodies of at least the threshold, by `Accept-Encoding`; compressed
        // by whoever writes the answer (`Response::encoded`), outside the server's lock.
        let encode_with = match (encoding, out.http_compression) {
            (Some(encoding), Some(hc)) if body.len() >= hc.threshold => Some(BodyEncoding {
                encoding,
                level: hc.level,
            }),
            _ => None,
        };
        out.respond_ok(id, headers, body.into(), encode_with);
    }
}
