// The cluster scenarios: `socket.io-client` clients on every node of a Redis cluster (sio on
// tokio, sio on smol, Node socket.io with @socket.io/redis-adapter; see cluster-node.mjs for
// the nodes' contract), and @socket.io/redis-emitter. Every operation is started from every
// node and checked on the clients (or servers) of every node.
//
//   node tests/js/cluster-scenarios.mjs --nodes A=http://…,B=http://…,C=http://… \
//        --redis redis://127.0.0.1:PORT/ --phase main|after-restart
//
// Prints one line per check and a last JSON line {ok, passed, failed}.
import { io as connectClient } from "socket.io-client";
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, v, i, a) => (i % 2 === 0 ? [...acc, [v.replace(/^--/, ""), a[i + 1]]] : acc), []),
);
const nodes = Object.fromEntries(args.nodes.split(",").map((kv) => kv.split("=")));
const names = Object.keys(nodes);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const passed = [];
const failed = [];
const clients = [];

function connect(node, name, room, transports = ["websocket"], nsp = "/") {
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

const ask = (socket, ev, ...a) => socket.timeout(10000).emitWithAck(ev, ...a);

async function waitFor(pred, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(20);
  }
  return pred();
}

/// The clients that received `ev` matching `match`, and forgets those events.
function received(list, ev, match = () => true) {
  const who = [];
  for (const c of list) {
    const i = c.inbox.findIndex((e) => e.ev === ev && match(e.args));
    if (i >= 0) { who.push(c.label); c.inbox.splice(i, 1); }
  }
  return who.sort();
}

async function check(name, fn) {
  try {
    const r = await fn();
    if (r === true) { passed.push(name); console.log(`ok   ${name}`); }
    else { failed.push(`${name}: ${JSON.stringify(r)}`); console.log(`FAIL ${name}: ${JSON.stringify(r)}`); }
  } catch (e) {
    failed.push(`${name}: ${e.message}`);
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const expectSame = (got, want) => (same(got, want) ? true : { got, want });

/// Waits until exactly `want` clients got `ev` (and a little longer, to catch extras).
async function expectReceivers(all, ev, match, want, settle = 300) {
  const seen = new Set();
  const collect = () => { for (const l of received(all, ev, match)) seen.add(l); };
  await waitFor(() => { collect(); return want.every((w) => seen.has(w)); });
  await sleep(settle);
  collect();
  return expectSame([...seen].sort(), [...want].sort());
}

/// Polls `fetch(room)` through `socket` until the names in the room are `want` (room
/// operations travel through Redis, even to the node that asked, for Node servers).
async function roomIs(socket, room, want) {
  let got;
  await waitForAsync(async () => {
    got = (await ask(socket, "fetch", room)).map((s) => s.name).sort();
    return same(got, [...want].sort());
  });
  return expectSame(got, [...want].sort());
}

async function waitForAsync(pred, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await sleep(50);
  }
  return false;
}

/// The nodes whose servers heard the server-side event matching `match` (polled until
/// `want` did, or 5 s).
async function heardBy(one, match, want) {
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

async function main() {
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

  if (args.phase === "after-restart") {
    // Redis came back: wait until broadcasts flow again from every node (each adapter
    // reconnects and subscribes again by itself).
    for (const o of names) {
      await check(`after restart: broadcast from ${o} reaches every node`, async () => {
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

  for (const o of names) {
    const origin = one[o];
    await check(`broadcast from ${o} (with binary) reaches every client of every node`, async () => {
      const tag = `b-${o}`;
      await ask(origin, "broadcast", { tag, bin: Buffer.from([1, 2, 3]), n: 1.5, big: 300 });
      const ok = (a) => a[0]?.tag === tag && Buffer.isBuffer(a[0].bin) && same([...a[0].bin], [1, 2, 3])
        && a[0].n === 1.5 && a[0].big === 300 && a[1] === o;
      return expectReceivers(all, "bcast", ok, allLabels);
    });
    await check(`socket.broadcast from ${o} reaches every client of every node but the sender`, async () => {
      const tag = `o-${o}`;
      await ask(origin, "others", { tag });
      return expectReceivers(all, "bcast", (a) => a[0]?.tag === tag && a[1] === o,
        allLabels.filter((l) => l !== origin.label));
    });
    await check(`local broadcast from ${o} stays on ${o}`, async () => {
      const tag = `l-${o}`;
      await ask(origin, "local-broadcast", { tag });
      return expectReceivers(all, "bcast", (a) => a[0]?.tag === tag, [one[o].label, two[o].label]);
    });
    await check(`broadcast in namespace /admin from ${o} reaches /admin on every node, only`, async () => {
      const tag = `a-${o}`;
      await ask(origin, "admin-broadcast", { tag });
      return expectReceivers([...all, ...admins], "admin-msg", (a) => a[0]?.tag === tag && a[1] === o,
        admins.map((c) => c.label));
    });
    await check(`room emit from ${o} reaches room r1 on every node, only`, async () => {
      const tag = `r-${o}`;
      await ask(origin, "room-emit", "r1", { tag });
      return expectReceivers(all, "room-msg", (a) => a[0]?.tag === tag && a[1] === o, label(one));
    });
    await check(`fetchSockets from ${o} lists the sockets of every node`, async () => {
      const list = await ask(origin, "fetch", null);
      const inR2 = await ask(origin, "fetch", "r2");
      const got = {
        all: list.map((s) => s.name).sort(),
        r2: inR2.map((s) => s.name).sort(),
        rooms: inR2.every((s) => s.rooms.includes("r2") && s.rooms.includes(s.id)),
      };
      return expectSame(got, { all: [...allLabels].sort(), r2: label(two).sort(), rooms: true });
    });
    await check(`socketsJoin / socketsLeave from ${o} apply on every node`, async () => {
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
    await check(`serverSideEmit from ${o} reaches the other nodes, not itself`, async () => {
      await ask(origin, "sse", { from: o });
      return heardBy(one, (e) => e[0]?.from === o && e[1] === o, names.filter((n) => n !== o));
    });
    await check(`serverSideEmitWithAck from ${o} gets one answer per other node`, async () => {
      const answers = await ask(origin, "sse-ack");
      return expectSame(answers, names.filter((n) => n !== o).sort());
    });
    await check(`broadcast with ack from ${o} collects the acks of every node's clients`, async () => {
      const answers = await ask(origin, "bcast-ack", "r1");
      return expectSame(answers, label(one).sort());
    });
    await check(`disconnectSockets from ${o} disconnects on every node`, async () => {
      const room = `kick-${o}`;
      const victims = [];
      for (const n of names) victims.push(await connect(n, `k-${o}-${n}`, room));
      await ask(origin, "kick", room);
      return expectReceivers(victims, "disconnect", (a) => a[0] === "io server disconnect",
        victims.map((v) => v.label));
    });
  }

  // @socket.io/redis-emitter, publishing straight to Redis.
  const redis = createClient({ url: args.redis });
  redis.on("error", () => {});
  await redis.connect();
  const emitter = new Emitter(redis);
  await check("redis-emitter: emit reaches every client of every node", async () => {
    emitter.emit("bcast", { tag: "emitter", bin: Buffer.from([9]) }, "emitter");
    return expectReceivers(all, "bcast", (a) => a[0]?.tag === "emitter" && Buffer.isBuffer(a[0].bin), allLabels);
  });
  await check("redis-emitter: to(room) reaches that room on every node", async () => {
    emitter.to("r2").emit("room-msg", { tag: "emitter-r2" }, "emitter");
    return expectReceivers(all, "room-msg", (a) => a[0]?.tag === "emitter-r2", label(two));
  });
  await check("redis-emitter: except(room) leaves that room out", async () => {
    emitter.except("r2").emit("room-msg", { tag: "emitter-not-r2" }, "emitter");
    return expectReceivers(all, "room-msg", (a) => a[0]?.tag === "emitter-not-r2", label(one));
  });
  await check("redis-emitter: serverSideEmit reaches every node", async () => {
    emitter.serverSideEmit("hello", { from: "emitter" }, "emitter");
    return heardBy(one, (e) => e[0]?.from === "emitter", names);
  });
  await check("redis-emitter: socketsJoin and disconnectSockets apply on every node", async () => {
    emitter.in("r1").socketsJoin("from-emitter");
    const inRoom = await roomIs(one[names[0]], "from-emitter", label(one));
    const victims = [];
    for (const n of names) victims.push(await connect(n, `ek-${n}`, "emitter-kick"));
    emitter.in("emitter-kick").disconnectSockets();
    const kicked = await expectReceivers(victims, "disconnect", (a) => a[0] === "io server disconnect",
      victims.map((v) => v.label));
    return inRoom === true && kicked === true ? true : { inRoom, kicked };
  });
  await redis.quit();
}

const timer = setTimeout(() => { failed.push("timed out"); finish(); }, 110000);
function finish() {
  clearTimeout(timer);
  for (const c of clients) c.close();
  console.log(JSON.stringify({ ok: failed.length === 0, passed: passed.length, failed }));
  process.exit(failed.length === 0 ? 0 : 1);
}
main().then(finish, (e) => { failed.push(`crashed: ${e.stack}`); finish(); });
