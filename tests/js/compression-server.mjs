// npm socket.io 4.8 with permessage-deflate on (`perMessageDeflate: true`, threshold 1024)
// and its default HTTP compression (threshold 1024), for sio's client to test against.
//
//   node tests/js/compression-server.mjs --port 0 [--no-context-takeover]
//
// Prints `listening <port>`. Events:
//   echo (...args, ack)  ack(...args)
//   stats (ack)          ack({transport, extensions, wsBytesRead, wsBytesWritten,
//                        compressedPolls}) about the asking socket's connection: the WebSocket's
//                        agreed extensions and its TCP byte counts, and how many of its
//                        long-poll answers went out with a Content-Encoding.

import http from "node:http";
import { Server } from "socket.io";

const argv = process.argv.slice(2);
const port = Number(argv[argv.indexOf("--port") + 1] ?? 0) || 0;
const noTakeover = argv.includes("--no-context-takeover");

const httpServer = http.createServer();
const io = new Server(httpServer, {
  perMessageDeflate: noTakeover
    ? { serverNoContextTakeover: true, clientNoContextTakeover: true }
    : true,
});

const compressedPolls = new Map();
io.engine.on("headers", (headers, req) => {
  const sid = new URL(req.url, "http://x").searchParams.get("sid");
  if (sid && headers["Content-Encoding"]) {
    compressedPolls.set(sid, (compressedPolls.get(sid) ?? 0) + 1);
  }
});

io.on("connection", (socket) => {
  socket.on("echo", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("stats", (ack) => {
    const transport = socket.conn.transport;
    const ws = transport.name === "websocket" ? transport.socket : null;
    ack({
      transport: transport.name,
      extensions: ws ? ws.extensions : null,
      wsBytesRead: ws ? ws._socket.bytesRead : null,
      wsBytesWritten: ws ? ws._socket.bytesWritten : null,
      compressedPolls: compressedPolls.get(socket.conn.id) ?? 0,
    });
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});
