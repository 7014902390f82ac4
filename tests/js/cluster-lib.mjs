// Helpers shared by the cluster scenario scripts (cluster-scenarios.mjs,
// cluster-sharded-failover.mjs, cluster-streams-scenarios.mjs): `socket.io-client` clients on
// the nodes named by --nodes, checks, and the final JSON line {ok, passed, failed}.
import { io as connectClient } from "socket.io-client";

export const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, v, i, a) => (i % 2 === 0 ? [...acc, [v.replace(/^--/, ""), a[i + 1]]] : acc), []),
);
export const nodes = Object.fromEntries(args.nodes.split(",").map((kv) => kv.split("=")));
export const names = Object.keys(nodes);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const passed = [];
export const failed = [];
export const clients = [];

export function connect(node, name, room, transports = ["websocket"], nsp = "/") {
  const query = { name };
  if (room) query.room = room;
  const socket = connectClient(nodes[node] + nsp, { query, transports, reconnection: false, forceNew: true });
  socket.inbox = [];
  socket.label = name;
  socket.onAny((ev, ...a) => socket.inbox.push({ ev, args: a }));
  socket.on("q", (_from, cb) => cb(name));
  socket.on("disconnect", (reason) => socket.inbox.push({ ev: "disconnect", args: [reason] }));
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", reject);
  });
}

export const ask = (socket, ev, ...a) => socket.timeout(10000).emitWithAck(ev, ...a);

export async function waitFor(pred, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(20);
  }
  return pred();
}

/// The clients that received `ev` matching `match`, and forgets those events.
export function received(list, ev, match = () => true) {
  const who = [];
  for (const c of list) {
    const i = c.inbox.findIndex((e) => e.ev === ev && match(e.args));
    if (i >= 0) { who.push(c.label); c.inbox.splice(i, 1); }
  }
  return who.sort();
}

export async function check(name, fn) {
  try {
    const r = await fn();
    if (r === true) { passed.push(name); console.log(`ok   ${name}`); }
    else { failed.push(`${name}: ${JSON.stringify(r)}`); console.log(`FAIL ${name}: ${JSON.stringify(r)}`); }
  } catch (e) {
    failed.push(`${name}: ${e.message}`);
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

export const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
export const expectSame = (got, want) => (same(got, want) ? true : { got, want });

/// Waits until exactly `want` clients got `ev` (and a little longer, to catch extras).
export async function expectReceivers(all, ev, match, want, settle = 300) {
  const seen = new Set();
  const collect = () => { for (const l of received(all, ev, match)) seen.add(l); };
  await waitFor(() => { collect(); return want.every((w) => seen.has(w)); });
  await sleep(settle);
  collect();
  return expectSame([...seen].sort(), [...want].sort());
}

/// Polls `fetch(room)` through `socket` until the names in the room are `want` (room
/// operations travel through Redis, even to the node that asked, for Node servers).
export async function roomIs(socket, room, want) {
  let got;
  await waitForAsync(async () => {
    got = (await ask(socket, "fetch", room)).map((s) => s.name).sort();
    return same(got, [...want].sort());
  });
  return expectSame(got, [...want].sort());
}

export async function waitForAsync(pred, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await sleep(50);
  }
  return false;
}

/// The nodes whose servers heard the server-side event matching `match` (polled until
/// `want` did, or 5 s).
export async function heardBy(one, match, want) {
  const heard = new Set();
  await waitForAsync(async () => {
    for (const n of names) {
      const events = await ask(one[n], "server-events");
      if (events.some(match)) heard.add(n);
    }
    return want.every((w) => heard.has(w));
  });
  await sleep(200);
  for (const n of names) {
    const events = await ask(one[n], "server-events");
    if (events.some(match)) heard.add(n);
  }
  return expectSame([...heard].sort(), [...want].sort());
}


/// Prints the result line and exits (0 if every check passed).
export function finish() {
  for (const c of clients) c.close();
  console.log(JSON.stringify({ ok: failed.length === 0, passed: passed.length, failed }));
  process.exit(failed.length === 0 ? 0 : 1);
}

/// Runs `main`, then finishes; gives up after `ms`.
export function run(main, ms = 110000) {
  setTimeout(() => { failed.push("timed out"); finish(); }, ms).unref();
  main().then(finish, (e) => { failed.push(`crashed: ${e.stack}`); finish(); });
}

/// The next line on stdin (the Rust test's signals in the interactive phases).
let stdinLines = null;
export async function nextLine() {
  if (!stdinLines) {
    const { createInterface } = await import("node:readline");
    stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  }
  const { value } = await stdinLines.next();
  return value;
}

/// Connects the standard clients: on every node one in room r1 (WebSocket), one in r2
/// (polling, then the upgrade), one in namespace /admin.
export async function setup() {
  const all = [];
  const one = {};
  const two = {};
  for (const n of names) {
    one[n] = await connect(n, `${n}1`, "r1");
    two[n] = await connect(n, `${n}2`, "r2", ["polling", "websocket"]);
    all.push(one[n], two[n]);
  }
  const admins = [];
  for (const n of names) admins.push(await connect(n, `${n}-admin`, null, ["websocket"], "/admin"));
  const label = (set) => names.map((n) => set[n].label);
  const allLabels = all.map((c) => c.label);

  return { all, one, two, admins, label, allLabels };
}

/// Waits (up to 20 s per node) until a broadcast from every node reaches every client again:
/// after Redis came back, or a failover.
export async function broadcastsRecover(ctx, what) {
  const { all, one, allLabels } = ctx;
  for (const o of names) {
    await check(`after ${what}: broadcast from ${o} reaches every node`, async () => {
      const end = Date.now() + 20000;
      while (Date.now() < end) {
        const tag = `again-${o}-${Date.now()}`;
        await ask(one[o], "broadcast", { tag });
        const r = await expectReceivers(all, "bcast", (a) => a[0]?.tag === tag, allLabels, 100);
        if (r === true) return true;
        await sleep(300);
      }
      return "broadcasts did not recover within 20 s";
    });
  }
}

/// Every operation started from node `o`, checked on every node (11 checks; `quick`: the
/// five that reach every node through the adapter in each direction).
export async function nodeChecks(ctx, o, quick = false) {
  const { all, one, two, admins, label, allLabels } = ctx;
  const QUICK = ["broadcast from", "room emit", "fetchSockets", "serverSideEmitWithAck", "broadcast with ack"];
  const maybe = async (name, fn) => {
    if (!quick || QUICK.some((p) => name.startsWith(p))) await check(name, fn);
  };
  const origin = one[o];
  await maybe(`broadcast from ${o} (with binary) reaches every client of every node`, async () => {
    const tag = `b-${o}`;
    await ask(origin, "broadcast", { tag, bin: Buffer.from([1, 2, 3]), n: 1.5, big: 300 });
    const ok = (a) => a[0]?.tag === tag && Buffer.isBuffer(a[0].bin) && same([...a[0].bin], [1, 2, 3])
      && a[0].n === 1.5 && a[0].big === 300 && a[1] === o;
    return expectReceivers(all, "bcast", ok, allLabels);
  });
  await maybe(`socket.broadcast from ${o} reaches every client of every node but the sender`, async () => {
    const tag = `o-${o}`;
    await ask(origin, "others", { tag });
    return expectReceivers(all, "bcast", (a) => a[0]?.tag === tag && a[1] === o,
      allLabels.filter((l) => l !== origin.label));
  });
  await maybe(`local broadcast from ${o} stays on ${o}`, async () => {
    const tag = `l-${o}`;
    await ask(origin, "local-broadcast", { tag });
    return expectReceivers(all, "bcast", (a) => a[0]?.tag === tag, [one[o].label, two[o].label]);
  });
  await maybe(`broadcast in namespace /admin from ${o} reaches /admin on every node, only`, async () => {
    const tag = `a-${o}`;
    await ask(origin, "admin-broadcast", { tag });
    return expectReceivers([...all, ...admins], "admin-msg", (a) => a[0]?.tag === tag && a[1] === o,
      admins.map((c) => c.label));
  });
  await maybe(`room emit from ${o} reaches room r1 on every node, only`, async () => {
    const tag = `r-${o}`;
    await ask(origin, "room-emit", "r1", { tag });
    return expectReceivers(all, "room-msg", (a) => a[0]?.tag === tag && a[1] === o, label(one));
  });
  await maybe(`fetchSockets from ${o} lists the sockets of every node`, async () => {
    const list = await ask(origin, "fetch", null);
    const inR2 = await ask(origin, "fetch", "r2");
    const got = {
      all: list.map((s) => s.name).sort(),
      r2: inR2.map((s) => s.name).sort(),
      rooms: inR2.every((s) => s.rooms.includes("r2") && s.rooms.includes(s.id)),
    };
    return expectSame(got, { all: [...allLabels].sort(), r2: label(two).sort(), rooms: true });
  });
  await maybe(`socketsJoin / socketsLeave from ${o} apply on every node`, async () => {
    const room = `j-${o}`;
    await ask(origin, "join-all", room, "r2");
    const inRoom = await roomIs(origin, room, label(two));
    await ask(origin, "room-emit", room, { tag: room });
    const joined = await expectReceivers(all, "room-msg", (a) => a[0]?.tag === room, label(two));
    await ask(origin, "leave-all", room);
    const empty = await roomIs(origin, room, []);
    await ask(origin, "room-emit", room, { tag: `${room}-after` });
    const left = await expectReceivers(all, "room-msg", (a) => a[0]?.tag === `${room}-after`, []);
    return [inRoom, joined, empty, left].every((r) => r === true) ? true : { inRoom, joined, empty, left };
  });
  await maybe(`serverSideEmit from ${o} reaches the other nodes, not itself`, async () => {
    await ask(origin, "sse", { from: o });
    return heardBy(one, (e) => e[0]?.from === o && e[1] === o, names.filter((n) => n !== o));
  });
  await maybe(`serverSideEmitWithAck from ${o} gets one answer per other node`, async () => {
    const answers = await ask(origin, "sse-ack");
    return expectSame(answers, names.filter((n) => n !== o).sort());
  });
  await maybe(`broadcast with ack from ${o} collects the acks of every node's clients`, async () => {
    const answers = await ask(origin, "bcast-ack", "r1");
    return expectSame(answers, label(one).sort());
  });
  await maybe(`disconnectSockets from ${o} disconnects on every node`, async () => {
    const room = `kick-${o}`;
    const victims = [];
    for (const n of names) victims.push(await connect(n, `k-${o}-${n}`, room));
    await ask(origin, "kick", room);
    return expectReceivers(victims, "disconnect", (a) => a[0] === "io server disconnect",
      victims.map((v) => v.label));
  });
}
