// A master of the Redis Cluster changes under the sharded adapter (see cluster-node.mjs for
// the nodes' contract; sio on tokio, sio on smol, Node with createShardedAdapter).
// Interactive with the Rust test (tests/tests/redis_sharded.rs):
//
//   node tests/js/cluster-sharded-failover.mjs --nodes A=http://…,B=…,C=… --phase NAME
//
// A broadcast leaves every 50 ms, from each node in turn. The script prints `ready`; the test
// fails over the master owning `socket.io#/#` (the namespace's channel: every request and
// most broadcasts travel on it) — gracefully with `CLUSTER FAILOVER`, or by killing it —
// waits until its replica has taken over, and writes a line on stdin. Traffic goes on for 2 s, then the script reports what each broadcast reached
// (`loss {…}`), checks that the broadcasts sent before the crash and from 1 s after the
// takeover reached every client, and that every operation works again from every node.
import {
  names, sleep, ask, check, expectSame, setup, broadcastsRecover, nodeChecks, run, nextLine,
} from "./cluster-lib.mjs";

async function main() {
  const ctx = await setup();
  const { all, one } = ctx;
  const sent = [];
  let stop = false;
  let killedAt = Infinity;
  let tookOverAt = Infinity;
  const traffic = (async () => {
    for (let i = 0; !stop; i++) {
      const o = names[i % names.length];
      const tag = `f-${i}`;
      sent.push({ tag, o, at: Date.now() });
      ask(one[o], "broadcast", { tag }).catch(() => {});
      await sleep(50);
    }
  })();
  await sleep(1000);
  killedAt = Date.now();
  console.log("ready");
  await nextLine();
  tookOverAt = Date.now();
  await sleep(2000);
  stop = true;
  await traffic;
  await sleep(1500);

  const got = new Map(sent.map((s) => [s.tag, new Set()]));
  for (const c of all) {
    for (const e of c.inbox) {
      if (e.ev === "bcast" && got.has(e.args[0]?.tag)) got.get(e.args[0].tag).add(c.label);
    }
  }
  const phase = (s) => (s.at < killedAt ? "before" : s.at < tookOverAt ? "during" : s.at < tookOverAt + 1000 ? "settling" : "after");
  const summary = {};
  for (const s of sent) {
    const p = phase(s);
    summary[p] ??= { sent: 0, complete: 0, deliveries: 0, missing: {} };
    const n = got.get(s.tag).size;
    summary[p].sent += 1;
    summary[p].deliveries += n;
    if (n === all.length) summary[p].complete += 1;
    for (const c of all) {
      if (!got.get(s.tag).has(c.label)) summary[p].missing[c.label] = (summary[p].missing[c.label] || 0) + 1;
    }
  }
  console.log(`loss ${JSON.stringify({ clients: all.length, failoverMs: tookOverAt - killedAt, ...summary })}`);
  await check("broadcasts sent before the master died reached every client", async () =>
    expectSame(summary.before.complete, summary.before.sent));
  await check("broadcasts sent from 1 s after the takeover reached every client", async () =>
    expectSame(summary.after?.complete, summary.after?.sent));
  await broadcastsRecover(ctx, "failover");
  for (const o of names) await nodeChecks(ctx, o, true);
}

run(main, 150000);
