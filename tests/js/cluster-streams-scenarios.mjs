// The streams adapter's own scenarios (see cluster-node.mjs for the nodes' contract: sio on
// tokio, sio on smol, Node with @socket.io/redis-streams-adapter, connection state recovery
// on everywhere). Driven by tests/tests/redis_streams.rs:
//
//   node tests/js/cluster-streams-scenarios.mjs --nodes A=…,B=…,C=… --redis URL --phase recovery|restart
//
// recovery: a `socket.io-client` client reaches the cluster through a load balancer (a TCP
//   forwarder in this script). It joins a room on one node and receives an event; the
//   balancer cuts it (after one event to the socket alone, whose offset the client keeps),
//   events are sent to its room from every node while it is away, and the
//   balancer sends it to another node when it reconnects. It must come back recovered: same
//   id, the missed events (with their stream offsets), on the other node. Every pair of node
//   kinds, both ways round.
// restart (interactive): prints `ready`; the test kills Redis and writes `down`; a broadcast
//   is sent from each node while Redis is away; the script prints `checked`; the test starts
//   Redis again (its append-only file kept the stream) and writes `up`; the script at once
//   appends an entry as another server would, before the adapters are back: every node must
//   read it (reading resumes after the last offset, not at the stream's end). Then every
//   operation must work again.
import net from "node:net";
import { io as connectClient } from "socket.io-client";
import { createClient } from "redis";
import {
  args, nodes, names, sleep, ask, check, clients, expectSame, expectReceivers, waitFor,
  received, setup, broadcastsRecover, nodeChecks, run, nextLine,
} from "./cluster-lib.mjs";

/// A TCP load balancer whose upstream the test picks, and whose connections it can cut.
function balancer() {
  const lb = { upstream: null, live: new Set() };
  lb.server = net.createServer((c) => {
    if (!lb.upstream) {
      c.destroy();
      return;
    }
    const u = net.connect(lb.upstream, "127.0.0.1");
    const close = () => {
      c.destroy();
      u.destroy();
      lb.live.delete(c);
      lb.live.delete(u);
    };
    for (const s of [c, u]) {
      lb.live.add(s);
      s.on("error", close);
      s.on("close", close);
    }
    c.pipe(u);
    u.pipe(c);
  });
  lb.cut = () => {
    for (const s of lb.live) s.destroy();
    lb.live.clear();
  };
  return new Promise((resolve) => lb.server.listen(0, "127.0.0.1", () => {
    lb.port = lb.server.address().port;
    resolve(lb);
  }));
}

const portOf = (n) => Number(new URL(nodes[n]).port);

async function recovery() {
  const ctx = await setup();
  const { one } = ctx;
  const lb = await balancer();
  const pairs = [];
  for (const from of names) for (const to of names) if (from !== to) pairs.push([from, to]);
  for (const [from, to] of pairs) {
    await check(`a client cut from ${from} recovers its session and missed room events on ${to}`, async () => {
      const room = `rec-${from}-${to}`;
      const third = names.find((n) => n !== from && n !== to);
      lb.upstream = portOf(from);
      const c = connectClient(`http://127.0.0.1:${lb.port}/`, {
        query: { name: room, room }, transports: ["websocket"], forceNew: true,
        reconnectionDelay: 100, reconnectionDelayMax: 200, randomizationFactor: 0,
      });
      clients.push(c);
      c.inbox = [];
      c.label = room;
      c.onAny((ev, ...a) => c.inbox.push({ ev, args: a }));
      c.on("disconnect", (reason) => c.inbox.push({ ev: "disconnect", args: [reason] }));
      await new Promise((resolve, reject) => { c.once("connect", resolve); c.once("connect_error", reject); });
      const id = c.id;
      await ask(one[third], "room-emit", room, { tag: "before" });
      const before = await waitFor(() => c.inbox.some((e) => e.ev === "room-msg" && e.args[0]?.tag === "before"));
      // An emit to this socket alone goes through the stream too: its offset is an entry id,
      // and the client will name that one when it comes back.
      await c.timeout(5000).emitWithAck("echo-me", { tag: "direct" });
      await waitFor(() => c.inbox.some((e) => e.ev === "echoed"));
      const direct = c.inbox.find((e) => e.ev === "echoed")?.args.at(-1);
      // The network goes; while the client is away its room gets three events.
      lb.upstream = null;
      lb.cut();
      await waitFor(() => c.inbox.some((e) => e.ev === "disconnect"));
      c.inbox.length = 0;
      await sleep(200);
      for (const [i, n] of [third, to, from].entries()) await ask(one[n], "room-emit", room, { tag: `missed-${i}` });
      await sleep(300);
      // The balancer sends it elsewhere.
      lb.upstream = portOf(to);
      await waitFor(() => c.connected, 5000);
      const me = c.connected ? await c.timeout(5000).emitWithAck("whoami") : null;
      const missed = c.inbox.filter((e) => e.ev === "room-msg").map((e) => e.args[0]?.tag).sort();
      const offsets = c.inbox.filter((e) => e.ev === "room-msg").map((e) => e.args.at(-1));
      const [recovered, sameId] = [c.recovered, c.id === id];
      c.close();
      return expectSame(
        { before, direct: /^\d+-\d+$/.test(direct), recovered, sameId, missed, offsets: offsets.every((o) => /^\d+-\d+$/.test(o)), me },
        { before: true, direct: true, recovered: true, sameId: true, missed: ["missed-0", "missed-1", "missed-2"], offsets: true,
          me: { node: to, id, recovered: true } },
      );
    });
  }
  lb.server.close();
}

async function restart() {
  const ctx = await setup();
  const { all, one, allLabels } = ctx;
  const labelsOf = (n) => all.filter((c) => c.label.startsWith(n)).map((c) => c.label);
  console.log("ready");
  await nextLine(); // Redis is down.
  for (const n of names) await ask(one[n], "broadcast", { tag: `outage-${n}` });
  await check("while Redis is down, a broadcast from a sio node reaches that node's clients only", async () => {
    const r = {};
    for (const n of names.filter((n) => n !== "C")) {
      r[n] = await expectReceivers(all, "bcast", (a) => a[0]?.tag === `outage-${n}`, labelsOf(n), 1000);
    }
    return Object.values(r).every((x) => x === true) ? true : r;
  });
  console.log("checked");
  await nextLine(); // Redis is back, with the stream it had.
  const redis = createClient({ url: args.redis });
  redis.on("error", () => {});
  await redis.connect();
  const data = JSON.stringify({
    packet: { type: 2, data: ["bcast", { tag: "resume" }, "emitter"], nsp: "/" },
    opts: { rooms: [], except: [] },
  });
  await redis.xAdd("socket.io", "*", { uid: "emitter", nsp: "/", type: "3", data });
  await redis.quit();
  await check("after the restart, an entry appended before the servers were back reaches every node (reading resumes after the last offset)", async () => {
    const got = new Set();
    await waitFor(() => {
      for (const l of received(all, "bcast", (a) => a[0]?.tag === "resume")) got.add(l);
      return got.size === allLabels.length;
    }, 10000);
    return expectSame([...got].sort(), [...allLabels].sort());
  });
  await check("the broadcast Node queued while Redis was down reaches every node once Redis is back", async () =>
    expectReceivers(all, "bcast", (a) => a[0]?.tag === "outage-C", allLabels, 300));
  await broadcastsRecover(ctx, "restart");
  for (const o of names) await nodeChecks(ctx, o, true);
}

run(args.phase === "recovery" ? recovery : restart, 150000);
