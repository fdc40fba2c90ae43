// The JavaScript peer in Quilt's benchmark: the stock automerge-repo sync server (server.mjs,
// its own process) and automerge-repo tablets over websockets (here), on the workloads
// quilt-bench runs: a 30-child caseload synced with new observations (bytes up), many tablets
// merging observations at once (observations per second until the server holds them all),
// and sync latency with many tablets at once (a change until the server's sync message says
// it has it). The server acknowledges a change once it has applied it in memory; it writes to
// disk later (debounced), not before answering. Prints one JSON object.
import { Repo } from "@automerge/automerge-repo";
import { BrowserWebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import * as A from "@automerge/automerge";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")),
);
const n = (k, d) => Number(args[k] ?? d);
const sizes = {
  caseloadChildren: n("caseload-children", 30),
  caseloadObservations: n("caseload-observations", 20),
  mergeTablets: n("merge-tablets", 50),
  mergeObservations: n("merge-observations", 40),
  latencyTablets: (args["latency-tablets"] ?? "50,200").split(",").map(Number),
  latencyRounds: n("latency-rounds", 5),
  caseload: n("caseload", 10),
};

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "quilt-peer-"));
const server = spawn(process.execPath, [join(here, "server.mjs"), dir], {
  stdio: ["pipe", "pipe", "inherit"],
});
const lines = createInterface({ input: server.stdout });
const replies = [];
let waiting = null;
lines.on("line", (l) => {
  const v = JSON.parse(l);
  if (waiting) {
    const w = waiting;
    waiting = null;
    w(v);
  } else replies.push(v);
});
const next = () =>
  replies.length ? Promise.resolve(replies.shift()) : new Promise((r) => (waiting = r));
const { port } = await next();
const url = `ws://127.0.0.1:${port}`;
const serverBytes = async () => {
  server.stdin.write("bytes\n");
  return (await next()).bytes_in;
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const observation = (i, text) => ({
  id: `obs-${i}-${Math.random().toString(16).slice(2, 10)}`,
  occurred: "2026-11-20",
  author_id: "user-bench",
  author_name: "Bench Practitioner",
  agency: "Bench agency",
  location: "Family home",
  narrative: text,
  child_words: "",
  indicators: [{ code: "NEG-HUNGRY-TIRED", level: "suspect", explanation: "" }],
  source: "observed",
  recorded_at_ms: Date.now(),
});

async function tablet(name) {
  const repo = new Repo({
    network: [new BrowserWebSocketClientAdapter(url)],
    peerId: name,
  });
  await repo.networkSubsystem.whenReady();
  return repo;
}

// Resolves once the sync server's own storage reports it has `handle`'s current heads: its
// acknowledgement.
function acknowledged(repo, handle) {
  const want = handle.heads();
  const has = (heads) => want.every((h) => heads.includes(h));
  return new Promise((resolve) => {
    const check = ({ heads }) => {
      if (has(heads.map((h) => h))) {
        handle.off("remote-heads", check);
        resolve();
      }
    };
    handle.on("remote-heads", check);
    for (const id of Object.values(repo.peerMetadataByPeerId ?? {})) {
      const info = id?.storageId && handle.getSyncInfo?.(id.storageId);
      if (info && has(info.lastHeads ?? [])) {
        handle.off("remote-heads", check);
        resolve();
      }
    }
  });
}

function percentile(v, p) {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

const out = {};

// Caseload: the tablet's children are on the server; then 20 new observations in each.
{
  const repo = await tablet("caseload-tablet");
  const handles = [];
  for (let c = 0; c < sizes.caseloadChildren; c++) {
    const h = repo.create({ child_id: `child-${c}`, observations: {} });
    handles.push(h);
  }
  await Promise.all(handles.map((h) => acknowledged(repo, h)));
  await serverBytes();
  for (const h of handles) {
    for (let i = 0; i < sizes.caseloadObservations; i++) {
      h.change((d) => {
        const o = observation(i, `Caseload visit ${i}: bruise on the left forearm.`);
        d.observations[o.id] = o;
      });
    }
  }
  const t0 = performance.now();
  await Promise.all(handles.map((h) => acknowledged(repo, h)));
  out.caseload = {
    observations: sizes.caseloadChildren * sizes.caseloadObservations,
    bytes_up: await serverBytes(),
    ms: performance.now() - t0,
  };
  repo.shutdown?.();
}

// Merging: tablets with caseloads of their own, each child shared by two, all at once.
{
  const tablets = [];
  for (let t = 0; t < sizes.mergeTablets; t++) tablets.push(await tablet(`merge-${t}`));
  const docs = [];
  for (let c = 0; c < Math.max(1, (sizes.mergeTablets * sizes.caseload) / 2); c++) {
    const owner = tablets[c % tablets.length];
    docs.push(owner.create({ child_id: `merge-child-${c}`, observations: {} }));
  }
  await Promise.all(docs.map((h, c) => acknowledged(tablets[c % tablets.length], h)));
  // Each tablet holds its own children and its neighbour's.
  const held = [];
  for (let t = 0; t < tablets.length; t++) {
    const mine = [];
    for (let c = 0; c < docs.length; c++) {
      if (c % tablets.length === t || c % tablets.length === (t + 1) % tablets.length) {
        mine.push(await tablets[t].find(docs[c].url));
      }
    }
    held.push(mine);
  }
  const t0 = performance.now();
  const acks = [];
  for (let t = 0; t < tablets.length; t++) {
    const touched = new Set();
    for (let i = 0; i < sizes.mergeObservations; i++) {
      const h = held[t][(i * 7 + t) % held[t].length];
      h.change((d) => {
        const o = observation(i, `Merge run ${i}: no heating, child in a coat.`);
        d.observations[o.id] = o;
      });
      touched.add(h);
    }
    for (const h of touched) acks.push(acknowledged(tablets[t], h));
  }
  await Promise.all(acks);
  const secs = (performance.now() - t0) / 1000;
  out.merge = {
    tablets: sizes.mergeTablets,
    observations: sizes.mergeTablets * sizes.mergeObservations,
    per_second: (sizes.mergeTablets * sizes.mergeObservations) / secs,
  };
  for (const t of tablets) t.shutdown?.();
}

// Latency: every tablet records one observation at once, each timed until acknowledged.
out.latency = [];
for (const count of sizes.latencyTablets) {
  const tablets = [];
  for (let t = 0; t < count; t++) tablets.push(await tablet(`latency-${count}-${t}`));
  const handles = [];
  for (const t of tablets) {
    const h = t.create({ child_id: "latency-child", observations: {} });
    handles.push(h);
  }
  await Promise.all(handles.map((h, i) => acknowledged(tablets[i], h)));
  const times = [];
  for (let round = 0; round < sizes.latencyRounds; round++) {
    await Promise.all(
      handles.map(async (h, i) => {
        const t0 = performance.now();
        h.change((d) => {
          const o = observation(round, "Rush hour: recorded at five o'clock.");
          d.observations[o.id] = o;
        });
        await acknowledged(tablets[i], h);
        times.push(performance.now() - t0);
      }),
    );
  }
  out.latency.push({ tablets: count, p50_ms: percentile(times, 0.5), p99_ms: percentile(times, 0.99) });
  for (const t of tablets) t.shutdown?.();
}

console.log(JSON.stringify(out));
server.stdin.end();
server.kill();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
