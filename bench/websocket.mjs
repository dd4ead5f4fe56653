// Responses WebSocket mode against the HTTP stream it replaces, one turn at a time on one
// connection: the same Responses → chat turn sent as `POST /v1/responses` (keep-alive) and as a
// `response.create` frame on one socket — standalone turns, then 8-turn chains, where HTTP resends
// the whole history each turn (`store: false`) and the socket sends only the new input with
// `previous_response_id`. Each turn is timed from send to the first event and to the terminal one.
// `node bench/websocket.mjs` runs it alone (built proxy, forked upstream).

import { Pool } from "undici";
import WebSocket from "ws";
import { authHeaders, startForked, startProxy, stopAll } from "./lib.mjs";

const CHAIN = 8;
const question = (k) => ({ type: "message", role: "user", content: [{ type: "input_text", text: `Question ${k}: say something about foxes.` }] });

function pct(values, p) {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const summary = (total, first, errors) => ({ n: total.length, p50: pct(total, 50), p99: pct(total, 99), first50: pct(first, 50), errors });

/** HTTP turns on one keep-alive connection; `chained`: each turn resends the history so far. */
async function httpTurns(port, durationMs, chained) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1, pipelining: 1, keepAliveTimeout: 60_000 });
  const total = [];
  const first = [];
  let errors = 0;
  let history = [];
  for (let k = 0, end = performance.now() + durationMs; performance.now() < end; k++) {
    if (!chained || k % CHAIN === 0) history = [];
    const input = [...history, question(k)];
    const body = JSON.stringify({ model: "bench", store: false, stream: true, input });
    const t0 = process.hrtime.bigint();
    let firstAt;
    let text = "";
    const res = await pool.request({ path: "/v1/responses", method: "POST", headers: authHeaders(false), body });
    for await (const chunk of res.body) {
      firstAt ??= process.hrtime.bigint();
      if (chained) text += chunk;
    }
    const t1 = process.hrtime.bigint();
    if (res.statusCode !== 200) errors += 1;
    total.push(Number(t1 - t0) / 1e6);
    first.push(Number((firstAt ?? t1) - t0) / 1e6);
    if (chained) {
      const done = text.split("\n").find((l) => l.startsWith("data: ") && l.includes('"response.completed"'));
      history = done ? [...input, ...JSON.parse(done.slice(6)).response.output] : [];
    }
  }
  await pool.close();
  return summary(total, first, errors);
}

/** WebSocket turns on one socket; `chained`: each turn continues the last with `previous_response_id`. */
async function socketTurns(port, durationMs, chained) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/responses`, { headers: { authorization: authHeaders(false).authorization } });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const total = [];
  const first = [];
  let errors = 0;
  let previous;
  let waiter;
  ws.on("message", (data) => waiter?.(String(data)));
  for (let k = 0, end = performance.now() + durationMs; performance.now() < end; k++) {
    if (!chained || k % CHAIN === 0) previous = undefined;
    const t0 = process.hrtime.bigint();
    let firstAt;
    const final = await new Promise((resolve) => {
      waiter = (text) => {
        firstAt ??= process.hrtime.bigint();
        if (text.includes('"response.completed"') || text.startsWith('{"type":"error"') || text.includes('"response.failed"')) resolve(JSON.parse(text));
      };
      ws.send(
        JSON.stringify({
          type: "response.create",
          model: "bench",
          store: false,
          input: [question(k)],
          ...(previous ? { previous_response_id: previous } : {}),
        }),
      );
    });
    const t1 = process.hrtime.bigint();
    if (final.type !== "response.completed") errors += 1;
    previous = final.response?.id;
    total.push(Number(t1 - t0) / 1e6);
    first.push(Number((firstAt ?? t1) - t0) / 1e6);
  }
  ws.close();
  return summary(total, first, errors);
}

/** The four cells, after a warm-up of each; returns markdown lines and whether any turn failed. */
export async function measureWebSocket(port, { durationMs = 4000, warmupMs = 1000 } = {}) {
  const f = (n) => (Number.isFinite(n) ? n.toFixed(3) : "–");
  const lines = [
    "| turns | transport | turns run | p50 ms | p99 ms | p50 first event ms | WebSocket − HTTP p50 ms | errors |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  let failed = false;
  for (const chained of [false, true]) {
    await httpTurns(port, warmupMs, chained);
    await socketTurns(port, warmupMs, chained);
    const http = await httpTurns(port, durationMs, chained);
    const ws = await socketTurns(port, durationMs, chained);
    const label = chained ? `chains of ${CHAIN}` : "standalone";
    lines.push(`| ${label} | HTTP stream (keep-alive) | ${http.n} | ${f(http.p50)} | ${f(http.p99)} | ${f(http.first50)} | – | ${http.errors} |`);
    lines.push(`| ${label} | WebSocket | ${ws.n} | ${f(ws.p50)} | ${f(ws.p99)} | ${f(ws.first50)} | ${f(ws.p50 - http.p50)} | ${ws.errors} |`);
    if (http.errors || ws.errors) failed = true;
  }
  return { lines, failed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const upstream = await startForked("upstream.mjs");
  const proxy = await startProxy(upstream.port, { capture: "off" });
  const { lines } = await measureWebSocket(proxy.port, { durationMs: Number(process.env.BENCH_DURATION_MS ?? 4000) });
  console.log(lines.join("\n"));
  stopAll();
}
