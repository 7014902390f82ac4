//! Forwarding a received event's arguments as they came, without reading them into values:
//! [`Event::args_text`], [`Event::renamed`], [`Event::args_as_ack`], and the frame of an ack
//! answering with them (`Event::args_ack_frame`, which the server's
//! [`ack_forward`](super::server::SocketServer::ack_forward) sends).
//!
//! A received event keeps its `[name, ...args]` text (validated on decode) and its
//! attachments. Re-sending the arguments (an echo, a relay to a room, an ack answering with
//! what was asked) then copies that text once instead of parsing it into a tree and writing
//! it back. The values are the same; the text is the sender's (its spacing and number forms,
//! e.g. `1.0` stays `1.0` where a round trip through values would write `1`).

use bytes::Bytes;

use super::json::write_str;
use super::packet::{is_reserved, Event};
use super::payload::Payload;
use super::value::Value;
use crate::Str;

/// Where the arguments of a `[name, ...args]` array start and end (the text between the
/// comma after the name and the closing bracket), or `None` when the text is not such an
/// array. An array with the name alone gives an empty span.
fn args_span(json: &[u8]) -> Option<(usize, usize)> {
    let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let mut i = json.iter().position(|&b| !ws(b))?;
    if json[i] != b'[' {
        return None;
    }
    i += 1;
    i += json[i..].iter().position(|&b| !ws(b))?;
    if json[i] == b'"' {
        // The name is a string: to its closing quote (escapes skipped).
        i += 1;
        loop {
            match *json.get(i)? {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
        i += 1;
    } else {
        // A numeric name.
        i += json[i..]
            .iter()
            .position(|&b| ws(b) || b == b',' || b == b']')?;
    }
    i += json.get(i..)?.iter().position(|&b| !ws(b))?;
    let end = json.iter().rposition(|&b| b == b']')?;
    match json[i] {
        b',' if i < end => Some((i + 1, end)),
        b']' if i == end => Some((end, end)),
        _ => None,
    }
}

impl Event {
    /// The arguments' JSON text as received: the elements after the name, comma-separated,
    /// without the brackets (empty when there are none). Binary arguments appear as
    /// `{"_placeholder":true,"num":N}`, pointing at
    /// [`payload().attachments()`](Payload::attachments).
    pub fn args_text(&self) -> &str {
        let json = self.payload().json().as_str();
        match args_span(json.as_bytes()) {
            Some((start, end)) => json.get(start..end).unwrap_or_default(),
            None => "",
        }
    }

    /// The same arguments under the event name `name`, to emit elsewhere (or back): the
    /// received text is copied once and the attachments shared, with no values built. The ack
    /// id is not kept. Fails for the reserved names, as [`Event::new`].
    pub fn renamed(&self, name: &str) -> Result<Event, serde_json::Error> {
        if is_reserved(name.as_bytes()) {
            return Err(serde::ser::Error::custom(format!(
                "\"{name}\" is a reserved event name"
            )));
        }
        if crate::id_hash::ids_equal(name.as_bytes(), self.name().as_bytes()) {
            // The same name (an echo): the array is the frame's already, as received.
            return Ok(self.same_name());
        }
        let json = self.payload().json();
        let Some((start, end)) = args_span(json.as_bytes()) else {
            // Not built from a decoded array (cannot happen for a received event): through
            // values, which gives the same result.
            let args = self.args()?;
            return Event::new(name, &super::Spread(args));
        };
        let attachments = self.payload().attachments().to_vec();
        let args = &json.as_bytes()[start..end];
        // `42[` "name" `,` args `]`: the Engine.IO frame of this event in the main namespace
        // (see `Payload::event`), so sending it copies nothing more.
        // `42[`, the quotes, the comma, `]`; more only if the name needs escaping.
        let mut out = Vec::with_capacity(8 + name.len() + args.len());
        out.extend_from_slice(b"42[");
        write_str(&mut out, name);
        let name_end = out.len();
        if start < end {
            out.push(b',');
            out.extend_from_slice(args);
        }
        out.push(b']');
        let framed = Str::from_trusted(Bytes::from(out));
        // The name as written (`"name"` after `42[`): shared when it needed no escaping.
        let written = framed.bytes().slice(4..name_end - 1);
        let name = if written.as_ref() == name.as_bytes() {
            Str::from_trusted(written)
        } else {
            Str::from(name.to_owned())
        };
        Ok(Event::from_parts(
            name,
            Payload::framed_event(framed, attachments),
            None,
        ))
    }

    /// [`renamed`](Self::renamed) to its own name, without an ack id: this event, shared, when
    /// it holds its frame already or has attachments (whose frame is written when sent),
    /// else `42` and the array in one new buffer (no scan of the text, no name to write).
    fn same_name(&self) -> Event {
        let payload = self.payload();
        if payload.framed().is_some() || payload.has_attachments() {
            // This event itself, shared (copied only if it carries an ack id to drop).
            return self.clone().without_ack();
        }
        let json = payload.json().as_bytes();
        let mut out = Vec::with_capacity(2 + json.len());
        out.extend_from_slice(b"42");
        out.extend_from_slice(json);
        let framed = Str::from_trusted(Bytes::from(out));
        Event::from_parts(
            self.name().clone(),
            Payload::framed_event(framed, Vec::new()),
            None,
        )
    }

    /// The arguments as an ack's array (`[...args]`), to answer an ack with what the event
    /// carried: the received text copied once, the attachments shared. For an event that
    /// asked for an ack, the payload is built as the frame of the answer to it.
    pub fn args_as_ack(&self) -> Payload {
        let json = self.payload().json();
        let Some((start, end)) = args_span(json.as_bytes()) else {
            let args = self.args().unwrap_or_default();
            return Payload::from_value(&Value::Array(args));
        };
        let args = &json.as_bytes()[start..end];
        let attachments = self.payload().attachments().to_vec();
        if let Some(id) = self.ack_id() {
            // The answer to this event's own ack: built as its frame (`43<id>[...]`).
            return Payload::framed_ack(id, args, attachments);
        }
        let mut out = Vec::with_capacity(2 + args.len());
        out.push(b'[');
        out.extend_from_slice(args);
        out.push(b']');
        Payload::from_parts(Str::from_trusted(Bytes::from(out)), attachments)
    }

    /// The Engine.IO frame of the answer to ack `id` in namespace `nsp` carrying this event's
    /// arguments as they came: `43[/nsp,]<id>[args]`, written into one buffer of its exact
    /// length (no payload built beside it, whose view of the JSON would cost `bytes` a second
    /// allocation). `None` for an event with attachments (its answer is a BINARY_ACK) or whose
    /// text is not a `[name, ...args]` array (a received event's always is).
    pub(crate) fn args_ack_frame(&self, nsp: &[u8], id: u64) -> Option<Str> {
        if self.payload().has_attachments() {
            return None;
        }
        let json = self.payload().json().as_bytes();
        let (start, end) = args_span(json)?;
        let out = super::payload::ack_frame(nsp, id, &json[start..end]);
        Some(Str::from_trusted(Bytes::from(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::{Decoder, PacketData};

    fn received(text: &str) -> Event {
        let mut d = Decoder::default();
        match d
            .decode_text(Str::from(text.to_owned()))
            .unwrap()
            .unwrap()
            .data
        {
            PacketData::Event(e) => e,
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn args_text_is_what_follows_the_name() {
        assert_eq!(
            received(r#"2["a",1,{"b":[2]}]"#).args_text(),
            r#"1,{"b":[2]}"#
        );
        assert_eq!(received(r#"2["a"]"#).args_text(), "");
        assert_eq!(received(r#"2[ "a\"]," , 1 ]"#).args_text(), " 1 ");
        assert_eq!(received(r#"2[12,"x"]"#).args_text(), r#""x""#);
        assert_eq!(received(r#"21["a",[]]"#).args_text(), "[]");
    }

    #[test]
    fn renamed_keeps_the_values_and_drops_the_ack() {
        let e = received(r#"27["a", 1.5, "x", {"k":null}]"#);
        let r = e.renamed("b").unwrap();
        assert_eq!(r.name().as_str(), "b");
        assert_eq!(r.ack_id(), None);
        assert_eq!(r.args().unwrap(), e.args().unwrap());
        assert_eq!(
            r.payload().json().as_str(),
            r#"["b", 1.5, "x", {"k":null}]"#
        );
        let none = received(r#"2["a"]"#).renamed("q\"").unwrap();
        assert_eq!(none.payload().json().as_str(), r#"["q\""]"#);
        assert_eq!(none.name().as_str(), "q\"");
        assert!(e.renamed("disconnect").is_err());
    }

    #[test]
    fn renamed_shares_attachments() {
        let mut d = Decoder::default();
        assert!(d
            .decode_text(Str::from(
                r#"51-["up",{"_placeholder":true,"num":0}]"#.to_owned()
            ))
            .unwrap()
            .is_none());
        let att = Bytes::from_static(b"\x01\x02");
        let PacketData::Event(e) = d.decode_binary(att.clone()).unwrap().unwrap().data else {
            panic!("not an event")
        };
        let r = e.renamed("down").unwrap();
        assert_eq!(r.payload().attachments(), std::slice::from_ref(&att));
        assert_eq!(r.args().unwrap(), vec![Value::Binary(att.clone())]);
        let ack = e.args_as_ack();
        assert_eq!(ack.json().as_str(), r#"[{"_placeholder":true,"num":0}]"#);
        assert_eq!(ack.attachments(), &[att]);
    }

    #[test]
    fn an_ack_frame_of_the_arguments_is_the_encoded_ack() {
        use crate::engine::Frame;
        use crate::socket::{Ack, Packet};
        for text in [
            r#"2/chat,17["a",1,"b"]"#,
            r#"27["echo",{"seq":1,"p":"x"}]"#,
            r#"2[ "a" ]"#,
            r#"2["a\"]",[1,2] , "z"]"#,
        ] {
            let e = received(text);
            for nsp in ["/", "/chat", ""] {
                for id in [0, 7, 18, 170, u64::MAX] {
                    let frame = e
                        .args_ack_frame(nsp.as_bytes(), id)
                        .expect("a received event");
                    let packet = Packet::ack(
                        nsp,
                        Ack {
                            id,
                            payload: e.args_as_ack(),
                        },
                    );
                    assert_eq!(
                        packet.into_frames().as_slice(),
                        &[Frame::Text(frame)],
                        "{text} {nsp} {id}"
                    );
                }
            }
        }
        // With attachments the answer is a BINARY_ACK: not built here.
        let binary = Event::new("b", &bytes::Bytes::from_static(&[1])).unwrap();
        assert!(binary.args_ack_frame(b"/", 1).is_none());
    }

    #[test]
    fn args_as_ack_is_the_argument_array() {
        assert_eq!(
            received(r#"23["a",1,"b"]"#).args_as_ack().json().as_str(),
            r#"[1,"b"]"#
        );
        assert_eq!(received(r#"23["a"]"#).args_as_ack().json().as_str(), "[]");
        assert_eq!(
            received(r#"2["a",{}]"#).args_as_ack().json().as_str(),
            "[{}]"
        );
    }

    #[test]
    fn an_ack_answer_is_encoded_as_any_ack() {
        use crate::engine::Frame;
        use crate::socket::{Ack, Packet};
        let e = received(r#"2/chat,17["a",1,"b"]"#);
        for nsp in ["/", "/chat"] {
            for id in [17, 18, 170] {
                let forwarded = Packet::ack(
                    nsp,
                    Ack {
                        id,
                        payload: e.args_as_ack(),
                    },
                );
                let values = Payload::from_value(&Value::Array(e.args().unwrap()));
                let plain = Packet::ack(
                    nsp,
                    Ack {
                        id,
                        payload: values,
                    },
                );
                assert_eq!(forwarded.to_frames(), plain.to_frames(), "{nsp} {id}");
                assert_eq!(forwarded.encode(), plain.encode(), "{nsp} {id}");
                assert_eq!(forwarded.into_frames(), plain.into_frames(), "{nsp} {id}");
            }
        }
        // Made an event's payload, the ack's frame is not taken for the event's.
        let as_event = Event::from_payload(received(r#"27["a","x",2]"#).args_as_ack()).unwrap();
        let frames = Packet::event("/", as_event).to_frames();
        assert_eq!(frames[0], Frame::Text(Str::from(r#"42["x",2]"#.to_owned())));
    }

    #[test]
    fn built_events_forward_too() {
        let e = Event::from_values("a", &[Value::from(1), Value::from("z")]);
        assert_eq!(e.args_text(), r#"1,"z""#);
        let r = Event::new("n", &(1, "z")).unwrap().renamed("m").unwrap();
        assert_eq!(r.payload().json().as_str(), r#"["m",1,"z"]"#);
    }

    #[test]
    fn renamed_to_its_own_name_is_the_same_event_without_its_ack() {
        use crate::engine::Frame;
        use crate::socket::Packet;
        for text in [r#"27["echo",1.5,{"k":"x"}]"#, r#"2/chat,["echo"]"#] {
            let e = received(text);
            let r = e.renamed("echo").unwrap();
            assert_eq!(r.name(), e.name());
            assert_eq!(r.ack_id(), None);
            assert_eq!(r.payload().json(), e.payload().json());
            for nsp in ["/", "/chat"] {
                let plain = Event::from_values("echo", &e.args().unwrap());
                let (a, b) = (Packet::event(nsp, r.clone()), Packet::event(nsp, plain));
                assert_eq!(a.to_frames(), b.to_frames(), "{text} to {nsp}");
                assert_eq!(a.into_frames(), b.into_frames(), "{text} to {nsp}");
            }
        }
        // An escaped name is the same name.
        let e = received(r#"2["\u0065cho",2]"#);
        let frames = Packet::event("/", e.renamed("echo").unwrap()).to_frames();
        assert_eq!(
            frames[..],
            [Frame::Text(Str::from(r#"42["\u0065cho",2]"#.to_owned()))]
        );
        // A built event keeps sharing its frame.
        let built = Event::new("n", &(1, "z")).unwrap();
        let again = built.renamed("n").unwrap();
        assert_eq!(
            again.payload().framed().map(|f| f.as_ptr()),
            built.payload().framed().map(|f| f.as_ptr())
        );
        assert!(again.payload().framed().is_some());
    }
}
