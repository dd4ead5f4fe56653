// CPU time per request: the proxy and the floor under the same closed-loop load, each process's
// utime + stime from /proc/<pid>/stat divided by the requests it served. Linux only.
// Usage: node bench/cpu.mjs [connections=16] [seconds=4] [--stream]

import { fork, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";

const here = new URL(".", import.meta.url).pathname;
const root = join(here, "..");
const conns = Number(process.argv[2] ?? 16);
const seconds = Number(process.argv[3] ?? 4);
const stream = process.argv.includes("--stream");
const children = [];
process.on("exit", () => children.forEach((c) => c.kill("SIGKILL")));

async function forked(file, env = {}) {
  const child = fork(join(here, file), { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit", "ipc"] });
  children.push(child);
  const [msg] = await once(child, "message");
  return { child, port: msg.port };
}

async function proxy(upstreamPort) {
  const dir = mkdtempSync(join(tmpdir(), "yallmp-cpu-"));
  writeFileSync(
    join(dir, "config.yaml"),
    `model_list:\n  - model_name: bench\n    model_params: { api_type: openai, api_base: "http://127.0.0.1:${upstreamPort}/v1", api_key: bench-key, model: bench-model }\nrouter_settings: { num_retries: 0 }\nproxy_settings:\n  traces: { capture: ${process.env.BENCH_CAPTURE ?? "off"} }\n`,
  );
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [join(root, "apps/proxy/dist/main.js")], {
    env: { ...process.env, YALLMP_CONFIG: join(dir, "config.yaml"), YALLMP_PORT: String(port), YALLMP_HOST: "127.0.0.1", DATABASE_URL: `file:${join(dir, "state.db")}` },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return { child, port };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("proxy did not start");
}

const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
};

async function measure(name, { child, port }, model) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: conns, pipelining: 1 });
  const body = JSON.stringify({ model, messages: [{ role: "user", content: "Say something about foxes." }], stream });
  const run = async (ms) => {
    let n = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: conns }, async () => {
        while (performance.now() < end) {
          const res = await pool.request({ path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" }, body });
          for await (const _ of res.body);
          n++;
        }
      }),
    );
    return n;
  };
  await run(1000);
  const before = cpuMs(child.pid);
  const started = performance.now();
  const n = await run(seconds * 1000);
  const used = cpuMs(child.pid) - before;
  await pool.close();
  console.log(`${name.padEnd(10)} ${conns} connections: ${((n / (performance.now() - started)) * 1000).toFixed(0)} req/s, ${((used * 1000) / n).toFixed(1)} µs CPU per request`);
}

const upstream = await forked("upstream.mjs");
await measure("floor", await forked("floor.mjs", { TARGET_PORT: String(upstream.port) }), "bench-model");
await measure("yaLLMproxy", await proxy(upstream.port), "bench");
process.exit(0);
