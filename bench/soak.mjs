// The soak: 10,000 chat streams through the proxy at its default settings (trace capture `metadata`),
// 500 of them left by their client — half before the answer's headers, half after its first chunk —
// spread evenly among the rest. Memory (after a full GC, read inside the proxy by bench/mem-probe.mjs)
// is printed at the start, the middle and the end, and the in-flight gauges of /metrics must be back
// to 0 at the end: a leak of a relay, a concurrency slot or a running trace shows there.

import { once } from "node:events";
import { join } from "node:path";
import { Pool } from "undici";
import { authHeaders, here, startProxy } from "./lib.mjs";

const STREAMS = Number(process.env.BENCH_SOAK_STREAMS ?? 10_000);
const ABORTS = Number(process.env.BENCH_SOAK_ABORTS ?? 500);
const CONNECTIONS = 32;

async function memory(child) {
  child.send({ type: "memory" });
  const [msg] = await once(child, "message");
  return msg;
}

async function gauges(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = {};
  for (const m of text.matchAll(/^(yallmp_\w+_in_flight) (\S+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

const mb = (n) => `${(n / 2 ** 20).toFixed(1)} MB`;

/** Runs the soak against a fresh proxy; returns the report's lines and whether it passed. */
export async function soak(upstreamPort) {
  const proxy = await startProxy(upstreamPort, { capture: "metadata", ipc: true, nodeArgs: ["--expose-gc", "--import", join(here, "mem-probe.mjs")] });
  const pool = new Pool(`http://127.0.0.1:${proxy.port}`, { connections: CONNECTIONS, pipelining: 1 });
  const headers = authHeaders(false);
  const normal = Buffer.from(JSON.stringify({ model: "bench", stream: true, messages: [{ role: "user", content: "Say something about foxes." }] }));
  const slow = Buffer.from(
    JSON.stringify({ model: "bench", stream: true, user: "bench-slow", messages: [{ role: "user", content: "Say something about foxes." }] }),
  );
  const every = Math.floor(STREAMS / Math.max(1, ABORTS));
  let next = 0;
  let completed = 0;
  let aborted = 0;
  const failures = [];
  const samples = [];
  // Warm-up, so the start is measured after the code has been compiled and the pools filled.
  for (let i = 0; i < 500; i++) {
    const res = await pool.request({ path: "/v1/chat/completions", method: "POST", headers, body: normal });
    await res.body.text();
  }
  const started = performance.now();
  samples.push({ at: "start", ...(await memory(proxy.child)) });

  const one = async (i) => {
    const k = Math.floor(i / every);
    const abort = ABORTS > 0 && i % every === every - 1 && k < ABORTS;
    const controller = new AbortController();
    try {
      if (abort && k % 2 === 0) setTimeout(() => controller.abort(), 3); // before the headers
      const res = await pool.request({ path: "/v1/chat/completions", method: "POST", headers, body: abort ? slow : normal, signal: controller.signal });
      let text = "";
      for await (const chunk of res.body) {
        text += chunk;
        if (abort) controller.abort(); // after the first chunk
      }
      if (abort) throw new Error(`stream ${i} was not aborted`);
      if (res.statusCode !== 200 || !text.includes("data: [DONE]")) throw new Error(`stream ${i}: status ${res.statusCode}, ${text.length} bytes, no [DONE]`);
      completed += 1;
    } catch (err) {
      if (abort && (err.name === "AbortError" || err.code === "UND_ERR_ABORTED")) aborted += 1;
      else failures.push(err.message);
    }
  };
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < STREAMS) {
        const i = next++;
        await one(i);
        if (i === Math.floor(STREAMS / 2)) samples.push({ at: "middle", ...(await memory(proxy.child)) });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // The proxy hears of the last aborts a moment later; give it that moment, no more.
  let inFlight = await gauges(proxy.port);
  for (let i = 0; i < 50 && Object.values(inFlight).some((v) => v !== 0); i++) {
    await new Promise((r) => setTimeout(r, 100));
    inFlight = await gauges(proxy.port);
  }
  samples.push({ at: "end", ...(await memory(proxy.child)) });
  await pool.close();
  proxy.child.kill("SIGTERM");

  const lines = [];
  lines.push(
    `${STREAMS} streams after 500 of warm-up (${ABORTS} left by their client, half before the headers and half after the first chunk), ${CONNECTIONS} connections, capture \`metadata\`: ${seconds.toFixed(1)} s; ${completed} completed, ${aborted} aborted, ${failures.length} failed.`,
  );
  lines.push("");
  lines.push("| when | RSS | heap used (after GC) | heap total | external + array buffers |");
  lines.push("|---|---:|---:|---:|---:|");
  for (const s of samples) lines.push(`| ${s.at} | ${mb(s.rss)} | ${mb(s.heapUsed)} | ${mb(s.heapTotal)} | ${mb(s.external + s.arrayBuffers)} |`);
  lines.push("");
  const gaugeText = Object.entries(inFlight)
    .map(([k, v]) => `\`${k}\` ${v}`)
    .join(", ");
  const zero = Object.keys(inFlight).length > 0 && Object.values(inFlight).every((v) => v === 0);
  const ok = zero && failures.length === 0 && completed + aborted === STREAMS;
  lines.push(`In-flight gauges at the end: ${gaugeText || "none found in /metrics"}${zero ? "." : " — NOT BACK TO 0."}`);
  if (failures.length) lines.push(`SOAK FAILED: ${failures.length} streams failed, e.g. ${failures.slice(0, 3).join("; ")}`);
  else if (!ok) lines.push("SOAK FAILED: the in-flight gauges did not return to 0.");
  return { lines, ok };
}
