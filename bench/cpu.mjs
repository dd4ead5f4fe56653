// CPU time per request: the floor and the proxy in several settings under the same closed-loop load,
// each process's utime + stime (all its threads) from /proc/<pid>/stat divided by the requests it
// served. The variants are measured in turn, round after round, and the median of the rounds is
// printed: on a shared machine the speed drifts from minute to minute, and interleaving spreads that
// drift over every variant alike. Linux only.
// Usage: node bench/cpu.mjs [connections=16] [seconds=4] [--stream] [--case=chat|chat-100k|chat-1m|
//   messages-1m|responses-100k|…] [--variants=floor,off,metadata,metadata+keys] [--rounds=3]
// A variant `base:metadata` runs the proxy built in the tree named by BENCH_BASE_ROOT (a copy of an
// earlier build), for before/after comparisons on the same load. `+keys` turns app keys on, `+limits`
// gives the key limits it never reaches (counted in this process), `+redis` counts them in Redis on
// 127.0.0.1:6379: e.g. `--variants=metadata+keys,metadata+redis,base:metadata+redis`.

import { Pool } from "undici";
import { NO_LIMIT, authHeaders, cpuMs, requestCase, startForked, startProxy } from "./lib.mjs";

const flags = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith("--"))
    .map((a) => [a.slice(2).split("=")[0], a.split("=")[1] ?? true]),
);
const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const conns = Number(positional[0] ?? 16);
const seconds = Number(positional[1] ?? 4);
const c = requestCase(flags.case ?? "chat", { stream: flags.stream === true });
const rounds = Number(flags.rounds ?? 3);
const variants = String(flags.variants ?? (c.format === "chat" ? "floor,off,metadata" : "off,metadata")).split(",");

const upstream = await startForked("upstream.mjs");
const targets = [];
for (const v of variants) {
  if (v === "floor") {
    if (c.format !== "chat") throw new Error("the floor relays chat bodies only");
    const floor = await startForked("floor.mjs", { TARGET_PORT: String(upstream.port) });
    targets.push({ name: "floor", port: floor.port, pid: floor.pid, body: c.directBody, headers: authHeaders(false), runs: [] });
    continue;
  }
  const base = v.startsWith("base:");
  if (base && !process.env.BENCH_BASE_ROOT) throw new Error("base: variants need BENCH_BASE_ROOT");
  const [capture, ...mods] = v.replace(/^base:/, "").split("+");
  const redis = mods.includes("redis");
  const limits = redis || mods.includes("limits");
  const appKeys = limits || mods.includes("keys");
  const proxy = await startProxy(upstream.port, {
    capture,
    appKeys,
    ...(limits ? { keyFields: NO_LIMIT } : {}),
    ...(redis ? { env: { REDIS_URL: "redis://127.0.0.1:6379" } } : {}),
    ...(base ? { proxyRoot: process.env.BENCH_BASE_ROOT } : {}),
  });
  targets.push({ name: `proxy ${v}`, port: proxy.port, pid: proxy.pid, body: c.proxyBody, headers: authHeaders(appKeys), runs: [] });
}

async function measure(t) {
  const pool = new Pool(`http://127.0.0.1:${t.port}`, { connections: conns, pipelining: 1 });
  let failures = 0;
  const times = [];
  const run = async (ms) => {
    let n = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: conns }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          const res = await pool.request({ path: c.path, method: "POST", headers: t.headers, body: t.body });
          if (res.statusCode !== 200) failures += 1;
          for await (const _ of res.body);
          times.push(performance.now() - t0);
          n++;
        }
      }),
    );
    return n;
  };
  await run(1000);
  times.length = 0;
  const before = cpuMs(t.pid);
  const beforeMain = cpuMs(t.pid, t.pid);
  const started = performance.now();
  const n = await run(seconds * 1000);
  const used = cpuMs(t.pid) - before;
  const usedMain = cpuMs(t.pid, t.pid) - beforeMain;
  await pool.close();
  if (failures) throw new Error(`${t.name}: ${failures} requests failed`);
  t.runs.push({ rps: (n / (performance.now() - started)) * 1000, us: (used * 1000) / n, mainUs: (usedMain * 1000) / n, p50: median(times) });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (let r = 0; r < rounds; r++) for (const t of targets) await measure(t);
console.log(`${c.name}${c.stream ? " stream" : ""} (${c.bytes} bytes), ${conns} connections, ${rounds} rounds of ${seconds} s; median per variant:`);
const floorUs = targets.find((t) => t.name === "floor") && median(targets.find((t) => t.name === "floor").runs.map((x) => x.us));
for (const t of targets) {
  const us = median(t.runs.map((x) => x.us));
  const all = t.runs.map((x) => x.us.toFixed(0)).join("/");
  const main = median(t.runs.map((x) => x.mainUs));
  const p50 = median(t.runs.map((x) => x.p50));
  console.log(
    `  ${t.name.padEnd(24)} ${median(t.runs.map((x) => x.rps))
      .toFixed(0)
      .padStart(
        6,
      )} req/s  p50 ${p50.toFixed(3)} ms  ${us.toFixed(1).padStart(8)} µs CPU per request, ${main.toFixed(1)} on the main thread (rounds: ${all})${floorUs && t.name !== "floor" ? `  ${(us / floorUs).toFixed(2)}× the floor` : ""}`,
  );
}
process.exit(0);
