#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets to fuzz/corpus/<target>/seed-<n>.

Deterministic: rerunning rewrites the same files. Inputs grown by fuzzing (named by their
SHA-1) sit next to the seeds and are left alone.
"""

import base64
import json
from pathlib import Path
import zlib

HANDSHAKE = (
    b'{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],'
    b'"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'
)

EIO_PACKET = [
    b"0" + HANDSHAKE,
    b'0{"sid":"x","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1}',
    b"1",
    b"2",
    b"2probe",
    b"3",
    b"3probe",
    b"4",
    b"4hello",
    "4h\u00e9llo \u20ac \U0001f600".encode(),
    b"4\x1e",
    b"5",
    b"6",
    b"bAQID",
    b"bAQIDBA==",
    b"b",
    b"b====",
    b"7",
    b"",
]

EIO_PAYLOAD = [
    b"\x00" + b"4hello",
    b"\x01" + b"4hello\x1e2\x1ebAQIDBA==",
    b"\x03" + b"4hello\x1e2\x1ebAQIDBA==",
    b"\x07" + b"2probe\x1e3probe\x1e5\x1e6",
    b"\x10" + b"0" + HANDSHAKE + b"\x1e40\x1e42[\"a\"]",
    b"\x02" + b"1",
    b"\x04" + b"4\x1e4\x1e4",
    b"\x05" + b"\x1e\x1e",
    b"\x01" + "4\u00e9\u20ac\x1e4\U0001f600".encode(),
    b"\xff" + b"bAQID\x1eb\x1ebAA==",
    b"\x09" + b"42[\"hello\",\"world\"]\x1e43/admin,1[]",
    b"\x02" + b"4hello\x1e",
    b"\x02" + b"9bad\x1e4ok",
    # Engine.IO v3 payloads (the same target runs them through the v3 decoders).
    b"\x04" + b"6:4hello1:21:3",
    b"\x02" + bytes([0, 6, 0xFF]) + b"4hello" + bytes([1, 4, 0xFF, 4, 1, 2, 3]),
    b"\x07" + "2:4\u20ac3:4\U0001f600".encode() + b"6:b4AQID",
]

SIO_PACKET = [
    b'0',
    b'0{"token":"x"}',
    b'0/admin,',
    b'0/admin,{"token":"x"}',
    b'1',
    b'1/admin,',
    b'2["hello"]',
    b'2["hello","world"]',
    b'2/admin,12["a",{"b":[1,2]}]',
    b'212["a",1,2.5,true,null,"\\u00e9"]',
    b'2[  "spaced" , { "k" : [ ] } ]',
    b'3/a,1[]',
    b'31["ok",{"x":1}]',
    b'4{"message":"x"}',
    b'4/admin,{"message":"not authorized","data":{"code":1}}',
    b'51-["a",{"_placeholder":true,"num":0}]',
    b'52-/admin,7["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
    b'61-/a,3[{"_placeholder":true,"num":0}]',
    b'2["\\ud83d\\ude00",-0,1e400]',
    b'2[1]',
    b'2{}',
    b'7',
    b'',
]


def sio_binary(n, text, *attachments):
    # The entry point splits the attachment bytes into 16 even slices and feeds the first
    # `n % 16`, so one attachment of k bytes needs k*16 bytes for a whole slice of each.
    return bytes([n]) + text + b"\xff" + b"".join(attachments)


SIO_BINARY = [
    sio_binary(1, b'51-["a",{"_placeholder":true,"num":0}]', b"\x01\x02\x03" * 16),
    sio_binary(2, b'52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', b"xy" * 16),
    sio_binary(1, b'51-/admin,7["upload",{"_placeholder":true,"num":0}]', b"\x00" * 16),
    sio_binary(1, b'61-3[{"_placeholder":true,"num":0}]', b"\xfe" * 16),
    sio_binary(1, b'61-/a,3[{"_placeholder":true,"num":0},"tail"]', b"abcd" * 4),
    sio_binary(3, b'53-["m",{"_placeholder":true,"num":2},[{"_placeholder":true,"num":1}],{"k":{"_placeholder":true,"num":0}}]', b"q" * 48),
    sio_binary(0, b'51-["a",{"_placeholder":true,"num":0}]'),
    sio_binary(2, b'51-["a",{"_placeholder":true,"num":0}]', b"z" * 16),
    sio_binary(1, b'51-["a",{"_placeholder":true,"num":1}]', b"z" * 16),
    sio_binary(1, b'50-["a"]', b"z" * 16),
    sio_binary(0, b'2["hello","world"]'),
    sio_binary(0, b'2/admin,12["a",{"b":[1,2]}]'),
    sio_binary(1, b'2["not binary"]', b"extra" * 16),
    sio_binary(0, b'0{"token":"x"}'),
    sio_binary(16, b'51-["a",{"_placeholder":true,"num":0}]', b"wrap" * 16),
    sio_binary(1, b'51-["a",{"_placeholder":true,"num":0,"extra":1}]', b"e" * 16),
    sio_binary(1, b'51-[{"_placeholder":true,"num":0}]', b"n" * 16),
    bytes([1]) + b'51-["a",{"_placeholder":true,"num":0}]',
]

# First byte: 0 broadcast channel, 1 room r1's broadcast channel, 2 requests, 3 responses.
# The msgpack messages are what notepack.io writes for the Node adapter and the emitter.
CLUSTER_MESSAGE = [
    b"\x00" + bytes.fromhex("93a7656d697474657283a47479706502a46461746192a2657680a36e7370a12f83a5726f6f6d7390a5666c61677380a665786365707490"),
    b"\x01" + bytes.fromhex("93a66f746865723183a47479706502a46461746193a26576c40301020301a36e7370a12f83a5726f6f6d7391a27231a665786365707490a5666c61677381a8766f6c6174696c65c3"),
    b"\x00" + bytes.fromhex("93a6616263313233"),
    b"\x02" + b'{"uid":"other1","type":2,"opts":{"rooms":["r1"],"except":[]},"rooms":["joined"]}',
    b"\x02" + b'{"uid":"other1","type":3,"opts":{"rooms":[],"except":[]},"rooms":["r1"]}',
    b"\x02" + b'{"uid":"other1","type":4,"opts":{"rooms":["r1"],"except":[]},"close":true}',
    b"\x02" + b'{"uid":"other1","requestId":"abc","type":5,"opts":{"rooms":[],"except":[]}}',
    b"\x02" + b'{"uid":"other1","type":6,"data":["hello",1,{"a":[2]}]}',
    b"\x02" + b'{"uid":"other1","requestId":"q1","type":6,"data":["question"]}',
    b"\x02" + b'{"uid":"other1","requestId":"r","type":0,"rooms":["r1"]}',
    b"\x02" + b'{"uid":"other1","requestId":"r","type":1}',
    b"\x02" + b'{"uid":"other1","type":2,"sid":"x","room":"y","requestId":"z"}',
    b"\x02" + bytes.fromhex("85a3756964a66f7468657231a9726571756573744964a178a47479706507a67061636b657483a47479706502a46461746191a171a36e7370a12fa46f70747383a5726f6f6d7390a665786365707490a5666c61677381a774696d656f7574cd03e8"),
    b"\x03" + b'{"requestId":"abc","sockets":[]}',
    b"\x03" + b'{"type":8,"requestId":"abc","clientCount":2}',
    b"\x02" + b"{not json",
    b"\x00" + b"\xc1",
    b"\x02" + b"\xdd\xff\xff\xff\xff",
]


def sio_msgpack_seeds():
    """Every message of the msgpack golden vectors (core/tests/golden/msgpack.json, made by
    socket.io-msgpack-parser) under 4 KiB: encodings, client shapes, errors, the refused."""
    golden = Path(__file__).resolve().parent.parent / "core/tests/golden/msgpack.json"
    doc = json.loads(golden.read_text())
    seeds = []
    for section in ("encode", "encode_quirks", "decode", "decode_errors", "decode_stricter"):
        for v in doc[section]:
            data = base64.b64decode(v["encoded"]["$binary"])
            if len(data) <= 4096:
                seeds.append(data)
    return seeds


SIO_MSGPACK = sio_msgpack_seeds()


def step(op, chunk=b"", length=None):
    """One step of the client_session target: an op byte, a length byte, the chunk."""
    n = len(chunk) if length is None else length
    return bytes([op, n]) + chunk


# client_session ops (op % 9): 0 HTTP 200 with body, 1 other status, 2 HTTP failure, 3 ws open,
# 4 ws message (text when len is even), 5 ws closed, 6 time passes (len x 250 ms), 7 emit +
# ack, 8 connect/disconnect/close.
OPEN = b"0" + HANDSHAKE
CLIENT_SESSION = [
    # Polling: handshake, CONNECT reply, an event, a ping, an ack, a binary event.
    step(0, OPEN) + step(0, b"ok") + step(0, b'40{"sid":"abc"}') + step(7, b"x", 2)
    + step(0, b"ok") + step(0, b'42["hello",1]\x1e2') + step(0, b"ok")
    + step(0, b"430[1]") + step(0, b'451-["b",{"_placeholder":true,"num":0}]\x1ebAQID'),
    # Upgrade: handshake, probe answered, the pending GET released.
    step(0, OPEN) + step(3) + step(4, b"3probe") + step(0, b"ok") + step(0, b"6")
    + step(4, b'40{"sid":"s","pid":"p"}') + step(4, b'42["e","Q1"]') + step(5, b"", 1),
    # WebSocket first, then the server goes away and time passes (reconnection).
    step(2) + step(6, b"", 8) + step(0, OPEN) + step(0, b"ok") + step(0, b"41")
    + step(8, b"", 2) + step(6, b"", 200),
    # Garbage and refusals.
    step(0, b"0{}") + step(1, b'{"code":1,"message":"Session ID unknown"}', 0)
    + step(6, b"", 6) + step(0, OPEN) + step(0, b"44/admin,{\"message\":\"no\"}")
    + step(0, b"4zz") + step(0, b"\x1e\x1e"),
]


# server_session: the first byte configures the servers (bit 5 recovery, bit 7 short timers,
# see `sio_core::fuzzing::server_session`), then each step is an op byte (op % 25) and its
# operands; a chunk is a length byte and the bytes.
(S_HANDSHAKE, S_POLL, S_POST, S_REQUEST, S_WS_UPGRADE, S_WS_HANDSHAKE, S_WS_OPEN, S_WS_TEXT,
 S_WS_BINARY, S_WS_CLOSE, S_ABORT, S_TIME, S_ACCEPT, S_REJECT, S_EMIT, S_BROADCAST, S_JOIN,
 S_LEAVE, S_DISCONNECT, S_ACK, S_NAMESPACE, S_TARGET_OP, S_CANNED_POST, S_CANNED_WS,
 S_RECOVER) = range(25)
# Canned packets, by index in `CANNED`.
C_PONG, C_CONNECT, C_CONNECT_ADMIN = 0, 1, 2


def op(code, *operands):
    return bytes([code, *operands])


def chunk(data):
    return bytes([len(data)]) + data


def time(n, unit):
    """n units of 1 ms (0), 50 ms (1), 1 s (2) or 20 s (3)."""
    return op(S_TIME, (n << 2) | unit)


SERVER_SESSION = [
    # Polling: handshake, long-poll, CONNECT accepted, events both ways, an ack each way,
    # a heartbeat answered, a room broadcast, a server disconnect.
    b"\x00" + op(S_HANDSHAKE) + op(S_POLL, 0) + op(S_CANNED_POST, 0, C_CONNECT)
    + op(S_ACCEPT, 0) + op(S_POLL, 0) + op(S_POST, 0) + chunk(b'42["hello",1]\x1e421["q"]')
    + op(S_EMIT, 0, 0) + op(S_EMIT, 0, 2 | (2 << 3)) + op(S_ACK, 0, 0) + op(S_POLL, 0)
    + op(S_POST, 0) + chunk(b'430["ok"]') + time(26, 2) + op(S_POLL, 0)
    + op(S_CANNED_POST, 0, C_PONG) + op(S_JOIN, 0, 1) + op(S_BROADCAST, 1 << 2, 1)
    + op(S_POLL, 0) + op(S_DISCONNECT, 0, 0) + op(S_POLL, 0),
    # WebSocket: handshake over WebSocket, two namespaces, a binary event each way, a
    # broadcast with ack, the client closes.
    b"\x00" + op(S_WS_HANDSHAKE) + op(S_WS_OPEN, 0) + op(S_NAMESPACE, 3)
    + op(S_CANNED_WS, 0, C_CONNECT) + op(S_CANNED_WS, 0, C_CONNECT_ADMIN) + op(S_ACCEPT, 0)
    + op(S_ACCEPT, 0) + op(S_WS_TEXT, 0) + chunk(b'42["e",1]') + op(S_EMIT, 1, 4)
    + op(S_WS_TEXT, 0) + chunk(b'451-["b",{"_placeholder":true,"num":0}]')
    + op(S_WS_BINARY, 0) + chunk(b"\x01\x02") + op(S_BROADCAST, 2, 0, 2)
    + op(S_WS_TEXT, 0) + chunk(b'430["ack"]') + time(30, 2) + op(S_CANNED_WS, 0, C_PONG)
    + op(S_WS_CLOSE, 0),
    # Upgrade: polling session with a socket, a parked GET, the probe, the noop that releases
    # the GET, the upgrade, then messages over the WebSocket.
    b"\x00" + op(S_HANDSHAKE) + op(S_CANNED_POST, 0, C_CONNECT) + op(S_ACCEPT, 0)
    + op(S_POLL, 0) + op(S_EMIT, 0, 0) + op(S_POLL, 0) + op(S_WS_UPGRADE, 0) + op(S_WS_OPEN, 0)
    + op(S_WS_TEXT, 0) + chunk(b"2probe") + time(3, 1) + op(S_EMIT, 0, 4) + op(S_POLL, 0)
    + op(S_WS_TEXT, 0) + chunk(b"5") + op(S_EMIT, 0, 0) + op(S_WS_TEXT, 0)
    + chunk(b'42["after"]') + op(S_DISCONNECT, 0, 1),
    # Recovery: the long-poll is cut, a new session recovers the socket with its pid and
    # the offset of the last event it got.
    b"\x20" + op(S_HANDSHAKE) + op(S_CANNED_POST, 0, C_CONNECT) + op(S_ACCEPT, 0)
    + op(S_POLL, 0) + op(S_EMIT, 0, 0) + op(S_POLL, 0) + op(S_POLL, 0) + op(S_ABORT, 0)
    + op(S_BROADCAST, 0, 0) + op(S_HANDSHAKE) + op(S_RECOVER, 1, 0, 0) + op(S_POLL, 1)
    + op(S_BROADCAST, 0, 0) + op(S_POLL, 1),
    # Short timers: a CONNECT refused, nobody answers pings, a connect timeout.
    b"\x80" + op(S_HANDSHAKE) + op(S_WS_HANDSHAKE) + op(S_WS_OPEN, 0)
    + op(S_CANNED_WS, 0, C_CONNECT) + op(S_REJECT, 0, 1) + op(S_HANDSHAKE) + time(10, 1)
    + time(10, 1) + time(3, 2) + time(1, 3),
    # Bad requests: unknown sid, forged sid, wrong transport, EIO 3, OPTIONS with CORS,
    # a binary POST, an invalid origin, a refused upgrade, overlapping GETs.
    b"\x18" + op(S_HANDSHAKE) + op(S_REQUEST, 0b0000_1000, 0, 0) + chunk(b"")
    + op(S_REQUEST, 0b0000_1000, 0, 0) + chunk(b"") + op(S_REQUEST, 0b0010_0100, 0, 0) + chunk(b"")
    + op(S_REQUEST, 0b0100_0000, 0, 0) + chunk(b"") + op(S_REQUEST, 0b0000_0010, 0b100, 0)
    + chunk(b"") + op(S_REQUEST, 0b0000_0101, 0b10, 0) + chunk(b"4x")
    + op(S_REQUEST, 0, 0b1100, 0) + chunk(b"") + op(S_REQUEST, 0, 0b1_0000, 0) + chunk(b"")
    + op(S_REQUEST, 0b1001_1100, 0, 0) + chunk(b"EIO=4&transport=websocket&sid=nope")
    + op(S_POLL, 0) + op(S_POLL, 0),
    # Engine.IO v3 (transports value 1: allow_eio3, the second handshake is a v2 client's):
    # its implicit CONNECT accepted, a ping answered, an emit with an attachment in an XHR2
    # payload, a binary (XHR2) POST, the upgrade, a binary frame, then silence: ping timeout.
    b"\x01" + op(S_HANDSHAKE) + op(S_HANDSHAKE) + op(S_ACCEPT, 0) + op(S_POLL, 1)
    + op(S_POST, 1) + chunk(b"1:2") + op(S_POLL, 1) + op(S_EMIT, 0, 4) + op(S_POLL, 1)
    + op(S_POST, 1) + chunk(bytes([0, 1, 0xFF]) + b"2") + op(S_POLL, 1)
    + op(S_WS_UPGRADE, 1) + op(S_WS_OPEN, 0) + op(S_WS_TEXT, 0) + chunk(b"2probe")
    + time(3, 1) + op(S_POLL, 1) + op(S_WS_TEXT, 0) + chunk(b"5") + op(S_EMIT, 0, 4)
    + op(S_WS_TEXT, 0) + chunk(b'451-["b",{"_placeholder":true,"num":0}]')
    + op(S_WS_BINARY, 0) + chunk(b"\x04\x01\x02") + time(3, 3),
]

def wt(frame, binary=False):
    """One WebTransport frame: its length header (binary bit if so), then its bytes."""
    n = len(frame)
    if n < 126:
        head = bytes([n])
    elif n < 65536:
        head = bytes([126]) + n.to_bytes(2, "big")
    else:
        head = bytes([127]) + n.to_bytes(8, "big")
    if binary:
        head = bytes([head[0] | 0x80]) + head[1:]
    return head + frame


WEBTRANSPORT_STREAM = [
    b"\xc1" + wt(b"0"),
    b"\xc1" + wt(b'0{"sid":"lv_VI97HAXpY6yYWAAAC"}') + wt(b"2probe") + wt(b"5"),
    b"\xc3" + wt(b"0" + HANDSHAKE) + wt(b"40") + wt(b"2") + wt(b"3"),
    b"\xc2" + wt(b'451-["a",{"_placeholder":true,"num":0}]') + wt(b"\x01\x02\x03", True),
    b"\x81" + wt(b"4" + b"a" * 200),
    b"\xff" + wt(bytes(range(256)) * 300, True),
    b"\xc1" + bytes([0]),
    b"\xc1" + bytes([0x80]),
    b"\x41" + wt(b"4" + b"a" * 200),
    b"\xc1" + bytes([127, 0, 0x20, 0, 0, 0, 0, 0, 0]),
    b"\xc1" + bytes([126, 0, 5]) + b"4abcd",
    b"\xc1" + wt(b"4\xff\xfe"),
    b"\xc5" + wt(b"9bad") + wt(b"4ok"),
    b"\xc1" + wt(b"4he")[:3],
]


def deflate_message(data):
    """A permessage-deflate payload: raw deflate, sync flush, the 00 00 ff ff stripped."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def ws_frame(first, payload, masked=True):
    n = len(payload)
    m = 0x80 if masked else 0
    if n < 126:
        head = bytes([first, m | n])
    elif n < 65536:
        head = bytes([first, m | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([first, m | 127]) + n.to_bytes(8, "big")
    return head + (b"\x00\x00\x00\x00" if masked else b"") + payload


# The first byte's low two bits pick the part: 0 negotiation, 1 scanner, 2 inflate, 3 round
# trip; its upper six bits are the part's parameter.
COMPRESSION = [
    b"\x00permessage-deflate; client_max_window_bits",
    b"\x00permessage-deflate; server_max_window_bits=10, permessage-deflate",
    b"\x00permessage-deflate; foo",
    b"\x40permessage-deflate; server_no_context_takeover; client_max_window_bits=12",
    b"\x04x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=\"10\"",
    b"\x05permessage-deflate; client_max_window_bits=9",
    bytes([(3 << 2) | 1])
    + ws_frame(0xC1, deflate_message(b"40"))
    + ws_frame(0x81, b"\xc1" * 200)
    + ws_frame(0x41, b"ab")
    + ws_frame(0x89, b"ping")
    + ws_frame(0x80, b"cd")
    + ws_frame(0xC0, b""),
    bytes([(1 << 2) | 1]) + ws_frame(0xC2, b"\x81" * 70000, masked=False),
    bytes([(63 << 2) | 2]) + deflate_message(b'42["echo","hello hello hello"]'),
    bytes([(1 << 2) | 2]) + deflate_message(b"4" * 100000),
    bytes([(63 << 2) | 2]) + b"\xff\xff\xff",
    bytes([(63 << 2) | 2]) + zlib.compress(b"4hello" * 100),
    bytes([(63 << 2) | 2]) + b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + deflate_message(b"x") ,
    b"\x03hello\xffworld\xff" + b"abc" * 100,
    b"\x07" + b"\xff".join([b"4" + bytes([i]) * i for i in range(40)]),
    b"\x0b" + "h\u00e9llo \u20ac".encode() * 50 + b"\xff\xff",
    b"\xff" + bytes(range(255)) * 4,
]


TARGETS = {
    "eio_packet": EIO_PACKET,
    "eio_payload": EIO_PAYLOAD,
    "sio_packet": SIO_PACKET,
    "sio_binary": SIO_BINARY,
    "sio_msgpack": SIO_MSGPACK,
    "cluster_message": CLUSTER_MESSAGE,
    "client_session": CLIENT_SESSION,
    "server_session": SERVER_SESSION,
    "webtransport_stream": WEBTRANSPORT_STREAM,
    "compression": COMPRESSION,
}


def main():
    root = Path(__file__).resolve().parent / "corpus"
    for target, seeds in TARGETS.items():
        d = root / target
        d.mkdir(parents=True, exist_ok=True)
        for n, data in enumerate(seeds):
            (d / f"seed-{n}").write_bytes(data)
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
