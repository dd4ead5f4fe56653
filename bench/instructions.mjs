// Instructions per request on the proxy's main thread, counted by valgrind's callgrind: steady
// where timings on a shared machine drift. Takes a minute or two (everything runs ~50× slower).
// Usage: node bench/instructions.mjs [requests=2000] [connections=4]

import { execFileSync, fork, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";

const here = new URL(".", import.meta.url).pathname;
const root = join(here, "..");
const requests = Number(process.argv[2] ?? 2000);
const conns = Number(process.argv[3] ?? 4);

const upstream = fork(join(here, "upstream.mjs"), { stdio: ["ignore", "ignore", "inherit", "ipc"] });
const [{ port: upstreamPort }] = await once(upstream, "message");
const dir = mkdtempSync(join(tmpdir(), "yallmp-callgrind-"));
writeFileSync(
  join(dir, "config.yaml"),
  `model_list:\n  - model_name: bench\n    model_params: { api_type: openai, api_base: "http://127.0.0.1:${upstreamPort}/v1", api_key: bench-key, model: bench-model }\nrouter_settings: { num_retries: 0 }\nproxy_settings:\n  traces: { capture: off }\n`,
);
const port = 30000 + Math.floor(Math.random() * 10000);
const out = join(dir, "callgrind.out");
const proxy = spawn(
  "valgrind",
  ["--tool=callgrind", "--smc-check=all-non-file", "--separate-threads=yes", `--callgrind-out-file=${out}`, process.execPath, join(root, "apps/proxy/dist/main.js")],
  { env: { ...process.env, YALLMP_CONFIG: join(dir, "config.yaml"), YALLMP_PORT: String(port), DATABASE_URL: `file:${join(dir, "state.db")}` }, stdio: "ignore" },
);
process.on("exit", () => {
  proxy.kill("SIGKILL");
  upstream.kill("SIGKILL");
});
for (let i = 0; i < 600; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 200));
}
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: conns });
const body = JSON.stringify({ model: "bench", messages: [{ role: "user", content: "Say something about foxes." }] });
async function run(n) {
  let left = n;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (left-- > 0) {
        const res = await pool.request({ path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" }, body });
        for await (const _ of res.body);
      }
    }),
  );
}
await run(requests); // warm-up, so the JIT has settled
execFileSync("callgrind_control", ["--zero", String(proxy.pid)], { stdio: "ignore" });
await run(requests);
execFileSync("callgrind_control", ["--dump", String(proxy.pid)], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 500));
// Thread 1 is the main thread; the dump after the zeroing has the suffix `.1-01`.
const main = readdirSync(dir).find((f) => /^callgrind\.out\.\d+-01$/.test(f));
const total = main ? Number(/totals: (\d+)/.exec(readFileSync(join(dir, main), "utf8"))?.[1]) : NaN;
console.log(`yaLLMproxy main thread: ${(total / requests / 1000).toFixed(1)}k instructions per non-streaming request (${requests} requests, ${conns} connections)`);
await pool.close();
process.exit(0);
