// System calls per request, by thread, counted with strace attached to the running proxy: counts
// that hold on a loaded machine where timings do not (an extra write, a futex wake to another thread,
// an extra epoll round show up as a whole number per request).
// Usage: node bench/syscalls.mjs [requests=500] [connections=1] [--capture=off|metadata|full] [--keys]
//   [--stream] [--base] (the proxy in BENCH_BASE_ROOT) [--raw=FILE] (keep strace's output)

import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { authHeaders, requestCase, startForked, startProxy } from "./lib.mjs";

const flags = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith("--"))
    .map((a) => [a.slice(2).split("=")[0], a.split("=")[1] ?? true]),
);
const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const c = requestCase(flags.case ?? "chat", { stream: flags.stream === true });
const requests = Number(positional[0] ?? 500);
const conns = Number(positional[1] ?? 1);
const appKeys = flags.keys === true;
const proxyRoot = flags.base ? process.env.BENCH_BASE_ROOT : undefined;
if (flags.base && !proxyRoot) throw new Error("--base needs BENCH_BASE_ROOT");

const upstream = await startForked("upstream.mjs");
const target = await startProxy(upstream.port, { capture: flags.capture ?? "metadata", appKeys, quiet: true, ...(proxyRoot ? { proxyRoot } : {}) });
const pool = new Pool(`http://127.0.0.1:${target.port}`, { connections: conns });
const headers = authHeaders(appKeys);
let failures = 0;
async function run(n) {
  let left = n;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (left-- > 0) {
        const res = await pool.request({ path: c.path, method: "POST", headers, body: c.proxyBody });
        if (res.statusCode !== 200) failures += 1;
        for await (const _ of res.body);
      }
    }),
  );
}
await run(2000); // warm-up: JIT settled, pools and timers in their steady state
const names = new Map(readdirSync(`/proc/${target.pid}/task`).map((t) => [t, readFileSync(`/proc/${target.pid}/task/${t}/comm`, "utf8").trim()]));
const dir = mkdtempSync(join(tmpdir(), "yallmp-strace-"));
const out = join(dir, "strace.out");
const strace = spawn("strace", ["-f", "-qq", "-o", out, "-p", String(target.pid)], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 1500)); // strace attaches every thread
await run(requests);
await new Promise((r) => setTimeout(r, 300));
strace.kill("SIGINT");
await new Promise((r) => strace.on("exit", r));
await pool.close();
if (flags.raw) copyFileSync(out, flags.raw);

// Lines are "TID syscall(args) = result"; the first and last requests' edges blur by a call or two.
const counts = new Map();
for (const line of readFileSync(out, "utf8").split("\n")) {
  const m = /^(\d+)\s+(?:<\.\.\. )?([a-z_0-9]+)[( ]/.exec(line);
  if (!m || line.includes("resumed>") || line.startsWith("+++") || line.includes("--- SIG")) continue;
  const key = `${m[1] === String(target.pid) ? "main" : `${names.get(m[1]) ?? "new"} ${m[1]}`}\t${m[2]}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
const rows = [...counts].sort((a, b) => a[0].localeCompare(b[0]));
console.log(
  `${proxyRoot ? "base build" : "this tree"}, capture ${flags.capture ?? "metadata"}${appKeys ? ", app keys" : ""}, ${c.name}${c.stream ? " stream" : ""}: system calls per request (${requests} requests, ${conns} connections${failures ? `, ${failures} FAILED` : ""})`,
);
let total = 0;
for (const [key, n] of rows) {
  total += n;
  if (n / requests >= 0.05) console.log(`  ${key.padEnd(40)} ${(n / requests).toFixed(2)}`);
}
console.log(`  total ${(total / requests).toFixed(2)}`);
process.exit(failures ? 1 : 0);
