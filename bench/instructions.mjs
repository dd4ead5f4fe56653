// Instructions per request, counted by valgrind's callgrind: steady where timings on a shared machine
// drift. The proxy's main thread and all its threads (the trace writer is one) are counted apart;
// `--floor` counts the bare Node pass-through instead, for the same case. Everything runs ~50× slower
// under valgrind, so large bodies get fewer requests.
// Usage: node bench/instructions.mjs [requests] [connections=4] [--case=chat|chat-100k|chat-1m|
//   messages-100k|responses-1m|…] [--capture=off|metadata|full] [--keys] [--stream] [--floor]
//   [--base] (the proxy built in the tree named by BENCH_BASE_ROOT, for before/after comparisons)
//   [--limits] (with --keys: the key has rpm, tpm and budget limits, set too high to refuse)
//   [--no-ledger] (the usage ledger off) [--threads] (each thread's count too)

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { NO_LIMIT, authHeaders, freePort, here, requestCase, startForked, startProxy } from "./lib.mjs";

const flags = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith("--"))
    .map((a) => [a.slice(2).split("=")[0], a.split("=")[1] ?? true]),
);
const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const c = requestCase(flags.case ?? "chat", { stream: flags.stream === true });
const requests = Number(positional[0] ?? (c.bytes > 500_000 ? 60 : c.bytes > 50_000 ? 300 : 2000));
const conns = Number(positional[1] ?? 4);
const capture = flags.capture ?? "off";
const appKeys = flags.keys === true;
const limits = flags.limits === true;
if (limits && !appKeys) throw new Error("--limits needs --keys: the limits are the key's");
const floor = flags.floor === true;
if (floor && c.format !== "chat") throw new Error("the floor relays chat bodies only");

const upstream = await startForked("upstream.mjs");
const dir = mkdtempSync(join(tmpdir(), "yallmp-callgrind-"));
const out = join(dir, "callgrind.out");
const valgrind = ["valgrind", "--tool=callgrind", "--smc-check=all-non-file", "--separate-threads=yes", `--callgrind-out-file=${out}`];
let target;
if (floor) {
  const port = await freePort();
  const child = spawn(valgrind[0], [...valgrind.slice(1), process.execPath, join(here, "floor.mjs")], {
    env: { ...process.env, TARGET_PORT: String(upstream.port), PORT: String(port) },
    stdio: "ignore",
  });
  process.on("exit", () => child.kill("SIGKILL"));
  for (let i = 0; i < 600; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  target = { port, pid: child.pid };
} else {
  const proxyRoot = flags.base ? process.env.BENCH_BASE_ROOT : undefined;
  if (flags.base && !proxyRoot) throw new Error("--base needs BENCH_BASE_ROOT");
  target = await startProxy(upstream.port, {
    capture,
    appKeys,
    ...(limits ? { keyFields: NO_LIMIT } : {}),
    ...(flags["no-ledger"] ? { usage: "{ enabled: false }" } : {}),
    command: valgrind,
    waitMs: 600_000,
    quiet: true,
    ...(proxyRoot ? { proxyRoot } : {}),
  });
}

const pool = new Pool(`http://127.0.0.1:${target.port}`, { connections: conns });
const headers = authHeaders(appKeys);
const body = floor ? c.directBody : c.proxyBody;
let failures = 0;
async function run(n) {
  let left = n;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (left-- > 0) {
        const res = await pool.request({ path: c.path, method: "POST", headers, body });
        if (res.statusCode !== 200) failures += 1;
        for await (const _ of res.body);
      }
    }),
  );
}
await run(requests); // warm-up, so the JIT has settled
execFileSync("callgrind_control", ["--zero", String(target.pid)], { stdio: "ignore" });
await run(requests);
execFileSync("callgrind_control", ["--dump", String(target.pid)], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 500));
// One file per thread; thread 1 is the main thread. The dump after the zeroing is part 1.
const totals = readdirSync(dir)
  .map((f) => /^callgrind\.out\.\d+-(\d+)$/.exec(f))
  .filter(Boolean)
  .map((m) => ({ thread: Number(m[1]), total: Number(/totals: (\d+)/.exec(readFileSync(join(dir, m[0]), "utf8"))?.[1] ?? 0) }));
const main = totals.find((t) => t.thread === 1)?.total ?? NaN;
const all = totals.reduce((s, t) => s + t.total, 0);
const k = (n) => `${(n / requests / 1000).toFixed(1)}k`;
const what = floor
  ? "floor"
  : `yaLLMproxy${flags.base ? " (base build)" : ""} (capture ${capture}${appKeys ? ", app keys on" : ""}${limits ? ", limits in-process" : ""}${flags["no-ledger"] ? ", ledger off" : ""})`;
console.log(
  `${what}, ${c.name}${c.stream ? " stream" : ""} (${c.bytes} bytes): ${k(main)} instructions per request on the main thread, ${k(all)} on all threads (${requests} requests, ${conns} connections${failures ? `, ${failures} FAILED` : ""})`,
);
if (flags.threads)
  console.log(
    totals
      .sort((a, b) => a.thread - b.thread)
      .map((t) => `thread ${t.thread}: ${k(t.total)}`)
      .join(", "),
  );
await pool.close();
if (failures) process.exitCode = 1;
process.exit();
