// What the reference (`socket.io` 4.8.4 / `engine.io` 6.6.12 / `ws` 8) answers to bad input:
// the expected values of `tests/tests/bad_input/`. Not run in CI; it documents where the
// expected answers come from.
//
//   node --expose-gc tests/js/bad-input-reference.mjs [--only ROW[,ROW…]] [--slowloris]
//
// Prints one line per row: `<row> [<transport>] => <answer>`, where the answer is written in
// the very notation the Rust test prints and compares (see `tests/src/bad_input.rs`):
//
//   HTTP answers      `<status> <json|text|html|-> <body>` (long bodies cut: `…(N bytes)`)
//   WebSocket answers `recv <frames>;` (what came before the end, pings left out), then
//                     `open` (the connection still echoes), `close <code>` (a close frame;
//                     1005 = without a code), or `tcp close` (no close frame), then
//                     `reason <the server's disconnect reason>` (`-` when none)
//   polling answers   `post <status> <body>` per bad POST, then `open` (a later echo comes
//                     back), `gone <answer to the next POST>` or `closed <answer to a GET>`,
//                     then `reason …`
//
// The server is the reference with its defaults (pingInterval 25000, pingTimeout 20000,
// maxHttpBufferSize 1e6, maxAttachments 10), path `/socket.io/`, namespace `/` with an `echo`
// event (ack → ack(...args), else emit("echo", ...args)), dynamic namespaces /^\/dyn-\d+$/.
// Each connection carries `row=<name>` in its query; disconnect reasons are recorded per row.
// A second server (pingInterval 300, pingTimeout 1000) serves the half-open rows.
//
// `--crash` runs only the row that kills the reference: 10 000-deep JSON sent to the `echo`
// handler (V8's JSON.parse takes any depth; the handler's emit recurses in socket.io-parser's
// `hasBinary` until "Maximum call stack size exceeded", thrown outside any try/catch because
// socket.io runs handlers on process.nextTick: the process exits).
//
// `--slowloris` also runs the slowloris row against Node's default `headersTimeout`
// (60 s, checked every 30 s: takes up to 90 s).

import http from "node:http";
import net from "node:net";
import crypto from "node:crypto";
import { WebSocket } from "ws";
import { Server } from "socket.io";

const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1].split(",") : null;
const slowloris = args.includes("--slowloris");
const crash = args.includes("--crash");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PH = (n) => `{"_placeholder":true,"num":${n}}`;

// ---------------------------------------------------------------------------------------------
// Servers

function startServer(opts = {}) {
  const reasons = new Map();
  const httpServer = http.createServer(opts.http ?? {}, (req, res) => res.writeHead(404).end());
  const io = new Server(httpServer, {
    path: "/socket.io/",
    pingInterval: opts.pingInterval ?? 25000,
    pingTimeout: opts.pingTimeout ?? 20000,
    cleanupEmptyChildNamespaces: opts.cleanup ?? false,
  });
  const record = (socket) => {
    const row = socket.handshake.query.row ?? "?";
    socket.on("disconnect", (reason) => {
      if (!reasons.has(row)) reasons.set(row, []);
      reasons.get(row).push(reason);
    });
  };
  io.on("connection", (socket) => {
    record(socket);
    socket.on("echo", (...a) => {
      if (typeof a[a.length - 1] === "function") {
        const ack = a.pop();
        ack(...a);
      } else {
        socket.emit("echo", ...a);
      }
    });
  });
  io.of(/^\/dyn-\d+$/).on("connection", () => {});
  return new Promise((resolve) =>
    httpServer.listen(0, "127.0.0.1", () =>
      resolve({ io, httpServer, port: httpServer.address().port, reasons }),
    ),
  );
}

async function reasonOf(server, row, ms = 1500) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const r = server.reasons.get(row);
    if (r && r.length) return r.join(",");
    await sleep(20);
  }
  return "-";
}

// ---------------------------------------------------------------------------------------------
// Notation

/** Control characters as `\xNN`, socket ids of CONNECT replies as `…`. */
function clean(s) {
  return s
    .replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
    .replace(/"sid":"[^"]*"/g, '"sid":"…"');
}

function cut(s) {
  s = String(s);
  const c = clean(s);
  return [...c].length > 120 ? `${[...c].slice(0, 60).join("")}…(${Buffer.byteLength(s)} bytes)` : c;
}

function kind(ctype) {
  if (!ctype) return "-";
  if (ctype.startsWith("application/json")) return "json";
  if (ctype.startsWith("text/plain")) return "text";
  if (ctype.startsWith("text/html")) return "html";
  return ctype;
}

const fmtHttp = (a) => (a.status ? `${a.status} ${kind(a.ctype)} ${cut(a.body)}`.trimEnd() : a.error);

// ---------------------------------------------------------------------------------------------
// Raw HTTP over one TCP connection

/** Sends `head` (+ `body`) and reads until the peer closes or `ms` pass. */
function raw(port, head, body = Buffer.alloc(0), ms = 3000) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    const chunks = [];
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    s.on("data", (d) => chunks.push(d));
    s.on("close", () => finish(true));
    s.on("error", () => finish(true));
    s.write(head);
    if (body.length) s.write(body);
    setTimeout(() => finish(false), ms);
  });
}

function parseHttp(data) {
  const text = data.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  if (!text.startsWith("HTTP/")) return { error: data.length ? `garbage ${cut(text)}` : "no answer" };
  const head = text.slice(0, end);
  const status = Number(head.split(" ")[1]);
  const header = (n) => {
    const l = head.split("\r\n").find((l) => l.toLowerCase().startsWith(n + ":"));
    return l?.slice(n.length + 1).trim();
  };
  let body = data.subarray(end + 4);
  const len = header("content-length");
  let rest = Buffer.alloc(0);
  if (len !== undefined) {
    rest = body.subarray(Number(len));
    body = body.subarray(0, Number(len));
  } else if (header("transfer-encoding") === "chunked") {
    const parts = [];
    let at = 0;
    for (;;) {
      const eol = body.indexOf("\r\n", at);
      if (eol < 0) break;
      const n = parseInt(body.subarray(at, eol).toString(), 16);
      if (!n) break;
      parts.push(body.subarray(eol + 2, eol + 2 + n));
      at = eol + 2 + n + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status, ctype: header("content-type"), body: body.toString("utf8"), rest, head };
}

async function request(port, method, target, { headers = {}, body = "" } = {}) {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  let head = `${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  head += `Content-Length: ${b.length}\r\n\r\n`;
  const { data } = await raw(port, head, b);
  return parseHttp(data);
}

/** A WebSocket upgrade request written by hand; `headers` override the usual ones. */
async function upgrade(port, target, headers = {}) {
  const h = {
    Host: "localhost",
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    ...headers,
  };
  let head = `GET ${target} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) if (v !== null) head += `${k}: ${v}\r\n`;
  const { data } = await raw(port, head + "\r\n", Buffer.alloc(0), 1000);
  const a = parseHttp(data);
  if (a.status === 101) {
    // What followed the 101: WebSocket frames, or (the EIO quirk) an HTTP answer as text.
    const after = data.subarray(data.toString("latin1").indexOf("\r\n\r\n") + 4).toString("latin1");
    const i = after.indexOf("HTTP/1.1");
    return i >= 0 ? `101 then ${fmtHttp(parseHttp(Buffer.from(after.slice(i), "latin1")))}` : "101";
  }
  return fmtHttp(a);
}

// ---------------------------------------------------------------------------------------------
// Polling sessions

const P = (row, extra = "") => `/socket.io/?EIO=4&transport=polling&row=${row}${extra}`;

async function pollingJoined(port, row) {
  const open = await request(port, "GET", P(row));
  const sid = JSON.parse(open.body.slice(1)).sid;
  const url = P(row, `&sid=${sid}`);
  await request(port, "POST", url, { body: "40" });
  const c = await request(port, "GET", url);
  if (!c.body.startsWith("40{")) throw new Error(`no connect: ${c.body}`);
  return { sid, url };
}

/** After the bad input: is the polling session still serving? */
async function pollingState(port, url) {
  const post = await request(port, "POST", url, { body: '42["echo","alive"]' });
  if (post.status !== 200) return `gone ${fmtHttp(post)}`;
  const get = await request(port, "GET", url);
  if (get.body?.includes('42["echo","alive"]')) return "open";
  return `closed ${fmtHttp(get)}`;
}

async function pollingRow(server, row, bodies) {
  const { port } = server;
  const { url } = await pollingJoined(port, row);
  const out = [];
  for (const b of bodies) {
    const body = typeof b === "object" && !Buffer.isBuffer(b) ? b.body : b;
    const headers = typeof b === "object" && !Buffer.isBuffer(b) ? b.headers : {};
    out.push(`post ${fmtHttp(await request(port, "POST", url, { body, headers }))}`);
  }
  out.push(await pollingState(port, url));
  out.push(`reason ${await reasonOf(server, row)}`);
  return out.join("; ");
}

// ---------------------------------------------------------------------------------------------
// WebSocket sessions

class Ws {
  constructor(url) {
    this.ws = new WebSocket(url, { maxPayload: 64 << 20 });
    this.msgs = [];
    this.waiters = [];
    this.closed = null;
    this.ws.on("message", (d, bin) => this.push(bin ? { bin: d } : d.toString()));
    this.ws.on("close", (code) => {
      this.closed = { code };
      this.push(null);
    });
    this.ws.on("error", () => {});
  }
  push(m) {
    if (m !== null) this.msgs.push(m);
    for (const w of this.waiters.splice(0)) w();
  }
  opened() {
    return new Promise((res, rej) => {
      this.ws.once("open", res);
      this.ws.once("unexpected-response", (req, r) => rej(new Error(`refused ${r.statusCode}`)));
      this.ws.once("error", rej);
    });
  }
  /** Waits for a message matching `pred` (taken from the queue), or the close, or `ms`. */
  async next(pred = () => true, ms = 3000) {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.msgs.findIndex(pred);
      if (i >= 0) return this.msgs.splice(i, 1)[0];
      if (this.closed || Date.now() > end) return null;
      await new Promise((r) => {
        this.waiters.push(r);
        setTimeout(r, Math.max(1, end - Date.now()));
      });
    }
  }
  send(data, binary = false) {
    this.ws.send(data, { binary });
  }
}

const W = (port, row, extra = "") =>
  `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&row=${row}${extra}`;

async function wsJoined(port, row) {
  const c = new Ws(W(port, row));
  await c.opened();
  const open = await c.next();
  c.sid = JSON.parse(open.slice(1)).sid;
  c.send("40");
  const ok = await c.next((m) => typeof m === "string" && m.startsWith("40"));
  if (!ok) throw new Error("no connect");
  return c;
}

const showFrame = (m) => (typeof m === "string" ? cut(m) : `<binary ${m.bin.length}>`);

/** After the bad input: the connection still echoes, or how it ended. */
async function wsState(server, row, c, { probe = true } = {}) {
  if (probe) {
    try {
      c.send('42["echo","alive"]');
    } catch {}
  }
  const alive = probe ? await c.next((m) => m === '42["echo","alive"]', 3000) : null;
  if (!alive && !c.closed) await c.next(() => false, 3000);
  const recv = c.msgs.filter((m) => m !== "2").map(showFrame);
  const out = [];
  if (recv.length) out.push(`recv ${recv.join(" ")}`);
  if (alive) {
    out.push("open");
    c.ws.close();
    out.push("reason -");
    return out.join("; ");
  }
  out.push(c.closed ? (c.closed.code === 1006 ? "tcp close" : `close ${c.closed.code}`) : "no answer");
  out.push(`reason ${await reasonOf(server, row)}`);
  return out.join("; ");
}

async function wsRow(server, row, frames) {
  const c = await wsJoined(server.port, row);
  for (const f of frames) c.send(f.bin ?? f, f.bin !== undefined && !f.text);
  // A CONNECT to another namespace is answered in its own time (after middlewares, on
  // process.nextTick): wait for it, so that the echo probe does not overtake it.
  if (frames.some((f) => typeof f === "string" && f.startsWith("40/"))) {
    const end = Date.now() + 3000;
    while (!c.closed && Date.now() < end && !c.msgs.some((m) => typeof m === "string" && /^4[04]\//.test(m))) {
      await c.next(() => false, 20);
    }
  }
  return wsState(server, row, c);
}

/** A text frame of arbitrary bytes (not checked to be UTF-8). */
const textBytes = (b) => ({ bin: b, text: true });

// ---------------------------------------------------------------------------------------------
// The rows

const deep = (n) => "[".repeat(n) + "]".repeat(n);
const bigNsp = (n) => "/" + "a".repeat(n);

/** Rows sent the same way on both transports: the Engine.IO packets (POST records / frames). */
const both = [
  // Engine.IO packets
  ["eio-type-9", ["9"]],
  ["eio-type-letter", ["x"]],
  ["eio-empty", [""]],
  ["eio-b-bad-base64", ["b!!!!"]],
  ["eio-b-no-pending", ["bAQID"]],
  ["eio-open", ["0"]],
  ["eio-open-json", ['0{"sid":"x"}']],
  ["eio-close", ["1"]],
  ["eio-ping", ["2"]],
  ["eio-pong", ["3"]],
  ["eio-2probe", ["2probe"]],
  ["eio-3probe", ["3probe"]],
  ["eio-upgrade", ["5"]],
  ["eio-noop", ["6"]],
  ["eio-message-empty", ["4"]],
  // Socket.IO packets
  ["sio-type-7", ['47["echo",1]']],
  ["sio-type-letter", ["4abc"]],
  ["sio-attach-letters", [`45x-["echo",${PH(0)}]`]],
  ["sio-attach-no-dash", [`451["echo",${PH(0)}]`]],
  ["sio-attach-zero", ['450-["echo",1]']],
  ["sio-attach-empty", ['45-["echo",1]']],
  ["sio-placeholder-out-of-range", [`451-["echo",${PH(3)}]`]],
  ["sio-too-many-attachments", [`4511-["echo",${PH(0)}]`]],
  ["sio-connect-string", ['40/dyn-1,"x"']],
  ["sio-connect-array", ["40/dyn-1,[1]"]],
  ["sio-connect-number", ["40/dyn-1,1"]],
  ["sio-disconnect-payload", ['41{"a":1}']],
  ["sio-event-object", ["42{}"]],
  ["sio-event-string", ['42"echo"']],
  ["sio-event-empty-array", ["42[]"]],
  ["sio-event-no-payload", ["42"]],
  ["sio-event-reserved-connect", ['42["connect"]']],
  ["sio-event-reserved-disconnect", ['42["disconnect"]']],
  ["sio-event-reserved-newlistener", ['42["newListener"]']],
  ["sio-event-null-name", ["42[null]"]],
  ["sio-event-object-name", ["42[{}]"]],
  ["sio-event-number-name", ["42[1]"]],
  ["sio-ack-object", ["431{}"]],
  ["sio-ack-string", ['431"x"']],
  ["sio-ack-no-id", ["43[1]"]],
  ["sio-ack-unknown-id", ["4399[1]"]],
  ["sio-nsp-not-joined", ['42/dyn-2,["echo",1]']],
  ["sio-nsp-unknown", ["40/nope,"]],
  ["sio-nsp-no-comma", ["40/dyn-3"]],
  ["sio-nsp-no-slash", ["40dyn-3,{}"]],
  ["sio-ack-id-garbage", ['42abc["echo",1]']],
  ["sio-trailing-garbage", ['42["echo",1]xyz']],
  ["sio-invalid-json", ['42["echo",']],
  ["sio-connect-error-from-client", ['44{"message":"x"}']],
  ["sio-connect-twice", ["40"]],
  ["sio-text-during-binary", [`451-["echo",${PH(0)}]`, '42["echo",2]']],
  // An event without a handler: echoing it crashes the reference (see `--crash`).
  ["sio-deep-json-200", [`42["sink",${deep(200)}]`]],
  ["sio-deep-json-10000", [`42["sink",${deep(10000)}]`]],
  ["sio-ack-id-2pow53-plus-1", ['429007199254740993["echo",1]']],
  ["sio-ack-id-u64-max", ['4218446744073709551615["echo",1]']],
  ["sio-ack-id-u64-overflow", ['4218446744073709551616["echo",1]']],
  ["sio-ack-id-leading-zeros", ['42007["echo",1]']],
  ["sio-nsp-1mib", [`40${bigNsp(1 << 20)},`]],
  ["sio-nsp-under-max-payload", [`40${bigNsp(999_000)},`]],
];

/** Polling only. */
const pollingOnly = [
  ["eio-close-then-more", ['1\x1e42["echo",1]']],
  ["eio-bad-record-after-good", ['42["echo",1]\x1e9']],
  ["eio-trailing-separator", ['42["echo",1]\x1e']],
  ["eio-separator-only", ["\x1e"]],
  ["post-octet-stream", [{ body: "42", headers: { "Content-Type": "application/octet-stream" } }]],
  ["post-invalid-utf8", [Buffer.concat([Buffer.from('42["echo","'), Buffer.from([0xff]), Buffer.from('"]')])]],
  ["post-over-max-payload", ["4" + "a".repeat(1e6)]],
];

/** WebSocket only (frames). */
const wsOnly = [
  ["ws-record-separator", ['42["echo",1]\x1e42["echo",2]']],
  ["ws-frame-over-max-payload", ["4" + "a".repeat(1e6)]],
  ["ws-invalid-utf8", [textBytes(Buffer.concat([Buffer.from('42["echo","'), Buffer.from([0xff]), Buffer.from('"]')]))]],
  ["ws-binary-no-pending", [{ bin: Buffer.from([1, 2, 3]) }]],
];

const special = {};

special["sid-unknown-get"] = async (s) => fmtHttp(await request(s.port, "GET", P("x", "&sid=nope")));
special["sid-unknown-post"] = async (s) =>
  fmtHttp(await request(s.port, "POST", P("x", "&sid=nope"), { body: '42["echo",1]' }));
special["sid-forged"] = async (s) => {
  const sid = crypto.randomBytes(15).toString("base64url");
  return fmtHttp(await request(s.port, "GET", P("x", `&sid=${sid}`)));
};
special["sid-unknown-ws"] = async (s) =>
  upgrade(s.port, "/socket.io/?EIO=4&transport=websocket&sid=nope");
special["sid-expired"] = async (s) => {
  const { url } = await pollingJoined(s.port, "sid-expired");
  await request(s.port, "POST", url, { body: "1" });
  await reasonOf(s, "sid-expired");
  return fmtHttp(await request(s.port, "GET", url));
};
special["sid-polling-as-ws-no-upgrade"] = async (s) => {
  const row = "sid-polling-as-ws-no-upgrade";
  const { sid, url } = await pollingJoined(s.port, row);
  const a = await request(s.port, "GET", `/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
  return `${fmtHttp(a)}; session ${await pollingState(s.port, url)}`;
};
special["sid-ws-on-polling"] = async (s) => {
  const row = "sid-ws-on-polling";
  const c = await wsJoined(s.port, row);
  const a = await request(s.port, "GET", P(row, `&sid=${c.sid}`));
  return `${fmtHttp(a)}; session ${await wsState(s, row, c)}`;
};
special["transport-flash"] = async (s) =>
  fmtHttp(await request(s.port, "GET", "/socket.io/?EIO=4&transport=flash"));
special["transport-missing"] = async (s) => fmtHttp(await request(s.port, "GET", "/socket.io/?EIO=4"));
special["transport-flash-ws"] = async (s) => upgrade(s.port, "/socket.io/?EIO=4&transport=flash");
for (const [name, q] of [
  ["eio-version-missing", ""],
  ["eio-version-3", "EIO=3&"],
  ["eio-version-5", "EIO=5&"],
  ["eio-version-abc", "EIO=abc&"],
]) {
  special[name] = async (s) => fmtHttp(await request(s.port, "GET", `/socket.io/?${q}transport=polling`));
}
special["eio-version-missing-ws"] = async (s) => upgrade(s.port, "/socket.io/?transport=websocket");
special["method-put-handshake"] = async (s) =>
  fmtHttp(await request(s.port, "PUT", "/socket.io/?EIO=4&transport=polling"));
special["method-put-sid"] = async (s) => {
  const { url } = await pollingJoined(s.port, "method-put-sid");
  const a = await request(s.port, "PUT", url, { body: '42["echo",1]' });
  return `${fmtHttp(a)}; session ${await pollingState(s.port, url)}`;
};
special["get-overlap"] = async (s) => {
  const row = "get-overlap";
  const { url } = await pollingJoined(s.port, row);
  const first = request(s.port, "GET", url);
  await sleep(200);
  const second = await request(s.port, "GET", url);
  const a = [await first, second].sort((x, y) => y.status - x.status);
  return `overlapping ${fmtHttp(a[0])}; parked ${fmtHttp(a[1])}; reason ${await reasonOf(s, row)}`;
};
const WS_PATH = "/socket.io/?EIO=4&transport=websocket";
special["ws-key-missing"] = async (s) => upgrade(s.port, WS_PATH, { "Sec-WebSocket-Key": null });
special["ws-key-short"] = async (s) => upgrade(s.port, WS_PATH, { "Sec-WebSocket-Key": "abc" });
special["ws-key-not-base64"] = async (s) =>
  upgrade(s.port, WS_PATH, { "Sec-WebSocket-Key": "!!!!!!!!!!!!!!!!!!!!!!==" });
special["ws-version-12"] = async (s) => upgrade(s.port, WS_PATH, { "Sec-WebSocket-Version": "12" });
special["ws-version-missing"] = async (s) => upgrade(s.port, WS_PATH, { "Sec-WebSocket-Version": null });

/** Upgrade rows: a joined polling session, a WebSocket with its sid, then `frames`. */
for (const [name, frames] of [
  ["upgrade-probe-then-message", ["2probe", '42["echo",1]']],
  ["upgrade-probe-then-close", ["2probe", "1"]],
  ["upgrade-ping-without-probe", ["2"]],
  ["upgrade-without-probe", ["5"]],
]) {
  special[name] = async (s) => {
    const { sid, url } = await pollingJoined(s.port, name);
    const c = new Ws(W(s.port, name, `&sid=${sid}`));
    await c.opened();
    for (const f of frames) c.send(f);
    await c.next(() => false, 1000);
    const recv = c.msgs.map(showFrame);
    const ws = c.closed ? (c.closed.code === 1006 ? "tcp close" : `close ${c.closed.code}`) : "ws open";
    // After `5` the session is on the WebSocket: check it there.
    let session;
    if (!c.closed && frames.at(-1) === "5") {
      session = `on websocket ${await wsState(s, name, c)}`;
    } else {
      session = `polling ${await pollingState(s.port, url)}`;
      if (!c.closed) c.ws.close();
    }
    return `${recv.length ? `recv ${recv.join(" ")}; ` : ""}${ws}; ${session}`;
  };
}

special["attachments-never-sent"] = async (s) => {
  const row = "attachments-never-sent";
  const c = await wsJoined(s.port, row);
  c.send(`452-["echo",${PH(0)},${PH(1)}]`);
  c.send(Buffer.from([1]), true);
  await sleep(1000);
  const sockets = s.io.of("/").sockets;
  const still = [...sockets.values()].some((x) => x.handshake.query.row === row && x.connected);
  c.ws.close();
  const reason = await reasonOf(s, row);
  const after = [...sockets.values()].some((x) => x.handshake.query.row === row);
  return `quiet 1 s: ${still ? "socket connected" : "socket gone"}; client closes: reason ${reason}; ${after ? "socket kept" : "socket removed"}`;
};

special["bad-packet-right-after-connect"] = async (s) => {
  let missing = 0;
  const count = (socket) => {
    if (!socket.handshake) missing++;
  };
  s.io.on("connection", count);
  let closed = 0;
  await Promise.all(
    [0, 1, 2, 3].map(async (k) => {
      for (let i = 0; i < 1000; i++) {
        const row = `bad-packet-right-after-connect-${k}-${i}`;
        const c = await wsJoined(s.port, row);
        c.send("40dyn-3,{}");
        await c.next(() => false, 5000);
        if (c.closed && (await reasonOf(s, row)) === "forced close") closed++;
      }
    }),
  );
  s.io.off("connection", count);
  const seen = missing ? `${missing} connection handlers found no handshake` : "every connection handler saw its handshake";
  return `${closed} closed (forced close); ${seen}`;
};

special["dyn-namespace-flood"] = async () => {
  // 4 connections × 25 000 CONNECTs to /dyn-<i>, each left (`41/dyn-<i>,`) once accepted (a
  // packet for a namespace the connection has not joined yet makes the reference close it).
  const out = [];
  for (const cleanup of [false, true]) {
    const s = await startServer({ cleanup });
    const before = nspCount(s.io);
    const heap0 = heap();
    const conns = await Promise.all([0, 1, 2, 3].map(() => wsJoined(s.port, "dyn")));
    let accepted = 0;
    await Promise.all(
      conns.map(
        (c, k) =>
          new Promise((resolve) => {
            let sent = k * 25000;
            const end = (k + 1) * 25000;
            let got = 0;
            c.ws.on("message", (d) => {
              const m = /^40(\/dyn-\d+),/.exec(d.toString());
              if (!m) return;
              c.send(`41${m[1]},`);
              if (sent < end) c.send(`40/dyn-${sent++},`);
              accepted++;
              if (++got === 25000) resolve();
            });
            for (let w = 0; w < 16; w++) c.send(`40/dyn-${sent++},`);
          }),
      ),
    );
    const grew = nspCount(s.io) - before;
    const heapGrew = heap() - heap0;
    out.push(
      `cleanupEmptyChildNamespaces ${cleanup}: ${accepted} accepted, ${grew} namespaces kept, heap +${(heapGrew / 1048576).toFixed(1)} MiB`,
    );
    for (const c of conns) c.ws.close();
    s.io.close();
  }
  return out.join("; ");
};
const nspCount = (io) => io._nsps.size;
const heap = () => {
  global.gc?.();
  return process.memoryUsage().heapUsed;
};

async function slowlorisRow(server) {
  const head = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\n";
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = net.connect(server.port, "127.0.0.1");
    let i = 0;
    let got = "";
    const tick = setInterval(() => {
      if (i < head.length) s.write(head[i++]);
      else s.write("X");
    }, 1000);
    s.on("data", (d) => (got += d.toString()));
    s.on("close", () => {
      clearInterval(tick);
      const status = got.split(" ")[1] ?? "no answer";
      const secs = (Date.now() - t0) / 1000;
      resolve(`closed after ${secs.toFixed(0)} s with ${got ? got.split("\r\n")[0] : "no answer"}`);
    });
    s.on("error", () => {});
  });
}

special["slowloris"] = async () => {
  // Node's own defaults are headersTimeout 60 s checked every 30 s (connectionsCheckingInterval);
  // here 2 s checked every 0.5 s, to see the answer quickly.
  const s = await startServer({ http: { headersTimeout: 2000, requestTimeout: 5000, connectionsCheckingInterval: 500 } });
  const quick = await slowlorisRow(s);
  s.io.close();
  if (!slowloris) return `headersTimeout 2 s: ${quick}`;
  const d = await startServer();
  const dflt = await slowlorisRow(d);
  d.io.close();
  return `headersTimeout 2 s: ${quick}; default: ${dflt}`;
};

/** Half-open: joins, then never reads or answers again (pings go unanswered). */
special["half-open-ws"] = async (_, hb) => {
  const row = "half-open-ws";
  const t0 = Date.now();
  const c = await wsJoined(hb.port, row);
  c.ws.pause?.(); // ws ≥ 8: stop reading the socket
  c.ws._socket.pause();
  const reason = await reasonOf(hb, row, 5000);
  const ms = Date.now() - t0;
  c.ws.terminate();
  return `reason ${reason} ${halfOpenWhen(ms)}`;
};
// The notation of the Rust test: pingInterval 300 + pingTimeout 1000, 1.7 s of slack.
const halfOpenWhen = (ms) =>
  ms < 1250 ? `too early (${ms} ms)` : ms <= 3000 ? "after ~1300 ms" : `after ${ms} ms`;
special["half-open-polling"] = async (_, hb) => {
  const row = "half-open-polling";
  const t0 = Date.now();
  await pollingJoined(hb.port, row);
  const reason = await reasonOf(hb, row, 5000);
  const ms = Date.now() - t0;
  return `reason ${reason} ${halfOpenWhen(ms)}`;
};

// ---------------------------------------------------------------------------------------------

const server = await startServer();
const hb = await startServer({ pingInterval: 300, pingTimeout: 1000 });

const jobs = [];
if (crash) {
  const c = await wsJoined(server.port, "crash");
  c.send(`42["echo",${deep(10000)}]`);
  await sleep(2000);
  console.log("sio-deep-json-10000-echo [websocket] => the reference is still running");
  process.exit(0);
}
const want = (name) => !only || only.includes(name);
for (const [name, packets] of both) {
  if (!want(name)) continue;
  // Over polling a record is the packet itself; a WebSocket frame too.
  jobs.push([name, "polling", () => pollingRow(server, `${name}-p`, packets)]);
  jobs.push([name, "websocket", () => wsRow(server, `${name}-w`, packets)]);
}
for (const [name, bodies] of pollingOnly) {
  if (want(name)) jobs.push([name, "polling", () => pollingRow(server, name, bodies)]);
}
for (const [name, frames] of wsOnly) {
  if (want(name)) jobs.push([name, "websocket", () => wsRow(server, name, frames)]);
}
for (const [name, f] of Object.entries(special)) {
  if (want(name)) jobs.push([name, "", () => f(server, hb)]);
}

// A few at a time: rows are independent (each has its own connection and row tag).
const results = new Map();
let next = 0;
await Promise.all(
  [0, 1, 2, 3, 4, 5].map(async () => {
    while (next < jobs.length) {
      const [name, t, f] = jobs[next++];
      let answer;
      try {
        const t0 = Date.now();
        answer = await Promise.race([f(), sleep(120_000).then(() => "ERROR row timed out")]);
        process.stderr.write(`${name} ${t} ${Date.now() - t0} ms\n`);
      } catch (e) {
        answer = `ERROR ${e.message}`;
      }
      results.set(`${name} ${t}`, answer);
    }
  }),
);
for (const [name, t] of jobs) {
  console.log(`${name}${t ? ` [${t}]` : ""} => ${results.get(`${name} ${t}`)}`);
}
server.io.close();
hb.io.close();
process.exit(0);
