// The failover router against real loopback upstreams: which statuses are retried, how long it
// waits (Retry-After, capped exponential backoff), and the order it falls back in.

import { once } from "node:events";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Cancel } from "./cancel.js";
import { type ProxyConfig, parseConfigText } from "./config/load-config.js";
import { ProxyError } from "./errors.js";
import { groupNamesFor, routesForModel } from "./model-chain.js";
import { type AttemptRecord, type CallOptions, callWithFailover, isRetryableStatus, retryAfterMs } from "./router.js";
import { Balancer, type GroupPool } from "./balance/balancer.js";
import { HttpBackend } from "./upstream/http-backend.js";

type Reply = { status: number; headers?: Record<string, string>; body?: string };

/** One loopback server per backend name; each answers from its own script, then 200. */
let server: Server;
let base: string;
const scripts = new Map<string, Reply[]>();
const hits: string[] = [];
let agent: Agent;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const name = (req.url ?? "").split("/")[1] ?? "";
      hits.push(name);
      const reply = scripts.get(name)?.shift() ?? { status: 200, body: JSON.stringify({ from: name }) };
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(reply.body ?? JSON.stringify({ error: { message: `${name} says ${reply.status}` } }));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = new Agent({ keepAliveTimeout: 1000 });
});
afterEach(() => {
  scripts.clear();
  hits.length = 0;
});
afterAll(async () => {
  await agent.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

function configFor(models: Record<string, string>, fallbacks = ""): ProxyConfig {
  const list = Object.entries(models)
    .map(([name, apiBase]) => `  - { model_name: ${name}, model_params: { api_type: openai, api_base: "${apiBase}", api_key: sk-test, model: up } }\n`)
    .join("");
  return parseConfigText(`model_list:\n${list}${fallbacks}`, "test.yaml", {}).config;
}

/** The pools of `names` in order, each deployment an HttpBackend on the shared agent. */
function poolsFor(config: ProxyConfig, names: string[]): GroupPool[] {
  const backends = new Map(
    routesForModel(config, names[0]!)
      .concat(names.slice(1).flatMap((n) => config.groups.get(n)!.deployments))
      .map((r) => [r.id, new HttpBackend(r, agent)]),
  );
  const pools = new Balancer(config.router).sync(config, backends);
  return groupNamesFor(config, names[0]!)
    .concat(names.slice(1))
    .filter((n, i, all) => all.indexOf(n) === i)
    .map((n) => pools.get(n)!);
}

/** Calls `names` in order, each backend's api_base pointing at its own path on the server. */
function call(names: string[], opts: Partial<CallOptions> = {}) {
  const config = configFor(Object.fromEntries(names.map((n) => [n, `${base}/${n}`])));
  const attempts: AttemptRecord[] = [];
  const options: CallOptions = {
    pools: poolsFor(config, names),
    prepare: () => ({ path: "/chat/completions", body: { model: "up", messages: [] }, stream: false }),
    cancel: new Cancel(),
    numRetries: 1,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 1,
    onAttempt: (r) => attempts.push(r),
    ...opts,
  };
  return { result: callWithFailover(options), attempts, cancel: options.cancel };
}

const outcomes = (attempts: AttemptRecord[]) => attempts.map((a) => `${a.backend}#${a.attempt}:${a.status ?? a.error?.slice(0, 20)}:${a.outcome}`);

describe("retryAfterMs", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("reads retry-after-ms first, then retry-after in seconds", () => {
    expect(retryAfterMs({ "retry-after-ms": "1500", "retry-after": "9" }, now)).toBe(1500);
    expect(retryAfterMs({ "retry-after-ms": "12.6" }, now)).toBe(13);
    expect(retryAfterMs({ "retry-after": "2" }, now)).toBe(2000);
    expect(retryAfterMs({ "retry-after": " 1.5 " }, now)).toBe(1500);
    expect(retryAfterMs({ "retry-after": ["3", "7"] }, now)).toBe(3000);
  });

  it("reads an HTTP date relative to now, never below zero", () => {
    expect(retryAfterMs({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }, now)).toBe(30_000);
    expect(retryAfterMs({ "retry-after": "Wed, 31 Dec 2025 23:00:00 GMT" }, now)).toBe(0);
  });

  it("ignores what is neither a number nor a date", () => {
    expect(retryAfterMs({}, now)).toBeUndefined();
    expect(retryAfterMs({ "retry-after": "soon" }, now)).toBeUndefined();
    expect(retryAfterMs({ "retry-after-ms": "-5" }, now)).toBeUndefined();
    // A bad retry-after-ms does not hide a good retry-after.
    expect(retryAfterMs({ "retry-after-ms": "later", "retry-after": "4" }, now)).toBe(4000);
  });
});

describe("isRetryableStatus", () => {
  it("retries 408, 409, 429 and every 5xx, nothing else", () => {
    for (const s of [408, 409, 429, 500, 502, 503, 504, 529]) expect(isRetryableStatus(s), String(s)).toBe(true);
    for (const s of [200, 400, 401, 403, 404, 413, 422]) expect(isRetryableStatus(s), String(s)).toBe(false);
  });
});

describe("routesForModel", () => {
  it("gives the route, then its fallbacks in order, skipping unknown and repeated names", () => {
    const config = configFor(
      { a: "http://127.0.0.1:1", b: "http://127.0.0.1:1", c: "http://127.0.0.1:1" },
      "router_settings:\n  fallbacks:\n    - { a: [c, nope, b, c, a] }\n",
    );
    expect(routesForModel(config, "a").map((r) => r.name)).toEqual(["a", "c", "b"]);
    expect(routesForModel(config, "b").map((r) => r.name)).toEqual(["b"]);
    expect(routesForModel(config, "missing")).toEqual([]);
  });
});

describe("callWithFailover", () => {
  it("retries a retryable status on the same backend until it answers", async () => {
    scripts.set("a", [{ status: 503 }, { status: 429 }]);
    const { result, attempts } = call(["a", "b"], { numRetries: 2 });
    const r = await result;
    expect(r.ok && r.backend.route.name).toBe("a");
    expect(outcomes(attempts)).toEqual(["a#0:503:retry", "a#1:429:retry", "a#2:200:answered"]);
    expect(hits).toEqual(["a", "a", "a"]);
  });

  it("falls back in order once a backend's retries are spent", async () => {
    scripts.set("a", [{ status: 500 }, { status: 500 }]);
    scripts.set("b", [{ status: 502 }, { status: 502 }]);
    const { result, attempts } = call(["a", "b", "c"]);
    const r = await result;
    expect(r.ok && r.backend.route.name).toBe("c");
    expect(outcomes(attempts)).toEqual(["a#0:500:retry", "a#1:500:fallback", "b#0:502:retry", "b#1:502:fallback", "c#0:200:answered"]);
  });

  it("passes a non-retryable error straight through, without retry or fallback", async () => {
    scripts.set("a", [{ status: 400 }]);
    const { result, attempts } = call(["a", "b"], { numRetries: 3 });
    const r = await result;
    expect(r.ok && r.response.status).toBe(400);
    expect(hits).toEqual(["a"]);
    expect(outcomes(attempts)).toEqual(["a#0:400:answered"]);
  });

  it("gives up with the last upstream's own error when every backend fails", async () => {
    scripts.set("a", [{ status: 503 }, { status: 503 }]);
    scripts.set("b", [
      { status: 429, headers: { "retry-after": "0" } },
      { status: 429, body: JSON.stringify({ error: { message: "slow down", type: "rate_limit" } }) },
    ]);
    const { result, attempts } = call(["a", "b"]);
    const r = await result;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.status).toBe(429);
    expect(r.error.message).toBe("slow down");
    expect(attempts.at(-1)?.outcome).toBe("gave_up");
  });

  it("waits what Retry-After asks, not the backoff", async () => {
    scripts.set("a", [{ status: 429, headers: { "retry-after-ms": "300" } }]);
    const started = performance.now();
    const r = await call(["a"], { retryBaseDelayMs: 1, retryMaxDelayMs: 1 }).result;
    expect(r.ok).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
  });

  it("does not sleep through a Retry-After over a minute: the next backend is tried at once", async () => {
    scripts.set("a", [{ status: 429, headers: { "retry-after": "3600" } }]);
    const started = performance.now();
    const { result, attempts } = call(["a", "b"], { numRetries: 3 });
    const r = await result;
    expect(r.ok && r.backend.route.name).toBe("b");
    expect(outcomes(attempts)).toEqual(["a#0:429:fallback", "b#0:200:answered"]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("backs off exponentially from the base delay, capped at the maximum", async () => {
    // Delays 200·2⁰ and 200·2¹ (±20 % jitter): at least 160 + 320 ms in all.
    scripts.set("a", [{ status: 503 }, { status: 503 }]);
    let started = performance.now();
    expect((await call(["a"], { numRetries: 2, retryBaseDelayMs: 200, retryMaxDelayMs: 10_000 }).result).ok).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(475);
    // Capped at 20 ms: at most 2 × 24 ms of sleep (the bound leaves room for a loaded machine).
    scripts.set("a", [{ status: 503 }, { status: 503 }]);
    started = performance.now();
    expect((await call(["a"], { numRetries: 2, retryBaseDelayMs: 200, retryMaxDelayMs: 20 }).result).ok).toBe(true);
    expect(performance.now() - started).toBeLessThan(400);
  });

  it("retries a refused connection, then falls back", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const config = configFor({ dead: `http://127.0.0.1:${deadPort}/dead`, b: `${base}/b` }, "router_settings:\n  fallbacks:\n    - { dead: [b] }\n");
    const attempts: AttemptRecord[] = [];
    const r = await callWithFailover({
      pools: poolsFor(config, ["dead"]),
      prepare: () => ({ path: "/chat/completions", body: {}, stream: false }),
      cancel: new Cancel(),
      numRetries: 1,
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 1,
      onAttempt: (a) => attempts.push(a),
    });
    expect(r.ok && r.backend.route.name).toBe("b");
    expect(attempts.map((a) => `${a.backend}:${a.status ?? "no response"}:${a.outcome}`)).toEqual([
      "dead:no response:retry",
      "dead:no response:fallback",
      "b:200:answered",
    ]);
  });

  it("skips a backend that cannot take the request, and says why", async () => {
    const refusal = new ProxyError(400, "a cannot take images", { code: "unsupported" });
    const { result, attempts } = call(["a", "b"], {
      prepare: (backend) => (backend.route.name === "a" ? refusal : { path: "/chat/completions", body: {}, stream: false }),
    });
    const r = await result;
    expect(r.ok && r.backend.route.name).toBe("b");
    expect(hits).toEqual(["b"]);
    expect(outcomes(attempts)[0]).toBe("a#0:a cannot take images:fallback");
  });

  it("stops waiting when the client leaves during a backoff", async () => {
    scripts.set("a", [{ status: 503 }]);
    const { result, cancel } = call(["a", "b"], { numRetries: 1, retryBaseDelayMs: 10_000, retryMaxDelayMs: 10_000 });
    setTimeout(() => cancel.abort(), 100);
    const started = performance.now();
    const r = await result;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.status).toBe(499);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(hits).toEqual(["a"]);
  });
});
