// The Socket.IO Admin UI as an operator uses it: the official dashboard (the static build
// shipped in @socket.io/admin-ui's ui/dist), opened in Debian's chromium (playwright-core),
// logs in to a server instrumented for it, lists two connected clients and their rooms, and
// disconnects one; the client must see the server's disconnect.
//
//   node tests/js/admin-ui.mjs --url http://127.0.0.1:PORT [--url2 http://127.0.0.1:PORT2]
//        [--ui http://127.0.0.1:PORT/admin-ui/] [--servers ID,ID] [--demo] [--session]
//        [--screenshots DIR] [--timeout MS] [--chromium PATH]
//
// Client "red" connects to --url and joins room "red", client "blue" connects to --url2
// (default --url: the other server of a cluster) and joins room "blue": with `?room=` (the
// contract of sio-admin-node and admin-reference-server.mjs) or, with --demo, as the chat
// demo wants (auth {nick}, then the "join" event). Without --ui the dashboard is served from
// ui/dist by this script on a port of its own (another origin, as the hosted UI is). The
// dashboard logs in as admin/changeit to --url; the steps: the Sockets page lists both socket
// ids, the Rooms page both rooms, the Servers page every id of --servers (when given); then
// an admin client makes blue join room "green" (the dashboard must show it), emits "hello" to
// that room (blue must get it) and makes blue leave it (the room must go); then
// the disconnect button of red's row is clicked: red must report "io server disconnect",
// blue must stay connected, and red's row must go. A wrong password is tried first (the UI
// must say "Invalid credentials"). With --session the page is then reloaded: the UI must
// reconnect with the session id it was given, without asking to log in again. (Not against
// the Node reference: its `instrument()` emits `session` from the middleware, before the
// CONNECT reply; socket.io-client hands such early events to the listeners before its
// "connect" event, and the UI only listens from "connect" on, so it never keeps the id.)
//
// Prints exactly one JSON line {"scenario":"admin-ui","ok":…,"details":…} and exits 0 (ok)
// or 1 (failed). Overall timeout 40 s (--timeout). External requests of the page (web fonts,
// icon CSS from CDNs) are refused: the test needs no network.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { io } from "socket.io-client";

const SCENARIO = "admin-ui";
const UI_DIR = fileURLToPath(new URL("./node_modules/@socket.io/admin-ui/ui/dist/", import.meta.url));
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let printed = false;
function report(ok, details) {
  if (printed) return;
  printed = true;
  process.stdout.write(JSON.stringify({ scenario: SCENARIO, ok, details }) + "\n");
}

const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i].replace(/^--/, "");
  const next = process.argv[i + 1];
  if (next !== undefined && !next.startsWith("--")) {
    args[a] = next;
    i++;
  } else {
    args[a] = true;
  }
}
const URL1 = args.url;
const URL2 = args.url2 || args.url;
const SERVERS = args.servers ? String(args.servers).split(",") : [];
const TIMEOUT = Number(args.timeout || 40000);
const STEP = 15000;

const details = { steps: [] };
const cleanup = [];
const step = (name) => details.steps.push(name);

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

/** Serves ui/dist on a free loopback port; resolves with its URL. */
function serveUi() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^\/+/, "");
    if (path.includes("..")) return res.writeHead(400).end();
    try {
      const body = await readFile(join(UI_DIR, path || "index.html"));
      res.writeHead(200, { "content-type": TYPES[extname(path || "index.html")] || "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  cleanup.push(() => server.close());
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}/`)));
}

/** A client in `room`, connected; records its disconnect reasons. */
async function client(url, room) {
  const opts = args.demo ? { auth: { nick: room } } : { query: { room } };
  const socket = io(url, { ...opts, reconnection: false, forceNew: true });
  socket.reasons = [];
  socket.on("disconnect", (reason) => socket.reasons.push(reason));
  cleanup.push(() => socket.disconnect());
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  if (args.demo) await socket.timeout(5000).emitWithAck("join", room);
  return socket;
}

async function waitText(page, text, present = true) {
  await page.waitForFunction(
    ([t, p]) => document.body.innerText.includes(t) === p,
    [text, present],
    { timeout: STEP },
  );
}

async function run() {
  const red = await client(URL1, "red");
  const blue = await client(URL2, "blue");
  details.red = red.id;
  details.blue = blue.id;
  step("clients connected");

  const ui = args.ui || (await serveUi());
  const browser = await chromium.launch({ executablePath: args.chromium || "/usr/bin/chromium", args: CHROMIUM_ARGS });
  cleanup.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  details.console = [];
  page.on("console", (m) => m.type() === "error" && details.console.push(m.text().slice(0, 200)));
  await page.route("**/*", (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === "127.0.0.1" || host === "localhost" ? route.continue() : route.abort();
  });
  await page.goto(ui);
  await page.getByLabel("Server URL").fill(URL1);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("wrong");
  await page.getByRole("button", { name: "Connect" }).click();
  await waitText(page, "Invalid credentials");
  step("wrong password refused");
  await page.getByLabel("Password").fill("changeit");
  await page.getByRole("button", { name: "Connect" }).click();
  await page.getByLabel("Server URL").waitFor({ state: "hidden", timeout: STEP });
  step("logged in");

  await page.evaluate(() => (location.hash = "#/sockets/"));
  await waitText(page, red.id);
  await waitText(page, blue.id);
  step("sockets listed");

  await page.evaluate(() => (location.hash = "#/rooms/"));
  await waitText(page, "red");
  await waitText(page, "blue");
  step("rooms listed");

  if (SERVERS.length) {
    await page.evaluate(() => (location.hash = "#/servers/"));
    for (const id of SERVERS) await waitText(page, id);
    // The Servers table's rows (the last column: "Ns ago"); a page being left may still be
    // in the DOM during its transition.
    details.serverRows = await page.locator("tbody tr", { hasText: /\d+s ago/ }).count();
    if (details.serverRows !== SERVERS.length) throw new Error(`${details.serverRows} server rows`);
    step("servers listed");
  }
  if (args.screenshots) await page.screenshot({ path: join(args.screenshots, "admin-ui.png") });

  // The other commands the UI sends (join, emit, leave), from a second admin client, seen on
  // the dashboard and by the client.
  const admin = io(`${URL1}/admin`, { auth: { username: "admin", password: "changeit" }, forceNew: true });
  cleanup.push(() => admin.disconnect());
  await new Promise((resolve, reject) => {
    admin.once("connect", resolve);
    admin.once("connect_error", reject);
  });
  const heard = new Promise((resolve) => blue.once("hello", (...a) => resolve(a)));
  admin.emit("join", "/", "green", blue.id);
  await page.evaluate(() => (location.hash = "#/rooms/"));
  await waitText(page, "green");
  admin.emit("emit", "/", "green", "hello", 1, "two");
  details.blueHeard = await Promise.race([heard, new Promise((r) => setTimeout(() => r("nothing"), STEP))]);
  if (JSON.stringify(details.blueHeard) !== JSON.stringify([1, "two"])) throw new Error("emit to a room");
  admin.emit("leave", "/", "green", blue.id);
  await waitText(page, "green", false);
  step("join, emit and leave from an admin client");

  await page.evaluate(() => (location.hash = "#/sockets/"));
  await waitText(page, red.id);
  await page.locator("tr", { hasText: red.id }).getByRole("button").click();
  const deadline = Date.now() + STEP;
  while (!red.reasons.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  details.redReasons = red.reasons;
  if (red.reasons[0] !== "io server disconnect") throw new Error(`red saw ${JSON.stringify(red.reasons)}`);
  step("red disconnected");
  await page.evaluate(() => (location.hash = "#/sockets/"));
  await waitText(page, red.id, false);
  await waitText(page, blue.id);
  if (!blue.connected) throw new Error(`blue disconnected too: ${blue.reasons}`);
  step("red gone from the dashboard, blue still there");

  if (!args.session) return;
  // A reload reconnects with the session id the server handed out: no login again.
  await page.reload();
  await page.evaluate(() => (location.hash = "#/sockets/"));
  await waitText(page, blue.id);
  if (await page.getByLabel("Server URL").isVisible()) throw new Error("asked to log in again");
  step("reloaded with the session id");
}

const timer = setTimeout(() => {
  report(false, { ...details, error: `timeout after ${TIMEOUT} ms` });
  process.exit(1);
}, TIMEOUT);

let ok = false;
try {
  await run();
  ok = true;
} catch (e) {
  details.error = String(e?.message || e).slice(0, 500);
}
clearTimeout(timer);
for (const c of cleanup.reverse()) {
  try {
    await c();
  } catch {}
}
report(ok, details);
process.exit(ok ? 0 : 1);
