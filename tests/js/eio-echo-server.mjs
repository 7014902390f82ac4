// Reference Engine.IO echo server built on the official `engine.io` package.
// It implements the same behaviours the Rust echo server under test must have,
// so eio-scenarios.mjs can be checked (and behaviour compared) against it.
//
//   node tests/js/eio-echo-server.mjs --port 0 --ping-interval 300 --ping-timeout 200
//
// Prints `listening <port>` on stdout once ready (port 0 = pick a free one).
// Behaviour on path /engine.io/:
//   - every message is sent back unchanged (text stays text, binary stays binary);
//   - text `close-me`       -> the server closes the session (not echoed);
//   - text `send-burst:<n>` -> sends n text messages `burst-<i>`, i = 0..n-1, at once (not echoed).
// --cookie turns on the `cookie` option with its defaults (`cookie: true`);
// --initial-packet <text> sets `initialPacket`.
// Stops on SIGINT/SIGTERM, and also when stdin ends if --exit-on-stdin-end is given
// (handy when a test harness spawns it). --host defaults to 127.0.0.1.

import http from "node:http";
import { Server } from "engine.io";

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

const httpServer = http.createServer((req, res) => {
  res.writeHead(404).end();
});
const cookie = args.cookie ? true : false;
const initialPacket = args["initial-packet"];
const eio = new Server({ pingInterval, pingTimeout, path: "/engine.io", cookie, initialPacket });
eio.attach(httpServer, { path: "/engine.io" });

eio.on("connection", (socket) => {
  socket.on("message", (data) => {
    if (typeof data === "string") {
      if (data === "close-me") {
        socket.close();
        return;
      }
      const m = /^send-burst:(\d+)$/.exec(data);
      if (m) {
        const n = Number(m[1]);
        for (let i = 0; i < n; i++) socket.send(`burst-${i}`);
        return;
      }
    }
    socket.send(data);
  });
});

function shutdown() {
  eio.close();
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
