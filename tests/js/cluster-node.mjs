// A member of the Redis cluster of the cluster tests, on the official `socket.io` 4.8 with
// `@socket.io/redis-adapter` 8.3 (classic or sharded) or `@socket.io/redis-streams-adapter`
// 0.2 (the `redis` v4 client). The contract of tests/src/bin/sio-cluster-node.rs (the same
// node on sio):
//
//   node tests/js/cluster-node.mjs --name NODE --redis redis://127.0.0.1:PORT/ \
//        [--adapter classic|sharded|streams]
//
// The sharded adapter takes the Redis Cluster's node URLs comma-separated in --redis; the
// streams adapter turns connection state recovery on.
//
// Prints `listening <port>`. Clients connect with ?name=<label>[&room=<room>]; socket.data =
// {name}; the socket joins `room`. Client events (each answered by its ack):
//   broadcast (p)           io.emit("bcast", p, NODE)
//   local-broadcast (p)     io.local.emit("bcast", p, NODE)
//   others (p)              socket.broadcast.emit("bcast", p, NODE)
//   admin-broadcast (p)     io.of("/admin").emit("admin-msg", p, NODE)
//   room-emit (room, p)     io.to(room).emit("room-msg", p, NODE)
//   fetch (room|null)       io[.in(room)].fetchSockets() -> [{id, name, rooms}]
//   join-all (room, sel)    io[.in(sel)].socketsJoin(room)
//   leave-all (room)        io.socketsLeave(room)
//   kick (room)             io.in(room).disconnectSockets()
//   sse (p)                 io.serverSideEmit("hello", p, NODE)
//   sse-ack                 io.serverSideEmitWithAck("question", NODE) -> sorted answers
//   bcast-ack (room)        io.to(room).timeout(3000).emitWithAck("q", NODE) -> sorted answers
//   server-events           the ("hello", ...) server events heard since the last call
//   echo-me (p)             socket.emit("echoed", p)
//   whoami                  {node: NODE, id: socket.id, recovered: socket.recovered}
// Server events: "hello" (p, from) is recorded; "question" (from, cb) answers cb(NODE).
import { Server } from "socket.io";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createAdapter as createStreamsAdapter } from "@socket.io/redis-streams-adapter";
import { createClient, createCluster } from "redis";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, v, i, a) => (i % 2 === 0 ? [...acc, [v.replace(/^--/, ""), a[i + 1]]] : acc), []),
);
const NODE = args.name;

const kind = args.adapter || "classic";
let io;
if (kind === "streams") {
  const client = createClient({ url: args.redis });
  client.on("error", () => {}); // reconnects by itself
  await client.connect();
  io = new Server({ adapter: createStreamsAdapter(client), connectionStateRecovery: {} });
} else {
  const pub = kind === "sharded"
    ? createCluster({ rootNodes: args.redis.split(",").map((url) => ({ url })) })
    : createClient({ url: args.redis });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", () => {}); // reconnects by itself
  await Promise.all([pub.connect(), sub.connect()]);
  const adapter = kind === "sharded"
    ? createShardedAdapter(pub, sub, { subscriptionMode: "dynamic" })
    : createAdapter(pub, sub);
  io = new Server({ adapter });
}
const heard = [];
io.on("hello", (...a) => heard.push(a));
io.on("question", (_from, cb) => cb(NODE));
const sorted = (a) => [...a].sort();

io.of("/admin").on("connection", () => {});

io.on("connection", (socket) => {
  const q = socket.handshake.query;
  socket.data = { name: q.name };
  if (q.room) socket.join(q.room);
  socket.on("broadcast", (p, ack) => { io.emit("bcast", p, NODE); ack("ok"); });
  socket.on("local-broadcast", (p, ack) => { io.local.emit("bcast", p, NODE); ack("ok"); });
  socket.on("others", (p, ack) => { socket.broadcast.emit("bcast", p, NODE); ack("ok"); });
  socket.on("admin-broadcast", (p, ack) => { io.of("/admin").emit("admin-msg", p, NODE); ack("ok"); });
  socket.on("room-emit", (room, p, ack) => { io.to(room).emit("room-msg", p, NODE); ack("ok"); });
  socket.on("fetch", async (room, ack) => {
    try {
      const list = await (room ? io.in(room) : io).fetchSockets();
      ack(list.map((s) => ({ id: s.id, name: s.data.name, rooms: [...s.rooms] })));
    } catch (e) { ack([`error: ${e.message}`]); }
  });
  socket.on("join-all", (room, sel, ack) => { (sel ? io.in(sel) : io).socketsJoin(room); ack("ok"); });
  socket.on("leave-all", (room, ack) => { io.socketsLeave(room); ack("ok"); });
  socket.on("kick", (room, ack) => { io.in(room).disconnectSockets(); ack("ok"); });
  socket.on("sse", (p, ack) => { io.serverSideEmit("hello", p, NODE); ack("ok"); });
  socket.on("sse-ack", async (ack) => {
    try { ack(sorted(await io.serverSideEmitWithAck("question", NODE))); }
    catch (e) { ack(`error: ${e.message}`); }
  });
  socket.on("bcast-ack", async (room, ack) => {
    try { ack(sorted(await io.to(room).timeout(3000).emitWithAck("q", NODE))); }
    catch (e) { ack(`error: ${e.message}`); }
  });
  socket.on("server-events", (ack) => ack(heard.splice(0)));
  socket.on("echo-me", (p, ack) => { socket.emit("echoed", p); ack("ok"); });
  socket.on("whoami", (ack) => ack({ node: NODE, id: socket.id, recovered: socket.recovered }));
});

io.listen(0);
// socket.io's listen() wraps an http server; read its port once bound.
io.httpServer.on("listening", () => console.log(`listening ${io.httpServer.address().port}`));
