// The reference for the Admin UI test: npm `socket.io` 4.8 instrumented by
// `@socket.io/admin-ui` 0.5's `instrument()`, with the contract of
// tests/src/bin/sio-admin-node.rs (the same server on sio):
//
//   node tests/js/admin-reference-server.mjs [--server-id ID]
//
// Prints `listening <port>`. The admin namespace `/admin` asks for user `admin`, password
// `changeit`; CORS reflects any origin with credentials. Clients of `/` connect with
// `?room=<room>` to join it.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { instrument } from "@socket.io/admin-ui";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, v, i, a) => (i % 2 === 0 ? [...acc, [v.replace(/^--/, ""), a[i + 1]]] : acc), []),
);

const http = createServer();
const io = new Server(http, { cors: { origin: true, credentials: true } });
instrument(io, {
  auth: {
    type: "basic",
    username: "admin",
    // "changeit", the hash of the package's README
    password: "$2b$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS",
  },
  serverId: args["server-id"],
  mode: "development",
});
io.on("connection", (socket) => {
  const room = socket.handshake.query.room;
  if (room) socket.join(room);
});
http.listen(0, "127.0.0.1", () => {
  console.log(`listening ${http.address().port}`);
});
