//! Socket.IO packets and their encoding.

use bytes::Bytes;
use smallvec::SmallVec;

use super::event_box::{EventBox, EventParts};
use super::payload::Payload;
use super::value::Value;
use crate::engine::Frame;
use crate::Str;

/// The seven Socket.IO v5 packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `0`: join a namespace (client: auth object; server: `{"sid":…}`).
    Connect = 0,
    /// `1`: leave a namespace.
    Disconnect = 1,
    /// `2`: an event, `[name, ...args]`.
    Event = 2,
    /// `3`: the answer to an event that asked for one.
    Ack = 3,
    /// `4`: a namespace refused the connection.
    ConnectError = 4,
    /// `5`: an event with binary attachments.
    BinaryEvent = 5,
    /// `6`: an ack with binary attachments.
    BinaryAck = 6,
}

impl PacketType {
    /// The type for an ASCII digit.
    pub fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            b'0' => PacketType::Connect,
            b'1' => PacketType::Disconnect,
            b'2' => PacketType::Event,
            b'3' => PacketType::Ack,
            b'4' => PacketType::ConnectError,
            b'5' => PacketType::BinaryEvent,
            b'6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// The ASCII digit of this type.
    pub fn as_byte(self) -> u8 {
        b'0' + self as u8
    }

    /// Whether packets of this type carry attachments.
    pub fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }
}

/// The namespace every client may join, and the default of every packet.
pub const MAIN_NAMESPACE: &str = "/";

/// Event names the protocol reserves; a peer that sends one is closed.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Whether `name` is one of [`RESERVED_EVENTS`]: compared by length first, without a loop
/// over the list (every event received and every event emitted is checked).
#[inline]
pub(crate) fn is_reserved(name: &[u8]) -> bool {
    matches!(
        name,
        b"connect"
            | b"connect_error"
            | b"disconnect"
            | b"disconnecting"
            | b"newListener"
            | b"removeListener"
    )
}

/// One Socket.IO packet: a namespace and what happens in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The namespace, `/` by default.
    pub nsp: Str,
    /// The packet's content.
    pub data: PacketData,
}

/// What a [`Packet`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacketData {
    /// Join the namespace; the JSON object text (a client's auth, the server's
    /// `{"sid":…,"pid":…}`), if any.
    Connect(Option<Str>),
    /// Leave the namespace.
    Disconnect,
    /// An event.
    Event(Event),
    /// An ack answering an event.
    Ack(Ack),
    /// The namespace refused to connect: JSON text, an object `{"message":…,"data":…}` (or a
    /// string from old peers).
    ConnectError(Str),
}

/// An event: its name, the whole `[name, ...args]` array as a [`Payload`], and the ack id if
/// the sender waits for an answer.
///
/// An event is one pointer wide (its parts are behind a shared pointer, in an allocation
/// recycled per thread: the crate's `socket::event_box`), so moving it through the queues
/// between the decoder, the dispatcher and a handler copies eight bytes, and cloning it copies
/// nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Event(EventBox);

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("name", &self.0.name)
            .field("payload", &self.0.payload)
            .field("ack", &self.0.ack)
            .finish()
    }
}

impl Event {
    /// An event named `name` with `args` spread as in [`Payload::event`].
    pub fn new<T: serde::Serialize + ?Sized>(
        name: &str,
        args: &T,
    ) -> Result<Event, serde_json::Error> {
        if is_reserved(name.as_bytes()) {
            // The receiving side would close the connection (the reference throws here too).
            return Err(serde::ser::Error::custom(format!(
                "\"{name}\" is a reserved event name"
            )));
        }
        let payload = Payload::event(name, args)?;
        // The name as written in the JSON (`["name",…`): share it when it needed no escaping.
        let json = payload.json();
        let name = match json.as_bytes().get(2..2 + name.len()) {
            Some(written) if written == name.as_bytes() && json.as_bytes()[1] == b'"' => {
                Str::from_trusted(json.bytes().slice(2..2 + name.len()))
            }
            _ => Str::from(name.to_owned()),
        };
        Ok(Event::from_parts(name, payload, None))
    }

    /// An event from a name and argument values (built without serde). The name must not be
    /// one of [`RESERVED_EVENTS`] (the peer would refuse the packet); use [`Event::new`] to
    /// have that checked.
    pub fn from_values(name: &str, args: &[Value]) -> Event {
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(Value::from(name));
        all.extend_from_slice(args);
        Event::from_parts(
            Str::from(name.to_owned()),
            Payload::from_value(&Value::Array(all)),
            None,
        )
    }

    /// An event from a ready payload, which must be an array starting with the event name
    /// (a string that is not reserved, or a number); its placeholders must point at its
    /// attachments.
    pub fn from_payload(payload: Payload) -> Result<Event, super::DecodeError> {
        let n = payload
            .has_attachments()
            .then(|| payload.attachments().len());
        let name = super::validate::check_event(payload.json(), n)?;
        Ok(Event::from_parts(name, payload, None))
    }

    pub(crate) fn from_parts(name: Str, payload: Payload, ack: Option<u64>) -> Event {
        Event(EventBox::new(EventParts { name, payload, ack }))
    }

    /// The event without an ack id (plain emits never ask for one): the same name and
    /// payload, moved rather than copied.
    #[inline]
    pub(crate) fn without_ack(mut self) -> Event {
        // Not written when there is none: a shared event is then not copied.
        if self.0.ack.is_some() {
            self.0.ack = None;
        }
        self
    }

    /// Asks the receiver to answer with an ack carrying this id.
    pub fn with_ack(mut self, id: u64) -> Event {
        self.0.ack = Some(id);
        self
    }

    /// The event name (a numeric name is given as its decimal text).
    pub fn name(&self) -> &Str {
        &self.0.name
    }

    /// Keeps `frame` as this event's Engine.IO frame when it is one (`42` and the arguments
    /// array, sharing the array's buffer: the frame it was received in, in `/`, without ack
    /// id or attachments).
    pub(crate) fn adopt_frame(&mut self, frame: Str) {
        if self.0.ack.is_none() {
            self.0.payload.adopt_frame(frame);
        }
    }

    /// The whole `[name, ...args]` array.
    pub fn payload(&self) -> &Payload {
        &self.0.payload
    }

    /// The payload's attachments, moved out (the event is being consumed), or copied (their
    /// handles) when another event shares them.
    fn take_attachments(mut self) -> Vec<Bytes> {
        match self.0.unique() {
            Some(parts) => std::mem::take(&mut parts.payload).into_attachments(),
            None => self.0.payload.attachments().to_vec(),
        }
    }

    /// Whether this event keeps the frame that is its whole packet in `/` (`42` and the
    /// array, no ack id, no attachments): the frame it came in, or the one its forwarding
    /// built. [`Packet::into_frames`] sends that frame as it is.
    #[inline]
    pub(crate) fn has_main_frame(&self) -> bool {
        self.0.ack.is_none()
            && self
                .0
                .payload
                .framed()
                .is_some_and(|f| f.as_bytes().get(1) == Some(&b'2'))
    }

    /// The payload's ready frame (see [`Payload::framed`]), moved out or, when another event
    /// shares it, shared.
    pub(crate) fn take_framed(mut self) -> Option<Str> {
        match self.0.unique() {
            Some(parts) => std::mem::take(&mut parts.payload).into_framed(),
            None => self.0.payload.framed().cloned(),
        }
    }

    /// The ack id, if the sender waits for an answer.
    pub fn ack_id(&self) -> Option<u64> {
        self.0.ack
    }

    /// The arguments (without the name) read as one value of type `T`: a tuple takes them in
    /// order (`(String, u32)`), a sequence type takes them all (`Vec<Value>`); arguments
    /// beyond a tuple's length are ignored. Attachments feed byte buffers.
    pub fn deserialize_args<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        self.0.payload.deserialize_rest(1, false)
    }

    /// Argument `index` (0 is the first after the name) read as a `T`.
    pub fn deserialize_arg<T: serde::de::DeserializeOwned>(
        &self,
        index: usize,
    ) -> Result<T, serde_json::Error> {
        self.0.payload.deserialize_rest(1 + index, true)
    }

    /// The arguments (without the name) as values, attachments resolved.
    pub fn args(&self) -> Result<Vec<Value>, serde_json::Error> {
        // One pass over the text, skipping the name (no string for it, no shifting).
        self.0.payload.values_from(1)
    }
}

/// An ack: the id of the event it answers and the array of its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The id of the event this answers.
    pub id: u64,
    /// The arguments array.
    pub payload: Payload,
}

impl Ack {
    /// An ack for event `id` with `args` spread as in [`Payload::ack`].
    pub fn new<T: serde::Serialize + ?Sized>(id: u64, args: &T) -> Result<Ack, serde_json::Error> {
        Ok(Ack {
            id,
            payload: Payload::ack(args)?,
        })
    }
}

/// A packet encoded for the wire: the text (header and JSON) and the attachments, each of
/// which travels as its own binary message after the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The packet's text, e.g. `51-/admin,12["a",{"_placeholder":true,"num":0}]`.
    pub text: Str,
    /// The attachments, in order.
    pub attachments: Vec<Bytes>,
}

impl Packet {
    /// The size of the packet's data: an event's or ack's arguments (JSON text and
    /// attachments), the JSON of a CONNECT or CONNECT_ERROR.
    pub fn payload_len(&self) -> usize {
        match &self.data {
            PacketData::Event(e) => e.payload().len(),
            PacketData::Ack(a) => a.payload.len(),
            PacketData::Connect(c) => c.as_ref().map_or(0, |c| c.len()),
            PacketData::ConnectError(e) => e.len(),
            PacketData::Disconnect => 0,
        }
    }

    /// A packet in namespace `nsp`.
    pub fn new(nsp: impl Into<Str>, data: PacketData) -> Packet {
        Packet {
            nsp: nsp.into(),
            data,
        }
    }

    /// CONNECT with an optional JSON object text.
    pub fn connect(nsp: impl Into<Str>, payload: Option<Str>) -> Packet {
        Packet::new(nsp, PacketData::Connect(payload))
    }

    /// DISCONNECT.
    pub fn disconnect(nsp: impl Into<Str>) -> Packet {
        Packet::new(nsp, PacketData::Disconnect)
    }

    /// An event.
    pub fn event(nsp: impl Into<Str>, event: Event) -> Packet {
        Packet::new(nsp, PacketData::Event(event))
    }

    /// An ack.
    pub fn ack(nsp: impl Into<Str>, ack: Ack) -> Packet {
        Packet::new(nsp, PacketData::Ack(ack))
    }

    /// CONNECT_ERROR `{"message":…}` with optional `data`, as the reference server sends it.
    pub fn connect_error(nsp: impl Into<Str>, message: &str, data: Option<&Value>) -> Packet {
        let mut out = Vec::with_capacity(32 + message.len());
        out.extend_from_slice(b"{\"message\":");
        super::json::write_str(&mut out, message);
        if let Some(d) = data {
            out.extend_from_slice(b",\"data\":");
            // CONNECT_ERROR has no attachments: like the reference (Buffer#toJSON), binary
            // values are written as {"type":"Buffer","data":[...]}.
            let mut none = Vec::new();
            super::json::write_value(&mut out, &buffers_as_json(d), &mut none);
        }
        out.push(b'}');
        Packet::new(nsp, PacketData::ConnectError(Str::from_trusted(out.into())))
    }

    /// The packet's wire type (EVENT and ACK with attachments become BINARY_EVENT and
    /// BINARY_ACK, as the reference encoder decides).
    pub fn packet_type(&self) -> PacketType {
        match &self.data {
            PacketData::Connect(_) => PacketType::Connect,
            PacketData::Disconnect => PacketType::Disconnect,
            PacketData::Event(e) if e.payload().has_attachments() => PacketType::BinaryEvent,
            PacketData::Event(_) => PacketType::Event,
            PacketData::Ack(a) if a.payload.has_attachments() => PacketType::BinaryAck,
            PacketData::Ack(_) => PacketType::Ack,
            PacketData::ConnectError(_) => PacketType::ConnectError,
        }
    }

    /// Encodes the packet: its text and its attachments.
    pub fn encode(&self) -> Encoded {
        let mut out = Vec::with_capacity(self.text_len());
        let attachments = self.write_text(&mut out);
        Encoded {
            text: Str::from_trusted(out.into()),
            attachments: attachments.to_vec(),
        }
    }

    /// Encodes the packet as the Engine.IO frames that carry it: one text `message` frame
    /// (`4` + the packet text), then one binary frame per attachment. The text is written once,
    /// straight into the frame's buffer.
    pub fn to_frames(&self) -> SmallVec<[Frame; 1]> {
        if let PacketData::Event(e) = &self.data {
            let main = self.is_main();
            if let (true, None, Some(framed)) = (main, e.0.ack, e.payload().framed()) {
                let mut frames = SmallVec::with_capacity(1 + e.payload().attachments().len());
                frames.push(Frame::Text(framed.clone()));
                if e.payload().has_attachments() {
                    let attachments = e.payload().attachments().iter().cloned();
                    frames.extend(attachments.map(Frame::Binary));
                }
                return frames;
            }
        }
        if let PacketData::Ack(a) = &self.data {
            let main = self.is_main();
            if let (true, Some(framed)) = (main, a.payload.ack_framed(a.id)) {
                let mut frames = SmallVec::new();
                frames.push(Frame::Text(framed.clone()));
                return frames;
            }
        }
        let mut out = Vec::with_capacity(1 + self.text_len());
        out.push(b'4');
        let attachments = self.write_text(&mut out);
        let mut frames = SmallVec::with_capacity(1 + attachments.len());
        frames.push(Frame::Text(Str::from_trusted(out.into())));
        frames.extend(attachments.iter().cloned().map(Frame::Binary));
        frames
    }

    /// Like [`to_frames`](Self::to_frames), consuming the packet: the buffers move into the
    /// frames instead of being shared (no reference count to set up for a single recipient).
    pub fn into_frames(self) -> SmallVec<[Frame; 1]> {
        let mut frames = SmallVec::new();
        if let PacketData::Event(e) = &self.data {
            let main = self.is_main();
            let framed = e.payload().framed().is_some();
            if main && e.0.ack.is_none() && framed && !e.payload().has_attachments() {
                if let PacketData::Event(e) = self.data {
                    if let Some(framed) = e.take_framed() {
                        frames.push(Frame::Text(framed));
                    }
                }
                return frames;
            }
        }
        if let PacketData::Ack(a) = &self.data {
            let main = self.is_main();
            if main && a.payload.ack_framed(a.id).is_some() {
                if let PacketData::Ack(a) = self.data {
                    if let Some(framed) = a.payload.into_framed() {
                        frames.push(Frame::Text(framed));
                    }
                }
                return frames;
            }
        }
        // A binary event received in `/` keeps the frame of its header.
        let framed = match &self.data {
            PacketData::Event(e) if e.0.ack.is_none() && self.is_main() => {
                e.payload().framed().cloned()
            }
            _ => None,
        };
        let text = framed.unwrap_or_else(|| {
            let mut out = Vec::with_capacity(1 + self.text_len());
            out.push(b'4');
            self.write_text(&mut out);
            Str::from_trusted(out.into())
        });
        frames.push(Frame::Text(text));
        let attachments = match self.data {
            PacketData::Event(e) => e.take_attachments(),
            PacketData::Ack(a) => a.payload.into_attachments(),
            _ => Vec::new(),
        };
        frames.extend(attachments.into_iter().map(Frame::Binary));
        frames
    }

    /// Whether the packet is in the main namespace (`/`, or none given).
    fn is_main(&self) -> bool {
        self.nsp.is_empty() || self.nsp.as_bytes() == MAIN_NAMESPACE.as_bytes()
    }

    /// The exact length of what [`write_text`](Self::write_text) writes: a buffer of that
    /// capacity becomes a `Bytes` without a second allocation.
    fn text_len(&self) -> usize {
        let digits = |n: u64| n.checked_ilog10().map_or(1, |l| l as usize + 1);
        let (json, id, attachments) = match &self.data {
            PacketData::Connect(p) => (p.as_ref().map_or(0, Str::len), None, 0),
            PacketData::Disconnect => (0, None, 0),
            PacketData::Event(e) => (
                e.payload().json().len(),
                e.0.ack,
                e.payload().attachments().len(),
            ),
            PacketData::Ack(a) => (
                a.payload.json().len(),
                Some(a.id),
                a.payload.attachments().len(),
            ),
            PacketData::ConnectError(s) => (s.len(), None, 0),
        };
        let binary = if self.packet_type().is_binary() {
            digits(attachments as u64) + 1
        } else {
            0
        };
        let nsp = if self.is_main() {
            0
        } else {
            self.nsp.len() + 1
        };
        1 + binary + nsp + id.map_or(0, digits) + json
    }

    /// Writes `<type>[<n>-][<nsp>,][<id>][<json>]` and returns the attachments.
    fn write_text(&self, out: &mut Vec<u8>) -> &[Bytes] {
        let ty = self.packet_type();
        out.push(ty.as_byte());
        let (json, id, attachments): (Option<&Str>, Option<u64>, &[Bytes]) = match &self.data {
            PacketData::Connect(p) => (p.as_ref(), None, &[]),
            PacketData::Disconnect => (None, None, &[]),
            PacketData::Event(e) => (Some(e.payload().json()), e.0.ack, e.payload().attachments()),
            PacketData::Ack(a) => (Some(a.payload.json()), Some(a.id), a.payload.attachments()),
            PacketData::ConnectError(s) => (Some(s), None, &[]),
        };
        if ty.is_binary() {
            push_u64(out, attachments.len() as u64);
            out.push(b'-');
        }
        if !self.is_main() {
            out.extend_from_slice(self.nsp.as_bytes());
            out.push(b',');
        }
        if let Some(id) = id {
            push_u64(out, id);
        }
        if let Some(json) = json {
            out.extend_from_slice(json.as_bytes());
        }
        attachments
    }
}

/// Appends the decimal digits of `n`.
pub(crate) fn push_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(super::json::u64_digits(n, &mut [0; 20]));
}

/// Node's `Buffer#toJSON` form for binary values, used where a packet has no attachments.
fn buffers_as_json(v: &Value) -> Value {
    match v {
        Value::Binary(b) => {
            let mut m = super::value::Map::with_capacity(2);
            m.insert("type", Value::from("Buffer"));
            m.insert(
                "data",
                Value::Array(b.iter().map(|&x| Value::from(x)).collect()),
            );
            Value::Object(m)
        }
        Value::Array(a) => Value::Array(a.iter().map(buffers_as_json).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), buffers_as_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_reserved, Event, PacketData, RESERVED_EVENTS};

    #[test]
    fn an_event_moves_without_a_memcpy_call() {
        // Moves of up to 128 bytes are inlined; an event is moved through several queues.
        assert!(std::mem::size_of::<Event>() <= 128);
        assert!(std::mem::size_of::<PacketData>() <= 128);
    }

    #[test]
    fn the_text_length_is_exact() {
        use super::{Ack, Packet};
        use crate::socket::Payload;
        let bin = bytes::Bytes::from_static(b"\x01");
        let ev = |args: &serde_json::Value| Event::new("e", args).unwrap();
        let mut packets = vec![
            Packet::connect("/", None),
            Packet::connect("/admin", Some(crate::Str::from_static(r#"{"t":1}"#))),
            Packet::disconnect("/x"),
            Packet::connect_error("/", "no", None),
            Packet::event("/", ev(&serde_json::json!([1, "two"]))),
            Packet::event("/chat", ev(&serde_json::json!({})).with_ack(1234567)),
            Packet::ack("/", Ack::new(0, &("a", 2)).unwrap()),
        ];
        // Attachments: 1 and 12 (a two-digit count), in `/` and elsewhere, with an ack id.
        for n in [1, 12] {
            let args = vec![bin.clone(); n];
            let e = Event::new("b", &(args.clone(),)).unwrap();
            packets.push(Packet::event("/", e.clone()));
            packets.push(Packet::event("/n", e.with_ack(7)));
            let payload = Payload::from_serialize(&(args,)).unwrap();
            packets.push(Packet::ack("/n", Ack { id: 99, payload }));
        }
        for p in packets {
            let mut out = Vec::new();
            p.write_text(&mut out);
            assert_eq!(p.text_len(), out.len(), "{}", String::from_utf8_lossy(&out));
        }
    }

    #[test]
    fn is_reserved_is_the_list() {
        for r in RESERVED_EVENTS {
            assert!(is_reserved(r.as_bytes()), "{r}");
        }
        for n in [
            "",
            "echo",
            "connec",
            "connect ",
            "Connect",
            "disconnected",
            "newlistener",
            "removeListeners",
            "connect_erro",
        ] {
            assert!(!is_reserved(n.as_bytes()), "{n}");
        }
    }
}
