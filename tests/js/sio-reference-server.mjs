// Reference Socket.IO server built on the official `socket.io` package.
// It implements the contract the Rust `sio` server must implement too, so
// sio-scenarios.mjs can be checked (and behaviour compared) against it.
//
//   node tests/js/sio-reference-server.mjs --port 0 --ping-interval 300 --ping-timeout 200
//
// Prints `listening <port>` on stdout once ready (port 0 = pick a free one).
// --host defaults to 127.0.0.1. Stops on SIGINT/SIGTERM, and also when stdin
// ends if --exit-on-stdin-end is given (handy when a test harness spawns it).
// --tls-key KEY.pem --tls-cert CERT.pem serves https/wss instead of http/ws.
// --parser msgpack uses socket.io-msgpack-parser instead of the default parser.
// --log prints one line per connect/disconnect (with the server-side reason)
// on stderr. --allow-eio3 lets Socket.IO v2 clients (Engine.IO v3) in.
//
// Contract (path /socket.io/, connectionStateRecovery enabled with the default
// window (2 min), skipMiddlewares true):
//
// Namespace "/": on connect, socket.data.nick = handshake.auth.nick ?? "anon".
//   echo (...args[, ack])  ack present: ack(...args); else emit("echo", ...args)
//   echo-forward (...args, ack)  ack(...args) (sio: Message::ack_forward)
//   join (room, ack)       join, ack(sorted rooms of the socket)
//   leave (room, ack)      leave, ack(sorted rooms)
//   to-room (room, p)      socket.to(room).emit("room-msg", p, socket.id)
//   broadcast (p)          socket.broadcast.emit("bcast", p)
//   all (p)                io.emit("all", p)
//   ask-client (ack)       socket.timeout(2000).emitWithAck("question", 42)
//                          -> ack({answer}) or ack({error: err.message})
//   broadcast-ask (ack)    io.timeout(1000).emitWithAck("poll", "q")
//                          -> ack(sorted responses) or ack({error: err.message})
//   whoami (ack)           ack({id, nick, rooms (sorted), recovered, transport,
//                               handshakeQuery})
//   fetch (room, ack)      io.in(room).fetchSockets() -> ack([{id, rooms (sorted), nick}] sorted by id)
//   kick (room)            io.in(room).disconnectSockets()
//   disconnect-me (close)  socket.disconnect(close)
//   count (ack)            ack(io.of("/").sockets.size)
//   volatile (n)           n x socket.volatile.emit("v", i)
//   emit-burst (n)         n x socket.emit("burst", i)
//   any-log (ack)          ack(names of every event this socket received, via onAny)
//   header-of (name, ack)  ack(the handshake's header `name`, or null)
//   ack-on-try (key, n, ack)  counts calls per key (server-wide); acks with the count
//                          only from the n-th call on (retries test)
// Namespace "/admin": middleware rejects with Error("not authorized"),
//   err.data = {reason: "bad token"}, unless auth.token === "secret";
//   on connect emits ("hello-admin", socket.id).
// Namespaces matching /^\/dyn-\w+$/: on connect emit ("hello-dyn", nsp name).
// Any other namespace is refused by socket.io itself ("Invalid namespace").
//
// Note: with connectionStateRecovery every server emit without ack and not
// volatile (socket.emit included) gets the session offset appended as an extra
// last string argument; the client uses it to resume after a reconnection.

import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

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

const args = parseArgs(process.argv.slice(2));
const port = Number(args.port ?? 0);
const pingInterval = Number(args["ping-interval"] ?? 25000);
const pingTimeout = Number(args["ping-timeout"] ?? 20000);
const host = args.host ?? "127.0.0.1";
const log = args.log ? (...a) => process.stderr.write(a.join(" ") + "\n") : () => {};

// --tls-key/--tls-cert (PEM files): serve https/wss instead.
const notFound = (req, res) => {
  res.writeHead(404).end();
};
const httpServer = args["tls-key"]
  ? https.createServer(
      { key: fs.readFileSync(args["tls-key"]), cert: fs.readFileSync(args["tls-cert"]) },
      notFound,
    )
  : http.createServer(notFound);
const io = new Server(httpServer, {
  path: "/socket.io/",
  pingInterval,
  pingTimeout,
  connectionStateRecovery: {
    maxDisconnectionDuration: 2 * 60 * 1000, // the default, spelled out
    skipMiddlewares: true,
  },
  ...(args.parser === "msgpack" ? { parser: msgpackParser } : {}),
  // --allow-eio3: Socket.IO v2 clients too (sio-v2-scenarios.mjs).
  allowEIO3: !!args["allow-eio3"],
});

const tries = new Map();
const sortedRooms = (socket) => [...socket.rooms].sort();

function traceLifecycle(socket) {
  log(`connect nsp=${socket.nsp.name} id=${socket.id} recovered=${socket.recovered} transport=${socket.conn.transport.name}`);
  socket.on("disconnect", (reason, desc) => {
    log(`disconnect nsp=${socket.nsp.name} id=${socket.id} reason=${JSON.stringify(reason)}${desc?.message ? ` desc=${JSON.stringify(desc.message)}` : ""}`);
  });
}

io.on("connection", (socket) => {
  traceLifecycle(socket);
  socket.data.nick = socket.handshake.auth?.nick ?? "anon";
  const anyLog = [];
  socket.onAny((event) => anyLog.push(event));

  socket.on("echo", (...a) => {
    if (typeof a[a.length - 1] === "function") {
      const ack = a.pop();
      ack(...a);
    } else {
      socket.emit("echo", ...a);
    }
  });

  // sio answers it with `Message::ack_forward` (the arguments as they came).
  socket.on("echo-forward", (...a) => {
    const ack = a.pop();
    if (typeof ack === "function") ack(...a);
  });

  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack(sortedRooms(socket));
  });

  socket.on("leave", (room, ack) => {
    socket.leave(room);
    if (typeof ack === "function") ack(sortedRooms(socket));
  });

  socket.on("to-room", (room, payload) => {
    socket.to(room).emit("room-msg", payload, socket.id);
  });

  socket.on("broadcast", (payload) => {
    socket.broadcast.emit("bcast", payload);
  });

  socket.on("all", (payload) => {
    io.emit("all", payload);
  });

  socket.on("ask-client", async (ack) => {
    let res;
    try {
      res = { answer: await socket.timeout(2000).emitWithAck("question", 42) };
    } catch (err) {
      res = { error: err.message };
    }
    if (typeof ack === "function") ack(res);
  });

  socket.on("broadcast-ask", async (ack) => {
    let res;
    try {
      const responses = await io.timeout(1000).emitWithAck("poll", "q");
      res = [...responses].sort();
    } catch (err) {
      res = { error: err.message };
    }
    if (typeof ack === "function") ack(res);
  });

  socket.on("whoami", (ack) => {
    ack({
      id: socket.id,
      nick: socket.data.nick,
      rooms: sortedRooms(socket),
      recovered: socket.recovered,
      transport: socket.conn.transport.name,
      handshakeQuery: socket.handshake.query,
    });
  });

  socket.on("fetch", async (room, ack) => {
    const sockets = await io.in(room).fetchSockets();
    const list = sockets
      .map((s) => ({ id: s.id, rooms: [...s.rooms].sort(), nick: s.data.nick }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (typeof ack === "function") ack(list);
  });

  socket.on("kick", (room) => {
    io.in(room).disconnectSockets();
  });

  socket.on("disconnect-me", (close) => {
    socket.disconnect(close === true);
  });

  socket.on("count", (ack) => {
    ack(io.of("/").sockets.size);
  });

  socket.on("volatile", (n) => {
    for (let i = 0; i < Number(n); i++) socket.volatile.emit("v", i);
  });

  socket.on("emit-burst", (n) => {
    for (let i = 0; i < Number(n); i++) socket.emit("burst", i);
  });

  socket.on("header-of", (name, ack) => {
    ack(socket.handshake.headers[String(name).toLowerCase()] ?? null);
  });

  socket.on("ack-on-try", (key, n, ack) => {
    const count = (tries.get(key) ?? 0) + 1;
    tries.set(key, count);
    if (count >= Number(n) && typeof ack === "function") ack(count);
  });

  socket.on("any-log", (ack) => {
    ack([...anyLog]);
  });
});

const admin = io.of("/admin");
admin.use((socket, next) => {
  if (socket.handshake.auth?.token === "secret") return next();
  const err = new Error("not authorized");
  err.data = { reason: "bad token" };
  next(err);
});
admin.on("connection", (socket) => {
  traceLifecycle(socket);
  socket.emit("hello-admin", socket.id);
});

io.of(/^\/dyn-\w+$/).on("connection", (socket) => {
  traceLifecycle(socket);
  socket.emit("hello-dyn", socket.nsp.name);
});

function shutdown() {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
if (args["exit-on-stdin-end"]) {
  process.stdin.resume();
  process.stdin.on("end", shutdown);
}

httpServer.listen(port, host, () => {
  process.stdout.write(`listening ${httpServer.address().port}\n`);
});
