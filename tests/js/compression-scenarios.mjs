// Compression interop: the official socket.io-client 4.8 (ws 8 under it) against a Socket.IO
// server with an `echo` event (sio-echo's contract: with an ack, the ack gets the arguments),
// checking that what was agreed really compresses.
//
//   node tests/js/compression-scenarios.mjs --url http://127.0.0.1:PORT --scenario NAME
//        [--transports websocket|both|polling]
//
// Scenarios:
//   ws-deflate   perMessageDeflate {threshold: 0} on the client: the WebSocket must have
//                agreed permessage-deflate; echoes (small, 200 KB text, 100 KB binary,
//                unicode, 30 mixed in a row) come back equal; the bytes on the TCP socket
//                each way are far fewer than what was sent (both ends compressed).
//   ws-plain     the client does not offer it: nothing agreed, echoes still work.
//   ws-declined  the client offers it to a server with permessage-deflate off: nothing
//                agreed, nothing compressed, echoes still work.
//   http-raw     raw HTTP (node:http, no decoding): a long-poll answer over 1024 bytes comes
//                gzip-encoded for `Accept-Encoding: gzip`, deflate (zlib) for `deflate`, plain
//                without the header; Node's zlib decodes it to the payload.
//   http-fetch   socket.io-client on the Fetch transport (which sends Accept-Encoding and
//                decodes) on polling only: 200 KB echoes come back equal.
//
// Prints one JSON line {"scenario":NAME,"ok":true|false,"details":...}; exits 0 when ok.

import http from "node:http";
import zlib from "node:zlib";
import { io } from "socket.io-client";
import { Fetch } from "engine.io-client";

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  return out;
}

const args = parseArgs(process.argv.slice(2));
const url = args.url;
const scenario = args.scenario;
const TRANSPORTS = { websocket: ["websocket"], polling: ["polling"], both: undefined };
const transports = TRANSPORTS[args.transports ?? "websocket"];

class ScenarioError extends Error {}
function check(cond, msg) {
  if (!cond) throw new ScenarioError(msg);
}

const bigText = (n) => {
  // Compressible but not trivial: numbers in a pseudo-random order.
  let s = "";
  for (let i = 0; s.length < n; i++) s += ((i * 7919) % 10007).toString(36) + ",";
  return s.slice(0, n);
};
const bigBinary = (n) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31) % 97;
  return b;
};

function connect(opts) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { forceNew: true, reconnection: false, ...opts });
    const t = setTimeout(() => reject(new ScenarioError("connect timed out")), 5000);
    socket.on("connect", () => {
      clearTimeout(t);
      resolve(socket);
    });
    socket.on("connect_error", (e) => {
      clearTimeout(t);
      reject(new ScenarioError(`connect_error: ${e.message}`));
    });
  });
}

const echo = (socket, ...a) => socket.timeout(10000).emitWithAck("echo", ...a);

async function waitUpgrade(socket) {
  for (let i = 0; i < 100 && socket.io.engine.transport.name !== "websocket"; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  check(socket.io.engine.transport.name === "websocket", "never upgraded to websocket");
}

async function wsDeflate(details, offer, expectAgreed = offer) {
  const socket = await connect({ transports, perMessageDeflate: offer ? { threshold: 0 } : false });
  try {
    await waitUpgrade(socket);
    const ws = socket.io.engine.transport.ws;
    details.extensions = ws.extensions;
    details.negotiated = ws._extensions["permessage-deflate"]?.params ?? null;
    if (!expectAgreed) {
      check(ws.extensions === "", `agreed ${ws.extensions}`);
    } else {
      check(ws.extensions === "permessage-deflate", `extension not agreed: ${JSON.stringify(ws.extensions)}`);
    }
    const small = await echo(socket, "hi");
    check(small === "hi", "small echo");
    const tcp = ws._socket;
    const r0 = tcp.bytesRead, w0 = tcp.bytesWritten;
    const text = bigText(200_000);
    const t = await echo(socket, text);
    check(t === text, "200 KB text echo differs");
    const bin = bigBinary(100_000);
    const b = await echo(socket, bin);
    check(Buffer.isBuffer(b) && b.equals(bin), "100 KB binary echo differs");
    details.sent = 300_000;
    details.bytesWritten = tcp.bytesWritten - w0;
    details.bytesRead = tcp.bytesRead - r0;
    if (expectAgreed) {
      check(details.bytesWritten < 150_000, `client wrote ${details.bytesWritten} bytes: not compressed`);
      check(details.bytesRead < 150_000, `client read ${details.bytesRead} bytes: not compressed`);
    } else {
      check(details.bytesRead > 300_000, `read only ${details.bytesRead} bytes uncompressed`);
    }
    const u = "héllo wörld ✓ 🎉 ".repeat(200);
    const uu = await echo(socket, u);
    check(uu === u, "unicode echo differs");
    // Many in a row (context takeover carries across them), of every size.
    const sent = [];
    for (let i = 0; i < 30; i++) sent.push(i % 3 === 0 ? bigText(50 + i * 997) : i % 3 === 1 ? `m${i}` : bigBinary(i * 100));
    // One at a time: sio closes a client that lets 64 KiB queue up ("send buffer full").
    const back = [];
    for (const m of sent) back.push(await echo(socket, m));
    back.forEach((m, i) => {
      const want = sent[i];
      check(Buffer.isBuffer(want) ? Buffer.isBuffer(m) && m.equals(want) : m === want, `message ${i} differs`);
    });
    // Events (not acks) come back too, in order.
    const got = [];
    socket.on("echo", (m) => got.push(m));
    for (let i = 0; i < 5; i++) socket.emit("echo", bigText(2000 + i));
    for (let i = 0; i < 100 && got.length < 5; i++) await new Promise((r) => setTimeout(r, 20));
    check(got.length === 5 && got.every((m, i) => m === bigText(2000 + i)), "events out of order or lost");
  } finally {
    socket.disconnect();
  }
}

function request(method, path, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(path, url);
    const req = http.request(u, { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

async function httpRaw(details) {
  const base = "/socket.io/?EIO=4&transport=polling";
  const open = await request("GET", base);
  check(open.status === 200, `handshake ${open.status}`);
  const sid = JSON.parse(open.body.toString().slice(1)).sid;
  const q = `${base}&sid=${sid}`;
  await request("POST", q, { "content-type": "text/plain;charset=UTF-8" }, "40");
  const conn = await request("GET", q);
  check(conn.body.toString().startsWith("40"), `no CONNECT answer: ${conn.body}`);
  const text = bigText(50_000);
  const cases = [
    ["gzip, deflate, br", "gzip", (b) => zlib.gunzipSync(b)],
    ["deflate", "deflate", (b) => zlib.inflateSync(b)],
    [undefined, undefined, (b) => b],
  ];
  details.cases = [];
  for (const [accept, want, decode] of cases) {
    const post = await request("POST", q, { "content-type": "text/plain;charset=UTF-8" }, `42["echo",${JSON.stringify(text)}]`);
    check(post.status === 200, `post ${post.status}`);
    const headers = accept ? { "accept-encoding": accept } : {};
    const r = await request("GET", q, headers);
    const enc = r.headers["content-encoding"];
    details.cases.push({ accept, encoding: enc ?? null, wire: r.body.length });
    check(enc === want, `Accept-Encoding ${accept}: Content-Encoding ${enc}, expected ${want}`);
    const plain = decode(r.body).toString();
    // The event echo carries the arguments, then the server's recovery offset.
    check(plain.startsWith(`42["echo",${JSON.stringify(text)},`), `decoded body differs (${plain.length} chars: ${plain.slice(0, 20)}…${plain.slice(-20)})`);
    if (want) check(r.body.length < text.length * 0.7, `compressed to ${r.body.length} bytes only`);
  }
  // Small answers stay plain (threshold 1024).
  await request("POST", q, { "content-type": "text/plain;charset=UTF-8" }, `42["echo","x"]`);
  const small = await request("GET", q, { "accept-encoding": "gzip" });
  check(small.headers["content-encoding"] === undefined, "a small answer was compressed");
  await request("POST", q, { "content-type": "text/plain;charset=UTF-8" }, "1");
}

async function httpFetch(details) {
  const socket = await connect({ transports: [Fetch] });
  try {
    check(socket.io.engine.transport.name === "polling", "not on polling");
    for (const n of [10, 5_000, 200_000]) {
      const text = bigText(n);
      const t = await echo(socket, text);
      check(t === text, `${n}-char echo differs`);
    }
    const bin = bigBinary(50_000);
    const b = await echo(socket, bin);
    check(Buffer.isBuffer(b) && b.equals(bin), "binary echo differs");
    details.transport = socket.io.engine.transport.name;
  } finally {
    socket.disconnect();
  }
}

const SCENARIOS = {
  "ws-deflate": (d) => wsDeflate(d, true),
  "ws-plain": (d) => wsDeflate(d, false),
  "ws-declined": (d) => wsDeflate(d, true, false),
  "http-raw": httpRaw,
  "http-fetch": httpFetch,
};

const details = {};
try {
  const run = SCENARIOS[scenario];
  if (!run) throw new ScenarioError(`unknown scenario ${scenario}`);
  await Promise.race([
    run(details),
    new Promise((_, rej) => setTimeout(() => rej(new ScenarioError("scenario timed out")), 30000)),
  ]);
  console.log(JSON.stringify({ scenario, ok: true, details }));
  process.exit(0);
} catch (e) {
  details.error = e instanceof ScenarioError ? e.message : String(e?.stack ?? e);
  console.log(JSON.stringify({ scenario, ok: false, details }));
  process.exit(1);
}
