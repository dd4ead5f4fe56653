// `npm run bench`: one run measures a loopback upstream called directly, through the floor (a bare
// Node http pass-through) and through the proxy, non-streaming and streaming, at 1 and 64
// connections. Every response is timed with hrtime (first byte and last byte), so percentiles are
// exact rather than whole milliseconds. Load generator, proxy and upstream share this machine's cores.

import { fork, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { measureStores } from "./store.mjs";
import { measureTranslation } from "./translation.mjs";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? "1,64").split(",").map(Number);
const here = new URL(".", import.meta.url).pathname;
const root = join(here, "..");

const children = [];
process.on("exit", () => children.forEach((c) => c.kill("SIGKILL")));

async function startForked(file, env = {}) {
  const child = fork(join(here, file), { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit", "ipc"] });
  children.push(child);
  const [msg] = await once(child, "message");
  return msg;
}

async function freePort() {
  const srv = createServer().listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address();
  srv.close();
  return port;
}

async function startProxy(upstreamPort, extraYaml = "", capture = "metadata") {
  const dir = mkdtempSync(join(tmpdir(), "yallmp-bench-"));
  const config = join(dir, "config.yaml");
  writeFileSync(
    config,
    `model_list:
  - model_name: bench
    model_params: { api_type: openai, api_base: "http://127.0.0.1:${upstreamPort}/v1", api_key: bench-key, model: bench-model }
router_settings: { num_retries: 0 }
proxy_settings:
  traces: { capture: ${capture} }
${extraYaml}`,
  );
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, "apps/proxy/dist/main.js")], {
    env: { ...process.env, YALLMP_CONFIG: config, YALLMP_PORT: String(port), YALLMP_HOST: "127.0.0.1", DATABASE_URL: `file:${join(dir, "state.db")}` },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return port;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("proxy did not start");
}

/** Closed-loop load: `conns` workers, each sending its next request when the previous one ends. */
async function load(port, path, body, conns, durationMs) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: conns, pipelining: 1, keepAliveTimeout: 60_000 });
  const total = [];
  const ttfb = [];
  let errors = 0;
  const payload = JSON.stringify(body);
  const headers = { "content-type": "application/json", authorization: "Bearer bench" };
  const end = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (performance.now() < end) {
        const t0 = process.hrtime.bigint();
        let first;
        try {
          const res = await pool.request({ path, method: "POST", headers, body: payload });
          for await (const _ of res.body) first ??= process.hrtime.bigint();
          if (res.statusCode !== 200) errors += 1;
        } catch {
          errors += 1;
          continue;
        }
        const t1 = process.hrtime.bigint();
        total.push(Number(t1 - t0) / 1e6);
        ttfb.push(Number((first ?? t1) - t0) / 1e6);
      }
    }),
  );
  const elapsed = performance.now() - started;
  await pool.close();
  return { rps: (total.length / elapsed) * 1000, p50: pct(total, 50), p99: pct(total, 99), ttfb50: pct(ttfb, 50), n: total.length, errors };
}

function pct(values, p) {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(port, path, body, conns) {
  await load(port, path, body, conns, WARMUP_MS);
  return load(port, path, body, conns, DURATION_MS);
}

const f = (n, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : "–");

async function main() {
  const upstream = await startForked("upstream.mjs");
  const floor = await startForked("floor.mjs", { TARGET_PORT: String(upstream.port) });
  const coreCapture = process.env.BENCH_CAPTURE ?? "off";
  const proxyPort = await startProxy(upstream.port, "", coreCapture);
  const chatBody = { model: "bench", messages: [{ role: "user", content: "Say something about foxes." }] };

  const targets = [
    { name: "direct", port: upstream.port, model: "bench-model" },
    { name: "floor (bare Node pass-through)", port: floor.port, model: "bench-model" },
    { name: "yaLLMproxy", port: proxyPort, model: "bench" },
  ];
  const rows = [];
  for (const stream of [false, true]) {
    for (const conns of CONNECTIONS) {
      const results = {};
      for (const t of targets) {
        results[t.name] = await measure(t.port, "/v1/chat/completions", { ...chatBody, model: t.model, stream }, conns);
      }
      const direct = results.direct;
      for (const t of targets) {
        const r = results[t.name];
        rows.push({
          mode: stream ? "stream" : "json",
          conns,
          target: t.name,
          ...r,
          added50: r.p50 - direct.p50,
          ratio: r.rps / direct.rps,
        });
      }
    }
  }

  const lines = [];
  lines.push(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${DURATION_MS / 1000}s per cell after ${WARMUP_MS / 1000}s warm-up; proxy trace capture \`${coreCapture}\` in this table.`);
  lines.push("");
  lines.push("| mode | conns | target | req/s | p50 ms | p99 ms | p50 first byte ms | added p50 ms | throughput vs direct | errors |");
  lines.push("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    lines.push(`| ${r.mode} | ${r.conns} | ${r.target} | ${f(r.rps, 0)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.ttfb50)} | ${r.target === "direct" ? "–" : f(r.added50)} | ${r.target === "direct" ? "–" : `${(r.ratio * 100).toFixed(1)}%`} | ${r.errors} |`);
  }
  lines.push("");
  for (const mode of ["json", "stream"]) {
    const floor1 = rows.find((r) => r.mode === mode && r.conns === 1 && r.target.startsWith("floor"));
    const proxy1 = rows.find((r) => r.mode === mode && r.conns === 1 && r.target === "yaLLMproxy");
    const proxy64 = rows.find((r) => r.mode === mode && r.conns === 64 && r.target === "yaLLMproxy");
    if (floor1 && proxy1) lines.push(`${mode}: added p50 at 1 connection ${f(proxy1.added50)} ms vs floor ${f(floor1.added50)} ms (${f(proxy1.added50 / floor1.added50, 2)}× the floor's)${proxy64 ? `; throughput at 64 connections ${(proxy64.ratio * 100).toFixed(1)}% of direct` : ""}.`);
  }

  if (process.env.BENCH_SECTIONS === "core") {
    process.stdout.write(`${lines.join("\n")}\n`);
    return;
  }
  // Translated streams: the same upstream chat stream, to Responses and Anthropic clients.
  lines.push("", "### Translated streams (1 connection)", "");
  lines.push("| client → backend | p50 first event ms | p50 total ms | added first event vs pass-through ms | errors |");
  lines.push("|---|---:|---:|---:|---:|");
  const passthrough = rows.find((r) => r.mode === "stream" && r.conns === 1 && r.target === "yaLLMproxy");
  const translated = [
    ["chat → chat (pass-through)", "/v1/chat/completions", { model: "bench", stream: true, messages: chatBody.messages }],
    ["Responses → chat", "/v1/responses", { model: "bench", stream: true, input: "Say something about foxes." }],
    ["Anthropic Messages → chat", "/v1/messages", { model: "bench", stream: true, max_tokens: 256, messages: chatBody.messages }],
  ];
  for (const [name, path, body] of translated) {
    const r = await measure(proxyPort, path, body, 1);
    lines.push(`| ${name} | ${f(r.ttfb50)} | ${f(r.p50)} | ${passthrough ? f(r.ttfb50 - passthrough.ttfb50) : "–"} | ${r.errors} |`);
    if (r.errors) process.exitCode = 1;
  }
  const perChunk = measureTranslation();
  lines.push("", `Per-chunk translation cost (decode chat chunk + encode, no I/O, 200-chunk stream): Responses ${f(perChunk.responses.perChunkUs, 2)} µs, Anthropic ${f(perChunk.messages.perChunkUs, 2)} µs; SSE parse + JSON.parse alone ${f(perChunk.parseOnly.perChunkUs, 2)} µs.`);

  // Trace capture: full against off, same traffic.
  const offPort = await startProxy(upstream.port, "", "off");
  const fullPort = await startProxy(upstream.port, "", "full");
  lines.push("", "### Trace capture", "");
  lines.push("| mode | conns | capture | req/s | p50 ms | p99 ms | p50 vs off |");
  lines.push("|---|---:|---|---:|---:|---:|---:|");
  for (const stream of [false, true]) {
    for (const conns of CONNECTIONS) {
      const off = await measure(offPort, "/v1/chat/completions", { ...chatBody, stream }, conns);
      const full = await measure(fullPort, "/v1/chat/completions", { ...chatBody, stream }, conns);
      for (const [name, r] of [["off", off], ["full", full]]) {
        lines.push(`| ${stream ? "stream" : "json"} | ${conns} | ${name} | ${f(r.rps, 0)} | ${f(r.p50)} | ${f(r.p99)} | ${name === "off" ? "–" : `${(((r.p50 - off.p50) / off.p50) * 100).toFixed(1)}%`} |`);
      }
    }
  }

  // Response store.
  const stores = await measureStores();
  lines.push("", "### Response store", "");
  lines.push("| database | write p50 ms | write p99 ms | event loop per write ms | chained read (depth 5, cold cache) p50 ms | p99 ms |");
  lines.push("|---|---:|---:|---:|---:|---:|");
  for (const [name, r] of Object.entries(stores)) {
    if (r.error) lines.push(`| ${name} | not measured: ${r.error} | | | | |`);
    else lines.push(`| ${name} | ${f(r.writeP50)} | ${f(r.writeP99)} | ${f(r.writeLoopMs)} | ${f(r.chainP50)} | ${f(r.chainP99)} |`);
  }

  process.stdout.write(`${lines.join("\n")}\n`);
  if (rows.some((r) => r.errors > 0)) process.exitCode = 1;
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill("SIGTERM");
  });
