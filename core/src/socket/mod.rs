//! Socket.IO v5: packets, their encoding with binary attachments, and decoding.
//!
//! A packet is `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]` followed, for the binary
//! types, by one binary message per attachment. Event and ack data is a [`Payload`]: JSON text
//! with placeholders plus the attachments. Build one from your own serde types
//! ([`Payload::event`], [`Event::new`]) or from [`Value`]s; read one back with
//! [`Payload::deserialize`] or [`Payload::to_value`].
//!
//! A received event can be sent on as it came, its argument text copied once and no values
//! built: [`Event::renamed`], [`Event::args_as_ack`], [`Event::args_text`] (module `forward`).
//!
//! Decoding checks each packet's JSON without building it: `grammar` (the JSON grammar in one
//! loop, for packets without attachments) and `validate` (the shape of each packet type, an
//! event's name, and the placeholders of binary packets).
//!
//! An [`Event`] is one pointer wide: its parts sit behind a shared pointer, in an allocation
//! each thread recycles (`event_box`), so events move through the queues without large copies
//! or an allocation each, and an echo re-sends the received event itself.
//!
//! That is the default parser's form; [`msgpack`] is the other parser's (one MessagePack
//! message per packet), chosen with [`Parser`] per server or client.
//!
//! [`server::SocketServer`] is the server's state machine above the Engine.IO server:
//! namespaces, sockets, rooms, acks, broadcasts and connection state recovery.
//!
//! ```
//! use sio_core::socket::{Decoder, Event, Packet};
//! use sio_core::Str;
//!
//! let packet = Packet::event("/chat", Event::new("message", &("hi", 42)).unwrap());
//! let wire = packet.encode();
//! assert_eq!(wire.text, r#"2/chat,["message","hi",42]"#);
//!
//! let mut decoder = Decoder::default();
//! let back = decoder.decode_text(wire.text).unwrap().unwrap();
//! assert_eq!(back, packet);
//! ```

mod args;
mod args_de;
pub mod client;
pub mod cluster;
mod decode;
mod error;
mod event_box;
mod forward;
mod grammar;
pub(crate) mod json;
pub mod msgpack;
mod packet;
mod parser;
mod payload;
mod placeholder_de;
pub mod server;
pub(crate) mod validate;
pub mod value;
mod value_de;

pub use args::Spread;
pub use decode::{decode_header, Decoder, DEFAULT_MAX_ATTACHMENTS};
pub use error::DecodeError;
pub use packet::{
    Ack, Encoded, Event, Packet, PacketData, PacketType, MAIN_NAMESPACE, RESERVED_EVENTS,
};
pub use parser::Parser;
pub use payload::{resendable_frame, Payload};
pub use value::{Map, Value};
