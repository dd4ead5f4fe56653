// The router's pick of one deployment in a group of 8, per strategy: what routing adds to a request
// before it goes upstream (target: at most 2 µs). Each pick is followed by the start and end of the
// request on the deployment it chose, as the proxy does, so in-flight counts and latencies move.
// Usage: npm run build && node bench/route-pick.mjs

import { tmpdir } from "node:os";
import { join } from "node:path";
import { Balancer, parseConfigText } from "../apps/proxy/dist/index.js";

const N = 8;
const PICKS = 2_000_000;

function poolFor(strategy, extra = "") {
  const entries = Array.from(
    { length: N },
    (_, i) => `  - model_name: m\n    model_params: { api_base: "http://10.0.0.${i + 1}/v1", weight: ${i + 1}${extra} }\n`,
  ).join("");
  const { config } = parseConfigText(`model_list:\n${entries}router_settings: { routing_strategy: ${strategy} }\n`, join(tmpdir(), "c.yaml"), {}, {});
  const backends = new Map(config.groups.get("m").deployments.map((d) => [d.id, { route: d, format: "chat" }]));
  return new Balancer(config.router).sync(config, backends).get("m");
}

function run(label, pool, preferred) {
  let now = Date.now();
  let sink = 0;
  // A request's first pick: nothing tried yet, no per-deployment access lists.
  const x = { tried: undefined, permit: undefined };
  const once = (k) => {
    const s = pool.pick(x, now, preferred);
    s.started(now);
    s.answered(now, 5 + (k & 7));
    s.finished(now, 7);
    sink += s.inFlight;
  };
  for (let k = 0; k < 200_000; k++) once(k);
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < PICKS; k++) {
    if ((k & 1023) === 0) now = Date.now();
    once(k);
  }
  const ns = Number(process.hrtime.bigint() - t0) / PICKS;
  console.log(`${label.padEnd(34)} ${(ns / 1000).toFixed(3)} µs a pick (with start and end)`);
  return sink;
}

console.log(`node ${process.version}, ${N} deployments, ${PICKS.toLocaleString("en")} picks each`);
for (const strategy of ["weighted", "least-busy", "latency", "usage"]) run(strategy, poolFor(strategy));
run("weighted, caps on every deployment", poolFor("weighted", ", rpm_limit: 1000000000, tpm_limit: 1000000000, max_parallel_requests: 100"));
run("weighted, affinity to m#5", poolFor("weighted"), "m#5");
