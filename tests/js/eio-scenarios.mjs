// Drives the official `engine.io-client` against an Engine.IO *echo* server and
// runs ONE named scenario.
//
//   node tests/js/eio-scenarios.mjs --url http://127.0.0.1:PORT --scenario NAME \
//        [--ping-interval MS --ping-timeout MS] [--path /engine.io] [--timeout MS]
//
// Prints exactly one JSON line {"scenario":NAME,"ok":true|false,"details":...}
// on stdout; exits 0 when ok, 1 otherwise (2 on bad usage, still with one JSON line).
//
// The server under test must, on path /engine.io/:
//   - echo every message unchanged (text stays text, binary stays binary);
//   - on text `close-me`, close the session from the server side;
//   - on text `send-burst:<n>`, send n text messages `burst-<i>` (i = 0..n-1) in order.
// Whether the server also echoes the two command messages is not asserted:
// an exact echo of the command is tolerated and reported in `details`.
//
// --ping-interval/--ping-timeout are the values the server was started with;
// they size the waits of heartbeat-idle and silent-client and are checked
// against the handshake. Without them the handshake's values are used.
//
// See README.md beside this file for the scenario list.

import { Socket } from "engine.io-client";

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

function describe(v) {
  if (typeof v === "string") return v.length > 60 ? `${JSON.stringify(v.slice(0, 60))}...` : JSON.stringify(v);
  if (isBinary(v)) return `<binary ${toBuffer(v).length} bytes>`;
  return String(v);
}

/** Compares a received list with the expected one; reports loss, duplicates and reordering. */
function compareSequence(received, expected) {
  const res = { expected: expected.length, received: received.length };
  const firstDiff = received.findIndex((m, i) => m !== expected[i]);
  if (firstDiff === -1 && received.length === expected.length) return { ...res, inOrder: true };
  const want = new Set(expected);
  const seen = new Map();
  for (const m of received) seen.set(m, (seen.get(m) ?? 0) + 1);
  res.inOrder = false;
  res.firstMismatch = {
    index: firstDiff === -1 ? received.length : firstDiff,
    got: firstDiff === -1 ? null : describe(received[firstDiff]),
    want: expected[firstDiff === -1 ? received.length : firstDiff] ?? null,
  };
  res.missing = expected.filter((m) => !seen.has(m)).length;
  res.duplicated = [...seen.entries()].filter(([m, c]) => want.has(m) && c > 1).length;
  res.unexpected = received.filter((m) => !want.has(m)).slice(0, 5).map(describe);
  return res;
}

/**
 * Waits until `expected.length` messages (after index `base`, minus those
 * `skip` accepts) have arrived, failing at once on the first one out of place.
 * Always stores the comparison in out[key], even on failure.
 */
async function expectSequence(c, base, expected, ms, what, out, key, skip = () => false) {
  const got = () => c.messages.slice(base).filter((m) => !skip(m));
  try {
    await c.until(() => {
      const g = got();
      for (let i = 0; i < g.length && i < expected.length; i++) {
        if (g[i] !== expected[i]) throw new ScenarioError(`${what}: message #${i} is ${describe(g[i])}, expected ${describe(expected[i])}`);
      }
      return g.length >= expected.length;
    }, ms, what);
    await sleep(50); // catch any extra (duplicated) message
  } finally {
    out[key] = compareSequence(got(), expected);
  }
  check(out[key].inOrder, `${what}: ${got().length - expected.length} extra message(s) after the last one`);
}

// every client ever created, so the runner can always close them
const allClients = new Set();

/**
 * Thin recorder around an engine.io-client Socket: keeps every message, ping,
 * upgrade and close, and lets scenarios wait on conditions over that state.
 */
class Client {
  constructor(url, opts) {
    this.t0 = Date.now();
    this.messages = [];
    this.messageTransports = []; // transport name each message arrived on
    this.pings = 0;
    this.handshake = null;
    this.openedAt = null;
    this.upgrade = null; // { transport, at, messagesBefore }
    this.upgradeErrors = [];
    this.closed = null; // { reason, description, at }
    this.errors = [];
    this.waiters = new Set();
    const socket = new Socket(url, opts);
    this.socket = socket;
    allClients.add(this);
    socket.on("handshake", (d) => {
      this.handshake = d;
      this._poke();
    });
    socket.on("open", () => {
      this.openedAt = Date.now();
      this._poke();
    });
    socket.on("message", (m) => {
      this.messages.push(m);
      this.messageTransports.push(this.socket.transport?.name ?? null);
      this._poke();
    });
    socket.on("ping", () => {
      this.pings++;
      this._poke();
    });
    socket.on("upgrade", (t) => {
      this.upgrade = { transport: t.name, at: Date.now() - this.t0, messagesBefore: this.messages.length };
      this._poke();
    });
    socket.on("upgradeError", (e) => {
      this.upgradeErrors.push(String(e?.message ?? e));
      this._poke();
    });
    socket.on("error", (e) => {
      this.errors.push(String(e?.message ?? e));
      this._poke();
    });
    socket.on("close", (reason, desc) => {
      this.closed = { reason, description: desc ? String(desc.message ?? desc.description ?? desc) : null, at: Date.now() };
      this._poke();
    });
  }

  get transport() {
    return this.socket.transport?.name ?? null;
  }

  _poke() {
    for (const w of [...this.waiters]) w();
  }

  /**
   * Resolves once pred() is true. Rejects after `ms`, or as soon as the socket
   * is closed while pred() is still false (unless allowClosed).
   */
  until(pred, ms, what, { allowClosed = false } = {}) {
    return new Promise((resolve, reject) => {
      let timer;
      const done = (err) => {
        clearTimeout(timer);
        this.waiters.delete(test);
        err ? reject(err) : resolve();
      };
      const test = () => {
        let v;
        try {
          v = pred();
        } catch (e) {
          return done(e);
        }
        if (v) return done();
        if (this.closed && !allowClosed) {
          done(new ScenarioError(`socket closed (${this.closed.reason}) while waiting for ${what}`));
        }
      };
      timer = setTimeout(() => done(new ScenarioError(`timed out after ${ms} ms waiting for ${what}`)), ms);
      this.waiters.add(test);
      test();
    });
  }

  async open(ms = 5000) {
    await this.until(() => this.openedAt !== null, ms, "open");
  }

  /** Sends `m` and waits until the message count reaches index+1; returns the echo. */
  async echo(m, ms = 3000) {
    const idx = this.messages.length;
    this.socket.send(m);
    await this.until(() => this.messages.length > idx, ms, `echo of ${describe(m)}`);
    return this.messages[idx];
  }

  close() {
    if (this.socket.readyState !== "closed") this.socket.close();
    for (const w of this.waiters) this.waiters.delete(w);
  }
}

// ---------------------------------------------------------------------------
// scenarios

/** Handshake checks common to every scenario; returns what was observed. */
function checkHandshake(c, ctx, transport) {
  const h = c.handshake;
  check(h, "no handshake received");
  const obs = {
    sid: c.socket.id,
    sidLength: c.socket.id?.length,
    upgrades: h.upgrades,
    pingInterval: h.pingInterval,
    pingTimeout: h.pingTimeout,
    maxPayload: h.maxPayload,
  };
  check(typeof c.socket.id === "string" && c.socket.id.length === 20, `socket.id should be 20 chars, got ${JSON.stringify(c.socket.id)}`);
  check(Array.isArray(h.upgrades), "handshake.upgrades should be an array");
  if (transport === "polling") {
    check(h.upgrades.includes("websocket"), `handshake over polling should advertise the websocket upgrade, got ${JSON.stringify(h.upgrades)}`);
  }
  check(Number.isInteger(h.pingInterval) && Number.isInteger(h.pingTimeout), "handshake should carry integer pingInterval/pingTimeout");
  if (ctx.pingInterval !== undefined) check(h.pingInterval === ctx.pingInterval, `handshake pingInterval ${h.pingInterval} != --ping-interval ${ctx.pingInterval}`);
  if (ctx.pingTimeout !== undefined) check(h.pingTimeout === ctx.pingTimeout, `handshake pingTimeout ${h.pingTimeout} != --ping-timeout ${ctx.pingTimeout}`);
  return obs;
}

/** polling-only / websocket-only */
async function basic(ctx, transport) {
  const d = ctx.details;
  const c = ctx.client({ transports: [transport] });
  await c.open();
  d.transportAtOpen = c.transport;
  d.handshake = checkHandshake(c, ctx, transport);
  check(c.transport === transport, `transport should be ${transport}, got ${c.transport}`);

  const hello = await c.echo("hello");
  d.hello = describe(hello);
  check(hello === "hello", `expected "hello" back, got ${describe(hello)}`);

  const base = c.messages.length;
  const expected = Array.from({ length: 20 }, (_, i) => `quick-${i}`);
  for (const m of expected) c.socket.send(m);
  await expectSequence(c, base, expected, 5000, "the 20 quick echoes", d, "quick");

  d.transportAtEnd = c.transport;
  d.upgrade = c.upgrade;
  check(c.transport === transport, `transport should stay ${transport}, got ${c.transport}`);
  check(c.upgrade === null, "no upgrade expected");
  check(!c.closed, `socket closed unexpectedly (${c.closed?.reason})`);
}

async function upgradeInFlight(ctx) {
  const d = ctx.details;
  const N = 200;
  const c = ctx.client({});
  await c.open();
  d.transportAtOpen = c.transport;
  const expected = Array.from({ length: N }, (_, i) => `m-${i}`);
  for (const m of expected) c.socket.send(m);
  d.sentWhileTransport = c.transport;
  d.upgradingAtSendEnd = !!c.socket.upgrading;
  d.handshake = checkHandshake(c, ctx, "polling");
  check(d.transportAtOpen === "polling", `first transport should be polling, got ${d.transportAtOpen}`);
  try {
    await expectSequence(c, 0, expected, 8000, `the ${N} echoes`, d, "sequence");
    await c.until(() => c.upgrade, 8000, "the upgrade event");
  } finally {
    d.upgrade = c.upgrade;
    d.upgradeErrors = c.upgradeErrors;
    d.echoesReceived = c.messages.length;
    d.echoesByTransport = {};
    for (const t of c.messageTransports) d.echoesByTransport[t] = (d.echoesByTransport[t] ?? 0) + 1;
  }
  d.transportAtEnd = c.transport;
  check(c.transport === "websocket", `final transport should be websocket, got ${c.transport}`);
}

async function binary(ctx) {
  const d = ctx.details;
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const unicode = "héllo 😀 €";
  for (const transport of ["polling", "websocket"]) {
    const r = (d[transport] = {});
    const c = ctx.client({ transports: [transport] });
    await c.open();
    r.transport = c.transport;
    check(c.transport === transport, `transport should be ${transport}, got ${c.transport}`);

    for (const [label, payload] of [
      ["buffer", bytes],
      ["uint8array", new Uint8Array(bytes)],
    ]) {
      const got = await c.echo(payload);
      r[label] = {
        binary: isBinary(got),
        type: got?.constructor?.name ?? typeof got,
        length: isBinary(got) ? toBuffer(got).length : String(got).length,
      };
      check(isBinary(got), `[${transport}] ${label}: expected binary back, got ${describe(got)}`);
      r[label].identical = toBuffer(got).equals(bytes);
      check(r[label].identical, `[${transport}] ${label}: bytes differ`);
    }

    const text = await c.echo(unicode);
    r.unicode = { got: typeof text === "string" ? text : describe(text), identical: text === unicode };
    check(text === unicode, `[${transport}] unicode text differs: ${describe(text)}`);
    check(c.transport === transport, `[${transport}] transport changed to ${c.transport}`);
    c.close();
  }
}

async function heartbeatIdle(ctx) {
  const d = ctx.details;
  const c = ctx.client({});
  await c.open();
  d.handshake = checkHandshake(c, ctx, "polling");
  const pi = ctx.pingInterval ?? c.handshake.pingInterval;
  const pt = ctx.pingTimeout ?? c.handshake.pingTimeout;
  const idle = 3 * (pi + pt);
  ctx.setBudget(idle + 10000);
  d.idleMs = idle;
  await sleep(idle);
  d.pings = c.pings;
  d.readyState = c.socket.readyState;
  d.transport = c.transport;
  d.upgrade = c.upgrade;
  d.closed = c.closed;
  check(!c.closed, `socket closed while idle (reason ${c.closed?.reason})`);
  check(c.socket.readyState === "open", `readyState should be open, got ${c.socket.readyState}`);
  check(c.pings >= 2, `expected at least 2 server pings in ${idle} ms, saw ${c.pings}`);
  const got = await c.echo("still-alive");
  d.echo = describe(got);
  check(got === "still-alive", `echo after idle failed: ${describe(got)}`);
}

/**
 * The client stops answering pings; the server must close it.
 *
 * Hooks (engine.io-client 6.6.x internals, instance-level overrides):
 *   - Socket#_sendPacket(type, ...) is how _onPacket answers a "ping" with
 *     this._sendPacket("pong"): we drop "pong" packets there.
 *   - Socket#_resetPingTimeout() arms the client's own heartbeat timer (which
 *     would close with "ping timeout" on its side); we disarm it so that the
 *     only possible close is the server's ("transport close").
 */
async function silentClient(ctx) {
  const d = ctx.details;
  const c = ctx.client({ transports: ["websocket"] });
  const s = c.socket;
  check(typeof s._sendPacket === "function" && typeof s._resetPingTimeout === "function",
    "engine.io-client internals changed: Socket#_sendPacket/_resetPingTimeout not found");
  let droppedPongs = 0;
  let firstPingAt = null;
  const origSend = s._sendPacket;
  s._sendPacket = function (type, ...rest) {
    if (type === "pong") {
      droppedPongs++;
      if (firstPingAt === null) firstPingAt = Date.now();
      return;
    }
    return origSend.call(this, type, ...rest);
  };
  s._resetPingTimeout = function () {
    this.clearTimeoutFn(this._pingTimeoutTimer);
    this._pingTimeoutTime = Number.MAX_SAFE_INTEGER;
  };

  await c.open();
  d.handshake = checkHandshake(c, ctx, "websocket");
  const pi = ctx.pingInterval ?? c.handshake.pingInterval;
  const pt = ctx.pingTimeout ?? c.handshake.pingTimeout;
  const limit = pi + pt + 1000;
  ctx.setBudget(limit + 5000);
  d.limitMs = limit;
  try {
    await c.until(() => c.closed, limit, `the server to close the silent client (limit ${limit} ms after open)`, { allowClosed: true });
  } finally {
    d.droppedPongs = droppedPongs;
    d.firstPingAfterOpenMs = firstPingAt === null ? null : firstPingAt - c.openedAt;
    d.closed = c.closed && { ...c.closed, afterOpenMs: c.closed.at - c.openedAt };
  }
  check(droppedPongs >= 1, "the server should have sent at least one ping before closing");
  check(c.closed.reason === "transport close", `close reason should be "transport close", got "${c.closed.reason}"`);
}

async function serverClose(ctx) {
  const d = ctx.details;
  for (const transport of ["polling", "websocket"]) {
    const r = (d[transport] = {});
    const c = ctx.client({ transports: [transport] });
    await c.open();
    r.transport = c.transport;
    const before = c.messages.length;
    const t = Date.now();
    c.socket.send("close-me");
    try {
      await c.until(() => c.closed, 2000, "the server-side close after close-me", { allowClosed: true });
    } finally {
      r.closed = c.closed && { ...c.closed, afterSendMs: c.closed.at - t };
      r.messagesAfterCommand = c.messages.slice(before).map(describe);
    }
    check(c.closed.reason === "transport close", `[${transport}] close reason should be "transport close", got "${c.closed.reason}"`);
    check(c.messages.slice(before).every((m) => m === "close-me"), `[${transport}] unexpected messages after close-me`);
  }
}

async function clientClose(ctx) {
  const d = ctx.details;
  for (const transport of ["polling", "websocket"]) {
    const r = (d[transport] = {});
    const c = ctx.client({ transports: [transport] });
    await c.open();
    r.transport = c.transport;
    const got = await c.echo("bye");
    r.echo = describe(got);
    check(got === "bye", `[${transport}] echo failed: ${describe(got)}`);
    c.socket.close();
    await c.until(() => c.closed, 2000, "close after socket.close()", { allowClosed: true });
    r.closed = c.closed;
    r.readyState = c.socket.readyState;
    check(c.closed.reason === "forced close", `[${transport}] close reason should be "forced close", got "${c.closed.reason}"`);
    check(c.socket.readyState === "closed", `[${transport}] readyState should be closed, got ${c.socket.readyState}`);
  }
  // "the process can exit": nothing but timers of our own may keep the loop alive.
  // Give in-flight requests (polling close POST, ws close handshake) a moment.
  const deadline = Date.now() + 2000;
  let handles;
  for (;;) {
    handles = process.getActiveResourcesInfo().filter((h) => h !== "Timeout" && h !== "TTYWrap" && h !== "PipeWrap" && h !== "FSReqCallback");
    if (handles.length === 0 || Date.now() > deadline) break;
    await sleep(50);
  }
  d.lingeringHandles = handles;
  check(handles.length === 0, `handles still open after close: ${handles.join(", ")}`);
}

async function burst(ctx) {
  const d = ctx.details;
  const N = 500;
  const c = ctx.client({ transports: ["polling"] });
  await c.open();
  d.transport = c.transport;
  let polls = 0;
  c.socket.transport.on("pollComplete", () => polls++);
  const cmd = `send-burst:${N}`;
  const expected = Array.from({ length: N }, (_, i) => `burst-${i}`);
  const base = c.messages.length;
  c.socket.send(cmd);
  try {
    await expectSequence(c, base, expected, 8000, `the ${N} burst messages`, d, "sequence", (m) => m === cmd);
  } finally {
    d.commandEchoed = c.messages.slice(base).includes(cmd);
    d.pollResponses = polls;
  }
  d.transportAtEnd = c.transport;
  check(c.transport === "polling", `transport should stay polling, got ${c.transport}`);
}

const SCENARIOS = {
  "polling-only": { run: (ctx) => basic(ctx, "polling") },
  "websocket-only": { run: (ctx) => basic(ctx, "websocket") },
  "upgrade-in-flight": { run: upgradeInFlight },
  binary: { run: binary },
  "heartbeat-idle": { run: heartbeatIdle, budget: (pi, pt) => (pi !== undefined && pt !== undefined ? 3 * (pi + pt) + 10000 : undefined) },
  "silent-client": { run: silentClient, budget: (pi, pt) => (pi !== undefined && pt !== undefined ? pi + pt + 6000 : undefined) },
  "server-close": { run: serverClose },
  "client-close": { run: clientClose },
  burst: { run: burst },
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
    ctx = {
      url: args.url,
      path: typeof args.path === "string" ? args.path : "/engine.io",
      pingInterval: optNumber(args["ping-interval"], "ping-interval"),
      pingTimeout: optNumber(args["ping-timeout"], "ping-timeout"),
      timeout: optNumber(args.timeout, "timeout"),
      details: {},
    };
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
  ctx.client = (opts) => new Client(ctx.url, { path: ctx.path, ...opts });
  setBudget(scenario.budget?.(ctx.pingInterval, ctx.pingTimeout) ?? 10000);

  let ok = false;
  try {
    await Promise.race([scenario.run(ctx), budgetPromise]);
    ok = true;
  } catch (e) {
    ctx.details.error = e instanceof ScenarioError ? e.message : String(e?.stack ?? e);
  } finally {
    clearTimeout(budgetTimer);
    for (const c of allClients) {
      try {
        c.close();
      } catch {}
    }
    const ignored = [...allClients].flatMap((c) => c.errors);
    if (ignored.length) ctx.details.clientErrors = ignored;
  }
  ctx.details.elapsedMs = Date.now() - started;
  finish(ok, ctx.details);
}

main();
