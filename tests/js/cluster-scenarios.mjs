// The cluster scenarios: `socket.io-client` clients on every node of a Redis cluster (sio on
// tokio, sio on smol, Node socket.io with @socket.io/redis-adapter; see cluster-node.mjs for
// the nodes' contract), and @socket.io/redis-emitter. Every operation is started from every
// node and checked on the clients (or servers) of every node.
//
//   node tests/js/cluster-scenarios.mjs --nodes A=http://…,B=http://…,C=http://… \
//        --redis redis://127.0.0.1:PORT/ --phase main|after-restart [--adapter classic|…]
//
// With --adapter sharded or streams the emitter is left out (it speaks the classic format).
//
// Prints one line per check and a last JSON line {ok, passed, failed}.
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";
import {
  args, names, connect, check, expectReceivers, roomIs, heardBy, run, setup,
  broadcastsRecover, nodeChecks,
} from "./cluster-lib.mjs";

async function main() {
  const ctx = await setup();
  const { all, one, two, label, allLabels } = ctx;
  if (args.phase === "after-restart") {
    // Redis came back: each adapter reconnects and subscribes again by itself.
    await broadcastsRecover(ctx, "restart");
  }
  for (const o of names) await nodeChecks(ctx, o);
  if ((args.adapter || "classic") !== "classic") return;

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

run(main);
