// `npm run bench`: one run measures a loopback upstream called directly, through the floor (a bare
// Node http pass-through) and through the proxy — at trace capture `off`, at its default settings
// (capture `metadata`) and with app keys on — non-streaming and streaming, at 1 and 64 connections;
// then agent-sized bodies (100 KB and 1 MB) passed through and translated, translated streams, trace
// capture `full`, Responses WebSocket turns against HTTP ones, the response store and a soak of 10,000 streams. Every response is timed with
// hrtime (first byte and last byte), so percentiles are exact rather than whole milliseconds. Load
// generator, proxy and upstream share this machine's cores.
// BENCH_SECTIONS=core,bodies,translated,websocket,capture,teams,group,store,soak picks sections (default: all).

import { cpus, totalmem } from "node:os";
import { Pool } from "undici";
import { authHeaders, cpuMs, requestCase, startForked, startProxy, stopAll } from "./lib.mjs";
import { soak } from "./soak.mjs";
import { measureStores } from "./store.mjs";
import { measureGroup, measureTeams } from "./teams.mjs";
import { measureTranslation } from "./translation.mjs";
import { measureWebSocket } from "./websocket.mjs";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? "1,64").split(",").map(Number);
const CORE_ROUNDS = Number(process.env.BENCH_CORE_ROUNDS ?? 3);
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? "core,bodies,translated,websocket,capture,teams,group,store,soak").split(","));

/** Closed-loop load: `conns` workers, each sending its next request when the previous one ends. */
async function load(port, path, payload, conns, durationMs, headers) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: conns, pipelining: 1, keepAliveTimeout: 60_000 });
  const total = [];
  const ttfb = [];
  let errors = 0;
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

/** `body` is a JS value or already-encoded JSON text. */
async function measure(port, path, body, conns, headers = authHeaders(false), durationMs = DURATION_MS) {
  const payload = Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  await load(port, path, payload, conns, WARMUP_MS, headers);
  return load(port, path, payload, conns, durationMs, headers);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (n, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : "–");
const pctOf = (r) => `${(r * 100).toFixed(1)}%`;

async function main() {
  const upstream = await startForked("upstream.mjs");
  const floor = await startForked("floor.mjs", { TARGET_PORT: String(upstream.port) });
  const proxies = {};
  const proxy = async (name, options) => (proxies[name] ??= await startProxy(upstream.port, options)).port;
  const chatBody = { model: "bench", messages: [{ role: "user", content: "Say something about foxes." }] };
  const lines = [];
  let failed = false;
  lines.push(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${DURATION_MS / 1000}s per cell after ${WARMUP_MS / 1000}s warm-up.`,
  );

  if (SECTIONS.has("core")) {
    const targets = [
      { name: "direct", port: upstream.port, pid: upstream.pid, model: "bench-model" },
      { name: "floor (bare Node pass-through)", port: floor.port, pid: floor.pid, model: "bench-model" },
      { name: "yaLLMproxy, capture off", port: await proxy("off", { capture: "off" }), model: "bench" },
      { name: "yaLLMproxy, defaults (capture metadata)", port: await proxy("metadata", { capture: "metadata" }), model: "bench" },
      { name: "yaLLMproxy, defaults + app keys", port: await proxy("keys", { capture: "metadata", appKeys: true }), model: "bench", appKeys: true },
    ];
    for (const t of targets) t.pid ??= Object.values(proxies).find((p) => p.port === t.port).pid;
    const rows = [];
    for (const stream of [false, true]) {
      for (const conns of CONNECTIONS) {
        // The targets take turns over rounds and each figure's median is kept: the differences
        // sought (a few percent) are smaller than this machine's drift over a minute.
        const runs = Object.fromEntries(targets.map((t) => [t.name, []]));
        for (let round = 0; round < CORE_ROUNDS; round++) {
          for (const t of targets) {
            const before = cpuMs(t.pid);
            const r = await measure(t.port, "/v1/chat/completions", { ...chatBody, model: t.model, stream }, conns, authHeaders(t.appKeys), DURATION_MS / 2);
            // The warm-up's requests are in the CPU time too: counted as a share of the measured ones.
            const served = r.n * (1 + WARMUP_MS / (DURATION_MS / 2));
            runs[t.name].push({ ...r, cpuUs: ((cpuMs(t.pid) - before) * 1000) / served });
          }
        }
        const results = {};
        for (const t of targets) {
          const rs = runs[t.name];
          const mid = (key) => median(rs.map((x) => x[key]));
          results[t.name] = {
            rps: mid("rps"),
            p50: mid("p50"),
            p99: mid("p99"),
            ttfb50: mid("ttfb50"),
            cpuUs: mid("cpuUs"),
            errors: rs.reduce((n, x) => n + x.errors, 0),
          };
        }
        const direct = results.direct;
        for (const t of targets) {
          const r = results[t.name];
          rows.push({ mode: stream ? "stream" : "json", conns, target: t.name, ...r, added50: r.p50 - direct.p50, ratio: r.rps / direct.rps });
        }
      }
    }
    lines.push("", "### Chat pass-through, short messages", "");
    lines.push("| mode | conns | target | req/s | p50 ms | p99 ms | p50 first byte ms | added p50 ms | throughput vs direct | CPU per request µs | errors |");
    lines.push("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of rows) {
      const d = r.target === "direct";
      lines.push(
        `| ${r.mode} | ${r.conns} | ${r.target} | ${f(r.rps, 0)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.ttfb50)} | ${d ? "–" : f(r.added50)} | ${d ? "–" : pctOf(r.ratio)} | ${f(r.cpuUs, 0)} | ${r.errors} |`,
      );
    }
    lines.push("");
    const find = (mode, conns, prefix) => rows.find((r) => r.mode === mode && r.conns === conns && r.target.startsWith(prefix));
    for (const mode of ["json", "stream"]) {
      const floor1 = find(mode, 1, "floor");
      const floor64 = find(mode, 64, "floor");
      const off64 = find(mode, 64, "yaLLMproxy, capture off");
      for (const t of targets.slice(2)) {
        const p1 = find(mode, 1, t.name);
        const p64 = find(mode, 64, t.name);
        if (!floor1 || !p1) continue;
        const vsOff =
          p64 && off64 && t.name !== off64.target
            ? `, ${pctOf(p64.rps / off64.rps - 1)} against capture off (CPU per request ${p64.cpuUs >= off64.cpuUs ? "+" : ""}${f(p64.cpuUs - off64.cpuUs, 0)} µs)`
            : "";
        lines.push(
          `${mode}, ${t.name.replace("yaLLMproxy, ", "")}: added p50 at 1 connection ${f(p1.added50)} ms vs floor ${f(floor1.added50)} ms (${f(p1.added50 / floor1.added50, 2)}× the floor's)${p64 ? `; throughput at 64 connections ${pctOf(p64.ratio)} of direct (floor ${floor64 ? pctOf(floor64.ratio) : "–"})${vsOff}` : ""}.`,
        );
      }
    }
    if (rows.some((r) => r.errors > 0)) failed = true;
  }

  if (SECTIONS.has("bodies")) {
    // Agent-sized bodies (bench/agent-body.mjs), streamed answers, 1 connection, default settings.
    // The targets take turns, three rounds each, and the median of the rounds' p50s is kept: the
    // differences measured here are a few milliseconds, less than this machine's drift over a minute.
    const port = await proxy("metadata", { capture: "metadata" });
    lines.push("", "### Agent-sized request bodies (streamed answers, 1 connection, proxy at its defaults)", "");
    lines.push("| body | client → backend | target | p50 ms | p99 ms | added p50 ms | × the floor's added | errors |");
    lines.push("|---|---|---|---:|---:|---:|---:|---:|");
    const summary = [];
    for (const size of ["100k", "1m"]) {
      const label = size === "1m" ? "1 MB" : "100 KB";
      const chat = requestCase(`chat-${size}`, { stream: true });
      const cases = [
        { key: "direct", port: upstream.port, path: chat.path, body: chat.directBody },
        { key: "floor", port: floor.port, path: chat.path, body: chat.directBody },
        ...[
          ["chat", "chat → chat (pass-through)", 2],
          ["messages", "Anthropic Messages → chat", 3],
          ["responses", "Responses → chat", 3],
        ].map(([format, name, limit]) => {
          const c = requestCase(`${format}-${size}`, { stream: true });
          return { key: format, name, limit, port, path: c.path, body: c.proxyBody, bytes: c.bytes };
        }),
      ];
      const runs = new Map(cases.map((c) => [c.key, []]));
      for (let round = 0; round < 3; round++) {
        for (const c of cases) runs.get(c.key).push(await measure(c.port, c.path, c.body, 1, undefined, DURATION_MS / 3));
      }
      const p50 = (key) => median(runs.get(key).map((r) => r.p50));
      const p99 = (key) => median(runs.get(key).map((r) => r.p99));
      const errors = (key) => runs.get(key).reduce((n, r) => n + r.errors, 0);
      const floorAdded = p50("floor") - p50("direct");
      lines.push(`| ${label} chat (${chat.bytes} bytes) | chat | direct | ${f(p50("direct"))} | ${f(p99("direct"))} | – | – | ${errors("direct")} |`);
      lines.push(`| ${label} | chat | floor | ${f(p50("floor"))} | ${f(p99("floor"))} | ${f(floorAdded)} | 1.00 | ${errors("floor")} |`);
      for (const c of cases.slice(2)) {
        const added = p50(c.key) - p50("direct");
        lines.push(
          `| ${label}${c.key === "chat" ? "" : ` ${c.key} (${c.bytes} bytes)`} | ${c.name} | yaLLMproxy | ${f(p50(c.key))} | ${f(p99(c.key))} | ${f(added)} | ${f(added / floorAdded, 2)} | ${errors(c.key)} |`,
        );
        summary.push(`${label} ${c.name}: ${f(added / floorAdded, 2)}× the floor's added p50 (target ≤ ${c.limit}×)`);
        if (errors(c.key)) failed = true;
      }
    }
    lines.push("", `${summary.join("; ")}.`);
  }

  if (SECTIONS.has("translated")) {
    // Translated streams: the same upstream chat stream, to Responses and Anthropic clients.
    const port = await proxy("off", { capture: "off" });
    lines.push("", "### Translated streams (1 connection, capture off)", "");
    lines.push("| client → backend | p50 first event ms | p50 total ms | added first event vs pass-through ms | errors |");
    lines.push("|---|---:|---:|---:|---:|");
    const translated = [
      ["chat → chat (pass-through)", "/v1/chat/completions", { model: "bench", stream: true, messages: chatBody.messages }],
      ["Responses → chat", "/v1/responses", { model: "bench", stream: true, input: "Say something about foxes." }],
      ["Anthropic Messages → chat", "/v1/messages", { model: "bench", stream: true, max_tokens: 256, messages: chatBody.messages }],
    ];
    let passthrough;
    for (const [name, path, body] of translated) {
      const r = await measure(port, path, body, 1);
      passthrough ??= r;
      lines.push(`| ${name} | ${f(r.ttfb50)} | ${f(r.p50)} | ${r === passthrough ? "–" : f(r.ttfb50 - passthrough.ttfb50)} | ${r.errors} |`);
      if (r.errors) failed = true;
    }
    const perChunk = measureTranslation();
    lines.push(
      "",
      `Per-chunk translation cost (decode chat chunk + encode, no I/O, 200-chunk stream): Responses ${f(perChunk.responses.perChunkUs, 2)} µs, Anthropic ${f(perChunk.messages.perChunkUs, 2)} µs; SSE parse + JSON.parse alone ${f(perChunk.parseOnly.perChunkUs, 2)} µs.`,
    );
  }

  if (SECTIONS.has("websocket")) {
    // Responses WebSocket mode against the HTTP stream, per turn (bench/websocket.mjs).
    const result = await measureWebSocket(await proxy("off", { capture: "off" }), { durationMs: DURATION_MS, warmupMs: WARMUP_MS });
    lines.push("", "### Responses WebSocket mode vs HTTP stream (Responses → chat, 1 connection, capture off)", "", ...result.lines);
    if (result.failed) failed = true;
  }

  if (SECTIONS.has("capture")) {
    // Trace capture: full against off, same traffic.
    const offPort = await proxy("off", { capture: "off" });
    const fullPort = await proxy("full", { capture: "full" });
    lines.push("", "### Trace capture full", "");
    lines.push("| mode | conns | capture | req/s | p50 ms | p99 ms | p50 vs off |");
    lines.push("|---|---:|---|---:|---:|---:|---:|");
    for (const stream of [false, true]) {
      for (const conns of CONNECTIONS) {
        const off = await measure(offPort, "/v1/chat/completions", { ...chatBody, stream }, conns);
        const full = await measure(fullPort, "/v1/chat/completions", { ...chatBody, stream }, conns);
        for (const [name, r] of [
          ["off", off],
          ["full", full],
        ]) {
          lines.push(
            `| ${stream ? "stream" : "json"} | ${conns} | ${name} | ${f(r.rps, 0)} | ${f(r.p50)} | ${f(r.p99)} | ${name === "off" ? "–" : pctOf((r.p50 - off.p50) / off.p50)} |`,
          );
        }
      }
    }
  }

  if (SECTIONS.has("teams")) {
    // The usage ledger and rate limits against neither (bench/teams.mjs).
    const result = await measureTeams(upstream.port, measure, CONNECTIONS);
    lines.push("", "### Usage ledger and rate limits (chat JSON, app keys on, capture metadata)", "", ...result.lines);
    if (result.failed) failed = true;
  }

  if (SECTIONS.has("group")) {
    // A group of 8 deployments against one backend (bench/teams.mjs).
    const result = await measureGroup(upstream.port, measure, CONNECTIONS);
    lines.push("", "### A model served by a group of 8 deployments (chat JSON, capture metadata)", "", ...result.lines);
    if (result.failed) failed = true;
  }

  if (SECTIONS.has("store")) {
    const stores = await measureStores();
    lines.push("", "### Response store", "");
    lines.push("| database | write p50 ms | write p99 ms | event loop per write ms | chained read (depth 5, cold cache) p50 ms | p99 ms |");
    lines.push("|---|---:|---:|---:|---:|---:|");
    for (const [name, r] of Object.entries(stores)) {
      if (r.error) lines.push(`| ${name} | not measured: ${r.error} | | | | |`);
      else lines.push(`| ${name} | ${f(r.writeP50)} | ${f(r.writeP99)} | ${f(r.writeLoopMs)} | ${f(r.chainP50)} | ${f(r.chainP99)} |`);
    }
  }

  if (SECTIONS.has("soak")) {
    lines.push("", "### Soak", "");
    const result = await soak(upstream.port);
    lines.push(...result.lines);
    if (!result.ok) failed = true;
  }

  process.stdout.write(`${lines.join("\n")}\n`);
  if (failed) {
    process.stderr.write("bench: FAILED (errors above, or the soak did not end clean)\n");
    process.exitCode = 1;
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(stopAll);
