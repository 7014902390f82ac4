// Drives the official `socket.io-client` against a Socket.IO server that
// implements the contract of sio-reference-server.mjs, and runs ONE named scenario.
//
//   node tests/js/sio-scenarios.mjs --url http://127.0.0.1:PORT --scenario NAME \
//        [--transports polling|websocket|both] [--ping-interval MS --ping-timeout MS] \
//        [--path /socket.io] [--timeout MS] [--parser json|msgpack]
//
// Prints exactly one JSON line {"scenario":NAME,"ok":true|false,"details":...}
// on stdout; exits 0 when ok, 1 otherwise (2 on bad usage, still with one JSON line).
//
// --transports: "polling" = ["polling"], "websocket" = ["websocket"],
// "both" (default) = the client's default (polling, then upgrade to websocket).
// --parser msgpack: the clients use socket.io-msgpack-parser (the server must too).
// --ping-interval/--ping-timeout are the values the server was started with:
// they are checked against the handshake and size the recovery wait.
//
// The scenarios assume they are alone on the server (`count` and
// `broadcast-ask` see every socket of namespace "/"): run them one at a time.
//
// See README.md beside this file for the server contract and the scenario list.

import http from "node:http";
import { Manager } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";

// ---------------------------------------------------------------------------
// CLI

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument: ${a}`);
    const eq = a.indexOf("=");
    if (eq !== -1) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = true;
  }
  return out;
}

function optNumber(v, name) {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
  return n;
}

const TRANSPORTS = {
  polling: ["polling"],
  websocket: ["websocket"],
  both: undefined, // the client's default: polling first, then upgrade
};

// ---------------------------------------------------------------------------
// helpers

class ScenarioError extends Error {}

function check(cond, msg) {
  if (!cond) throw new ScenarioError(msg);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const isBinary = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);

function toBuffer(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * Canonical JSON text of a value: keeps object key order, turns binary into
 * {"$binary": <length>, "sha": <hex of the first bytes + length>} so two
 * values compare equal only if their structure, key order and bytes match.
 */
function canon(v) {
  return JSON.stringify(v, function (k, x) {
    const raw = this[k]; // before Buffer#toJSON
    if (isBinary(raw)) return { $binary: toBuffer(raw).toString("base64") };
    if (typeof raw === "function") return { $function: true };
    return x;
  });
}

function short(v, n = 200) {
  const s = canon(v) ?? String(v);
  return s.length > n ? `${s.slice(0, n)}...(${s.length} chars)` : s;
}

function sameValue(a, b) {
  return canon(a) === canon(b);
}

/** Deep-walks a value and reports where binary values are (and their types). */
function binaryPaths(v, path = "$", out = []) {
  if (isBinary(v)) out.push(`${path}:${v.constructor?.name}(${toBuffer(v).length})`);
  else if (Array.isArray(v)) v.forEach((x, i) => binaryPaths(x, `${path}[${i}]`, out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) binaryPaths(x, `${path}.${k}`, out);
  return out;
}

const sortIds = (a) => [...a].sort();

// ---------------------------------------------------------------------------
// global wait machinery: every recorded event pokes all waiters

const waiters = new Set();
function poke() {
  for (const w of [...waiters]) w();
}

/** Resolves once pred() is truthy (returns its value); rejects after ms or if pred throws. */
function until(pred, ms, what) {
  return new Promise((resolve, reject) => {
    let timer;
    const done = (err, v) => {
      clearTimeout(timer);
      waiters.delete(test);
      err ? reject(err) : resolve(v);
    };
    const test = () => {
      let v;
      try {
        v = pred();
      } catch (e) {
        return done(e);
      }
      if (v) done(null, v);
    };
    timer = setTimeout(() => done(new ScenarioError(`timed out after ${ms} ms waiting for ${what}`)), ms);
    waiters.add(test);
    test();
  });
}

// every manager / socket ever created, so the runner can always close them
const allConns = new Set();
const allSocks = new Set();

/**
 * One socket.io-client Manager (= one Engine.IO session at a time) with its
 * own http.Agent, so the TCP connections it opens are known and can be cut.
 */
class Conn {
  constructor(ctx, opts = {}) {
    this.tcp = new Set();
    this.tcpOpened = 0;
    this.handshakes = [];
    this.upgrades = [];
    this.closes = [];
    const agent = new http.Agent({ keepAlive: false });
    const create = agent.createConnection.bind(agent);
    agent.createConnection = (options, cb) => {
      const s = create(options, cb);
      this.tcpOpened++;
      this.tcp.add(s);
      s.once("close", () => this.tcp.delete(s));
      return s;
    };
    this.agent = agent;
    this.manager = new Manager(ctx.url, {
      path: ctx.path,
      transports: ctx.transportList,
      agent,
      autoConnect: true,
      ...(ctx.parser ? { parser: ctx.parser } : {}),
      ...opts,
    });
    this.manager.on("open", () => {
      this._hook();
      poke();
    });
    this.manager.on("close", (reason) => {
      this.closes.push(reason);
      poke();
    });
    allConns.add(this);
  }

  /** Records the handshake of the current engine (the manager creates a new one per (re)connection). */
  _hook() {
    const e = this.manager.engine;
    if (!e || e.__sioScenarioHooked) return;
    e.__sioScenarioHooked = true;
    e.on("handshake", (h) => {
      this.handshakes.push(h);
      poke();
    });
    e.on("upgrade", (t) => {
      this.upgrades.push({ transport: t?.name, at: Date.now() });
      poke();
    });
  }

  get engine() {
    return this.manager.engine;
  }

  get engineId() {
    return this.manager.engine?.id ?? null;
  }

  socket(nsp = "/", opts = {}) {
    const s = new Sock(this, nsp, opts);
    this._hook(); // the engine exists now (autoConnect opened the manager)
    return s;
  }

  /**
   * Simulates a network cut: every TCP connection of this manager is reset
   * (RST where supported). Nothing is sent at the Engine.IO / Socket.IO level.
   */
  cut() {
    const n = this.tcp.size;
    for (const s of [...this.tcp]) {
      if (typeof s.resetAndDestroy === "function") s.resetAndDestroy();
      else s.destroy();
    }
    return n;
  }

  /** Graceful close: DISCONNECT packets and the Engine.IO close are flushed first (see closeAll). */
  close() {
    this.manager.reconnection(false);
    for (const s of Object.values(this.manager.nsps)) s.disconnect();
    this.manager.engine?.close();
  }
}

/** Closes every manager, gives in-flight requests up to `ms` to finish, then drops what is left. */
async function closeAll(ms = 1000) {
  for (const c of allConns) {
    try {
      c.close();
    } catch {}
  }
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && [...allConns].some((c) => c.tcp.size > 0)) await sleep(20);
  const lingering = [...allConns].reduce((n, c) => n + c.tcp.size, 0);
  for (const c of allConns) c.agent.destroy();
  return lingering;
}

/** Recorder around one socket.io-client Socket. */
class Sock {
  constructor(conn, nsp, opts) {
    this.conn = conn;
    this.nsp = nsp;
    this.events = []; // { ev, args, at } for every incoming event (via onAny)
    this.connects = []; // { id, at, recovered, engineId }
    this.disconnects = []; // { reason, description, at }
    this.connectErrors = []; // { message, data, at }
    const socket = conn.manager.socket(nsp, opts);
    this.socket = socket;
    allSocks.add(this);
    socket.onAny((ev, ...args) => {
      this.events.push({ ev, args, at: Date.now() });
      poke();
    });
    socket.on("connect", () => {
      this.connects.push({ id: socket.id, at: Date.now(), recovered: socket.recovered, engineId: conn.engineId, eventsBefore: this.events.length });
      poke();
    });
    socket.on("disconnect", (reason, desc) => {
      this.disconnects.push({ reason, description: desc ? String(desc.message ?? desc.description ?? desc) : null, at: Date.now() });
      poke();
    });
    socket.on("connect_error", (err) => {
      this.connectErrors.push({ message: err?.message, data: err?.data, at: Date.now() });
      poke();
    });
  }

  get id() {
    return this.socket.id;
  }

  async connected(ms = 5000) {
    await until(() => {
      if (this.connectErrors.length && !this.socket.connected) {
        throw new ScenarioError(`${this.nsp}: connect_error ${JSON.stringify(this.connectErrors.at(-1))}`);
      }
      return this.socket.connected;
    }, ms, `${this.nsp} to connect`);
    return this.socket.id;
  }

  /** emit with an ack; resolves with the ack arguments (array). */
  ack(ev, ...args) {
    const ms = 3000;
    return new Promise((resolve, reject) => {
      this.socket.timeout(ms).emit(ev, ...args, (err, ...res) => {
        if (err) reject(new ScenarioError(`no ack for "${ev}" within ${ms} ms (${err.message})`));
        else resolve(res);
      });
    });
  }

  /** emit with an ack; resolves with the first ack argument. */
  async ack1(ev, ...args) {
    return (await this.ack(ev, ...args))[0];
  }

  /** incoming events named ev, received after index `from` of this.events */
  named(ev, from = 0) {
    return this.events.slice(from).filter((e) => e.ev === ev);
  }

  async nextEvent(ev, from, ms = 3000) {
    return until(() => this.named(ev, from)[0], ms, `event "${ev}" on ${this.nsp}`);
  }

  close() {
    this.socket.disconnect();
  }
}

/**
 * Server events without ack that are not volatile carry the session offset as
 * an extra last string argument (connection state recovery). Returns the
 * payload arguments, checking that the offset is there.
 */
function payloadOf(e, what) {
  const last = e.args[e.args.length - 1];
  check(e.args.length >= 1 && typeof last === "string" && last.length > 0,
    `${what}: expected the connection-state-recovery offset (a non-empty string) as the last argument of "${e.ev}", got ${short(e.args)}`);
  return e.args.slice(0, -1);
}

/** Round trip that guarantees every packet the server sent this socket before it has been received. */
async function barrier(s) {
  await s.ack("count");
}

// ---------------------------------------------------------------------------
// scenarios

function checkHandshake(ctx, conn, d) {
  const h = conn.handshakes[0];
  check(h, "no Engine.IO handshake recorded");
  d.handshake = { sid: h.sid, upgrades: h.upgrades, pingInterval: h.pingInterval, pingTimeout: h.pingTimeout, maxPayload: h.maxPayload };
  if (ctx.pingInterval !== undefined) check(h.pingInterval === ctx.pingInterval, `handshake pingInterval ${h.pingInterval} != --ping-interval ${ctx.pingInterval}`);
  if (ctx.pingTimeout !== undefined) check(h.pingTimeout === ctx.pingTimeout, `handshake pingTimeout ${h.pingTimeout} != --ping-timeout ${ctx.pingTimeout}`);
}

function checkTransport(ctx, who, what) {
  if (ctx.transports !== "both") {
    check(who.transport === ctx.transports, `${what}: server-side transport should be ${ctx.transports}, got ${who.transport}`);
  } else {
    check(who.transport === "polling" || who.transport === "websocket", `${what}: unexpected transport ${who.transport}`);
  }
}

async function connect(ctx) {
  const d = ctx.details;
  const c = ctx.conn();
  const s = c.socket("/");
  let connectEvents = 0;
  s.socket.on("connect", () => connectEvents++);
  const id = await s.connected();
  checkHandshake(ctx, c, d);
  d.id = id;
  d.idLength = id?.length;
  d.engineId = c.engineId;
  d.pid = s.socket._pid ?? null; // private field: the recovery session id from the CONNECT packet
  d.recoveredClientSide = s.socket.recovered;
  check(typeof id === "string" && id.length === 20, `socket.id should be 20 chars, got ${JSON.stringify(id)}`);
  check(id !== c.engineId, "socket.id must differ from the Engine.IO id");
  check(typeof c.engineId === "string" && c.engineId.length === 20, `engine id should be 20 chars, got ${JSON.stringify(c.engineId)}`);
  check(typeof d.pid === "string" && d.pid.length > 0, "CONNECT should carry a pid (connection state recovery is enabled)");
  check(d.pid !== id, "pid should differ from the socket id");
  check(s.socket.recovered === false, "a fresh connection must not be recovered");
  await sleep(20);
  d.connectEvents = connectEvents;
  check(connectEvents === 1, `expected exactly one connect event, got ${connectEvents}`);

  const who = await s.ack1("whoami");
  d.whoami = who;
  check(who.id === id, `whoami.id ${who.id} != socket.id ${id}`);
  check(sameValue(who.rooms, [id]), `whoami.rooms should be [own id], got ${short(who.rooms)}`);
  check(who.nick === "anon", `nick should default to "anon", got ${short(who.nick)}`);
  check(who.recovered === false, `server-side recovered should be false, got ${short(who.recovered)}`);
  checkTransport(ctx, who, "whoami");
  const count = await s.ack1("count");
  d.count = count;
  check(Number.isInteger(count) && count >= 1, `count should be a positive integer, got ${short(count)}`);
  check(s.socket.connected, "socket should still be connected");
}

const ECHO_CASES = [
  ["string", ["hello"]],
  ["empty string", [""]],
  ["numbers", [42, -1.5, 0, 9007199254740991, 1e-7, 1e21, -0.25]],
  ["bool and null", [true, false, null]],
  ["object key order", [{ zeta: 1, alpha: { yankee: [1, 2], bravo: null }, mike: "x", "": 0, b: { d: 1, c: 2 } }]],
  ["empty containers", [{}, []]],
  ["unicode", ["héllo 😀 € 中文 \n\t\"q\" \\ \u0001 \u2028 ﷽"]],
  ["nested arrays", [[1, [2, [3, [4, []]]]], [[]], [[["deep"]]]]],
  ["no args", []],
  ["multiple args", ["a", 1, { b: 2 }, [3], null, true]],
];

// notepack (under socket.io-msgpack-parser) writes integral numbers of 2^63 and beyond as
// their value modulo 2^64: 1e21 cannot make the trip, whatever the server.
const MSGPACK_ECHO_CASES = ECHO_CASES.map(([label, args]) => [label, args.filter((a) => a !== 1e21)]);

async function echo(ctx) {
  const d = ctx.details;
  const c = ctx.conn();
  const s = c.socket("/");
  await s.connected();
  d.viaAck = {};
  d.viaEvent = {};
  const cases = ctx.parser ? MSGPACK_ECHO_CASES : ECHO_CASES;
  for (const [label, args] of cases) {
    const res = await s.ack("echo", ...args);
    d.viaAck[label] = { same: sameValue(res, args) };
    if (!d.viaAck[label].same) d.viaAck[label].got = short(res);
    check(d.viaAck[label].same, `echo via ack "${label}": sent ${short(args)}, got ${short(res)}`);
  }
  // The same arguments answered as they came (sio: `Message::ack_forward`).
  d.viaAckForward = {};
  for (const [label, args] of cases) {
    const res = await s.ack("echo-forward", ...args);
    d.viaAckForward[label] = { same: sameValue(res, args) };
    if (!d.viaAckForward[label].same) d.viaAckForward[label].got = short(res);
    check(d.viaAckForward[label].same, `echo-forward via ack "${label}": sent ${short(args)}, got ${short(res)}`);
  }
  for (const [label, args] of cases) {
    const from = s.events.length;
    s.socket.emit("echo", ...args);
    const e = await s.nextEvent("echo", from);
    const got = payloadOf(e, `echo via event "${label}"`);
    d.viaEvent[label] = { same: sameValue(got, args), offset: e.args.at(-1) };
    if (!d.viaEvent[label].same) d.viaEvent[label].got = short(got);
    check(d.viaEvent[label].same, `echo via event "${label}": sent ${short(args)}, got ${short(got)}`);
  }
  // key order, spelled out (canon() already compares it)
  const [obj] = await s.ack("echo", ECHO_CASES[4][1][0]);
  d.keyOrder = Object.keys(obj);
  check(sameValue(d.keyOrder, ["zeta", "alpha", "mike", "", "b"]), `object key order changed: ${short(d.keyOrder)}`);
  const offsets = Object.values(d.viaEvent).map((r) => r.offset);
  d.distinctOffsets = new Set(offsets).size;
  check(d.distinctOffsets === offsets.length, "offsets of distinct server events should be distinct");
}

function bytes(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

async function binary(ctx) {
  const d = ctx.details;
  const c = ctx.conn();
  const s = c.socket("/");
  await s.connected();
  const b1 = bytes(256, 1);
  const b2 = bytes(65536, 7);
  const cases = [
    ["buffer at depth", [{ a: { b: [1, { c: b1 }], t: "text" } }]],
    ["two attachments", [b1, { x: b2, y: "y" }]],
    ["uint8array", [new Uint8Array(bytes(16, 3))]],
    ["empty buffer", [Buffer.alloc(0)]],
  ];
  d.viaEvent = {};
  d.viaAck = {};
  for (const [label, args] of cases) {
    const from = s.events.length;
    s.socket.emit("echo", ...args);
    const e = await s.nextEvent("echo", from);
    const got = payloadOf(e, `binary echo via event "${label}"`);
    d.viaEvent[label] = { same: sameValue(got, args), binaries: binaryPaths(got) };
    check(d.viaEvent[label].same, `binary echo via event "${label}": got ${short(got)}`);
    check(d.viaEvent[label].binaries.length === binaryPaths(args).length, `"${label}": binary values lost`);
  }
  // binary in an ack, server -> client
  for (const [label, args] of cases) {
    const res = await s.ack("echo", ...args);
    d.viaAck[label] = { same: sameValue(res, args), binaries: binaryPaths(res) };
    check(d.viaAck[label].same, `binary echo via ack "${label}": got ${short(res)}`);
    check(d.viaAck[label].binaries.length === binaryPaths(args).length, `"${label}" (ack): binary values lost`);
  }
  // The same, answered with the arguments as they came (their attachments shared).
  d.viaAckForward = {};
  for (const [label, args] of cases) {
    const res = await s.ack("echo-forward", ...args);
    d.viaAckForward[label] = { same: sameValue(res, args), binaries: binaryPaths(res) };
    check(d.viaAckForward[label].same, `binary echo-forward via ack "${label}": got ${short(res)}`);
    check(d.viaAckForward[label].binaries.length === binaryPaths(args).length, `"${label}" (echo-forward): binary values lost`);
  }
  // binary in an ack, client -> server (the client acks "question" with bytes,
  // the server puts the answer in its own ack)
  const answer = { blob: bytes(300, 9), n: 43 };
  s.socket.on("question", (q, cb) => cb(answer));
  const res = await s.ack1("ask-client");
  d.clientAck = { got: short(res), binaries: binaryPaths(res) };
  check(res && sameValue(res.answer, answer), `ask-client with a binary answer: got ${short(res)}`);
  check(Buffer.isBuffer(res.answer.blob), "the binary answer should come back as a Buffer");
}

async function acksFromServer(ctx) {
  const d = ctx.details;
  const c = ctx.conn();
  const s = c.socket("/");
  await s.connected();
  const questions = [];
  const answer = (q, cb) => {
    questions.push(q);
    cb(43);
  };
  s.socket.on("question", answer);
  const r1 = await s.ack1("ask-client");
  d.answered = { reply: r1, questionArgs: questions };
  check(sameValue(questions, [42]), `"question" should carry 42, got ${short(questions)}`);
  check(sameValue(r1, { answer: 43 }), `expected {answer:43}, got ${short(r1)}`);
  const qEvent = s.named("question")[0];
  d.answered.questionArgsSeen = qEvent && short(qEvent.args);
  check(qEvent && qEvent.args.length === 2 && typeof qEvent.args[1] === "function",
    `an event with an ack must not carry an offset: "question" args ${short(qEvent?.args)}`);

  s.socket.off("question", answer);
  const t = Date.now();
  const from = s.events.length;
  const r2 = await new Promise((resolve, reject) => {
    s.socket.timeout(5000).emit("ask-client", (err, v) => (err ? reject(new ScenarioError(`no ack for ask-client (${err.message})`)) : resolve(v)));
  });
  const took = Date.now() - t;
  d.unanswered = { reply: r2, tookMs: took, questionSeen: s.named("question", from).length };
  check(sameValue(r2, { error: "operation has timed out" }), `expected {error:"operation has timed out"}, got ${short(r2)}`);
  check(took >= 1900 && took < 4000, `the server's 2000 ms ack timeout took ${took} ms`);
  check(d.unanswered.questionSeen === 1, "the unanswered question should still have been received");
}

async function rooms(ctx) {
  const d = ctx.details;
  const a = ctx.conn().socket("/", { auth: { nick: "a" } });
  const b = ctx.conn().socket("/", { auth: { nick: "b" } });
  const [ida, idb] = [await a.connected(), await b.connected()];
  d.ids = { a: ida, b: idb };

  const ja = await a.ack1("join", "r1");
  const jb = await b.ack1("join", "r1");
  d.joinAcks = { a: ja, b: jb };
  check(sameValue(ja, sortIds([ida, "r1"])), `join ack of a: ${short(ja)}`);
  check(sameValue(jb, sortIds([idb, "r1"])), `join ack of b: ${short(jb)}`);
  const jx = await a.ack1("join", "r2");
  check(sameValue(jx, sortIds([ida, "r1", "r2"])), `second join ack of a: ${short(jx)}`);

  const fromA = a.events.length;
  const fromB = b.events.length;
  a.socket.emit("to-room", "r1", { hello: "room" });
  const e = await b.nextEvent("room-msg", fromB);
  const payload = payloadOf(e, "room-msg");
  d.roomMsg = { args: short(e.args) };
  check(sameValue(payload, [{ hello: "room" }, ida]), `room-msg should be ({hello:"room"}, sender id), got ${short(payload)}`);
  await barrier(a);
  d.roomMsg.senderGotIt = a.named("room-msg", fromA).length;
  check(d.roomMsg.senderGotIt === 0, "to-room must exclude the sender");

  const f1 = await a.ack1("fetch", "r1");
  d.fetchBoth = f1;
  const want1 = [
    { id: ida, rooms: sortIds([ida, "r1", "r2"]), nick: "a" },
    { id: idb, rooms: sortIds([idb, "r1"]), nick: "b" },
  ].sort((x, y) => (x.id < y.id ? -1 : 1));
  check(sameValue(f1, want1), `fetch r1: expected ${short(want1)}, got ${short(f1)}`);
  const f0 = await a.ack1("fetch", "nobody-here");
  check(sameValue(f0, []), `fetch of an empty room: ${short(f0)}`);

  const la = await a.ack1("leave", "r1");
  d.leaveAck = la;
  check(sameValue(la, sortIds([ida, "r2"])), `leave ack: ${short(la)}`);
  const f2 = await a.ack1("fetch", "r1");
  check(sameValue(f2, [{ id: idb, rooms: sortIds([idb, "r1"]), nick: "b" }]), `fetch r1 after leave: ${short(f2)}`);
  const fromA2 = a.events.length;
  b.socket.emit("to-room", "r1", "after-leave");
  await barrier(b);
  await barrier(a);
  check(a.named("room-msg", fromA2).length === 0, "a left r1 but still got its room-msg");

  const t = Date.now();
  a.socket.emit("kick", "r1");
  await until(() => b.disconnects.length, 3000, "b to be kicked");
  d.kick = { bReason: b.disconnects[0].reason, afterMs: b.disconnects[0].at - t };
  check(b.disconnects[0].reason === "io server disconnect", `kicked socket reason should be "io server disconnect", got "${b.disconnects[0].reason}"`);
  const who = await a.ack1("whoami");
  check(a.socket.connected && a.disconnects.length === 0, "a (not in r1) must stay connected");
  check(who.id === ida, "a still answers");
  await sleep(300);
  d.kick.bReconnected = b.socket.connected;
  d.kick.bActive = b.socket.active;
  check(!b.socket.connected && !b.socket.active, "after io server disconnect the client must not reconnect");
  const f3 = await a.ack1("fetch", "r1");
  check(sameValue(f3, []), `r1 should be empty after kick, got ${short(f3)}`);
}

async function broadcast(ctx) {
  const d = ctx.details;
  const nicks = ["a", "b", "c"];
  const socks = nicks.map((nick) => {
    const s = ctx.conn().socket("/", { auth: { nick } });
    s.socket.on("poll", (q, cb) => cb(`${nick}:${q}`));
    return s;
  });
  for (const s of socks) await s.connected();
  const [a, b, c] = socks;
  d.count = await a.ack1("count");
  check(d.count === 3, `count should be 3 (is anything else connected to the server?), got ${d.count}`);

  let from = socks.map((s) => s.events.length);
  a.socket.emit("broadcast", { p: 1 });
  for (const s of [b, c]) {
    const e = await s.nextEvent("bcast", from[socks.indexOf(s)]);
    check(sameValue(payloadOf(e, "bcast"), [{ p: 1 }]), `bcast payload: ${short(e.args)}`);
  }
  await barrier(a);
  d.bcastReceivedBy = socks.map((s, i) => s.named("bcast", from[i]).length);
  check(sameValue(d.bcastReceivedBy, [0, 1, 1]), `broadcast should reach b and c once and not a: ${short(d.bcastReceivedBy)}`);

  from = socks.map((s) => s.events.length);
  a.socket.emit("all", "to-everyone");
  for (const [i, s] of socks.entries()) {
    const e = await s.nextEvent("all", from[i]);
    check(sameValue(payloadOf(e, "all"), ["to-everyone"]), `all payload: ${short(e.args)}`);
  }
  await Promise.all(socks.map(barrier));
  d.allReceivedBy = socks.map((s, i) => s.named("all", from[i]).length);
  check(sameValue(d.allReceivedBy, [1, 1, 1]), `all should reach everybody once: ${short(d.allReceivedBy)}`);
  d.allOffsetsEqual = new Set(socks.map((s, i) => s.named("all", from[i])[0].args.at(-1))).size === 1;

  const t = Date.now();
  const r = await b.ack1("broadcast-ask");
  d.broadcastAsk = { reply: r, tookMs: Date.now() - t };
  check(sameValue(r, ["a:q", "b:q", "c:q"]), `broadcast-ask should aggregate the 3 answers, got ${short(r)}`);
  const polls = socks.map((s) => s.named("poll").map((e) => short(e.args)));
  d.pollArgs = polls;
}

async function namespaces(ctx) {
  const d = ctx.details;
  const c = ctx.conn();
  const root = c.socket("/");
  const admin = c.socket("/admin", { auth: { token: "secret" } });
  const dyn = c.socket("/dyn-abc");
  for (const s of [root, admin, dyn]) await s.connected();
  d.engineIdAtConnect = Object.fromEntries([root, admin, dyn].map((s) => [s.nsp, s.connects[0].engineId]));
  d.ids = Object.fromEntries([root, admin, dyn].map((s) => [s.nsp, s.id]));
  d.tcpConnectionsOpened = c.tcpOpened;
  const eids = new Set(Object.values(d.engineIdAtConnect));
  check(eids.size === 1 && !eids.has(null), `the three namespaces should share one Engine.IO session: ${short(d.engineIdAtConnect)}`);
  check(new Set(Object.values(d.ids)).size === 3, "each namespace socket should get its own id");
  check(Object.values(d.ids).every((id) => id !== c.engineId && id.length === 20), "namespace socket ids: 20 chars, != engine id");
  if (ctx.transports === "websocket") check(c.tcpOpened === 1, `one websocket connection expected, ${c.tcpOpened} opened`);

  const ha = await admin.nextEvent("hello-admin", 0);
  const hd = await dyn.nextEvent("hello-dyn", 0);
  d.helloAdmin = short(ha.args);
  d.helloDyn = short(hd.args);
  check(sameValue(payloadOf(ha, "hello-admin"), [admin.id]), `hello-admin should carry the admin socket id: ${short(ha.args)}`);
  check(sameValue(payloadOf(hd, "hello-dyn"), ["/dyn-abc"]), `hello-dyn should carry "/dyn-abc": ${short(hd.args)}`);
  const who = await root.ack1("whoami");
  check(who.id === root.id, "whoami on / after the other namespaces connected");

  // refused namespaces, on a second manager that stays connected on "/"
  const c2 = ctx.conn();
  const keep = c2.socket("/");
  await keep.connected();
  const bad = c2.socket("/admin", { auth: { token: "nope" } });
  const unknown = c2.socket("/unknown");
  await until(() => bad.connectErrors.length && unknown.connectErrors.length, 3000, "connect_error on /admin (bad token) and /unknown");
  await sleep(200); // any retry would show up as a second connect_error
  d.badToken = bad.connectErrors;
  d.unknown = unknown.connectErrors;
  const be = bad.connectErrors[0];
  check(be.message === "not authorized", `bad token: message should be "not authorized", got ${short(be.message)}`);
  check(sameValue(be.data, { reason: "bad token" }), `bad token: data should be {reason:"bad token"}, got ${short(be.data)}`);
  const ue = unknown.connectErrors[0];
  check(ue.message === "Invalid namespace", `unknown namespace: message should be "Invalid namespace", got ${short(ue.message)}`);
  check(ue.data === undefined, `unknown namespace: no data expected, got ${short(ue.data)}`);
  check(bad.connectErrors.length === 1 && unknown.connectErrors.length === 1, "connect_error must not be retried");
  check(!bad.socket.connected && !bad.socket.active && !unknown.socket.active, "refused sockets must be inactive");
  const who2 = await keep.ack1("whoami");
  d.afterRefusals = { engineId: c2.engineId, sameEngine: keep.connects[0].engineId === c2.engineId };
  check(who2.id === keep.id && d.afterRefusals.sameEngine && keep.disconnects.length === 0,
    "refusals must not disturb the other namespace on the same connection");
}

async function disconnectReasons(ctx) {
  const d = ctx.details;
  const observer = ctx.conn().socket("/", { auth: { nick: "observer" } });
  await observer.connected();

  // 1. server-side socket.disconnect(false): only that namespace goes
  const c = ctx.conn();
  const root = c.socket("/");
  const dyn = c.socket("/dyn-abc");
  await root.connected();
  await dyn.connected();
  const engineId = c.engineId;
  const base = await observer.ack1("count");
  root.socket.emit("disconnect-me", false);
  await until(() => root.disconnects.length, 3000, "disconnect after disconnect-me false");
  await sleep(200);
  d.serverDisconnect = {
    reason: root.disconnects[0].reason,
    managerEngineState: c.engine?.readyState ?? null,
    otherNamespaceConnected: dyn.socket.connected,
    rootActive: root.socket.active,
    managerCloses: [...c.closes],
  };
  check(root.disconnects[0].reason === "io server disconnect", `reason should be "io server disconnect", got "${root.disconnects[0].reason}"`);
  check(!root.socket.active, "the client must not reconnect after io server disconnect");
  check(dyn.socket.connected && dyn.disconnects.length === 0, "the other namespace must stay connected");
  check(c.engine?.readyState === "open" && c.engineId === engineId && c.closes.length === 0, "the manager / engine must stay open");
  const afterServer = await observer.ack1("count");
  check(afterServer === base - 1, `count should drop from ${base} to ${base - 1}, got ${afterServer}`);

  // reconnecting the namespace by hand reuses the same engine
  root.socket.connect();
  await until(() => root.connects.length === 2, 3000, "/ to connect again");
  d.reconnectByHand = { newId: root.id, engineId: root.connects[1].engineId, sameEngine: root.connects[1].engineId === engineId };
  check(root.connects[1].id !== root.connects[0].id, "a new connect should get a new id");
  check(d.reconnectByHand.sameEngine, "reconnecting the namespace should reuse the open engine");
  check(root.connects[1].recovered === false, "a namespace reconnect after io server disconnect is not a recovery");
  const who = await root.ack1("whoami");
  check(who.id === root.id, "whoami after reconnecting by hand");

  // 2. client-side socket.disconnect()
  root.socket.disconnect();
  d.clientDisconnect = { reason: root.disconnects[1]?.reason, sync: root.disconnects.length === 2 };
  check(root.disconnects[1]?.reason === "io client disconnect", `reason should be "io client disconnect", got "${root.disconnects[1]?.reason}"`);
  let cnt;
  for (let i = 0; i < 20; i++) {
    cnt = await observer.ack1("count");
    if (cnt === base - 1) break;
    await sleep(50);
  }
  d.clientDisconnect.countAfter = cnt;
  check(cnt === base - 1, `the server should drop the socket after a client disconnect: count ${cnt}, want ${base - 1}`);
  check(dyn.socket.connected && c.engine?.readyState === "open", "the other namespace keeps the manager open");

  // 3. server-side socket.disconnect(true): the whole connection goes
  const c2 = ctx.conn();
  const root2 = c2.socket("/");
  const dyn2 = c2.socket("/dyn-abc");
  await root2.connected();
  await dyn2.connected();
  root2.socket.emit("disconnect-me", true);
  await until(() => root2.disconnects.length && dyn2.disconnects.length && c2.engine?.readyState !== "open", 3000,
    "both namespaces to go after disconnect-me true");
  await sleep(300);
  d.serverDisconnectClose = {
    rootReason: root2.disconnects[0].reason,
    otherNamespaceReasons: dyn2.disconnects.map((x) => x.reason),
    managerCloses: [...c2.closes],
    engineState: c2.engine?.readyState ?? null,
    rootActive: root2.socket.active,
    otherActive: dyn2.socket.active,
  };
  check(root2.disconnects[0].reason === "io server disconnect", `disconnect-me true: reason should be "io server disconnect", got "${root2.disconnects[0].reason}"`);
  check(!root2.socket.connected && !dyn2.socket.connected, "disconnect-me true should disconnect every namespace");
}

async function ordering(ctx) {
  const d = ctx.details;
  const c = ctx.conn();
  const s = c.socket("/");
  // client -> server: 200 echo emits without ack, issued before the connection
  // is even up (the client buffers them and flushes them on connect, which with
  // --transports both is while the upgrade to websocket is in flight)
  const M = 200;
  let from = s.events.length;
  for (let i = 0; i < M; i++) s.socket.emit("echo", i);
  await s.connected();
  d.echo = { transportAtConnect: c_transport(s) };
  try {
    await until(() => s.named("echo", from).length >= M, 8000, `${M} echoes`);
  } finally {
    d.echo.received = s.named("echo", from).length;
  }
  await barrier(s);
  const echoes = s.named("echo", from).map((e) => payloadOf(e, "echo"));
  d.echo.received = echoes.length;
  d.echo.firstOutOfOrder = echoes.findIndex((v, i) => !sameValue(v, [i]));
  d.echo.transportAtEnd = c_transport(s);
  d.echo.upgradedAfterConnectMs = c.upgrades[0] ? c.upgrades[0].at - s.connects[0].at : null;
  check(echoes.length === M, `expected ${M} echoes, got ${echoes.length}`);
  check(d.echo.firstOutOfOrder === -1, `echoes out of order at #${d.echo.firstOutOfOrder}: ${short(echoes[d.echo.firstOutOfOrder])}`);

  // server -> client: emit-burst 500
  const N = 500;
  from = s.events.length;
  s.socket.emit("emit-burst", N);
  try {
    await until(() => s.named("burst", from).length >= N, 8000, `${N} burst events`);
  } finally {
    d.burst = { received: s.named("burst", from).length };
  }
  await barrier(s);
  const got = s.named("burst", from);
  const idx = got.map((e) => payloadOf(e, "burst")[0]);
  d.burst.received = got.length;
  d.burst.firstOutOfOrder = idx.findIndex((v, i) => v !== i);
  d.burst.distinctOffsets = new Set(got.map((e) => e.args.at(-1))).size;
  d.burst.transportAtEnd = c_transport(s);
  check(got.length === N, `expected ${N} burst events, got ${got.length}`);
  check(d.burst.firstOutOfOrder === -1, `burst out of order at #${d.burst.firstOutOfOrder}: ${idx[d.burst.firstOutOfOrder]}`);
  check(got.every((e) => e.args.length === 2), "burst events: (index, offset) expected");
  check(d.burst.distinctOffsets === N, `every burst event should have its own offset (${d.burst.distinctOffsets} distinct)`);
}

function c_transport(s) {
  return s.conn.engine?.transport?.name ?? null;
}

async function volatile(ctx) {
  const d = ctx.details;
  const s = ctx.conn().socket("/");
  await s.connected();
  if (ctx.transports === "both") await until(() => c_transport(s) === "websocket", 3000, "the upgrade").catch(() => {});
  await barrier(s);
  const N = 50;
  const from = s.events.length;
  s.socket.emit("volatile", N);
  await barrier(s);
  await sleep(300);
  const got = s.named("v", from);
  const idx = got.map((e) => e.args[0]);
  d.transport = c_transport(s);
  d.received = got.length;
  d.indices = idx.length > 20 ? [...idx.slice(0, 20), "..."] : idx;
  check(got.length <= N, `more volatile events than sent: ${got.length}`);
  check(got.every((e) => e.args.length === 1), `volatile events carry no offset: ${short(got.find((e) => e.args.length !== 1)?.args)}`);
  check(idx.every((v, i) => Number.isInteger(v) && v >= 0 && v < N && (i === 0 || v > idx[i - 1])), `volatile indices should be increasing: ${short(idx)}`);
}

async function catchAll(ctx) {
  const d = ctx.details;
  const s = ctx.conn().socket("/");
  const seen = [];
  s.socket.onAny((ev, ...args) => seen.push([ev, args]));
  s.socket.on("question", (q, cb) => cb("ok"));
  await s.connected();
  const sent = [];
  const emit = (ev, ...args) => {
    sent.push(ev);
    s.socket.emit(ev, ...args);
  };
  emit("echo", "x");
  emit("emit-burst", 2);
  emit("no-such-handler", 1, 2);
  sent.push("ask-client");
  const ans = await s.ack1("ask-client");
  check(sameValue(ans, { answer: "ok" }), `ask-client: ${short(ans)}`);
  sent.push("whoami");
  await s.ack1("whoami");
  sent.push("any-log");
  const log = await s.ack1("any-log");
  d.serverAnyLog = log;
  d.clientSent = sent;
  check(sameValue(log, sent), `server onAny should list exactly ${short(sent)}, got ${short(log)}`);
  d.clientOnAny = seen.map(([ev, args]) => `${ev}(${args.length})`);
  const names = seen.map(([ev]) => ev);
  check(sameValue(names, ["echo", "burst", "burst", "question"]), `client onAny should see echo, burst, burst, question; saw ${short(names)}`);
  check(sameValue(payloadOf({ ev: "echo", args: seen[0][1] }, "echo"), ["x"]), `onAny echo args: ${short(seen[0][1])}`);
  check(typeof seen[3][1].at(-1) === "function", "onAny should get the ack function of an event with ack as last argument");
}

async function recovery(ctx) {
  const d = ctx.details;
  const ca = ctx.conn({ reconnectionDelay: 1000, reconnectionDelayMax: 1000, randomizationFactor: 0 });
  const a = ca.socket("/", { auth: { nick: "rec" } });
  const b = ctx.conn().socket("/", { auth: { nick: "other" } });
  const ida = await a.connected();
  await b.connected();
  if (ctx.transports === "both") await until(() => c_transport(a) === "websocket", 3000, "the upgrade").catch(() => {});
  d.idBefore = ida;
  d.pid = a.socket._pid ?? null;
  const jr = await a.ack1("join", "r");
  check(sameValue(jr, sortIds([ida, "r"])), `join r: ${short(jr)}`);

  // the client resumes from the offset of the last event it received: make sure there is one
  let from = a.events.length;
  b.socket.emit("to-room", "r", "before-0");
  await a.nextEvent("room-msg", from);
  d.lastOffsetBeforeCut = a.socket._lastOffset ?? null;

  // network cut
  d.transportAtCut = c_transport(a);
  const tCut = Date.now();
  d.tcpConnectionsCut = ca.cut();
  check(d.tcpConnectionsCut >= 1, "no TCP connection to cut");
  await until(() => a.disconnects.length, 3000 + (ctx.pingInterval ?? 0) + (ctx.pingTimeout ?? 0), "the client to notice the cut");
  d.clientReason = a.disconnects[0].reason;
  d.clientDescription = a.disconnects[0].description;
  d.clientNoticedAfterMs = a.disconnects[0].at - tCut;
  // wait until the server has dropped the socket (it leaves its rooms then)
  const serverLimit = 2000 + (ctx.pingInterval ?? 25000) + (ctx.pingTimeout ?? 20000);
  let members;
  const tw = Date.now();
  for (;;) {
    members = (await b.ack1("fetch", "r")).map((x) => x.id);
    if (!members.includes(ida)) break;
    check(Date.now() - tw < serverLimit, `the server did not drop the cut socket within ${serverLimit} ms`);
    await sleep(20);
  }
  d.serverNoticedAfterMs = Date.now() - tCut;
  // messages sent while a is away
  const missed = ["missed-0", "missed-1", "missed-2", "missed-3", "missed-4"];
  d.aConnectedWhileSending = a.socket.connected;
  for (const m of missed) b.socket.emit("to-room", "r", m);
  await barrier(b);
  d.sentMissedAfterMs = Date.now() - tCut;
  check(a.connects.length === 1 && !a.socket.connected, "a reconnected before the missed messages were sent (timing)");

  from = a.events.length;
  await until(() => a.connects.length === 2, 8000, "a to reconnect");
  d.reconnectedAfterMs = a.connects[1].at - tCut;
  d.recovered = a.socket.recovered;
  d.idAfter = a.id;
  check(a.socket.recovered === true, "socket.recovered should be true after the reconnection");
  check(a.id === ida, `id should be kept: ${ida} -> ${a.id}`);
  await barrier(a);
  const msgs = a.named("room-msg", from).map((e) => payloadOf(e, "room-msg"));
  d.receivedAfterReconnect = msgs.map((m) => m[0]);
  // the reference writes the missed packets before the CONNECT packet; the client
  // buffers them and emits them just before "connect" (reported, not asserted)
  d.missedEmittedBeforeConnectEvent = a.connects[1].eventsBefore - from === missed.length;
  check(sameValue(msgs, missed.map((m) => [m, b.id])), `missed messages should arrive once, in order, before anything else: ${short(msgs)}`);
  const who = await a.ack1("whoami");
  d.whoamiAfter = who;
  check(who.id === ida && who.recovered === true, `whoami after recovery: ${short(who)}`);
  check(sameValue(who.rooms, sortIds([ida, "r"])), `rooms after recovery: ${short(who.rooms)}`);
  check(who.nick === "rec", `socket.data should be restored (nick "rec"), got ${short(who.nick)}`);

  from = a.events.length;
  b.socket.emit("to-room", "r", "live");
  const e = await a.nextEvent("room-msg", from);
  check(sameValue(payloadOf(e, "room-msg"), ["live", b.id]), `live room-msg after recovery: ${short(e.args)}`);
}

async function authAndQuery(ctx) {
  const d = ctx.details;
  const c = ctx.conn({ query: { x: "1" } });
  const s = c.socket("/", { auth: { nick: "ann" } });
  await s.connected();
  const who = await s.ack1("whoami");
  d.whoami = who;
  check(who.nick === "ann", `nick from auth should be "ann", got ${short(who.nick)}`);
  const q = who.handshakeQuery;
  check(q && typeof q === "object", `handshakeQuery should be an object: ${short(q)}`);
  d.queryKeys = Object.keys(q);
  check(q.x === "1", `handshakeQuery.x should be "1", got ${short(q.x)}`);
  check(q.EIO === "4", `handshakeQuery.EIO should be "4", got ${short(q.EIO)}`);
  const first = ctx.transports === "websocket" ? "websocket" : "polling";
  check(q.transport === first, `handshakeQuery.transport should be the first transport ${first}, got ${short(q.transport)}`);
  checkTransport(ctx, who, "whoami");
}

const SCENARIOS = {
  connect: { run: connect },
  echo: { run: echo },
  binary: { run: binary },
  "acks-from-server": { run: acksFromServer },
  rooms: { run: rooms },
  broadcast: { run: broadcast },
  namespaces: { run: namespaces },
  "disconnect-reasons": { run: disconnectReasons },
  ordering: { run: ordering, budget: () => 20000 },
  volatile: { run: volatile },
  "catch-all": { run: catchAll },
  recovery: { run: recovery, budget: (pi, pt) => 15000 + (pi ?? 0) + (pt ?? 0) },
  "auth-and-query": { run: authAndQuery },
};

// ---------------------------------------------------------------------------
// runner

async function main() {
  let args;
  let name = null;
  const finish = (ok, details, code) => {
    process.stdout.write(JSON.stringify({ scenario: name, ok, details }) + "\n");
    process.exitCode = code ?? (ok ? 0 : 1);
    // Safety net: if anything still keeps the loop alive, exit anyway.
    setTimeout(() => process.exit(process.exitCode), 3000).unref();
  };

  let ctx;
  try {
    args = parseArgs(process.argv.slice(2));
    name = typeof args.scenario === "string" ? args.scenario : null;
    if (typeof args.url !== "string") throw new Error("--url is required");
    if (!name || !SCENARIOS[name]) throw new Error(`--scenario must be one of: ${Object.keys(SCENARIOS).join(", ")}`);
    const transports = args.transports ?? "both";
    if (!Object.hasOwn(TRANSPORTS, transports)) throw new Error("--transports must be polling, websocket or both");
    ctx = {
      url: args.url,
      path: typeof args.path === "string" ? args.path : "/socket.io",
      transports,
      transportList: TRANSPORTS[transports],
      pingInterval: optNumber(args["ping-interval"], "ping-interval"),
      pingTimeout: optNumber(args["ping-timeout"], "ping-timeout"),
      timeout: optNumber(args.timeout, "timeout"),
      details: { transports },
    };
    const parser = args.parser ?? "json";
    if (parser === "msgpack") {
      ctx.parser = msgpackParser;
      ctx.details.parser = "msgpack";
    } else if (parser !== "json") throw new Error("--parser must be json or msgpack");
  } catch (e) {
    return finish(false, { error: `usage: ${e.message}` }, 2);
  }

  const scenario = SCENARIOS[name];
  const started = Date.now();
  let budgetTimer;
  let rejectBudget;
  const budgetPromise = new Promise((_, reject) => (rejectBudget = reject));
  budgetPromise.catch(() => {});
  const setBudget = (ms) => {
    if (ctx.timeout !== undefined) ms = ctx.timeout; // explicit --timeout wins
    clearTimeout(budgetTimer);
    ctx.budgetMs = ms;
    budgetTimer = setTimeout(
      () => rejectBudget(new ScenarioError(`scenario timed out after ${ms} ms`)),
      Math.max(0, started + ms - Date.now()),
    );
  };
  ctx.setBudget = setBudget;
  ctx.conn = (opts) => new Conn(ctx, opts);
  setBudget(scenario.budget?.(ctx.pingInterval, ctx.pingTimeout) ?? 10000);

  let ok = false;
  try {
    await Promise.race([scenario.run(ctx), budgetPromise]);
    ok = true;
  } catch (e) {
    ctx.details.error = e instanceof ScenarioError ? e.message : String(e?.stack ?? e);
  } finally {
    clearTimeout(budgetTimer);
    waiters.clear();
    const lingering = await closeAll();
    if (lingering) ctx.details.tcpLeftOpenAtExit = lingering;
    const errs = [...allSocks].flatMap((s) => s.connectErrors.map((e) => `${s.nsp}: ${e.message}`));
    if (errs.length && !ok) ctx.details.connectErrors = errs;
  }
  ctx.details.elapsedMs = Date.now() - started;
  finish(ok, ctx.details);
}

main();
