// Reference server for the chat demo (tests/demo/): npm `socket.io` (pinned in
// package.json) + Node's http for the static files. It pins down the server
// contract that the Rust demo server copies; the event protocol is documented
// at the top of tests/demo/chat.js.
//
//   node demo-reference-server.mjs [--port P] [--host H]   # prints "listening <port>"
//
// HTTP routes (GET/HEAD): /, /index.html, /chat.js, /chat.css, /socket.io.min.js
// (+ its .map) from node_modules/socket.io-client/dist; everything else 404.
// Socket.IO on the default path /socket.io/, namespace "/", serveClient off
// (the Rust server does not serve /socket.io/socket.io.js either).

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Server } from "socket.io";

const HERE = dirname(fileURLToPath(import.meta.url));
const DEMO = join(HERE, "..", "demo");
const CLIENT_DIST = join(HERE, "node_modules", "socket.io-client", "dist");

const MAX_NICK = 32;
const MAX_ROOM = 32;
const MAX_TEXT = 500;

function usage(msg) {
  if (msg) console.error(msg);
  console.error("usage: node demo-reference-server.mjs [--port P] [--host H]");
  process.exit(2);
}

const opts = { port: 0, host: "127.0.0.1" };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const v = argv[i + 1];
  if (a === "--port") { opts.port = Number(v); i++; }
  else if (a === "--host") { opts.host = v; i++; }
  else if (a === "--help" || a === "-h") usage();
  else usage(`unknown argument ${a}`);
}
if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) usage("bad --port");
if (!opts.host) usage("bad --host");

// ---- static files ----

const ROUTES = new Map([
  ["/", [join(DEMO, "index.html"), "text/html; charset=utf-8"]],
  ["/index.html", [join(DEMO, "index.html"), "text/html; charset=utf-8"]],
  ["/chat.js", [join(DEMO, "chat.js"), "text/javascript; charset=utf-8"]],
  ["/chat.css", [join(DEMO, "chat.css"), "text/css; charset=utf-8"]],
  ["/socket.io.min.js", [join(CLIENT_DIST, "socket.io.min.js"), "text/javascript; charset=utf-8"]],
  ["/socket.io.min.js.map", [join(CLIENT_DIST, "socket.io.min.js.map"), "application/json"]],
]);

const httpServer = createServer(async (req, res) => {
  // Socket.IO requests are handled by its own listener on the same server.
  if (req.url.startsWith("/socket.io/")) return;
  const path = new URL(req.url, "http://x").pathname;
  const route = ROUTES.get(path);
  if (!route || (req.method !== "GET" && req.method !== "HEAD")) {
    res.writeHead(route ? 405 : 404, { "content-type": "text/plain; charset=utf-8" });
    res.end(route ? "method not allowed\n" : "not found\n");
    return;
  }
  try {
    const body = await readFile(route[0]);
    res.writeHead(200, {
      "content-type": route[1],
      "content-length": body.length,
      "cache-control": "no-cache",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch (e) {
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    res.end(`cannot read ${path}: ${e.code || e.message}\n`);
  }
});

// ---- chat ----

const io = new Server(httpServer, { serveClient: false });

let nextMessageId = 1;

/** Nicks of the sockets in `room`, one per socket, sorted. */
function usersOf(room) {
  const ids = io.sockets.adapter.rooms.get(room) ?? new Set();
  const nicks = [];
  for (const id of ids) {
    const s = io.sockets.sockets.get(id);
    if (s) nicks.push(s.data.nick);
  }
  return nicks.sort();
}

function cleanString(v, max) {
  if (typeof v !== "string") return null;
  const t = v.trim();
  return t.length >= 1 && t.length <= max ? t : null;
}

/** Leaves the socket's chat room, if any, telling the ones who stay. */
function leaveRoom(socket) {
  const room = socket.data.room;
  if (room === null) return;
  socket.data.room = null;
  socket.leave(room);
  io.to(room).emit("system", { text: `${socket.data.nick} left` });
  io.to(room).emit("users", { room, users: usersOf(room) });
}

io.use((socket, next) => {
  const nick = cleanString(socket.handshake.auth?.nick, MAX_NICK);
  if (nick === null) return next(new Error("invalid nick"));
  socket.data.nick = nick;
  socket.data.room = null;
  next();
});

io.on("connection", (socket) => {
  const ack = (fn, value) => { if (typeof fn === "function") fn(value); };

  socket.on("join", (rawRoom, fn) => {
    const room = cleanString(rawRoom, MAX_ROOM);
    if (room === null) return ack(fn, { error: "invalid room" });
    if (socket.data.room !== room) {
      leaveRoom(socket);
      socket.data.room = room;
      socket.join(room);
      socket.to(room).emit("system", { text: `${socket.data.nick} joined` });
      io.to(room).emit("users", { room, users: usersOf(room) });
    }
    ack(fn, { room, users: usersOf(room) });
  });

  socket.on("message", (rawText, fn) => {
    const room = socket.data.room;
    if (room === null) return ack(fn, { ok: false, error: "not in a room" });
    const text = cleanString(rawText, MAX_TEXT);
    if (text === null) return ack(fn, { ok: false, error: "invalid text" });
    const id = nextMessageId++;
    io.to(room).emit("message", { id, room, nick: socket.data.nick, text, at: Date.now() });
    ack(fn, { ok: true, id });
  });

  socket.on("typing", (typing) => {
    const room = socket.data.room;
    if (room === null) return;
    socket.to(room).emit("typing", { nick: socket.data.nick, typing: typing === true });
  });

  socket.on("disconnect", () => leaveRoom(socket));
});

// ---- lifecycle ----

httpServer.listen(opts.port, opts.host, () => {
  console.log(`listening ${httpServer.address().port}`);
});

function shutdown() {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
