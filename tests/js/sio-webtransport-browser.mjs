// socket.io-client 4.8 (its browser bundle) in headless Chromium over WebTransport, against a
// server with the contract of sio-reference-server.mjs that also serves WebTransport (HTTP/3)
// on the UDP port of the HTTP port's number (sio-echo --webtransport CERT KEY).
//
//   node tests/js/sio-webtransport-browser.mjs --url http://127.0.0.1:PORT --cert CERT.pem
//     [--chromium PATH] [--timeout MS]
//
// The certificate is self-signed (ECDSA P-256, under 14 days): the page trusts it by its
// SHA-256 hash through `serverCertificateHashes`, as an application would. Chromium runs
// without `--disable-quic` (WebTransport is QUIC). Two runs: `transports: ["webtransport"]`,
// then `["polling", "webtransport"]` (handshake over polling, then the upgrade). Each
// connects, checks it runs on WebTransport, echoes text and binary through acks and events,
// answers the server's ack, then closes its WebTransport session and checks the client
// reconnects (over WebTransport again, its socket recovered by the server's connection state
// recovery) and echoes once more. Prints one JSON line
// {"scenario":"webtransport-browser","ok":…,"details":…}; exits 0 / 1 (2 on bad usage).

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLIENT = path.join(HERE, "node_modules/socket.io-client/dist/socket.io.min.js");
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // The page comes from request interception, which Chromium does not count as a local
  // origin: without this its connections to the loopback server are blocked.
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

/** Runs in the page: one client on `transports`; returns what it saw. */
async function inPage({ transports, hash }) {
  const bytes = (b) => Array.from(new Uint8Array(b));
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  const s = io(location.origin, {
    transports,
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    transportOptions: {
      webtransport: {
        serverCertificateHashes: [{ algorithm: "sha-256", value: new Uint8Array(hash) }],
      },
    },
  });
  const connected = () =>
    new Promise((resolve, reject) => {
      s.once("connect", resolve);
      s.once("connect_error", (e) => reject(new Error("connect_error " + e.message)));
    });
  s.on("question", (n, ack) => ack(n + 1, new Uint8Array([9, 8, 7])));
  // Every argument of the ack (`emitWithAck` resolves with the first only).
  const ask = (...args) => new Promise((resolve) => s.emit(...args, (...a) => resolve(a)));
  await connected();
  for (let i = 0; i < 100 && s.io.engine.transport.name !== "webtransport"; i++) await wait(20);
  const out = { transport: s.io.engine.transport.name, first: s.id };
  out.serverTransport = (await ask("whoami"))[0].transport;
  out.echoAck = await ask("echo", "a", 1, { x: [1, 2.5, "é"] });
  const big = new Uint8Array(70000).map((_, i) => i % 251);
  const bin = await ask("echo", { blob: new Uint8Array([1, 2, 3, 255]).buffer }, big.buffer);
  out.binAck = [bytes(bin[0].blob), bin[1] instanceof ArrayBuffer, bytes(bin[1]).length, bytes(bin[1])[69999]];
  const event = await new Promise((resolve) => {
    s.once("echo", (...a) => resolve(a));
    s.emit("echo", "plain", new Uint8Array([4, 5]).buffer);
  });
  out.event = [event[0], bytes(event[1])];
  out.serverAck = (await ask("ask-client"))[0].answer;
  // Reconnection: the WebTransport session closes under the client.
  const reconnected = connected();
  s.io.engine.transport.close();
  await reconnected;
  for (let i = 0; i < 100 && s.io.engine.transport.name !== "webtransport"; i++) await wait(20);
  out.afterReconnect = {
    transport: s.io.engine.transport.name,
    // The server keeps sessions (connection state recovery): the same socket comes back.
    recovered: s.recovered && s.id === out.first,
    echo: await ask("echo", "again"),
  };
  s.close();
  return out;
}

async function main() {
  let args;
  const details = {};
  const finish = (ok, code) => {
    process.stdout.write(JSON.stringify({ scenario: "webtransport-browser", ok, details }) + "\n");
    process.exitCode = code ?? (ok ? 0 : 1);
  };
  try {
    args = parseArgs(process.argv.slice(2));
    if (!args.url || !args.cert) throw new Error("--url and --cert are required");
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
    const der = new crypto.X509Certificate(fs.readFileSync(args.cert)).raw;
    const hash = Array.from(crypto.createHash("sha256").update(der).digest());
    browser = await chromium.launch({
      executablePath: args.chromium ?? process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 15000,
    });
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.route(`${args.url}/wt.html`, (route) =>
      route.fulfill({ contentType: "text/html", body: '<!doctype html><script src="/wt-client.js"></script>' }),
    );
    await page.route(`${args.url}/wt-client.js`, (route) =>
      route.fulfill({ contentType: "application/javascript", body: fs.readFileSync(CLIENT, "utf8") }),
    );
    await page.goto(`${args.url}/wt.html`);
    details.webTransportInPage = await page.evaluate(() => typeof WebTransport);
    const want = {
      transport: "webtransport",
      serverTransport: "webtransport",
      echoAck: ["a", 1, { x: [1, 2.5, "é"] }],
      binAck: [[1, 2, 3, 255], true, 70000, 69999 % 251],
      event: ["plain", [4, 5]],
      serverAck: 43,
      afterReconnect: { transport: "webtransport", recovered: true, echo: ["again"] },
    };
    for (const [name, transports] of [
      ["webtransport", ["webtransport"]],
      ["upgrade", ["polling", "webtransport"]],
    ]) {
      const got = await page.evaluate(inPage, { transports, hash });
      delete got.first;
      details[name] = got;
      for (const k of Object.keys(want)) {
        if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) {
          throw new Error(`${name}: ${k} is ${JSON.stringify(got[k])}, want ${JSON.stringify(want[k])}`);
        }
      }
    }
    // engine.io-client pipes its encoder into the stream without catching the pipe's end:
    // each closed session leaves an unhandled "The session is closed." rejection behind,
    // whoever closed it. Those are counted; any other page error fails.
    const closed = "WebTransportError: The session is closed.";
    details.unhandledSessionClosed = errors.filter((e) => e === closed).length;
    const other = errors.filter((e) => e !== closed);
    if (other.length) throw new Error(`page errors: ${other.join("; ")}`);
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
