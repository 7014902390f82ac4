// Generates the golden vectors of the msgpack parser (socket.io-msgpack-parser, which encodes
// with notepack.io 2.2) for sio's codec.
//
//   cd tests/js && npm ci && node gen-golden-msgpack.mjs
//
// Writes core/tests/golden/msgpack.json. Every expected value is produced by the libraries at
// generation time; this file only lists the *inputs*. Output is deterministic.
//
// Binary data is written as {"$binary": "<standard base64, padded>"}.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import * as json from "socket.io-parser";

const require = createRequire(import.meta.url);
const msgpack = require("socket.io-msgpack-parser");

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT_DIR = process.env.GOLDEN_OUT_DIR
  ? path.resolve(process.env.GOLDEN_OUT_DIR)
  : path.resolve(HERE, "../../core/tests/golden");

function pkgVersion(dir) {
  return JSON.parse(fs.readFileSync(path.join(HERE, "node_modules", dir, "package.json"), "utf8")).version;
}

const bytes = (arr) => Buffer.from(arr);
const seq = (n) => Buffer.from(Array.from({ length: n }, (_, i) => i % 256));
const isBin = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);

/** A JS value in the file's notation: binary as {"$binary"}, undefined members dropped. */
function toJ(v) {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (isBin(v)) {
    const b = v instanceof ArrayBuffer ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return { $binary: b.toString("base64") };
  }
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : toJ(x)));
  if (typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v)) {
      const x = toJ(v[k]);
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
  if (typeof v === "number" && !Number.isFinite(v)) throw new Error("non-finite number: " + v);
  return v;
}

/** A packet in canonical field order (type, nsp, id, data). */
function packetJ(p) {
  const out = { type: p.type, nsp: p.nsp };
  if (p.id !== undefined) out.id = p.id;
  if (p.data !== undefined) out.data = toJ(p.data);
  return out;
}

function encode(packet) {
  const parts = new msgpack.Encoder().encode(packet);
  if (parts.length !== 1) throw new Error("expected one message");
  return parts[0];
}

/** What the msgpack Decoder emits for `buf`, or the Error it throws. */
function decode(buf) {
  const d = new msgpack.Decoder();
  let out;
  d.on("decoded", (p) => (out = p));
  d.add(buf);
  return out;
}

/**
 * What an application would receive of `packet` under the default parser: the packet encoded
 * and decoded by socket.io-parser (JSON.stringify's view of Dates, undefined and NaN; binary
 * as attachments, read back as Buffers). This is what sio must hand its application for the
 * msgpack packet.
 */
function viaJsonParser(packet) {
  // The namespace is not data: kept as it is (the JSON parser cannot write one without `/`).
  const p = { ...packet, nsp: "/" };
  if (p.data === undefined) delete p.data;
  if (p.id === undefined) delete p.id;
  const parts = new json.Encoder().encode(p);
  const d = new json.Decoder();
  let out;
  d.on("decoded", (x) => (out = x));
  for (const part of parts) d.add(part);
  if (!out) throw new Error("socket.io-parser did not decode " + JSON.stringify(packetJ(packet)));
  return { ...out, nsp: packet.nsp };
}

function checkUniqueNames(section, list) {
  const seen = new Set();
  for (const v of list) {
    if (seen.has(v.name)) throw new Error(`${section}: duplicate name ${v.name}`);
    seen.add(v.name);
  }
}

function writeGolden(file, obj) {
  const lines = ["{"];
  const keys = Object.keys(obj);
  keys.forEach((k, ki) => {
    const v = obj[k];
    const comma = ki === keys.length - 1 ? "" : ",";
    if (Array.isArray(v)) {
      checkUniqueNames(k, v);
      lines.push(`  ${JSON.stringify(k)}: [`);
      v.forEach((entry, i) => lines.push(`    ${JSON.stringify(entry)}${i === v.length - 1 ? "" : ","}`));
      lines.push(`  ]${comma}`);
    } else {
      lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)}${comma}`);
    }
  });
  lines.push("}");
  const text = lines.join("\n") + "\n";
  if (JSON.stringify(JSON.parse(text)) !== JSON.stringify(obj)) throw new Error("does not round-trip: " + file);
  fs.writeFileSync(file, text);
}

// ---------------------------------------------------------------------------
// Inputs

const nested = { a: { b: { c: [1, [2, [3, { d: "deep" }]]] } } };
const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]));

// Packets as the Node server builds them (socket.io 4.8 lib/socket.ts, lib/namespace.ts,
// lib/broadcast-operator.ts): EVENT {type, data, [id], nsp}, ACK {id, type, data, nsp},
// CONNECT {type, data, nsp}, DISCONNECT {type, nsp}, CONNECT_ERROR {type, data, nsp}.
const ev = (data, nsp = "/", id) => (id === undefined ? { type: 2, data, nsp } : { type: 2, data, id, nsp });
const ack = (id, data, nsp = "/") => ({ id, type: 3, data, nsp });

const encodeInputs = [
  ["connect answer", { type: 0, data: { sid: "lv_VI97HAXpY6yYWAAAC" }, nsp: "/" }],
  ["connect answer with pid", { type: 0, data: { sid: "lv_VI97HAXpY6yYWAAAC", pid: "kZ9sYw8fE9AZFx_tAAAB" }, nsp: "/admin" }],
  ["connect without data", { type: 0, nsp: "/" }],
  ["connect with auth", { type: 0, data: { token: "abc", n: 1 }, nsp: "/" }],
  ["disconnect", { type: 1, nsp: "/" }],
  ["disconnect in namespace", { type: 1, nsp: "/admin" }],
  ["event", ev(["hello", "world"])],
  ["event without arguments", ev(["ping"])],
  ["event in namespace", ev(["hello", 1], "/admin")],
  ["event with ack id", ev(["hello", { a: 1 }], "/", 0)],
  ["event with large ack id", ev(["hello"], "/chat", 70000)],
  ["event with every scalar", ev(["s", true, false, null, 0, 1, -1, 127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129, -32768, -32769])],
  ["event with 32 and 64 bit integers", ev(["n", 4294967295, 4294967296, -2147483648, -2147483649, 9007199254740991, -9007199254740991])],
  ["event with floats", ev(["f", 1.5, -0.25, 0.1, 1e-7, 123456.789, 1.7976931348623157e-308, 5e-324])],
  ["event with integral floats", ev(["f", 2.0, -0, 1e15, 2 ** 53, -(2 ** 53)])],
  ["event with unicode", ev(["ünï", "héllo wörld", "你好", "😀", "a\u0000b", "\"quoted\\\"", "line\nbreak"])],
  ["event with string lengths", ev(["s", "x".repeat(31), "x".repeat(32), "x".repeat(255), "x".repeat(256)])],
  ["event with nested data", ev(["n", nested, [[], {}], [[[]]]])],
  ["event with 16 elements", ev(["a", ...Array.from({ length: 15 }, (_, i) => i)])],
  ["event with 17 keys", ev(["m", many])],
  ["event with a numeric name", ev([1, "x"])],
  ["event with binary", ev(["bin", bytes([1, 2, 3])])],
  ["event with empty binary", ev(["bin", bytes([])])],
  ["event with binary lengths", ev(["bin", seq(255), seq(256), seq(65536)])],
  ["event with nested binary", ev(["bin", { a: [bytes([1]), { b: bytes([2]) }] }, bytes([3])], "/files", 3)],
  ["event with recovery offset", ev(["hello", "world", "MTcwMDAwMDAwMDAwMC0w"])],
  ["ack", ack(0, [])],
  ["ack with data", ack(5, ["ok", { x: 1 }])],
  ["ack with binary", ack(12, [bytes([9, 8, 7])], "/admin")],
  ["connect_error", { type: 4, data: { message: "not authorized" }, nsp: "/" }],
  ["connect_error with data", { type: 4, data: { message: "not authorized", data: { code: 42 } }, nsp: "/admin" }],
  ["connect_error string", { type: 4, data: "old style", nsp: "/" }],
];

// Numbers sio writes otherwise than notepack, on purpose.
const WRAPPED = "notepack writes integral numbers of 2^63 and beyond as a 64-bit integer of their value modulo 2^64, which reads back as another number; sio writes float 64";
const EXACT = "JavaScript prints this double as a decimal integer that is not exactly its value; sio reads that text as the integer it says and writes it exactly, notepack writes the double's own integer (Node reads both as the same number)";
const encodeQuirkInputs = [
  ["integral float 2^64", ev(["q", 2 ** 64]), WRAPPED],
  ["integral float 1e21", ev(["q", 1e21]), WRAPPED],
  ["largest double", ev(["q", 1.7976931348623157e308]), WRAPPED],
  ["negative integral float -2^63 - 2^11", ev(["q", -(2 ** 63) - 2 ** 11]), WRAPPED],
  ["integral float 2^60", ev(["q", 2 ** 60]), EXACT],
  ["integral float -2^62", ev(["q", -(2 ** 62)]), EXACT],
];

// Packets sio does not write in these forms but must read: what socket.io-client and the Node
// server send (key orders, `options`, `undefined` members), and notepack's own types.
const decodeInputs = [
  ["client event with options", { type: 2, data: ["hello", "world"], options: { compress: true }, nsp: "/" }],
  ["client event with options and ack id", { type: 2, data: ["hello", 1], options: { compress: false }, id: 3, nsp: "/admin" }],
  ["client connect with undefined data", { type: 0, data: undefined, nsp: "/" }],
  ["client connect with recovery", { type: 0, data: { pid: "kZ9sYw8fE9AZFx_tAAAB", offset: "MTcwMC0w", token: "t" }, nsp: "/" }],
  ["client ack", { type: 3, id: 4, data: ["ok"], nsp: "/" }],
  ["server connect with undefined pid", { type: 0, data: { sid: "lv_VI97HAXpY6yYWAAAC", pid: undefined }, nsp: "/" }],
  ["server connect_error for an invalid namespace", { type: 4, nsp: "/nope", data: { message: "Invalid namespace" } }],
  ["server connect_error without data", { type: 4, data: { message: "no", data: undefined }, nsp: "/" }],
  ["undefined in arrays and objects", ev(["u", undefined, { a: undefined, b: 1 }, [undefined]])],
  ["date", ev(["d", new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 678)), new Date(-1)])],
  ["nan and infinities", ev(["x", NaN, Infinity, -Infinity])],
  ["typed arrays and ArrayBuffer as ext 0", ev(["t", new Uint8Array([1, 2, 3]), new Uint8Array([4, 5]).buffer])],
  ["binary in connect auth", { type: 0, data: { token: bytes([1, 2]) }, nsp: "/" }],
  ["numeric keys", ev(["k", { 1: "one", 2.5: "x" }])],
  ["ack id as float", { type: 3, id: 2.0, data: [], nsp: "/" }],
  ["event with a float name", ev([1.5])],
];

// Raw inputs for the decoder: made by hand, as no notepack encoder writes them.
const raw = (...parts) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))));
const rawDecodeInputs = [
  ["float 32 number", raw("\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa1f", [0xca, 0x3f, 0xc0, 0, 0])],
  ["float 64 type", raw("\x83\xa4type", [0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0], "\xa3nsp\xa1/\xa4data\x91\xa1e")],
  ["other extension types", raw("\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x93\xa1e", [0xd5, 0x07, 1, 2], [0xc7, 0x01, 0xfe, 9])],
  ["duplicate keys (the last wins)", raw("\x84\xa4type\x01\xa4type\x02\xa3nsp\xa1/\xa4data\x91\xa1e")],
  ["namespace without slash", raw("\x82\xa4type\x01\xa3nsp\xa5admin")],
];

// Inputs the reference decoder refuses (its message recorded).
const errorInputs = [
  ["not msgpack (0xc1)", raw([0xc1])],
  ["truncated", raw("\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92")],
  ["trailing bytes", raw("\x82\xa4type\x01\xa3nsp\xa1/", [0])],
  ["top level array", encode([2, ["e"], "/"])],
  ["top level number", raw([0x02])],
  ["type missing", encode({ data: ["e"], nsp: "/" })],
  ["type 5", encode({ type: 5, data: ["e"], nsp: "/" })],
  ["type 6", encode({ type: 6, data: ["e"], nsp: "/" })],
  ["type -1", encode({ type: -1, nsp: "/" })],
  ["type 1.5", encode({ type: 1.5, nsp: "/" })],
  ["type as string", encode({ type: "2", data: ["e"], nsp: "/" })],
  ["nsp missing", encode({ type: 1 })],
  ["nsp not a string", encode({ type: 1, nsp: 1 })],
  ["nsp as binary", encode({ type: 1, nsp: bytes([0x2f]) })],
  ["connect data null", encode({ type: 0, data: null, nsp: "/" })],
  ["connect data array", encode({ type: 0, data: [1], nsp: "/" })],
  ["connect data string", encode({ type: 0, data: "x", nsp: "/" })],
  ["connect data binary", encode({ type: 0, data: bytes([1]), nsp: "/" })],
  ["disconnect with data", encode({ type: 1, data: {}, nsp: "/" })],
  ["disconnect with null data", encode({ type: 1, data: null, nsp: "/" })],
  ["connect_error without data", encode({ type: 4, nsp: "/" })],
  ["connect_error data array", encode({ type: 4, data: ["x"], nsp: "/" })],
  ["connect_error data number", encode({ type: 4, data: 1, nsp: "/" })],
  ["event without data", encode({ type: 2, nsp: "/" })],
  ["event data object", encode({ type: 2, data: { a: 1 }, nsp: "/" })],
  ["event data string", encode({ type: 2, data: "e", nsp: "/" })],
  ["ack data missing", encode({ type: 3, id: 1, nsp: "/" })],
  ["ack data object", encode({ type: 3, id: 1, data: {}, nsp: "/" })],
  ["id as string", encode({ type: 2, data: ["e"], id: "1", nsp: "/" })],
  ["id null", encode({ type: 2, data: ["e"], id: null, nsp: "/" })],
  ["id 1.5", encode({ type: 2, data: ["e"], id: 1.5, nsp: "/" })],
];

// Inputs the reference decoder accepts and sio refuses on purpose (as its JSON path does).
const stricterInputs = [
  ["event without a name", encode(ev([])), "an EVENT needs a name (the JSON path refuses `2[]`)"],
  ["event named null", encode(ev([null])), "an event name is a string or a number"],
  ["event named with an object", encode(ev([{ a: 1 }])), "an event name is a string or a number"],
  ["reserved event name", encode(ev(["disconnect"])), "the reference would call the application's own disconnect handler"],
  ["ack without id", encode({ type: 3, data: [], nsp: "/" }), "an ACK answers an id (the reference ignores it)"],
  ["negative ack id", encode({ type: 2, data: ["e"], id: -1, nsp: "/" }), "ack ids are 0 to 2^64-1"],
  ["negative ack id on an ack", encode({ type: 3, data: [], id: -5, nsp: "/" }), "ack ids are 0 to 2^64-1"],
  ["map key that is an array", raw("\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa1e\x81\x91\x01\x02"), "map keys are scalars (no notepack encoder writes others)"],
  ["nested 129 levels", raw("\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa1e", Buffer.alloc(127, 0x91), [0xc0]), "nesting is limited to 128 levels, as on the JSON path"],
];

// ---------------------------------------------------------------------------

function gen() {
  const encodeVectors = encodeInputs.map(([name, packet]) => {
    const encoded = encode(packet);
    const back = decode(encoded);
    // What we write is what the npm decoder reads back.
    if (JSON.stringify(packetJ(back)) !== JSON.stringify(packetJ(packet))) throw new Error("round trip: " + name);
    return { name, packet: packetJ(packet), encoded: toJ(encoded) };
  });

  const encodeQuirks = encodeQuirkInputs.map(([name, packet, note]) => {
    const encoded = encode(packet);
    return {
      name,
      packet: packetJ(packet),
      encoded: toJ(encoded),
      decoded: packetJ(decode(encoded)),
      note,
    };
  });

  const decodeVectors = [
    ...decodeInputs.map(([name, packet]) => [name, encode(packet)]),
    ...rawDecodeInputs,
  ].map(([name, encoded]) => {
    const decoded = decode(encoded);
    return {
      name,
      encoded: toJ(encoded),
      // The npm decoder's packet, as the application sees it under the default parser.
      packet: packetJ(viaJsonParser(decoded)),
    };
  });

  const decodeErrors = errorInputs.map(([name, encoded]) => {
    let error;
    try {
      decode(encoded);
    } catch (e) {
      error = e.message;
    }
    if (error === undefined) throw new Error("expected an error: " + name);
    return { name, encoded: toJ(encoded), error };
  });

  const decodeStricter = stricterInputs.map(([name, encoded, note]) => {
    let decoded;
    try {
      decoded = decode(encoded);
    } catch (e) {
      throw new Error("the reference refuses " + name + ": " + e.message);
    }
    // (Too deep to write down for the nesting vector.)
    const reference = name.startsWith("nested") ? undefined : packetJ(decoded);
    return { name, encoded: toJ(encoded), reference, note };
  });

  return {
    generator: `socket.io-msgpack-parser@${pkgVersion("socket.io-msgpack-parser")} notepack.io@${pkgVersion("socket.io-msgpack-parser/node_modules/notepack.io")} socket.io-parser@${pkgVersion("socket.io-parser")}`,
    encode: encodeVectors,
    encode_quirks: encodeQuirks,
    decode: decodeVectors,
    decode_errors: decodeErrors,
    decode_stricter: decodeStricter,
  };
}

fs.mkdirSync(OUT_DIR, { recursive: true });
writeGolden(path.join(OUT_DIR, "msgpack.json"), gen());
console.log("wrote", path.join(OUT_DIR, "msgpack.json"));
