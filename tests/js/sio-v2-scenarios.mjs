// Drives the official Socket.IO v2 client (npm `socket.io-client` 2.5.0, installed as
// `socket.io-client-v2`: Engine.IO v3, the Socket.IO v4 protocol) against a server with the
// contract of sio-reference-server.mjs started with --allow-eio3, and runs ONE scenario.
//
//   node tests/js/sio-v2-scenarios.mjs --url http://127.0.0.1:PORT --scenario NAME \
//        [--transports polling|websocket|both] [--ping-interval MS --ping-timeout MS] [--timeout MS]
//
// Prints exactly one JSON line {"scenario":NAME,"ok":true|false,"details":...} on stdout;
// exits 0 when ok, 1 otherwise (2 on bad usage). Same conventions as sio-scenarios.mjs.
//
// What a v2 client sees of that contract: it is connected to "/" without asking, its socket
// id is the Engine.IO session id ("/admin#<sid>" in /admin), namespace auth travels as the
// namespace's query string, a refusal arrives as an "error" event carrying the error's data
// (or its message), and (connection state recovery being on) every server emit without ack
// and not volatile ends with one extra string argument, the offset.
//
// | scenario | what it asserts |
// | connect | one "connect"; socket.id == engine id; whoami: id, rooms [id], nick anon, EIO "3", transport |
// | echo | strings, numbers, unicode, objects, nested arrays, no args: via ack (exact) and via event (args + offset) |
// | binary | Buffers at depth, two attachments (256 B + 64 KiB), empty Buffer: via ack and via event; the client's ack of "question" with a Buffer comes back binary |
// | acks | the server's "question" (42, no offset) answered 43 -> {answer: 43}; unanswered -> {error: "operation has timed out"} |
// | rooms | two v2 clients: join/leave acks, to-room reaches the other only (payload, sender id, offset), nothing after leave |
// | namespaces | /admin?token=secret and /dyn-abc on the same engine: hello-admin ("/admin#<sid>"), hello-dyn; /admin?token=bad -> "error" {reason: "bad token"}; /unknown -> "error" {message: "Invalid namespace"}; "/" undisturbed |
// | disconnect | disconnect-me false -> "io server disconnect", no reconnect; a client disconnect leaves the server count at the rest |
// | heartbeat | idle 3 x (interval + timeout): still connected, the client's pings answered (>= 2 pongs) |
// | server-drop | the client stops pinging: the server drops it after interval + timeout ("ping timeout"), the client reconnects with a new id and works |
// | upgrade | (both) 100 echoes sent right after connect come back in order; ends on websocket, "upgrade" seen |
// | mixed-room | a v2 and a v4 client (socket.io-client 4.8) in one room: one to-room from a third v4 client, with a Buffer, reaches both once, binary intact |

import { createRequire } from "node:module";
import { io as ioV4 } from "socket.io-client";

const require = createRequire(import.meta.url);
const ioV2 = require("socket.io-client-v2");

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument: ${a}`);
    if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = true;
  }
  return out;
}

const TRANSPORTS = { polling: ["polling"], websocket: ["websocket"], both: undefined };

class ScenarioError extends Error {}
function check(cond, msg) {
  if (!cond) throw new ScenarioError(msg);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const isBinary = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
const toBuffer = (v) =>
  Buffer.isBuffer(v) ? v : v instanceof ArrayBuffer ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
/** JSON text keeping key order, binary as its base64. */
function canon(v) {
  return JSON.stringify(v, function (k, x) {
    const raw = this[k];
    if (isBinary(raw)) return { $binary: toBuffer(raw).toString("base64") };
    return x;
  });
}
const same = (a, b) => canon(a) === canon(b);

/** Resolves once pred() is truthy, polling every 10 ms. */
async function until(pred, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > end) throw new ScenarioError(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

const opened = [];

/** A v2 client socket on namespace `nsp` (query string included), with its own Manager. */
function v2(ctx, nsp = "/", opts = {}) {
  const s = ioV2(ctx.url + (nsp === "/" ? "" : nsp), {
    transports: ctx.transportList,
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    ...opts,
  });
  return record(s);
}

/** Records a socket's connects, disconnects, errors and events. */
function record(s) {
  s.log = { connects: 0, disconnects: [], errors: [], events: [] };
  s.on("connect", () => s.log.connects++);
  s.on("disconnect", (r) => s.log.disconnects.push(r));
  s.on("error", (e) => s.log.errors.push(e));
  s.on("connect_error", (e) => s.log.errors.push({ connect_error: e?.message ?? String(e) }));
  const onevent = s.onevent;
  s.onevent = function (packet) {
    s.log.events.push(packet.data ?? []);
    return onevent.call(this, packet);
  };
  opened.push(s);
  return s;
}

const connected = (s, what = "connect") => until(() => s.connected, 5000, what);

/** emit with ack, as a promise of the ack's arguments. */
function ask(s, ...args) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new ScenarioError(`no ack for ${args[0]}`)), 5000);
    s.emit(...args, (...res) => {
      clearTimeout(t);
      resolve(res);
    });
  });
}

const eventsNamed = (s, name) => s.log.events.filter((e) => e[0] === name).map((e) => e.slice(1));

/** Strips and checks the recovery offset (last argument, a string). */
function withoutOffset(args, what) {
  check(args.length > 0 && typeof args[args.length - 1] === "string", `${what}: no offset in ${canon(args)}`);
  return args.slice(0, -1);
}

// ---------------------------------------------------------------------------
// scenarios

async function connect(ctx) {
  const s = v2(ctx);
  await connected(s);
  await sleep(100);
  check(s.log.connects === 1, `connects: ${s.log.connects}`);
  const engineId = s.io.engine.id;
  check(s.id === engineId, `socket id ${s.id} != engine id ${engineId}`);
  const [who] = await ask(s, "whoami");
  ctx.details.whoami = who;
  check(who.id === engineId, `whoami id ${who.id}`);
  check(same(who.rooms, [engineId]), `rooms ${canon(who.rooms)}`);
  check(who.nick === "anon" && who.recovered === false, `nick/recovered ${canon(who)}`);
  check(who.handshakeQuery.EIO === "3", `EIO ${who.handshakeQuery.EIO}`);
  const want = ctx.transports === "websocket" ? "websocket" : ctx.transports === "polling" ? "polling" : null;
  if (want) check(who.transport === want, `transport ${who.transport}`);
}

const ECHO_CASES = [
  ["hello"],
  [1, 2.5, -3, 1e21],
  [true, false, null],
  ["héllo 😀 €", "\u2028"],
  [{ b: 1, a: [1, { c: "d" }], e: {} }],
  [[[[]]], []],
  [],
];

async function echo(ctx) {
  const s = v2(ctx);
  await connected(s);
  for (const args of ECHO_CASES) {
    const res = await ask(s, "echo", ...args);
    check(same(res, args), `ack echo ${canon(args)} -> ${canon(res)}`);
    const before = eventsNamed(s, "echo").length;
    s.emit("echo", ...args);
    await until(() => eventsNamed(s, "echo").length > before, 3000, "echo event");
    const got = withoutOffset(eventsNamed(s, "echo")[before], "echo event");
    check(same(got, args), `event echo ${canon(args)} -> ${canon(got)}`);
  }
}

async function binary(ctx) {
  const s = v2(ctx);
  await connected(s);
  const big = Buffer.alloc(65536, 7);
  const small = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const cases = [[{ deep: [small] }], [small, big], [Buffer.alloc(0)], ["x", { y: Buffer.from([1, 2, 3]) }]];
  for (const args of cases) {
    const res = await ask(s, "echo", ...args);
    check(same(res, args), `ack binary -> ${canon(res).slice(0, 200)}`);
    const before = eventsNamed(s, "echo").length;
    s.emit("echo", ...args);
    await until(() => eventsNamed(s, "echo").length > before, 3000, "binary echo event");
    const got = withoutOffset(eventsNamed(s, "echo")[before], "binary event");
    check(same(got, args), `event binary -> ${canon(got).slice(0, 200)}`);
  }
  s.on("question", (n, ack) => ack({ blob: Buffer.from([9, 8, 7]), n }));
  const [res] = await ask(s, "ask-client");
  check(isBinary(res?.answer?.blob) && same(res.answer, { blob: Buffer.from([9, 8, 7]), n: 42 }), `ask-client ${canon(res)}`);
}

async function acks(ctx) {
  const s = v2(ctx);
  await connected(s);
  let question;
  s.on("question", (...args) => {
    question = args;
    args[args.length - 1](43);
  });
  const [res] = await ask(s, "ask-client");
  check(same(res, { answer: 43 }), `ask-client ${canon(res)}`);
  check(question.length === 2 && question[0] === 42, `question args ${canon(question.slice(0, -1))} (no offset)`);
  s.off("question");
  s.on("question", () => {}); // never answers
  const t0 = Date.now();
  const [late] = await ask(s, "ask-client");
  check(same(late, { error: "operation has timed out" }), `unanswered ${canon(late)}`);
  ctx.details.timeoutMs = Date.now() - t0;
}

async function rooms(ctx) {
  const a = v2(ctx);
  const b = v2(ctx);
  await connected(a);
  await connected(b);
  const [ra] = await ask(a, "join", "r");
  check(same(ra, [a.id, "r"].sort()), `join acks ${canon(ra)}`);
  await ask(b, "join", "r");
  a.emit("to-room", "r", { n: 1 });
  await until(() => eventsNamed(b, "room-msg").length === 1, 3000, "room-msg");
  const got = withoutOffset(eventsNamed(b, "room-msg")[0], "room-msg");
  check(same(got, [{ n: 1 }, a.id]), `room-msg ${canon(got)}`);
  await sleep(100);
  check(eventsNamed(a, "room-msg").length === 0, "the sender got its own room message");
  const [left] = await ask(b, "leave", "r");
  check(same(left, [b.id]), `leave acks ${canon(left)}`);
  a.emit("to-room", "r", { n: 2 });
  await sleep(200);
  check(eventsNamed(b, "room-msg").length === 1, "a room message after leave");
}

async function namespaces(ctx) {
  const main = v2(ctx);
  await connected(main);
  const mgr = main.io;
  const admin = record(mgr.socket("/admin", { query: { token: "secret" } }));
  const dyn = record(mgr.socket("/dyn-abc"));
  await connected(admin, "/admin");
  await connected(dyn, "/dyn-abc");
  const sid = mgr.engine.id;
  await until(() => eventsNamed(admin, "hello-admin").length, 3000, "hello-admin");
  const hello = withoutOffset(eventsNamed(admin, "hello-admin")[0], "hello-admin");
  check(same(hello, [`/admin#${sid}`]), `hello-admin ${canon(hello)} (engine ${sid})`);
  check(admin.id === `/admin#${sid}`, `admin id ${admin.id}`);
  await until(() => eventsNamed(dyn, "hello-dyn").length, 3000, "hello-dyn");
  check(same(withoutOffset(eventsNamed(dyn, "hello-dyn")[0], "hello-dyn"), ["/dyn-abc"]), "hello-dyn");
  // Refusals, on a second Manager.
  const other = v2(ctx);
  await connected(other);
  const bad = record(other.io.socket("/admin", { query: { token: "bad" } }));
  const unknown = record(other.io.socket("/unknown"));
  await until(() => bad.log.errors.length && unknown.log.errors.length, 3000, "refusals");
  check(same(bad.log.errors[0], { reason: "bad token" }), `bad token -> ${canon(bad.log.errors)}`);
  check(same(unknown.log.errors[0], { message: "Invalid namespace" }), `unknown -> ${canon(unknown.log.errors)}`);
  check(!bad.connected && !unknown.connected, "a refused namespace connected");
  const res = await ask(other, "echo", "still");
  check(same(res, ["still"]), "/ disturbed by the refusals");
  check(main.connected && admin.connected, "the first manager was disturbed");
}

async function disconnect(ctx) {
  const a = v2(ctx);
  const b = v2(ctx);
  await connected(a);
  await connected(b);
  const [n] = await ask(b, "count");
  check(n === 2, `count ${n}`);
  a.emit("disconnect-me", false);
  await until(() => a.log.disconnects.length, 3000, "server disconnect");
  check(same(a.log.disconnects, ["io server disconnect"]), `reason ${canon(a.log.disconnects)}`);
  await sleep(300);
  check(!a.connected && a.log.connects === 1, "reconnected after a server disconnect");
  check((await ask(b, "count"))[0] === 1, "count after the server disconnect");
  const c = v2(ctx);
  await connected(c);
  c.disconnect();
  check(same(c.log.disconnects, ["io client disconnect"]), `client reason ${canon(c.log.disconnects)}`);
  await sleep(200);
  check((await ask(b, "count"))[0] === 1, "count after a client disconnect");
}

async function heartbeat(ctx) {
  const s = v2(ctx);
  await connected(s);
  let pongs = 0;
  s.io.on("pong", () => pongs++);
  const period = (ctx.pingInterval ?? 300) + (ctx.pingTimeout ?? 200);
  await sleep(3 * period);
  ctx.details.pongs = pongs;
  check(s.connected && s.log.disconnects.length === 0, `dropped: ${canon(s.log.disconnects)}`);
  check(pongs >= 2, `pongs ${pongs}`);
  check(same(await ask(s, "echo", 1), [1]), "echo after idling");
}

async function serverDrop(ctx) {
  const s = v2(ctx);
  await connected(s);
  const first = s.id;
  const watcher = v2(ctx);
  await connected(watcher);
  // Silence the client: no more pings, and its own watchdog off, so only the server can end
  // the session.
  const e = s.io.engine;
  e.setPing = () => {};
  clearTimeout(e.pingIntervalTimer);
  clearTimeout(e.pingTimeoutTimer);
  e.removeAllListeners("heartbeat");
  const t0 = Date.now();
  await until(() => s.log.disconnects.length, 5000, "the server dropping the silent client");
  const after = Date.now() - t0;
  ctx.details.droppedAfterMs = after;
  ctx.details.reason = s.log.disconnects[0];
  const period = (ctx.pingInterval ?? 300) + (ctx.pingTimeout ?? 200);
  check(after >= period - 400, `dropped after ${after} ms, before interval + timeout`);
  check(["transport close", "transport error"].includes(s.log.disconnects[0]), `reason ${s.log.disconnects[0]}`);
  await until(() => s.log.connects === 2 && s.connected, 5000, "the reconnection");
  check(s.id !== first && s.id === s.io.engine.id, `new id ${s.id} (was ${first})`);
  check(same(await ask(s, "echo", "back"), ["back"]), "echo after reconnecting");
  const [n] = await ask(watcher, "count");
  check(n === 2, `count ${n}: the dropped socket is still there`);
}

async function upgrade(ctx) {
  const s = v2(ctx);
  const upgrades = [];
  s.io.on("open", () => s.io.engine.on("upgrade", (t) => upgrades.push(t.name)));
  await connected(s);
  for (let i = 0; i < 100; i++) s.emit("echo", `m-${i}`);
  await until(() => eventsNamed(s, "echo").length === 100, 8000, "100 echoes");
  const got = eventsNamed(s, "echo").map((a) => withoutOffset(a, "echo")[0]);
  check(same(got, Array.from({ length: 100 }, (_, i) => `m-${i}`)), `order ${canon(got).slice(0, 200)}`);
  if (ctx.transports === "both") {
    await until(() => s.io.engine.transport.name === "websocket", 5000, "the upgrade");
    check(same(upgrades, ["websocket"]), `upgrades ${canon(upgrades)}`);
    const [who] = await ask(s, "whoami");
    check(who.transport === "websocket", `server transport ${who.transport}`);
  }
  ctx.details.transport = s.io.engine.transport.name;
}

async function mixedRoom(ctx) {
  const old = v2(ctx);
  const v4opts = { transports: ctx.transportList, forceNew: true };
  const young = ioV4(ctx.url, v4opts);
  const sender = ioV4(ctx.url, v4opts);
  opened.push(young, sender);
  const got = { old: [], young: [] };
  young.on("room-msg", (...a) => got.young.push(a));
  await connected(old);
  await until(() => young.connected && sender.connected, 5000, "v4 clients");
  old.on("room-msg", (...a) => got.old.push(a));
  await ask(old, "join", "mix");
  await young.emitWithAck("join", "mix");
  const payload = { text: "to both", blob: Buffer.from([1, 2, 3, 255]) };
  sender.emit("to-room", "mix", payload);
  await until(() => got.old.length && got.young.length, 3000, "the room message on both");
  await sleep(200);
  check(got.old.length === 1 && got.young.length === 1, `deliveries ${got.old.length}/${got.young.length}`);
  const a = withoutOffset(got.old[0], "v2 room-msg");
  const b = withoutOffset(got.young[0], "v4 room-msg");
  check(same(a, [payload, sender.id]), `v2 got ${canon(a)}`);
  check(same(b, [payload, sender.id]), `v4 got ${canon(b)}`);
  check(got.old[0].at(-1) === got.young[0].at(-1), "one broadcast, one offset");
}

const SCENARIOS = {
  connect,
  echo,
  binary,
  acks,
  rooms,
  namespaces,
  disconnect,
  heartbeat,
  "server-drop": serverDrop,
  upgrade,
  "mixed-room": mixedRoom,
};

async function main() {
  let name = null;
  const finish = (ok, details, code) => {
    process.stdout.write(JSON.stringify({ scenario: name, ok, details }) + "\n");
    process.exitCode = code ?? (ok ? 0 : 1);
    for (const s of opened) {
      try {
        s.close();
      } catch {}
    }
    setTimeout(() => process.exit(process.exitCode), 500).unref();
  };
  let ctx;
  try {
    const args = parseArgs(process.argv.slice(2));
    name = typeof args.scenario === "string" ? args.scenario : null;
    if (typeof args.url !== "string") throw new Error("--url is required");
    if (!SCENARIOS[name]) throw new Error(`--scenario must be one of: ${Object.keys(SCENARIOS).join(", ")}`);
    const transports = args.transports ?? "both";
    if (!Object.hasOwn(TRANSPORTS, transports)) throw new Error("--transports must be polling, websocket or both");
    const num = (k) => (args[k] === undefined ? undefined : Number(args[k]));
    ctx = {
      url: args.url,
      transports,
      transportList: TRANSPORTS[transports],
      pingInterval: num("ping-interval"),
      pingTimeout: num("ping-timeout"),
      details: { transports },
    };
    ctx.budget = num("timeout") ?? 15000;
  } catch (e) {
    return finish(false, { error: `usage: ${e.message}` }, 2);
  }
  const t0 = Date.now();
  let timer;
  const budget = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new ScenarioError(`budget of ${ctx.budget} ms exceeded`)), ctx.budget);
  });
  try {
    await Promise.race([SCENARIOS[name](ctx), budget]);
    clearTimeout(timer);
    finish(true, { ...ctx.details, ms: Date.now() - t0 });
  } catch (e) {
    clearTimeout(timer);
    finish(false, { ...ctx.details, error: e?.message ?? String(e), ms: Date.now() - t0 });
  }
}

main();
