// Headless Chromium (Debian's, through playwright-core) against a sio Socket.IO server with
// permessage-deflate on and CORS open (`sio-echo --per-message-deflate 1024 --cors 1`): the
// browser's own WebSocket (which always offers permessage-deflate) and XHR polling (which
// always sends Accept-Encoding) carry the official socket.io-client bundle's echoes.
//
//   node tests/js/browser-compression.mjs --url http://127.0.0.1:PORT
//
// Checks, through the DevTools protocol: the 101 answer agreed `permessage-deflate`; a long-poll
// answer over 1024 bytes came with `Content-Encoding: gzip`; and 200 KB text and 100 KB binary
// echoes came back equal both ways (so the browser inflated sio's frames and sio inflated the
// browser's). Prints one JSON line {"scenario":"browser-compression","ok":…,"details":…}.

import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const url = process.argv[process.argv.indexOf("--url") + 1];
const bundle = join(dirname(fileURLToPath(import.meta.url)), "node_modules/socket.io-client/dist/socket.io.min.js");
const details = {};
let browser;

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function run() {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const wsAnswers = [];
  const pollEncodings = [];
  cdp.on("Network.webSocketHandshakeResponseReceived", (e) => {
    const h = e.response.headers;
    wsAnswers.push(h["Sec-WebSocket-Extensions"] ?? h["sec-websocket-extensions"] ?? null);
  });
  cdp.on("Network.responseReceived", (e) => {
    if (e.response.url.includes("transport=polling") && e.type !== "Preflight") {
      const h = e.response.headers;
      pollEncodings.push(h["Content-Encoding"] ?? h["content-encoding"] ?? null);
    }
  });
  await page.setContent("<!doctype html><title>compression</title>");
  await page.addScriptTag({ path: bundle });
  const result = await page.evaluate(async (url) => {
    const text = (n) => {
      let s = "";
      for (let i = 0; s.length < n; i++) s += ((i * 7919) % 10007).toString(36) + ",";
      return s.slice(0, n);
    };
    const out = {};
    for (const [name, transports] of [["websocket", ["websocket"]], ["upgrade", ["polling", "websocket"]], ["polling", ["polling"]]]) {
      const socket = io(url, { transports, forceNew: true, reconnection: false });
      await new Promise((res, rej) => {
        socket.on("connect", res);
        socket.on("connect_error", (e) => rej(new Error(`${name}: connect_error ${e.message}`)));
      });
      if (name === "upgrade") {
        for (let i = 0; i < 100 && socket.io.engine.transport.name !== "websocket"; i++) await new Promise((r) => setTimeout(r, 50));
      }
      const t = text(200_000);
      const back = await socket.timeout(10000).emitWithAck("echo", t);
      const bin = new Uint8Array(100_000).map((_, i) => (i * 31) % 97);
      const binBack = new Uint8Array(await socket.timeout(10000).emitWithAck("echo", bin));
      out[name] = {
        transport: socket.io.engine.transport.name,
        text: back === t,
        binary: binBack.length === bin.length && binBack.every((x, i) => x === bin[i]),
      };
      socket.disconnect();
    }
    return out;
  }, url);
  details.result = result;
  details.wsAnswers = wsAnswers;
  details.pollEncodings = pollEncodings;
  for (const [name, r] of Object.entries(result)) {
    check(r.text && r.binary, `${name}: echo differs`);
  }
  check(result.websocket.transport === "websocket" && result.upgrade.transport === "websocket", "not on websocket");
  check(wsAnswers.length === 2 && wsAnswers.every((h) => h === "permessage-deflate"), `101 answers: ${JSON.stringify(wsAnswers)}`);
  check(pollEncodings.includes("gzip"), `no gzip long-poll answer: ${JSON.stringify(pollEncodings)}`);
}

let ok = false;
try {
  await Promise.race([run(), new Promise((_, rej) => setTimeout(() => rej(new Error("timed out")), 30000))]);
  ok = true;
} catch (e) {
  details.error = String(e?.message ?? e);
}
try {
  await browser?.close();
} catch {}
console.log(JSON.stringify({ scenario: "browser-compression", ok, details }));
process.exit(ok ? 0 : 1);
