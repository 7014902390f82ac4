// Generates golden test vectors for the sio codecs from the reference
// JavaScript parsers (engine.io-parser and socket.io-parser).
//
//   cd tests/js && npm ci && node gen-golden.mjs
//
// Writes core/tests/golden/eio.json, core/tests/golden/sio.json and core/tests/golden/eio3.json
// (Engine.IO v3: the `engine.io-parser` 2.2 that engine.io 6.6 bundles as build/parser-v3).
// Every expected value is produced by the libraries at generation time;
// this file only lists the *inputs*. Output is deterministic.
//
// Binary data is written as {"$binary": "<standard base64, padded>"}.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as eio from "engine.io-parser";
import { Encoder, Decoder } from "socket.io-parser";
import { createRequire } from "node:module";

const HERE = path.dirname(fileURLToPath(import.meta.url));
// GOLDEN_OUT_DIR lets the test runner regenerate elsewhere and compare with the committed files.
const OUT_DIR = process.env.GOLDEN_OUT_DIR
  ? path.resolve(process.env.GOLDEN_OUT_DIR)
  : path.resolve(HERE, "../../core/tests/golden");

function pkgVersion(name) {
  const file = path.join(HERE, "node_modules", name, "package.json");
  return JSON.parse(fs.readFileSync(file, "utf8")).version;
}

// ---------------------------------------------------------------------------
// helpers

/** Buffer from a list of byte values. */
const bytes = (arr) => Buffer.from(arr);
/** Buffer with the values 0..n-1 (mod 256). */
const seq = (n) => Buffer.from(Array.from({ length: n }, (_, i) => i % 256));

function isBin(v) {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function binToBase64(v) {
  if (v instanceof ArrayBuffer) return Buffer.from(v).toString("base64");
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
}

/**
 * Converts a JS value into its JSON-file representation: binary becomes
 * {"$binary": base64}; object key order is preserved; undefined members are
 * dropped (as JSON.stringify would).
 */
function toJ(v) {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (isBin(v)) return { $binary: binToBase64(v) };
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : toJ(x)));
  if (typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v)) {
      const x = toJ(v[k]);
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
  if (typeof v === "number" && !Number.isFinite(v)) {
    throw new Error("non-finite number cannot be represented: " + v);
  }
  return v;
}

/** A socket.io packet in canonical field order (type, nsp, id, data). */
function sioPacketJ(p) {
  const out = { type: p.type, nsp: p.nsp };
  if (p.id !== undefined) {
    if (typeof p.id === "number" && Number.isNaN(p.id)) out.id = "NaN";
    else out.id = p.id;
  }
  if (p.data !== undefined) out.data = toJ(p.data);
  // `attachments` is deliberately dropped.
  return out;
}

function checkUniqueNames(section, list) {
  const seen = new Set();
  for (const v of list) {
    if (!v.name) throw new Error(`${section}: vector without name`);
    if (seen.has(v.name)) throw new Error(`${section}: duplicate name ${v.name}`);
    seen.add(v.name);
  }
}

/** Writes an object whose top-level arrays get one vector per line. */
function writeGolden(file, obj) {
  // Round-trip check: everything we write must be plain JSON.
  const lines = ["{"];
  const keys = Object.keys(obj);
  keys.forEach((k, ki) => {
    const v = obj[k];
    const comma = ki === keys.length - 1 ? "" : ",";
    if (Array.isArray(v)) {
      checkUniqueNames(k, v);
      lines.push(`  ${JSON.stringify(k)}: [`);
      v.forEach((entry, i) => {
        lines.push(`    ${JSON.stringify(entry)}${i === v.length - 1 ? "" : ","}`);
      });
      lines.push(`  ]${comma}`);
    } else {
      lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)}${comma}`);
    }
  });
  lines.push("}");
  const text = lines.join("\n") + "\n";
  // sanity: the text must parse back to the same structure
  const back = JSON.parse(text);
  if (JSON.stringify(back) !== JSON.stringify(obj)) {
    throw new Error("golden file does not round-trip: " + file);
  }
  // JSON that a strict parser (serde_json) can read: no lone surrogates.
  const walk = (v) => {
    if (typeof v === "string" && !v.isWellFormed()) {
      throw new Error("lone surrogate in " + file + ": " + JSON.stringify(v));
    }
    if (v && typeof v === "object") {
      for (const k of Object.keys(v)) {
        walk(k);
        walk(v[k]);
      }
    }
  };
  walk(back);
  fs.writeFileSync(file, text);
}

// ---------------------------------------------------------------------------
// engine.io-parser

function eioEncode(packet, supportsBinary) {
  let result;
  let calls = 0;
  eio.encodePacket(packet, supportsBinary, (encoded) => {
    result = encoded;
    calls++;
  });
  if (calls !== 1) throw new Error("encodePacket callback was not called synchronously");
  return result;
}

function eioEncodePayload(packets) {
  let result;
  let calls = 0;
  eio.encodePayload(packets, (encoded) => {
    result = encoded;
    calls++;
  });
  if (calls !== 1) throw new Error("encodePayload callback was not called synchronously");
  return result;
}

const eioPacketJ = (p) => toJ(p);

function genEio() {
  const handshake = JSON.stringify({
    sid: "lv_VI97HAXpY6yYWAAAC",
    upgrades: ["websocket"],
    pingInterval: 25000,
    pingTimeout: 20000,
    maxPayload: 1000000,
  });

  // --- packets: encodePacket with supportsBinary true (ws) and false (polling)
  const packetInputs = [
    ["open with handshake", { type: "open", data: handshake }],
    ["open without data", { type: "open" }],
    ["close", { type: "close" }],
    ["ping", { type: "ping" }],
    ["ping probe", { type: "ping", data: "probe" }],
    ["pong", { type: "pong" }],
    ["pong probe", { type: "pong", data: "probe" }],
    ["upgrade", { type: "upgrade" }],
    ["noop", { type: "noop" }],
    ["message text empty string", { type: "message", data: "" }],
    ["message text without data", { type: "message" }],
    ["message text ascii", { type: "message", data: "hello" }],
    ["message text with spaces", { type: "message", data: "hello world" }],
    ["message text single char zero", { type: "message", data: "0" }],
    ["message text latin-1 accents", { type: "message", data: "héllo wörld ñ" }],
    ["message text euro sign (3-byte utf-8)", { type: "message", data: "€100" }],
    ["message text cjk", { type: "message", data: "你好，世界" }],
    ["message text emoji (non-BMP, surrogate pair)", { type: "message", data: "😀" }],
    ["message text mixed unicode and non-BMP", { type: "message", data: "a😀b𝄞c€d\u0000e" }],
    ["message text json string", { type: "message", data: '{"a":1,"b":[true,null,"x"]}' }],
    ["message text socket.io event packet", { type: "message", data: '2["hello","world"]' }],
    ["message text control chars", { type: "message", data: "line1\nline2\ttab\r\u0001" }],
    ["message text starting with b (not binary)", { type: "message", data: "bAQID" }],
    ["message text containing record separator", { type: "message", data: "a\u001eb" }],
    ["message text long (1000 chars)", { type: "message", data: "x".repeat(1000) }],
    ["message binary empty", { type: "message", data: bytes([]) }],
    ["message binary 1 byte zero", { type: "message", data: bytes([0]) }],
    ["message binary 1 byte 0xff", { type: "message", data: bytes([255]) }],
    ["message binary 2 bytes", { type: "message", data: bytes([1, 2]) }],
    ["message binary 3 bytes", { type: "message", data: bytes([1, 2, 3]) }],
    ["message binary 4 bytes", { type: "message", data: bytes([1, 2, 3, 4]) }],
    ["message binary 256 bytes 0..255", { type: "message", data: seq(256) }],
    ["message binary bytes that look like text", { type: "message", data: Buffer.from("4hello", "utf8") }],
  ];
  const packets = packetInputs.map(([name, packet]) => {
    const ws = eioEncode(packet, true);
    const polling = eioEncode(packet, false);
    return {
      name,
      packet: eioPacketJ(packet),
      ws: toJ(ws),
      polling: toJ(polling),
      decoded_ws: eioPacketJ(eio.decodePacket(ws)),
      decoded_polling: eioPacketJ(eio.decodePacket(polling)),
    };
  });

  // --- payloads (HTTP long-polling)
  const msg = (data) => ({ type: "message", data });
  const payloadInputs = [
    ["single text message", [msg("hello")]],
    ["single ping", [{ type: "ping" }]],
    ["single noop", [{ type: "noop" }]],
    ["single open handshake", [{ type: "open", data: handshake }]],
    ["single close", [{ type: "close" }]],
    ["single binary message", [msg(bytes([1, 2, 3, 4]))]],
    ["two text messages", [msg("hello"), msg("world")]],
    ["several text packets of different types", [{ type: "ping", data: "probe" }, msg("a"), { type: "pong" }, msg("b")]],
    ["mixed text and binary", [msg("hello"), { type: "ping" }, msg(bytes([1, 2, 3, 4]))]],
    ["binary then text", [msg(bytes([0xff, 0xfe])), msg("tail")]],
    ["two binary messages incl empty", [msg(bytes([])), msg(seq(5))]],
    ["binary 256 bytes", [msg(seq(256))]],
    ["ten packets", Array.from({ length: 10 }, (_, i) => msg(`m${i}`))],
    ["unicode messages", [msg("é"), msg("😀"), msg("𝄞 clef"), msg("你好")]],
    ["empty message data first", [msg(""), msg("x")]],
    ["empty message data last", [msg("x"), msg("")]],
    ["socket.io packets in messages", [msg("40"), msg('2["hello","world"]'), msg("451-[\"bin\",{\"_placeholder\":true,\"num\":0}]"), msg(bytes([1, 2, 3]))]],
    ["message containing record separator is split on decode", [msg("a\u001eb"), msg("c")]],
  ];
  const payloads = payloadInputs.map(([name, pkts]) => {
    const payload = eioEncodePayload(pkts);
    return {
      name,
      packets: pkts.map(eioPacketJ),
      payload,
      decoded: eio.decodePayload(payload).map(eioPacketJ),
    };
  });

  // --- decode: inputs that are not canonical encodings but decode fine
  const decodeInputs = [
    ["text message without data", "4"],
    ["open without data", "0"],
    ["close with data", "1bye"],
    ["ping with arbitrary data", "2hello"],
    ["upgrade with data", "5x"],
    ["noop with data", "6noop"],
    ["message whose data is a type digit", "44"],
    ["base64 binary canonical", "bAQID"],
    ["base64 binary empty", "b"],
    ["base64 binary with padding", "bAQIDBA=="],
    ["ws binary frame is always a message", bytes([0x34, 0x68, 0x69])],
    ["ws binary frame empty", bytes([])],
    ["ws binary frame 256 bytes", seq(256)],
  ];
  const decode = decodeInputs.map(([name, input]) => ({
    name,
    packet: toJ(input),
    decoded: eioPacketJ(eio.decodePacket(input)),
  }));

  // --- decode_quirks: accepted because Node's base64 decoder is lenient.
  const quirkInputs = [
    ["base64 without padding (2 bytes)", "bAQI"],
    ["base64 without padding (1 byte)", "bAQ"],
    ["base64 with excess padding", "bAQID===="],
    ["base64 with single char", "bA"],
    ["base64 with embedded whitespace", "bAQ ID\nBA=="],
    ["base64 with invalid characters", "b!!!!"],
    ["base64url alphabet accepted", "b-_8"],
    ["base64 standard alphabet + and /", "b+/8"],
    ["base64 with data after padding", "bAQ==AQID"],
    ["base64 with leading padding", "b=AQID"],
  ];
  const decode_quirks = quirkInputs.map(([name, input]) => ({
    name,
    packet: input,
    decoded: eioPacketJ(eio.decodePacket(input)),
    note: "Node Buffer.from(str, 'base64') is lenient; the result is recorded as-is",
  }));

  // --- decode_errors
  const errorPackets = [
    ["empty string", ""],
    ["unknown type letter", "abc"],
    ["unknown type 7", "7"],
    ["unknown type 8 with data", "8hello"],
    ["unknown type 9", "9"],
    ["leading space", " 4hello"],
    ["negative sign", "-1"],
    ["uppercase B is not binary", "BAQID"],
    ["record separator alone", "\u001e"],
    ["non-ascii type char", "é"],
    ["emoji type char", "😀"],
  ];
  const errorPayloads = [
    ["trailing garbage packet", "4hello\u001eabc"],
    ["garbage first packet stops decoding", "abc\u001e4hello"],
    ["empty payload", ""],
    ["only a separator", "\u001e"],
    ["trailing separator", "4a\u001e"],
    ["empty packet in the middle", "4a\u001e\u001e4b"],
    ["unknown type in the middle", "4a\u001e7\u001e4b"],
    ["leading separator", "\u001e4a"],
  ];
  const decode_errors = [
    ...errorPackets.map(([name, input]) => ({
      name: "packet: " + name,
      packet: input,
      decoded: eioPacketJ(eio.decodePacket(input)),
    })),
    ...errorPayloads.map(([name, input]) => ({
      name: "payload: " + name,
      payload: input,
      decoded: eio.decodePayload(input).map(eioPacketJ),
    })),
  ];
  for (const v of decode_errors) {
    const d = v.decoded;
    const last = Array.isArray(d) ? d[d.length - 1] : d;
    if (!last || last.type !== "error") throw new Error("expected error for " + v.name);
  }

  return {
    generator: `engine.io-parser@${pkgVersion("engine.io-parser")}`,
    packets,
    payloads,
    decode,
    decode_quirks,
    decode_errors,
  };
}

// --- WebTransport framing (createPacketEncoderStream / createPacketDecoderStream)

async function runStream(stream, inputs) {
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const out = [];
  const readAll = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out.push(value);
    }
  })();
  for (const i of inputs) await writer.write(i);
  await writer.close();
  await readAll;
  return out;
}

async function genEioStreams(eioGolden) {
  const msg = (data) => ({ type: "message", data });
  const inputs = [
    ["text message", [msg("hello")]],
    ["ping probe then pong", [{ type: "ping", data: "probe" }, { type: "pong" }]],
    ["binary message", [msg(bytes([1, 2, 3]))]],
    ["empty text message", [msg("")]],
    ["empty binary message", [msg(bytes([]))]],
    ["unicode text message (length counts utf-8 bytes)", [msg("😀é")]],
    ["text encoded length 125 (7-bit length)", [msg("a".repeat(124))]],
    ["text encoded length 126 (16-bit length)", [msg("a".repeat(125))]],
    ["binary length 126 (16-bit length)", [msg(seq(126))]],
    ["binary length 65536 (64-bit length)", [msg(seq(65536))]],
    ["mixed sequence", [msg("a"), msg(bytes([9])), { type: "close" }]],
  ];
  const webtransport = [];
  for (const [name, pkts] of inputs) {
    const chunks = await runStream(eio.createPacketEncoderStream(), pkts);
    const encoded = Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
    const decoded = await runStream(eio.createPacketDecoderStream(1e9, "nodebuffer"), [new Uint8Array(encoded)]);
    const packetsJ = pkts.map((p) => toJ(p));
    const decodedJ = decoded.map((p) => toJ(p));
    const entry = { name, packets: packetsJ, encoded: toJ(encoded) };
    // `decoded` (what createPacketDecoderStream gives back for `encoded`) is
    // only written when it differs from `packets`, to keep the file small.
    if (JSON.stringify(decodedJ) !== JSON.stringify(packetsJ)) entry.decoded = decodedJ;
    webtransport.push(entry);
  }

  const decInputs = [
    ["zero length frame is an error", 1000, bytes([0x00])],
    ["zero length binary frame is an error", 1000, bytes([0x80])],
    ["length above maxPayload is an error", 5, Buffer.concat([bytes([0x06]), Buffer.from("4hello")])],
    ["length equal to maxPayload is accepted", 6, Buffer.concat([bytes([0x06]), Buffer.from("4hello")])],
    ["16-bit length above maxPayload is an error", 100, Buffer.concat([bytes([126, 0, 200]), Buffer.alloc(200, 0x61)])],
    ["64-bit length above 2^53 is an error", 1e9, bytes([127, 0, 0x20, 0, 0, 0, 0, 0, 0])],
    ["truncated frame yields nothing", 1000, Buffer.concat([bytes([0x06]), Buffer.from("4he")])],
    ["invalid text type yields parser error packet", 1000, Buffer.concat([bytes([0x03]), Buffer.from("abc")])],
    ["two frames in one chunk", 1000, Buffer.concat([bytes([0x01]), Buffer.from("2"), bytes([0x82, 1, 2])])],
  ];
  const webtransport_decode = [];
  for (const [name, maxPayload, input] of decInputs) {
    const decoded = await runStream(eio.createPacketDecoderStream(maxPayload, "nodebuffer"), [new Uint8Array(input)]);
    webtransport_decode.push({
      name,
      max_payload: maxPayload,
      input: toJ(input),
      decoded: decoded.map((p) => toJ(p)),
    });
  }
  eioGolden.webtransport = webtransport;
  eioGolden.webtransport_decode = webtransport_decode;
}

// ---------------------------------------------------------------------------
// socket.io-parser

function sioEncode(packet) {
  return new Encoder().encode(packet);
}

/**
 * Feeds parts into a fresh Decoder. Returns {packets, error, error_at}.
 */
function sioDecode(parts) {
  const decoder = new Decoder();
  const packets = [];
  decoder.on("decoded", (p) => packets.push(p));
  for (let i = 0; i < parts.length; i++) {
    try {
      decoder.add(parts[i]);
    } catch (e) {
      return { packets, error: e.message, error_at: i };
    }
  }
  return { packets };
}

/** Deep copy that keeps Buffers (so the encoder cannot mutate our inputs). */
function clone(v) {
  if (isBin(v)) return Buffer.from(binToBase64(v), "base64");
  if (Array.isArray(v)) return v.map(clone);
  if (v && typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v)) o[k] = clone(v[k]);
    return o;
  }
  return v;
}

function genSio() {
  const EVENT = 2;
  const ACK = 3;
  const ev = (data, nsp = "/", id) => ({ type: EVENT, nsp, data, ...(id !== undefined ? { id } : {}) });
  const ack = (data, id, nsp = "/") => ({ type: ACK, nsp, id, data });

  // Packets are built the way socket.io 4.8 builds them: the server and the
  // client always emit type EVENT (2) / ACK (3); the encoder itself switches
  // to BINARY_EVENT (5) / BINARY_ACK (6) when the data contains binary.
  const encodeInputs = [
    // CONNECT
    ["connect default namespace", { type: 0, nsp: "/" }],
    ["connect custom namespace", { type: 0, nsp: "/admin" }],
    ["connect nested namespace", { type: 0, nsp: "/a/b/c" }],
    ["connect unicode namespace", { type: 0, nsp: "/ñämé" }],
    ["connect emoji namespace", { type: 0, nsp: "/🚀" }],
    ["connect namespace with query-like suffix", { type: 0, nsp: "/admin?x=1" }],
    ["connect with auth", { type: 0, nsp: "/", data: { token: "abc" } }],
    ["connect custom namespace with auth", { type: 0, nsp: "/admin", data: { token: "abc", n: 1 } }],
    ["connect with empty auth object", { type: 0, nsp: "/", data: {} }],
    ["connect server response with sid", { type: 0, nsp: "/", data: { sid: "wZX3oN0bSVIhsaknAAAI" } }],
    ["connect server response with sid and pid (recovery)", { type: 0, nsp: "/chat", data: { sid: "wZX3oN0bSVIhsaknAAAI", pid: "1aB2cD" } }],
    // DISCONNECT
    ["disconnect default namespace", { type: 1, nsp: "/" }],
    ["disconnect custom namespace", { type: 1, nsp: "/admin" }],
    // EVENT
    ["event name only", ev(["hello"])],
    ["event with string args", ev(["hello", "world"])],
    ["event custom namespace", ev(["hello", "world"], "/admin")],
    ["event unicode namespace", ev(["a"], "/ñämé")],
    ["event with ack id 0", ev(["hello"], "/", 0)],
    ["event with ack id 1", ev(["hello"], "/", 1)],
    ["event with ack id 12", ev(["hello"], "/", 12)],
    ["event with ack id 2147483647", ev(["hello"], "/", 2147483647)],
    ["event with ack id 9007199254740991", ev(["hello"], "/", 9007199254740991)],
    ["event custom namespace with ack id", ev(["hello", 1], "/admin", 456)],
    ["event with empty string name", ev([""])],
    ["event with numeric event name", ev([42, "x"])],
    ["event nested objects keep key order", ev(["obj", { z: 1, a: 2, m: { y: [1, 2], b: null, a: { c: "d" } } }])],
    ["event nested arrays", ev(["arr", [[1, [2, [3, []]]], [], [{}]]])],
    ["event empty object and empty array", ev(["empty", {}, []])],
    ["event integers", ev(["ints", 0, 1, 42, -7, 2147483647, -2147483648, 9007199254740991, -9007199254740991])],
    ["event simple floats", ev(["floats", 1.5, -0.25, 0.1, 3.14159])],
    ["event float rounding artefact", ev(["f", 0.1 + 0.2])],
    ["event large float 1e21 uses exponent", ev(["f", 1e21])],
    ["event float 1e20 written as integer", ev(["f", 1e20])],
    ["event float 123e18 written as integer", ev(["f", 123e18])],
    ["event small float 1e-7 uses exponent", ev(["f", 1e-7])],
    ["event small float 1e-6 no exponent", ev(["f", 1e-6])],
    ["event float 2^60 shortest round-trip digits", ev(["f", 2 ** 60])],
    ["event min and max doubles", ev(["f", 5e-324, 1.7976931348623157e308])],
    ["event negative zero (input -0, written as 0)", ev(["f", -0])],
    ["event float with integral value", ev(["f", 2.0, -3.0])],
    ["event booleans and null", ev(["bools", true, false, null])],
    ["event string with quotes and backslash", ev(["s", 'say "hi" \\ back\\slash'])],
    ["event string with control chars", ev(["s", "\u0000\u0001\u0007\b\t\n\u000b\f\r\u001b\u001f"])],
    ["event string with DEL and C1 controls (not escaped)", ev(["s", "\u007f\u0080\u009f"])],
    ["event string with line and paragraph separators (not escaped)", ev(["s", "a\u2028b\u2029c"])],
    ["event string with slash and html (not escaped)", ev(["s", "</script><b>&amp;'"])],
    ["event string with emoji and non-BMP", ev(["s", "😀👍🏽𝄞"])],
    ["event string with combining marks and zwj", ev(["s", "é👨‍👩‍👧"])],
    ["event string with BOM and noncharacters", ev(["s", "\ufeff\ufffe\uffff"])],
    ["event unicode object keys", ev(["k", { "ключ": "значение", "😀": 1, "a\"b": 2, "": 3 }])],
    ["event mixed types", ev(["mixed", 1, "two", [3], { four: 4 }, null, true])],
    ["event with long string", ev(["long", "x".repeat(500)])],
    // ACK
    ["ack empty args", ack([], 0)],
    ["ack with args", ack(["ok", { a: 1 }], 13)],
    ["ack custom namespace", ack(["ok"], 13, "/admin")],
    ["ack with max safe integer id", ack([null], 9007199254740991)],
    // CONNECT_ERROR
    ["connect_error with message", { type: 4, nsp: "/", data: { message: "Not authorized" } }],
    ["connect_error with message and data", { type: 4, nsp: "/admin", data: { message: "Invalid credentials", data: { code: 401, reason: "expired" } } }],
    ["connect_error invalid namespace", { type: 4, nsp: "/nope", data: { message: "Invalid namespace" } }],
    ["connect_error with plain string (v2 style)", { type: 4, nsp: "/", data: "Not authorized" }],
    // binary
    ["binary event top-level buffer", ev(["file", bytes([1, 2, 3])])],
    ["binary event custom namespace with ack id", ev(["baz", bytes([1, 2, 3])], "/admin", 12)],
    ["binary event only a buffer after name", ev(["b", bytes([])])],
    ["binary event buffer at depth", ev(["upload", [{ meta: { name: "a.bin" }, content: bytes([0xde, 0xad, 0xbe, 0xef]) }]])],
    ["binary event several attachments", ev(["multi", bytes([1]), { x: bytes([2, 2]), y: [bytes([3, 3, 3])] }, bytes([])])],
    ["binary event same buffer referenced twice", (() => { const b = bytes([7, 7]); return ev(["twice", b, b]); })()],
    ["binary event ten attachments", ev(["ten", ...Array.from({ length: 10 }, (_, i) => bytes([i]))])],
    ["binary event 256 bytes", ev(["big", seq(256)])],
    ["binary event object key order kept around placeholder", ev(["o", { z: 1, bin: bytes([1]), a: 2 }])],
    ["binary event with numeric event name", ev([1, bytes([1])])],
    ["binary ack", ack([bytes([1, 2, 3])], 5)],
    ["binary ack custom namespace", ack(["ok", { file: bytes([9, 8]) }], 12, "/admin")],
    ["binary ack with id 0", ack([bytes([0])], 0)],
    ["binary event buffer as Uint8Array", ev(["u8", new Uint8Array([1, 2, 3])])],
    ["binary event buffer as ArrayBuffer", ev(["ab", new Uint8Array([4, 5, 6]).buffer])],
    // edge namespaces
    ["event empty namespace string treated as default", ev(["a"], "")],
    ["event explicit root namespace", ev(["a"], "/")],
  ];

  const encode = encodeInputs.map(([name, packet]) => {
    const input = sioPacketJ(packet);
    const encoded = sioEncode(clone(packet));
    return { name, packet: input, encoded: toJ(encoded) };
  });

  // Things socket.io itself never does, but that show how the encoder works.
  const encodeQuirkInputs = [
    ["type 5 given directly is not re-deconstructed", { type: 5, nsp: "/admin", id: 12, data: ["baz", bytes([1, 2, 3])] }, "the encoder only deconstructs binary for types 2 and 3; attachments is undefined and Buffer.toJSON is used"],
    ["type 6 given directly", { type: 6, nsp: "/", id: 1, data: ["x"] }, "attachments is undefined"],
    ["binary in connect auth uses Buffer.toJSON", { type: 0, nsp: "/", data: { b: bytes([1]) } }, "binary is only extracted for EVENT/ACK"],
    ["binary in connect_error data uses Buffer.toJSON", { type: 4, nsp: "/", data: { message: "x", data: bytes([1]) } }, "binary is only extracted for EVENT/ACK"],
    ["namespace without leading slash", ev(["a"], "admin"), "written verbatim; the decoder rejects the result"],
    ["namespace containing a comma", ev(["a"], "/a,b"), "written verbatim; the decoder rejects the result"],
    ["negative ack id", ev(["a"], "/", -1), "written verbatim; the decoder rejects the result"],
    ["fractional ack id", ev(["a"], "/", 1.5), "written verbatim; the decoder rejects the result"],
    ["disconnect with data is written", { type: 1, nsp: "/", data: ["x"] }, "the encoder does not validate; the decoder rejects the result"],
    ["event with reserved name is written", ev(["disconnect"]), "the encoder does not validate; the decoder rejects the result"],
  ];
  const encode_quirks = encodeQuirkInputs.map(([name, packet, note]) => ({
    name,
    packet: sioPacketJ(packet),
    encoded: toJ(sioEncode(clone(packet))),
    note,
  }));

  // --- decode: every encode vector fed back, plus non-canonical inputs.
  const decode = [];
  for (const v of encode) {
    const parts = sioEncode(clone(encodeInputs.find(([n]) => n === v.name)[1]));
    const r = sioDecode(parts);
    if (r.error || r.packets.length !== 1) {
      throw new Error(`round trip failed for ${v.name}: ${r.error}`);
    }
    decode.push({ name: "roundtrip: " + v.name, encoded: toJ(parts), packet: sioPacketJ(r.packets[0]) });
  }

  const ph = (n) => `{"_placeholder":true,"num":${n}}`;
  const decodeInputs = [
    ["connect namespace without comma", ["0/custom"]],
    ["connect namespace with trailing comma", ["0/custom,"]],
    ["connect namespace with auth", ['0/custom,{"token":"x"}']],
    ["connect bare", ["0"]],
    ["disconnect namespace without comma", ["1/admin"]],
    ["event explicit root namespace with comma", ['2/,["a"]']],
    ["event whitespace inside json", ['2[ "a" , 1 ]']],
    ["event whitespace around json with newline", ['2[\n"a",\t{ "k" : [ 1 ] }\n]']],
    ["event custom namespace", ['2/admin,["a"]']],
    ["event namespace with query-like suffix", ['2/admin?x=1,["a"]']],
    ["event namespace with spaces", ['2/a b,["a"]']],
    ["event without data", ["2"]],
    ["event custom namespace without data", ["2/admin"]],
    ["event with id but no data", ["213"]],
    ["event numeric event name", ["2[1]"]],
    ["event numeric float event name", ["2[1.5,2]"]],
    ["event ack id with leading zeros", ['2007["a"]']],
    ["event ack id large", ['29007199254740991["a"]']],
    ["event json unicode escapes", ['2["\\u00e9\\ud83d\\ude00\\u2028"]']],
    ["event json escaped slash", ['2["a\\/b"]']],
    ["event json number forms", ['2["n",1E2,1e-0,-0,0.0,1.50,-1e+2]']],
    ["event json big number exponent", ['2["n",1e300,-1E-300]']],
    ["event duplicate keys keep first position last value", ['2["d",{"k":1,"x":0,"k":2}]']],
    ["event placeholder in non-binary packet stays an object", [`2["a",${ph(0)}]`]],
    ["ack empty", ["3/admin,13[]"]],
    ["ack without data", ["313"]],
    ["ack bare", ["3"]],
    ["ack data not starting with string", ["31[null,1]"]],
    ["connect_error plain string payload", ['4"Not authorized"']],
    ["connect_error empty object", ["4{}"]],
    ["connect_error digit is parsed as ack id", ["42{}"]],
    ["connect_error id without data", ["412"]],
    ["connect with ack id", ['0/admin,5{"a":1}']],
    ["disconnect with ack id", ["12"]],
    ["binary event", [`51-["a",${ph(0)}]`, bytes([1, 2, 3])]],
    ["binary event custom namespace and id", [`51-/admin,12["a",${ph(0)}]`, bytes([1])]],
    ["binary ack", [`61-/admin,12[${ph(0)}]`, bytes([4, 5])]],
    ["binary event attachments in reverse order", [`52-["a",${ph(1)},${ph(0)}]`, bytes([0xaa]), bytes([0xbb])]],
    ["binary event placeholder referenced twice", [`52-["a",${ph(0)},${ph(0)}]`, bytes([0xaa]), bytes([0xbb])]],
    ["binary event unused attachment is dropped", ['51-["a"]', bytes([1])]],
    ["binary event placeholder with extra keys", [`51-["a",{"x":1,"_placeholder":true,"num":0,"y":2}]`, bytes([1])]],
    ["binary event placeholder false is kept as object", [`51-["a",{"_placeholder":false,"num":0}]`, bytes([1])]],
    ["binary event ten attachments (max)", [`510-["a",${[...Array(10).keys()].map(ph).join(",")}]`, ...Array.from({ length: 10 }, (_, i) => bytes([i]))]],
    ["binary event attachments with leading zero", [`501-["a",${ph(0)}]`, bytes([1])]],
    ["binary event empty buffer attachment", [`51-["a",${ph(0)}]`, bytes([])]],
    ["binary event incomplete emits nothing", [`52-["a",${ph(0)},${ph(1)}]`, bytes([1])]],
    ["binary event then text event on same decoder", [`51-["a",${ph(0)}]`, bytes([1]), '2["b"]']],
    ["two text packets on same decoder", ['2["a"]', '3/admin,1["b"]']],
  ];
  const decodeQuirkInputs = [
    ["empty string decodes as connect", [""], 'Number("") is 0'],
    ["space decodes as connect", [" "], 'Number(" ") is 0'],
    ["tab then json decodes as connect with data", ['\t{"a":1}'], 'Number("\\t") is 0'],
    ["space before json is read as ack id 0", ['2 ["a"]'], 'a space passes the Number(c) == c digit test'],
    ["tab before json is read as ack id 0", ['2\t["a"]'], 'a tab passes the Number(c) == c digit test'],
    ["space then digit is read as ack id", ['2 1["a"]'], 'Number(" 1") is 1'],
    ["digit space digit id is NaN", ['21 2["a"]'], 'Number("1 2") is NaN; recorded id is the string "NaN"'],
    ["ack id beyond 2^53 loses precision", ['212345678901234567890["a"]'], "ids are parsed with Number()"],
    ["json integer beyond 2^53 loses precision", ['2["n",12345678901234567890]'], "JSON numbers are doubles"],
    ["json number overflow parses to Infinity", ['2["n",1e400]'], 'JSON.parse gives Infinity (re-encoding would write null); recorded as the string "Infinity"'],
    ["attachments count with leading space", [`5 1-["a",${ph(0)}]`, bytes([1])], 'Number(" 1") == " 1"'],
    ["attachments count with plus sign", [`5+1-["a",${ph(0)}]`, bytes([1])], 'Number("+1") == "+1"'],
    ["attachments count in hex", [`50x1-["a",${ph(0)}]`, bytes([1])], 'Number("0x1") == "0x1"'],
    ["attachments count with exponent", [`51e0-["a",${ph(0)}]`, bytes([1])], 'Number("1e0") == "1e0"'],
    ["placeholder num fractional becomes undefined", [`52-["a",{"_placeholder":true,"num":0.5}]`, bytes([1]), bytes([2])], "buffers[0.5] is undefined, which JSON records as null"],
    ["integer-like object keys are reordered", ['2["o",{"b":1,"2":2,"1":3,"a":4}]'], "JS objects enumerate array-index keys first, ascending; this changes the key order on re-encode"],
    ["namespace swallows json when there is no comma", ['2/a["x"]'], "namespace runs to the first comma or the end"],
  ];

  for (const [name, parts] of decodeInputs) {
    const r = sioDecode(parts);
    if (r.error) throw new Error(`decode ${name} threw ${r.error}`);
    const entry = { name, encoded: toJ(parts) };
    if (r.packets.length === 1) entry.packet = sioPacketJ(r.packets[0]);
    else entry.packets = r.packets.map(sioPacketJ);
    decode.push(entry);
  }

  const decode_quirks = decodeQuirkInputs.map(([name, parts, note]) => {
    const r = sioDecode(parts);
    if (r.error) throw new Error(`decode quirk ${name} threw ${r.error}`);
    if (r.packets.length !== 1) throw new Error(`decode quirk ${name}: ${r.packets.length} packets`);
    const p = r.packets[0];
    const j = sioPacketJ({ ...p, data: p.data === undefined ? undefined : replaceNonFinite(p.data) });
    return { name, encoded: toJ(parts), packet: j, note };
  });

  // --- decode_errors
  const reserved = ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];
  const errorInputs = [
    ["garbage", ["abc"]],
    ["unknown type 7", ["7"]],
    ["unknown type 8 with data", ['8["a"]']],
    ["unknown type 9", ["9"]],
    ["type is a minus sign", ['-2["a"]']],
    ["connect_error with invalid json", ["4abc"]],
    ["connect_error with array", ["4[]"]],
    ["connect_error with null", ["4null"]],
    ["connect_error with number", ["4a1"]],
    ["event payload not array", ["2{}"]],
    ["event payload string", ['2"a"']],
    ["event payload empty array", ["2[]"]],
    ["event first element object", ["2[{}]"]],
    ["event first element null", ["2[null]"]],
    ["event first element array", ['2[["a"]]']],
    ["event first element boolean", ["2[true]"]],
    ...reserved.map((r) => [`event reserved name ${r}`, [`2["${r}"]`]]),
    ["event reserved name in custom namespace", ['2/admin,["disconnect"]']],
    ["event reserved name with ack id", ['27["connect"]']],
    ["event garbage before json", ['2abc["a"]']],
    ["event id then garbage", ['21a["a"]']],
    ["event invalid json", ['2["a"']],
    ["event trailing garbage after json", ['2["a"]x']],
    ["event json with single quotes", ["2['a']"]],
    ["event json with trailing comma", ['2["a",]']],
    ["event negative ack id", ['2-1["a"]']],
    ["event namespace without leading slash", ['2admin,["a"]']],
    ["event namespace containing comma", ['2/a,b,["x"]']],
    ["event payload false", ["2false"]],
    ["disconnect with object payload", ["1{}"]],
    ["disconnect with array payload", ["1[]"]],
    ["disconnect with null payload", ["1null"]],
    ["disconnect with string payload", ['1"x"']],
    ["connect payload array", ["0[]"]],
    ["connect payload string", ['0"token"']],
    ["connect payload null", ["0null"]],
    ["connect payload invalid json", ["0abc"]],
    ["ack payload object", ["3{}"]],
    ["ack payload string", ['3"a"']],
    ["ack payload null", ["3null"]],
    ["binary event bare type", ["5"]],
    ["binary ack bare type", ["6"]],
    ["binary event no dash", ["51"]],
    ["binary event non-numeric attachments", ["5a-[]"]],
    ["binary event empty attachments count", ['5-["a"]']],
    ["binary event zero attachments", ['50-["a"]']],
    ["binary event fractional attachments", ['51.5-["a"]']],
    ["binary event negative attachments", ['5-1-["a"]']],
    ["too many attachments", [`511-["a",${ph(0)}]`]],
    ["binary event payload not array", [`51-${ph(0)}`]],
    ["binary event reserved name", [`51-["connect",${ph(0)}]`]],
    ["binary ack payload object", [`61-5{"a":${ph(0)}}`]],
    ["text while attachments expected", [`51-["a",${ph(0)}]`, '2["b"]']],
    ["binary when none expected", [bytes([1, 2, 3])]],
    ["binary after complete text packet", ['2["a"]', bytes([1])]],
    ["placeholder num out of range", [`51-["a",${ph(5)}]`, bytes([1])]],
    ["placeholder num negative", [`51-["a",${ph(-1)}]`, bytes([1])]],
    ["placeholder num as string", [`51-["a",{"_placeholder":true,"num":"0"}]`, bytes([1])]],
    ["placeholder num missing", [`51-["a",{"_placeholder":true}]`, bytes([1])]],
  ];
  const decode_errors = errorInputs.map(([name, parts]) => {
    const r = sioDecode(parts);
    if (!r.error) {
      throw new Error(`decode error ${name} did not throw: ${JSON.stringify(r.packets)}`);
    }
    const entry = { name, encoded: toJ(parts), error: r.error, error_at: r.error_at };
    if (r.packets.length) entry.decoded_before = r.packets.map(sioPacketJ);
    return entry;
  });

  return {
    generator: `socket.io-parser@${pkgVersion("socket.io-parser")}`,
    encode,
    encode_quirks,
    decode,
    decode_quirks,
    decode_errors,
  };
}

/** Infinity/NaN cannot go in JSON; record them as strings. */
function replaceNonFinite(v) {
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (isBin(v)) return v;
  if (Array.isArray(v)) return v.map(replaceNonFinite);
  if (v && typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v)) o[k] = replaceNonFinite(v[k]);
    return o;
  }
  return v;
}


// ---------------------------------------------------------------------------
// Engine.IO v3 (engine.io's bundled parser-v3, what it speaks with allowEIO3)

function genEio3() {
  const require = createRequire(import.meta.url);
  const v3 = require(path.join(HERE, "node_modules/engine.io/build/parser-v3/index.js"));
  const sync = (f) => {
    let out;
    f((x) => (out = x));
    return out;
  };
  const P = {
    open: { type: "open", data: '{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}' },
    close: { type: "close" },
    ping: { type: "ping" },
    probe: { type: "ping", data: "probe" },
    pong: { type: "pong" },
    pongProbe: { type: "pong", data: "probe" },
    hello: { type: "message", data: "hello" },
    unicode: { type: "message", data: "héllo 😀 €" },
    emptyMsg: { type: "message", data: "" },
    sio: { type: "message", data: '2["chat","a",{"b":[1,2]}]' },
    upgrade: { type: "upgrade" },
    noop: { type: "noop" },
    bin4: { type: "message", data: bytes([1, 2, 3, 4]) },
    binEmpty: { type: "message", data: bytes([]) },
    bin256: { type: "message", data: seq(256) },
  };
  const packets = Object.entries(P).map(([name, p]) => ({
    name,
    packet: toJ(p),
    ws_binary: toJ(sync((cb) => v3.encodePacket(p, true, cb))),
    ws_base64: toJ(sync((cb) => v3.encodePacket(p, false, cb))),
  }));
  const payloadCases = {
    one: [P.hello],
    ping_and_unicode: [P.ping, P.unicode],
    open_then_sio: [P.open, P.sio],
    binary_then_text: [P.bin4, P.hello],
    attachments: [P.sio, P.bin256, P.binEmpty],
    empty_message: [P.emptyMsg, P.noop],
    close: [P.close],
  };
  const payloads = Object.entries(payloadCases).map(([name, ps]) => ({
    name,
    packets: ps.map(toJ),
    text: sync((cb) => v3.encodePayload(ps, false, cb)),
    binary: toJ(sync((cb) => v3.encodePayload(ps, true, cb))),
  }));
  const decode = (input) => {
    const out = [];
    let error = false;
    v3.decodePayload(input, (p) => {
      if (p.type === "error") error = true;
      else out.push(toJ(p));
    });
    return { decoded: out, error };
  };
  const textInputs = {
    one: "6:4hello",
    two_pings: "1:21:2",
    utf16_lengths: "2:4€3:4😀",
    base64: "6:b4AQID",
    base64_empty: "2:b4",
    empty_record: "0:1:2",
    empty_body: "",
    bad_type: "1:21:x1:2",
    short: "5:4abc",
    no_colon: "1:2abc",
    no_length: ":2",
    letters: "a:2",
    trailing_digits: "1:21",
    close_stops: "1:11:2",
  };
  const decodeText = Object.entries(textInputs).map(([name, input]) => ({ name, input, ...decode(input) }));
  const bin = (...parts) =>
    Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));
  const binaryInputs = {
    text: bin([0, 6, 255], "4hello"),
    utf8: bin([0, 3, 255], "4é"),
    binary: bin([1, 4, 255, 4, 1, 2, 3]),
    mixed: bin([0, 1, 255], "2", [1, 1, 2, 255], [4], seq(11), [0, 1, 255], "3"),
    base64_record: bin([0, 6, 255], "b4AQID"),
    empty: bin([]),
  };
  const decodeBinary = Object.entries(binaryInputs).map(([name, input]) => ({
    name,
    input: toJ(input),
    ...decode(input),
  }));
  return {
    generator: `engine.io ${pkgVersion("engine.io")} build/parser-v3 (engine.io-parser 2.2)`,
    packets,
    payloads,
    decode_text: decodeText,
    decode_binary: decodeBinary,
  };
}

// ---------------------------------------------------------------------------

const eioGolden = genEio();
await genEioStreams(eioGolden);
const sioGolden = genSio();
const eio3Golden = genEio3();

fs.mkdirSync(OUT_DIR, { recursive: true });
writeGolden(path.join(OUT_DIR, "eio.json"), eioGolden);
writeGolden(path.join(OUT_DIR, "sio.json"), sioGolden);
writeGolden(path.join(OUT_DIR, "eio3.json"), eio3Golden);

const count = (g) =>
  Object.entries(g)
    .filter(([, v]) => Array.isArray(v))
    .map(([k, v]) => `${k}=${v.length}`)
    .join(" ");
console.log(`wrote ${path.relative(process.cwd(), path.join(OUT_DIR, "eio.json"))}: ${count(eioGolden)}`);
console.log(`wrote ${path.relative(process.cwd(), path.join(OUT_DIR, "sio.json"))}: ${count(sioGolden)}`);
console.log(`wrote ${path.relative(process.cwd(), path.join(OUT_DIR, "eio3.json"))}: ${count(eio3Golden)}`);
