// End-to-end test of the chat demo (tests/demo/) in a real browser: playwright-core
// drives Debian's chromium (tests/install-browser.sh installs it).
//
//   node tests/js/browser-chat.mjs --url http://127.0.0.1:PORT \
//        [--screenshots DIR] [--timeout MS] [--chromium PATH]
//
// Two pages in two browser contexts (separate cookies/storage): "ann" and "bob".
// Both join #general; both user lists show [ann, bob]; ann types and bob sees
// "ann is typing…"; ann sends, both see the message with ann's nick and bob's
// indicator is gone; bob types, stops, and ann's indicator clears by itself
// (idle timeout) before bob sends his answer, which ann sees.
//
// Prints exactly one JSON line {"scenario":"browser-chat","ok":…,"details":…}
// and exits 0 (ok), 1 (failed) or 2 (bad usage). Overall timeout 30 s (--timeout),
// after which the browser is killed and the script exits 1. `details` has the
// timing of each step, the pages' console errors and, on failure, `error` and
// the failing step. With --screenshots DIR, DIR/ann.png and DIR/bob.png are
// written at the end (also on failure, when the pages are still there), plus
// DIR/ann-login.png (login form) and DIR/bob-typing.png (indicator shown).
//
// Playwright's launch() gives chromium a fresh temporary user-data-dir, removed
// on close (it rejects a --user-data-dir argument).

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";

const SCENARIO = "browser-chat";
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

// ---------------------------------------------------------------------------
// CLI

let printed = false;
function report(ok, details) {
  if (printed) return;
  printed = true;
  process.stdout.write(JSON.stringify({ scenario: SCENARIO, ok, details }) + "\n");
}

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

let opts;
try {
  const args = parseArgs(process.argv.slice(2));
  for (const k of Object.keys(args)) {
    // `--scenario` is accepted for symmetry with the other scenario scripts (there is one).
    if (!["url", "scenario", "screenshots", "timeout", "chromium"].includes(k)) throw new Error(`unknown flag --${k}`);
  }
  if (typeof args.url !== "string") throw new Error("--url http://127.0.0.1:PORT is required");
  const url = new URL(args.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("--url must be http(s)");
  const timeout = args.timeout === undefined ? 30000 : Number(args.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error("--timeout must be a positive number of ms");
  if (args.screenshots === true) throw new Error("--screenshots needs a directory");
  opts = {
    url: url.href,
    screenshots: args.screenshots,
    timeout,
    chromium: typeof args.chromium === "string" ? args.chromium : (process.env.CHROMIUM || "/usr/bin/chromium"),
  };
} catch (e) {
  report(false, { error: `usage: ${e.message}` });
  process.exit(2);
}

// ---------------------------------------------------------------------------
// run

const details = { url: opts.url, steps: [], consoleErrors: [] };
const t0 = Date.now();
let browser = null;
const pages = {}; // nick -> Page
let step = "start";

class CheckError extends Error {}
function check(cond, msg) {
  if (!cond) throw new CheckError(msg);
}

async function timed(name, fn) {
  step = name;
  const start = Date.now();
  const value = await fn();
  details.steps.push({ step: name, ms: Date.now() - start });
  return value;
}

async function screenshots() {
  if (!opts.screenshots) return;
  await mkdir(opts.screenshots, { recursive: true });
  const saved = [];
  for (const [nick, page] of Object.entries(pages)) {
    const path = join(opts.screenshots, `${nick}.png`);
    try {
      await page.screenshot({ path, timeout: 3000 });
      saved.push(path);
    } catch (e) {
      details.screenshotErrors = [...(details.screenshotErrors ?? []), `${nick}: ${e.message.split("\n")[0]}`];
    }
  }
  details.screenshots = [...(details.screenshots ?? []), ...saved];
}

/** Extra screenshot of one page at an interesting moment (only with --screenshots). */
async function snap(nick, name) {
  if (!opts.screenshots || !pages[nick]) return;
  await mkdir(opts.screenshots, { recursive: true });
  const path = join(opts.screenshots, `${name}.png`);
  await pages[nick].screenshot({ path, timeout: 3000 });
  (details.screenshots ??= []).push(path);
}

async function closeBrowser() {
  if (!browser) return;
  const b = browser;
  browser = null;
  await Promise.race([b.close().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
}

// Selectors (stable ids / data-testids of tests/demo/index.html and chat.js).
const S = {
  nick: '[data-testid="nick-input"]',
  login: '[data-testid="login-button"]',
  status: '[data-testid="status"]',
  joinGeneral: '[data-testid="join-general"]',
  currentRoom: '[data-testid="current-room"]',
  users: '[data-testid="user-list"] [data-testid="user"]',
  input: '[data-testid="message-input"]',
  typing: '[data-testid="typing-indicator"]',
  messages: '[data-testid="messages"] [data-testid="message"]',
};

/** Waits until `fn(arg)` is truthy in the page; returns its value. */
function waitIn(page, fn, arg, timeout = 5000) {
  return page.waitForFunction(fn, arg, { timeout, polling: 50 }).then((h) => h.jsonValue());
}

const usersOf = (page) =>
  page.$$eval(S.users, (lis) => lis.map((li) => li.dataset.nick));

async function messagesOf(page) {
  return page.$$eval(S.messages, (lis) =>
    lis.map((li) => ({
      id: li.dataset.id,
      nick: li.querySelector('[data-testid="message-nick"]').textContent,
      text: li.querySelector('[data-testid="message-text"]').textContent,
    })),
  );
}

/** Waits for a message with this nick and text in the page's list. */
function waitMessage(page, nick, text, timeout = 5000) {
  return waitIn(
    page,
    ({ sel, nick, text }) => {
      for (const li of document.querySelectorAll(sel)) {
        const n = li.querySelector('[data-testid="message-nick"]')?.textContent;
        const t = li.querySelector('[data-testid="message-text"]')?.textContent;
        if (n === nick && t === text) return { id: li.dataset.id, nick: n, text: t };
      }
      return null;
    },
    { sel: S.messages, nick, text },
    timeout,
  );
}

async function run() {
  await timed("launch", async () => {
    browser = await chromium.launch({
      executablePath: opts.chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 15000,
    });
    details.browserVersion = browser.version();
  });

  await timed("open-pages", async () => {
    for (const nick of ["ann", "bob"]) {
      const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
      const page = await context.newPage();
      page.setDefaultTimeout(5000);
      page.on("console", (m) => {
        if (m.type() !== "error") return;
        const loc = m.location()?.url;
        details.consoleErrors.push(`${nick}: ${m.text()}${loc ? ` (${loc})` : ""}`);
      });
      page.on("pageerror", (e) => details.consoleErrors.push(`${nick}: pageerror ${e.message}`));
      pages[nick] = page;
      const resp = await page.goto(opts.url, { waitUntil: "load" });
      check(resp && resp.ok(), `${nick}: GET ${opts.url} -> ${resp && resp.status()}`);
      const hasIo = await page.evaluate(() => typeof window.io === "function");
      check(hasIo, `${nick}: /socket.io.min.js did not define window.io`);
    }
  });
  const { ann, bob } = pages;

  await snap("ann", "ann-login");

  await timed("login", async () => {
    for (const [nick, page] of Object.entries(pages)) {
      await page.fill(S.nick, nick);
      await page.click(S.login);
    }
    for (const [nick, page] of Object.entries(pages)) {
      await page.waitForSelector(`${S.status}[data-state="connected"]`).catch(async () => {
        const st = await page.textContent(S.status).catch(() => "?");
        throw new CheckError(`${nick}: not connected (status: ${st})`);
      });
    }
  });

  await timed("join-general", async () => {
    // Sequential, so that ann sees bob's arrival through the `users` event.
    for (const page of [ann, bob]) {
      await page.click(S.joinGeneral);
      await waitIn(page, (sel) => document.querySelector(sel)?.dataset.room === "general", S.currentRoom);
    }
  });

  await timed("user-lists", async () => {
    for (const [nick, page] of Object.entries(pages)) {
      try {
        await waitIn(page, (sel) => {
          const l = [...document.querySelectorAll(sel)].map((li) => li.dataset.nick);
          return l.length === 2 && l.includes("ann") && l.includes("bob");
        }, S.users);
      } catch {
        throw new CheckError(`${nick}: user list is ${JSON.stringify(await usersOf(page))}, want ann and bob`);
      }
    }
    details.userLists = { ann: await usersOf(ann), bob: await usersOf(bob) };
    details.annSawBobJoin = await ann.$$eval('[data-testid="system-message"]', (l) =>
      l.some((li) => li.textContent === "bob joined"));
  });

  const annText = "hello bob, ann here";
  await timed("ann-typing-shown", async () => {
    await ann.click(S.input);
    await ann.keyboard.type(annText.slice(0, 8), { delay: 30 });
    const shown = await waitIn(bob, (sel) => {
      const t = document.querySelector(sel)?.textContent ?? "";
      return t.includes("ann is typing") ? t : null;
    }, S.typing).catch(() => null);
    check(shown, `bob: no "ann is typing" (indicator: ${JSON.stringify(await bob.textContent(S.typing))})`);
    details.bobTypingIndicator = shown;
    await snap("bob", "bob-typing");
    const annOwn = (await ann.textContent(S.typing)) ?? "";
    check(!annOwn.includes("ann"), `ann sees her own typing indicator: ${JSON.stringify(annOwn)}`);
  });

  let annMsg;
  await timed("ann-message", async () => {
    await ann.keyboard.type(annText.slice(8), { delay: 10 });
    await ann.keyboard.press("Enter");
    annMsg = await waitMessage(bob, "ann", annText).catch(() => null);
    check(annMsg, `bob: no message from ann (has ${JSON.stringify(await messagesOf(bob))})`);
    const echo = await waitMessage(ann, "ann", annText).catch(() => null);
    check(echo, "ann: her own message did not come back");
    check(echo.id === annMsg.id, `message ids differ: ann ${echo.id}, bob ${annMsg.id}`);
    const inputLeft = await ann.inputValue(S.input);
    check(inputLeft === "", `ann's input not cleared: ${JSON.stringify(inputLeft)}`);
  });

  await timed("ann-typing-cleared-on-send", async () => {
    await waitIn(bob, (sel) => (document.querySelector(sel)?.textContent ?? "") === "", S.typing, 1500)
      .catch(async () => {
        throw new CheckError(`bob: typing indicator still ${JSON.stringify(await bob.textContent(S.typing))} after ann sent`);
      });
  });

  const bobText = "hi ann! 👋 <b>not bold</b>";
  await timed("bob-typing-idle-clears", async () => {
    await bob.click(S.input);
    await bob.keyboard.type(bobText.slice(0, 6), { delay: 30 });
    const shownAt = Date.now();
    await waitIn(ann, (sel) => (document.querySelector(sel)?.textContent ?? "").includes("bob is typing"), S.typing)
      .catch(async () => {
        throw new CheckError(`ann: no "bob is typing" (indicator: ${JSON.stringify(await ann.textContent(S.typing))})`);
      });
    // bob stops typing: the indicator goes after the 2 s idle time (+ slack).
    await waitIn(ann, (sel) => (document.querySelector(sel)?.textContent ?? "") === "", S.typing, 4000)
      .catch(async () => {
        throw new CheckError(`ann: "bob is typing" not cleared 4 s after bob stopped (${JSON.stringify(await ann.textContent(S.typing))})`);
      });
    details.typingIdleClearMs = Date.now() - shownAt;
    check(details.typingIdleClearMs >= 1500, `ann: indicator cleared too early (${details.typingIdleClearMs} ms)`);
  });

  await timed("bob-message", async () => {
    await bob.keyboard.type(bobText.slice(6), { delay: 10 });
    await bob.click('[data-testid="send-button"]');
    const got = await waitMessage(ann, "bob", bobText).catch(() => null);
    check(got, `ann: no message from bob (has ${JSON.stringify(await messagesOf(ann))})`);
    check(Number(got.id) > Number(annMsg.id), `bob's message id ${got.id} not after ann's ${annMsg.id}`);
    await waitMessage(bob, "bob", bobText);
    const bold = await ann.$$eval(`${S.messages} b`, (l) => l.length);
    check(bold === 0, "message text was rendered as HTML");
  });

  await timed("final-state", async () => {
    details.messages = { ann: await messagesOf(ann), bob: await messagesOf(bob) };
    for (const nick of ["ann", "bob"]) {
      const list = details.messages[nick].map((m) => `${m.nick}:${m.text}`);
      check(
        JSON.stringify(list) === JSON.stringify([`ann:${annText}`, `bob:${bobText}`]),
        `${nick}: messages are ${JSON.stringify(list)}`,
      );
    }
    check(details.consoleErrors.length === 0, `console errors: ${details.consoleErrors.join(" | ")}`);
  });
}

const deadline = setTimeout(async () => {
  details.error = `timeout after ${opts.timeout} ms in step ${step}`;
  details.failedStep = step;
  details.totalMs = Date.now() - t0;
  report(false, details);
  // Best effort, then leave whatever happens.
  setTimeout(() => process.exit(1), 4000).unref();
  await screenshots().catch(() => {});
  await closeBrowser();
  process.exit(1);
}, opts.timeout);

let ok = false;
try {
  await run();
  ok = true;
} catch (e) {
  details.failedStep = step;
  details.error = e instanceof CheckError ? e.message : `${e.name}: ${e.message.split("\n")[0]}`;
}
if (!printed) {
  await screenshots().catch((e) => { details.screenshotErrors = [String(e.message)]; });
  await closeBrowser();
  clearTimeout(deadline);
  details.totalMs = Date.now() - t0;
  report(ok, details);
  process.exit(ok ? 0 : 1);
}
