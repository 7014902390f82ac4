// The Socket.IO v2 client (socket.io-client 2.5.0's browser bundle) in headless Chromium,
// against a server with the contract of sio-reference-server.mjs started with --allow-eio3.
// In a browser the v2 client has XHR2, so long-polling carries binary in the XHR2 payload
// format both ways (POSTs as application/octet-stream, GET answers likewise when they hold
// binary): the one path the Node client (base64 over xmlhttprequest-ssl) never takes.
//
//   node tests/js/sio-v2-browser.mjs --url http://127.0.0.1:PORT [--chromium PATH] [--timeout MS]
//
// The page is served by Playwright's request interception at the server's own origin (no
// CORS needed). On polling only, then with the default transports (polling, then the upgrade):
// binary echoed through an ack and through an event, arriving as an ArrayBuffer with the same
// bytes. Asserts that at least one POST was an octet-stream and one GET answer too (polling
// run), and that the handshake asked for no base64. Prints one JSON line
// {"scenario":"v2-browser","ok":…,"details":…}; exits 0 / 1 (2 on bad usage).

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLIENT = path.join(HERE, "node_modules/socket.io-client-v2/dist/socket.io.js");
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // The page comes from request interception, which Chromium does not count as a local
  // origin: without this its WebSocket to the loopback server is blocked.
  "--disable-features=LocalNetworkAccessChecks",
];

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--")) throw new Error(`unexpected argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

/** Runs in the page: echoes binary through an ack and an event; returns what came back. */
async function inPage(transports) {
  const bytes = (b) => Array.from(new Uint8Array(b));
  const s = io(location.origin, { transports, forceNew: true, reconnection: false });
  await new Promise((resolve, reject) => {
    s.on("connect", resolve);
    s.on("connect_error", (e) => reject(new Error("connect_error " + e)));
  });
  const big = new Uint8Array(3000).map((_, i) => i % 251);
  const ack = await new Promise((resolve) =>
    s.emit("echo", { blob: new Uint8Array([1, 2, 3, 255]).buffer }, "text", big.buffer, (...a) => resolve(a)),
  );
  const event = await new Promise((resolve) => {
    s.once("echo", (...a) => resolve(a));
    s.emit("echo", new Uint8Array([9, 8, 7]).buffer);
  });
  if (transports === undefined) {
    // Wait for the upgrade, then once more over the WebSocket.
    for (let i = 0; i < 100 && s.io.engine.transport.name !== "websocket"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const afterUpgrade = await new Promise((resolve) =>
    s.emit("echo", new Uint8Array([4, 4]).buffer, (...a) => resolve(a)),
  );
  const transport = s.io.engine.transport.name;
  s.close();
  return {
    transport,
    ack: [bytes(ack[0].blob), ack[1], ack[2] instanceof ArrayBuffer, bytes(ack[2]).length, bytes(ack[2])[2999]],
    event: [event[0] instanceof ArrayBuffer, bytes(event[0]), typeof event[1]],
    afterUpgrade: bytes(afterUpgrade[0]),
  };
}

async function main() {
  let args;
  const details = {};
  const finish = (ok, code) => {
    process.stdout.write(JSON.stringify({ scenario: "v2-browser", ok, details }) + "\n");
    process.exitCode = code ?? (ok ? 0 : 1);
  };
  try {
    args = parseArgs(process.argv.slice(2));
    if (!args.url) throw new Error("--url is required");
  } catch (e) {
    details.error = `usage: ${e.message}`;
    return finish(false, 2);
  }
  const timer = setTimeout(() => {
    details.error = "timed out";
    finish(false);
    process.exit(1);
  }, Number(args.timeout ?? 30000));
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: args.chromium ?? process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 15000,
    });
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const seen = { posts: [], gets: [], queries: [] };
    page.on("request", (r) => {
      const u = new URL(r.url());
      if (!u.pathname.startsWith("/socket.io/")) return;
      seen.queries.push(u.search);
      if (r.method() === "POST") seen.posts.push(r.headers()["content-type"] ?? "");
    });
    page.on("response", (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith("/socket.io/") && r.request().method() === "GET") {
        seen.gets.push(r.headers()["content-type"] ?? "");
      }
    });
    await page.route(`${args.url}/v2.html`, (route) =>
      route.fulfill({ contentType: "text/html", body: '<!doctype html><script src="/v2-client.js"></script>' }),
    );
    await page.route(`${args.url}/v2-client.js`, (route) =>
      route.fulfill({ contentType: "application/javascript", body: fs.readFileSync(CLIENT, "utf8") }),
    );
    await page.goto(`${args.url}/v2.html`);
    const want = {
      ack: [[1, 2, 3, 255], "text", true, 3000, 2999 % 251],
      event: [true, [9, 8, 7], "string"],
      afterUpgrade: [4, 4],
    };
    for (const [name, transports] of [["polling", ["polling"]], ["both", undefined]]) {
      const got = await page.evaluate(inPage, transports);
      details[name] = got;
      for (const k of Object.keys(want)) {
        if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) {
          throw new Error(`${name}: ${k} is ${JSON.stringify(got[k])}, want ${JSON.stringify(want[k])}`);
        }
      }
      const end = name === "polling" ? "polling" : "websocket";
      if (got.transport !== end) throw new Error(`${name}: ended on ${got.transport}`);
      if (name === "polling") {
        details.posts = [...new Set(seen.posts)];
        details.gets = [...new Set(seen.gets)];
        if (!seen.posts.includes("application/octet-stream")) throw new Error("no binary (XHR2) POST");
        if (!seen.gets.includes("application/octet-stream")) throw new Error("no binary (XHR2) GET answer");
      }
    }
    if (seen.queries.some((q) => /[?&]b64=/.test(q))) throw new Error("the browser client asked for base64");
    if (!seen.queries.every((q) => /[?&]EIO=3/.test(q))) throw new Error("a request without EIO=3");
    if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    finish(true);
  } catch (e) {
    details.error = e?.message ?? String(e);
    finish(false);
  } finally {
    clearTimeout(timer);
    await browser?.close().catch(() => {});
  }
}

main();
