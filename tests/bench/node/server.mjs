// The Node.js reference of sio's benchmarks: socket.io 4.8 (ws with bufferutil), the same
// handlers as `sio-server` and `sioxide-server`.
//
// `node server.mjs [port] [--msgpack]`; prints `listening <port>`. `--msgpack`: the server
// speaks socket.io-msgpack-parser.
import { createServer } from "node:http";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

const args = process.argv.slice(2);
const port = Number(args.find((a) => !a.startsWith("--")) ?? 0);
const http = createServer();
const io = new Server(http, {
  transports: ["websocket", "polling"],
  ...(args.includes("--msgpack") ? { parser: msgpackParser } : {}),
});

io.on("connection", (socket) => {
  socket.on("echo", (arg) => socket.emit("echo", arg));
  socket.on("ack", (arg, ack) => ack(arg));
  socket.on("binecho", (arg) => socket.emit("binecho", arg));
  socket.on("bcast", (arg) => io.emit("bcast", arg));
});

http.listen(port, "127.0.0.1", () => console.log(`listening ${http.address().port}`));
