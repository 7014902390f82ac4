// Checks that the examples of the sio crates do what their docs say, with the official npm
// clients (tests/tests/examples.rs runs it against the example binaries).
//
//   node tests/js/examples-check.mjs --url http://127.0.0.1:PORT --scenario NAME [--url2 URL]
//
// Scenarios:
//   chat      two socket.io-client 4.8 clients (polling, then the upgrade): A's `chat` with an
//             ack is answered "received" and reaches B (the axum and standalone examples).
//   cluster   the same with A on --url and B on --url2 (two cluster examples on one Redis),
//             and A's `count` is answered 2 (fetch_cluster_sockets sees both servers).
//   eio-echo  engine.io-client 6.6 on long-polling: text and binary come back unchanged (the
//             sio-core event_loop example).
//
// Prints one JSON line {"scenario":NAME,"ok":true|false,"details":...}; exits 0 when ok.

import { Socket as EngineSocket } from "engine.io-client";
import { io } from "socket.io-client";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].slice(2)] = process.argv[i + 1];
const details = {};

function done(ok, error) {
  if (error) details.error = String(error);
  console.log(JSON.stringify({ scenario: args.scenario, ok, details }));
  process.exit(ok ? 0 : 1);
}
setTimeout(() => done(false, "timed out after 10 s"), 10_000).unref();

const connected = (socket) =>
  new Promise((resolve, reject) => {
    socket.on("connect", resolve);
    socket.on("connect_error", reject);
  });

async function chat(urlA, urlB) {
  const a = io(urlA, { reconnection: false });
  const b = io(urlB, { reconnection: false });
  await Promise.all([connected(a), connected(b)]);
  const gotChat = new Promise((resolve) => b.on("chat", resolve));
  const ack = await a.timeout(5000).emitWithAck("chat", "hello from node");
  details.ack = ack;
  details.received = await gotChat;
  let ok = ack === "received" && details.received === "hello from node";
  if (args.scenario === "cluster") {
    details.count = await a.timeout(5000).emitWithAck("count");
    ok &&= details.count === 2;
  }
  a.close();
  b.close();
  return ok;
}

async function eioEcho(url) {
  const socket = new EngineSocket(url, { transports: ["polling"] });
  const messages = [];
  const echoed = new Promise((resolve) =>
    socket.on("message", (m) => {
      messages.push(typeof m === "string" ? m : Array.from(new Uint8Array(m)));
      if (messages.length === 2) resolve();
    }),
  );
  await new Promise((resolve, reject) => {
    socket.on("open", resolve);
    socket.on("error", reject);
  });
  details.transport = socket.transport.name;
  socket.send("hello");
  socket.send(Uint8Array.from([1, 2, 3]));
  await echoed;
  details.messages = messages;
  socket.close();
  return JSON.stringify(messages) === JSON.stringify(["hello", [1, 2, 3]]);
}

try {
  let ok;
  if (args.scenario === "chat") ok = await chat(args.url, args.url);
  else if (args.scenario === "cluster") ok = await chat(args.url, args.url2);
  else if (args.scenario === "eio-echo") ok = await eioEcho(args.url);
  else done(false, `unknown scenario ${args.scenario}`);
  done(ok);
} catch (e) {
  done(false, e);
}
