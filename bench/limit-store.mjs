// What a request's limit check costs: one take of three counters (RPM, TPM, a budget) in this
// process, and in Redis on 127.0.0.1:6379 over each of the two connections (sent at once, and
// batched by ioredis's auto-pipelining), beside a bare PING on the same connection: the round trip
// no counter shared through Redis can go under, and the CPU this process spent on each (its share of
// the proxy's CPU per request). Keys are under a prefix of this run, removed after.
// Usage: npm run build && node bench/limit-store.mjs

import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { MemoryStore } from "../apps/proxy/dist/limits/memory-store.js";
import { RedisStore } from "../apps/proxy/dist/limits/redis-store.js";

const N = 5000;
const prefix = `yallmp-bench:${randomUUID()}:`;
const takes = [
  { key: `${prefix}rpm`, points: 1, limit: 1e9, durationSec: 60, check: false },
  { key: `${prefix}tpm`, points: 10, limit: 1e12, durationSec: 60, check: false },
  { key: `${prefix}budget`, points: 1, limit: 1e12, durationSec: 3600, check: true },
];

async function p50(op) {
  for (let i = 0; i < N / 5; i++) await op();
  const t = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const s = performance.now();
    await op();
    t.push(performance.now() - s);
  }
  const used = process.cpuUsage(cpu);
  t.sort((a, b) => a - b);
  return `${(t[N >> 1] * 1000).toFixed(1)} µs (CPU ${((used.user + used.system) / N).toFixed(1)} µs)`;
}

const memory = new MemoryStore();
console.log(`in-process take: p50 ${await p50(() => memory.take(takes))}`);

const direct = new Redis({ host: "127.0.0.1", port: 6379, enableAutoPipelining: false });
const batched = new Redis({ host: "127.0.0.1", port: 6379, enableAutoPipelining: true });
try {
  await Promise.all([direct.ping(), batched.ping()]);
  const store = new RedisStore({ direct, batched });
  for (const [name, client] of [
    ["direct", direct],
    ["batched", batched],
  ]) {
    // A lone request's take goes out on `direct`; `batched` is measured through a store given it alone.
    const one = name === "direct" ? store : new RedisStore({ direct: batched, batched });
    console.log(`Redis, ${name} connection: take p50 ${await p50(() => one.take(takes))}, PING p50 ${await p50(() => client.ping())}`);
  }
  await direct.del(...takes.map((t) => t.key));
} finally {
  direct.disconnect();
  batched.disconnect();
}
