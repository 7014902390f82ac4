// The Node.js reference of sio's benchmarks: socket.io 4.8 (ws with bufferutil), the same
// handlers as `sio-server` and `sioxide-server`.
//
// `node server.mjs [port]`; prints `listening <port>`.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2] ?? 0);
const http = createServer();
const io = new Server(http, { transports: ["websocket", "polling"] });

io.on("connection", (socket) => {
  socket.on("echo", (arg) => socket.emit("echo", arg));
  socket.on("ack", (arg, ack) => ack(arg));
  socket.on("binecho", (arg) => socket.emit("binecho", arg));
  socket.on("bcast", (arg) => io.emit("bcast", arg));
});

http.listen(port, "127.0.0.1", () => console.log(`listening ${http.address().port}`));
