// Two sections of `npm run bench` for team features, each against its own baseline in the same run:
// - teams: the usage ledger and rate limits (in-process, and in Redis when 127.0.0.1:6379 answers)
//   against the ledger off and no limits, app keys on in every variant (limits are per key).
// - group: one model served by a group of 8 deployments against the same model on one backend.
// Variants take turns over rounds and the median of each figure is kept: the differences sought
// (tens of microseconds) are smaller than this machine's drift over a minute. CPU per request is
// the proxy process's utime + stime over the requests it served.

import { createConnection } from "node:net";
import { NO_LIMIT, authHeaders, cpuMs, startProxy } from "./lib.mjs";

const ROUNDS = Number(process.env.BENCH_TEAM_ROUNDS ?? 3);
const f = (n, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : "–");
const signed = (n, d = 3) => `${n >= 0 ? "+" : ""}${f(n, d)}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (r) => `${(r * 100).toFixed(1)}%`;

async function redisAnswers() {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port: 6379 });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.on("error", () => done(false));
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => done(d.toString().startsWith("+PONG")));
  });
}

/** Each variant measured in turn, `ROUNDS` times, at each connection count: medians of p50, req/s and CPU. */
async function rounds(variants, measure, body, conns, appKeys) {
  const runs = new Map(variants.map((v) => [v.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of variants) {
      const before = cpuMs(v.pid);
      const res = await measure(v.port, "/v1/chat/completions", body, conns, authHeaders(appKeys));
      // The warm-up's requests are in the CPU time too: counted as a share of the measured ones.
      const served = res.n * (1 + Number(process.env.BENCH_WARMUP_MS ?? 1000) / Number(process.env.BENCH_DURATION_MS ?? 4000));
      runs.get(v.name).push({ ...res, cpuUs: ((cpuMs(v.pid) - before) * 1000) / served });
    }
  }
  return new Map(
    [...runs].map(([name, rs]) => [
      name,
      {
        p50: median(rs.map((x) => x.p50)),
        rps: median(rs.map((x) => x.rps)),
        cpuUs: median(rs.map((x) => x.cpuUs)),
        errors: rs.reduce((n, x) => n + x.errors, 0),
      },
    ]),
  );
}

function table(lines, variants, results, baseName) {
  lines.push("| conns | variant | req/s | p50 ms | CPU per request µs | throughput vs baseline | p50 − baseline ms | errors |");
  lines.push("|---:|---|---:|---:|---:|---:|---:|---:|");
  for (const [conns, res] of results) {
    const base = res.get(baseName);
    for (const v of variants) {
      const r = res.get(v.name);
      const isBase = v.name === baseName;
      lines.push(
        `| ${conns} | ${v.name} | ${f(r.rps, 0)} | ${f(r.p50)} | ${f(r.cpuUs, 0)} | ${isBase ? "–" : pct(r.rps / base.rps)} | ${isBase ? "–" : f(r.p50 - base.p50)} | ${r.errors} |`,
      );
    }
  }
}

const CHAT = { model: "bench", messages: [{ role: "user", content: "Say something about foxes." }], stream: false };

/** The ledger and limits against neither (issue targets: ≥ 90 % of the throughput, ≤ +0.05 ms p50). */
export async function measureTeams(upstreamPort, measure, connections) {
  const common = { capture: "metadata", appKeys: true, quiet: true };
  const specs = [
    { name: "ledger off, no limits", usage: "{ enabled: false }" },
    { name: "ledger on (default), no limits" },
    { name: "ledger + limits, in-process", keyFields: NO_LIMIT },
  ];
  const redis = await redisAnswers();
  if (redis) specs.push({ name: "ledger + limits, Redis", keyFields: NO_LIMIT, env: { REDIS_URL: "redis://127.0.0.1:6379" } });
  const variants = [];
  for (const s of specs) {
    const p = await startProxy(upstreamPort, {
      ...common,
      ...(s.usage ? { usage: s.usage } : {}),
      ...(s.keyFields ? { keyFields: s.keyFields } : {}),
      env: s.env ?? {},
    });
    variants.push({ name: s.name, port: p.port, pid: p.pid });
  }
  const results = new Map();
  for (const conns of connections) results.set(conns, await rounds(variants, measure, CHAT, conns, true));
  const lines = [];
  table(lines, variants, results, specs[0].name);
  if (!redis) lines.push("", "Redis did not answer on 127.0.0.1:6379: its row was not measured.");
  const summary = [];
  for (const v of variants.slice(1)) {
    const one = results.get(connections[0]);
    const many = results.get(connections.at(-1));
    summary.push(
      `${v.name}: p50 at ${connections[0]} connection ${signed(one.get(v.name).p50 - one.get(specs[0].name).p50)} ms over the ledger off (target ≤ +0.05), throughput at ${connections.at(-1)} connections ${pct(many.get(v.name).rps / many.get(specs[0].name).rps)} of it (target ≥ 90 %)`,
    );
  }
  lines.push("", `${summary.join("; ")}.`);
  const failed = [...results.values()].some((res) => [...res.values()].some((r) => r.errors > 0));
  return { lines, failed };
}

/** A group of 8 deployments against one backend (target: ≤ +0.01 ms p50). */
export async function measureGroup(upstreamPort, measure, connections) {
  const specs = [
    { name: "one backend", deployments: 1 },
    { name: "group of 8, weighted (default)", deployments: 8 },
    { name: "group of 8, least-busy", deployments: 8, strategy: "least-busy" },
  ];
  const variants = [];
  for (const s of specs) {
    const p = await startProxy(upstreamPort, { capture: "metadata", quiet: true, deployments: s.deployments, ...(s.strategy ? { strategy: s.strategy } : {}) });
    variants.push({ name: s.name, port: p.port, pid: p.pid });
  }
  const results = new Map();
  for (const conns of connections) results.set(conns, await rounds(variants, measure, CHAT, conns, false));
  const lines = [];
  table(lines, variants, results, specs[0].name);
  const one = results.get(connections[0]);
  lines.push(
    "",
    variants
      .slice(1)
      .map(
        (v) =>
          `${v.name}: p50 at ${connections[0]} connection ${signed(one.get(v.name).p50 - one.get(specs[0].name).p50)} ms over one backend (target ≤ +0.01), CPU per request ${signed(one.get(v.name).cpuUs - one.get(specs[0].name).cpuUs, 0)} µs`,
      )
      .join("; ") + ".",
  );
  const failed = [...results.values()].some((res) => [...res.values()].some((r) => r.errors > 0));
  return { lines, failed };
}
