// count_tokens on hostile input: how long a long word takes to count through the proxy, and how
// /health answers meanwhile (probed back to back from this process while the count runs).
// Usage: npm run build && node bench/count-tokens.mjs

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp, parseConfigText } from "../apps/proxy/dist/index.js";

const env = { DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), "yallmp-count-")), "state.db")}` };
const yaml = "model_list:\n  - model_name: m\n    model_params: { api_type: mock }\nproxy_settings: { traces: { capture: off } }\n";
const { config } = parseConfigText(yaml, join(tmpdir(), "config.yaml"), env, env);
const app = await buildApp({ config, logger: false });
const base = await app.listen({ host: "127.0.0.1", port: 0 });

async function count(content) {
  const res = await fetch(`${base}/v1/messages/count_tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content }] }),
  });
  return (await res.json()).input_tokens;
}

const letters = (n) => Array.from({ length: n }, () => "abcdefghijklmnopqrstuvwxyz"[Math.floor(Math.random() * 26)]).join("");
await count("warm up the rank table");
for (const [label, text] of [
  ["20 K characters without spaces", "a".repeat(20_000)],
  ["2 M characters without spaces", "a".repeat(2_000_000)],
  ["2 M random letters without spaces", letters(2_000_000)],
  ["a 32 MB body of one word", "ab".repeat(16 * 1024 * 1024 - 64)],
]) {
  let done = false;
  const health = [];
  const started = performance.now();
  const counting = count(text).finally(() => (done = true));
  const probing = (async () => {
    while (!done) {
      const t0 = performance.now();
      await (await fetch(`${base}/health`)).text();
      health.push(performance.now() - t0);
    }
  })();
  const tokens = await counting;
  const ms = performance.now() - started;
  await probing;
  health.sort((a, b) => a - b);
  const at = (p) => health[Math.min(health.length - 1, Math.floor(p * health.length))]?.toFixed(1);
  console.log(
    `${label}: ${tokens} tokens in ${ms.toFixed(0)} ms (upload and parse included); /health ${health.length} probes, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`,
  );
}
await app.close();
