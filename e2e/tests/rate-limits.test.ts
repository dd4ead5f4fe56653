// Rate limits and budgets: refusals in each client's own format with Retry-After and rate-limit
// headers; exact across two proxy processes sharing Redis and PostgreSQL (a burst of 30 on a key with
// rpm_limit 10 gets 10); a TPM limit and a daily budget hold the same way; with Redis stopped
// mid-test, fail_open decides and nothing hangs; and a busy key far from its limits admits from
// leases, with Redis counting exactly what was admitted.

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable } from "../../packages/db/src/testing/postgres.js";
import { type ProxyProcess, type RunningProxy, type Upstream, chatCompletion, sendJson, sleep, spawnProxy, startProxy, startUpstream } from "../lib/harness.js";

const ADMIN = "limits-admin-pw";
/** Key ids fresh per run: the shared Redis keeps counters between runs for a window. */
const run = randomBytes(4).toString("hex");

/** An upstream reporting 90 prompt and 10 completion tokens per answer. */
async function chatUpstream(): Promise<Upstream> {
  return startUpstream((_req, res) => sendJson(res, 200, chatCompletion("ok", { usage: { prompt_tokens: 90, completion_tokens: 10, total_tokens: 100 } })));
}

function chat(url: string, secret: string, model = "gpt"): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });
}

function keysYaml(up: Upstream, keys: string, extra = ""): string {
  return `
model_list:
  - model_name: gpt
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-model, pricing: { input: 1000, output: 1000 } }
  - model_name: shared
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-model, rpm_limit: 4 }
proxy_settings:
  usage: { flush_interval_ms: 50 }
${extra}
app_keys:
  enabled: true
  keys:
${keys}
`;
}

describe("rate limits in one process (no Redis)", () => {
  let up: Upstream;
  let p: RunningProxy;
  beforeAll(async () => {
    up = await chatUpstream();
    p = await startProxy(
      keysYaml(
        up,
        `    - { key_id: burst, secret: sk-burst, rpm_limit: 10 }
    - { key_id: modelcap, secret: sk-modelcap, model_limits: { gpt: { rpm_limit: 2 } } }
    - { key_id: monthly, secret: sk-monthly, max_budget: 0.25, budget_duration: 30d }
    - { key_id: free, secret: sk-free }`,
      ),
      { YALLMP_ADMIN_PASSWORD: ADMIN },
    );
  });
  afterAll(async () => {
    await p.close();
    await up.close();
  });

  it("lets exactly rpm_limit requests of a burst through and refuses the rest in OpenAI's format with Retry-After", async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => chat(p.url, "sk-burst")));
    const ok = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 429);
    expect(ok.length).toBe(10);
    expect(refused.length).toBe(20);
    const body = (await refused[0]!.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect(Number(refused[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(ok[0]!.headers.get("x-ratelimit-limit-requests")).toBe("10");
    expect(ok.map((r) => Number(r.headers.get("x-ratelimit-remaining-requests"))).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ok[0]!.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+(ms|s)$|^\d+m\d+s$/);
  });

  it("answers Anthropic clients with rate_limit_error and anthropic-ratelimit-* headers", async () => {
    const send = () =>
      fetch(`${p.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": "sk-modelcap", "anthropic-version": "2023-06-01", "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
      });
    const first = await send();
    expect(first.status).toBe(200);
    expect(first.headers.get("anthropic-ratelimit-requests-limit")).toBe("2");
    expect(first.headers.get("anthropic-ratelimit-requests-remaining")).toBe("1");
    expect(new Date(first.headers.get("anthropic-ratelimit-requests-reset")!).getTime()).toBeGreaterThan(Date.now());
    expect(first.headers.get("x-ratelimit-limit-requests")).toBeNull();
    expect((await send()).status).toBe(200);
    const third = await send();
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    expect(third.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("holds a model's rpm_limit for every caller together, and sends no headers where no limit applies", async () => {
    const free = await chat(p.url, "sk-free");
    expect(free.status).toBe(200);
    expect(free.headers.get("x-ratelimit-limit-requests")).toBeNull();
    const answers = await Promise.all([
      ...Array.from({ length: 3 }, () => chat(p.url, "sk-free", "shared")),
      ...Array.from({ length: 3 }, () => chat(p.url, "sk-modelcap", "shared")),
    ]);
    expect(answers.filter((r) => r.status === 200).length).toBe(4);
  });

  it("keeps a 30-day budget's spending for the whole window (longer than the longest Node timer)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await chat(p.url, "sk-monthly")).status);
      await sleep(30);
    }
    // $0.10 a request: the fourth finds $0.30 spent of $0.25.
    expect(statuses).toEqual([200, 200, 200, 429]);
    const left = await fetch(`${p.url}/admin/keys/monthly/usage`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const body = (await left.json()) as { limits: { budget: { spent_usd: number; reset_ms: number } } };
    expect(body.limits.budget.spent_usd).toBeCloseTo(0.3, 10);
    expect(body.limits.budget.reset_ms).toBeGreaterThan(29 * 86_400_000);
  });

  it("counts refusals in the usage ledger as errors, and shows what is left on the key's usage", async () => {
    const res = await fetch(`${p.url}/admin/usage?group_by=key&key=burst`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const rows = ((await res.json()) as { data: Array<{ requests: number; errors: number }> }).data;
    expect(rows.reduce((s, r) => s + r.requests, 0)).toBe(30);
    expect(rows.reduce((s, r) => s + r.errors, 0)).toBe(20);
    const left = await fetch(`${p.url}/admin/keys/burst/usage`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const body = (await left.json()) as { limits: { rpm: { limit: number; remaining: number } } };
    expect(body.limits.rpm).toMatchObject({ limit: 10, remaining: 0 });
    const own = await fetch(`${p.url}/v1/usage/limits`, { headers: { authorization: "Bearer sk-burst" } });
    expect(((await own.json()) as { limits: { rpm: { remaining: number } } }).limits.rpm.remaining).toBe(0);
  });
});

const pgMissing = await postgresAvailable();

describe.skipIf(pgMissing !== undefined)("rate limits across two processes sharing Redis and PostgreSQL", () => {
  let up: Upstream;
  let procs: ProxyProcess[] = [];
  let drop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    up = await chatUpstream();
    const db = await createTestDatabase();
    drop = db.drop;
    const yaml = keysYaml(
      up,
      `    - { key_id: rpm-${run}, secret: sk-rpm-${run}, rpm_limit: 10 }
    - { key_id: tpm-${run}, secret: sk-tpm-${run}, tpm_limit: 1000 }
    - { key_id: budget-${run}, secret: sk-budget-${run}, max_budget: 0.35, budget_duration: 1d }`,
      // Redis is healthy here: a deadline long enough that a busy test machine's event loop never
      // trips it (fail_open would then admit uncounted requests; its own test is below).
      "  rate_limits: { redis_timeout_ms: 5000 }",
    );
    const env = { DATABASE_URL: db.url, REDIS_URL: "redis://127.0.0.1:6379", YALLMP_ADMIN_PASSWORD: ADMIN };
    procs = await Promise.all([spawnProxy(yaml, env), spawnProxy(yaml, env)]);
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) await p.kill();
    await up.close();
    await drop();
  });

  it("gives a key with rpm_limit 10 exactly 10 successes in a burst of 30 spread over both", async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(procs[i % 2]!.url, `sk-rpm-${run}`)));
    expect(answers.filter((r) => r.status === 200).length).toBe(10);
    expect(answers.filter((r) => r.status === 429).length).toBe(20);
    // Both replicas wrote to the one ledger.
    await sleep(300);
    const res = await fetch(`${procs[0]!.url}/admin/usage?group_by=key&key=rpm-${run}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const rows = ((await res.json()) as { data: Array<{ requests: number; errors: number; input_tokens: number }> }).data;
    expect(rows.reduce((s, r) => s + r.requests, 0)).toBe(30);
    expect(rows.reduce((s, r) => s + r.errors, 0)).toBe(20);
    expect(rows.reduce((s, r) => s + r.input_tokens, 0)).toBe(900);
  });

  it("holds tpm_limit by the tokens really used (charged up front, corrected after)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      statuses.push((await chat(procs[i % 2]!.url, `sk-tpm-${run}`)).status);
      // The correction lands as the answer ends; the next request goes to the other replica.
      await sleep(30);
    }
    // 100 tokens each: ten fit in 1000.
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses.slice(10)).toEqual(Array(4).fill(429));
  });

  it("stops a key at its daily budget with insufficient_quota", async () => {
    const answers: Response[] = [];
    for (let i = 0; i < 7; i++) {
      answers.push(await chat(procs[i % 2]!.url, `sk-budget-${run}`));
      await sleep(30);
    }
    // $0.10 a request (100 tokens at $1000 per million): the fifth finds $0.40 spent of $0.35.
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 429, 429, 429]);
    const body = (await answers[4]!.json()) as { error: { type: string; code: string } };
    expect(body.error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
    const left = await fetch(`${procs[1]!.url}/admin/keys/budget-${run}/usage`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const status = (await left.json()) as { limits: { budget: { max_usd: number; spent_usd: number; remaining_usd: number } } };
    expect(status.limits.budget).toMatchObject({ max_usd: 0.35, spent_usd: 0.4, remaining_usd: 0 });
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A Redis of the test's own, on a free port, that the test may stop (SIGSTOP) and kill. */
async function startRedis(): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  for (let i = 0; i < 50; i++) {
    const listening = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(true));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(false)));
    });
    if (listening) break;
    await sleep(50);
  }
  return { child, port };
}

async function stopRedis(redis: ChildProcess | undefined): Promise<void> {
  if (!redis || redis.exitCode !== null || redis.signalCode !== null) return;
  redis.kill("SIGCONT");
  redis.kill("SIGKILL");
  await once(redis, "exit");
}

/** One command to Redis, as another replica would write it; resolves with its reply line. */
async function redisCommand(port: number, ...args: string[]): Promise<string> {
  const s = connect(port, "127.0.0.1");
  s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`);
  const [reply] = (await once(s, "data")) as [Buffer];
  s.destroy();
  return reply.toString("utf8").trim();
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("with Redis stopped mid-test", () => {
  let up: Upstream;
  let redis: ChildProcess | undefined;
  const proxies: RunningProxy[] = [];
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.close();
    await stopRedis(redis);
    await up?.close();
  });

  it("admits with fail_open: true and refuses with 503 with fail_open: false, each within the command deadline, hung or gone", async () => {
    up = await chatUpstream();
    const started = await startRedis();
    redis = started.child;
    const env = { REDIS_URL: `redis://127.0.0.1:${started.port}`, YALLMP_ADMIN_PASSWORD: ADMIN };
    const keys = `    - { key_id: k, secret: sk-k, rpm_limit: 3 }`;
    const open = await startProxy(keysYaml(up, keys, "  rate_limits: { fail_open: true, redis_timeout_ms: 200 }"), env);
    const closed = await startProxy(keysYaml(up, keys, "  rate_limits: { fail_open: false, redis_timeout_ms: 200 }"), env);
    proxies.push(open, closed);

    // While Redis runs, the two share one counter.
    const before = await Promise.all([chat(open.url, "sk-k"), chat(closed.url, "sk-k"), chat(open.url, "sk-k"), chat(closed.url, "sk-k")]);
    expect(before.filter((r) => r.status === 200).length).toBe(3);

    // A Redis that stops answering (the connection stays up): each check gives up at the deadline.
    redis.kill("SIGSTOP");
    const t1 = performance.now();
    const [hungOpen, hungClosed] = await Promise.all([chat(open.url, "sk-k"), chat(closed.url, "sk-k")]);
    expect(performance.now() - t1).toBeLessThan(2000);
    expect(hungOpen.status).toBe(200);
    expect(hungClosed.status).toBe(503);
    redis.kill("SIGCONT");

    redis.kill("SIGKILL");
    await once(redis, "exit");

    const t0 = performance.now();
    const [a, b] = await Promise.all([chat(open.url, "sk-k"), chat(closed.url, "sk-k")]);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(a.status).toBe(200);
    expect(b.status).toBe(503);
    expect(((await b.json()) as { error: { code: string } }).error.code).toBe("rate_limits_unavailable");
    expect(open.logText()).toMatch(/Redis for rate limits is unreachable.*fail_open: true/);
    const metrics = await (await fetch(`${open.url}/metrics`)).text();
    expect(metrics).toMatch(/yallmp_rate_limit_store_errors_total\{policy="open"\} [1-9]/);
  });
});

describe("a take in Redis beside the upstream call", () => {
  let up: Upstream;
  let redis: { child: ChildProcess; port: number };
  let p: RunningProxy;
  beforeAll(async () => {
    // "hold" is answered only when its client goes (a call the proxy cancels); anything else at once.
    up = await startUpstream((rec, res) => {
      const held = JSON.stringify(rec.json?.messages).includes("hold");
      if (!held) return sendJson(res, 200, chatCompletion("ok", { usage: { prompt_tokens: 90, completion_tokens: 10, total_tokens: 100 } }));
      const timer = setTimeout(() => sendJson(res, 200, chatCompletion("late")), 10_000);
      res.on("close", () => clearTimeout(timer));
    });
    redis = await startRedis();
    p = await startProxy(
      keysYaml(
        up,
        `    - { key_id: roomy, secret: sk-roomy, rpm_limit: 100 }
    - { key_id: tight, secret: sk-tight, rpm_limit: 4 }
    - { key_id: race, secret: sk-race, rpm_limit: 10 }`,
        "  rate_limits: { redis_timeout_ms: 5000 }",
      ),
      { REDIS_URL: `redis://127.0.0.1:${redis.port}` },
    );
  });
  afterAll(async () => {
    await p?.close();
    await stopRedis(redis?.child);
    await up?.close();
  });

  function send(secret: string, text = "hi"): Promise<Response> {
    return fetch(`${p.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt", messages: [{ role: "user", content: text }] }),
    });
  }

  it("starts the call before Redis answers when the counters were last heard well clear, and answers only once Redis has", async () => {
    expect((await send("sk-roomy")).status).toBe(200);
    const seen = up.requests.length;
    redis.child.kill("SIGSTOP");
    const pending = send("sk-roomy");
    try {
      await until("the upstream call", () => up.requests.length === seen + 1);
      // The upstream has answered; the client still waits for the count.
      const early = await Promise.race([pending.then(() => "answered"), sleep(200).then(() => "waiting")]);
      expect(early).toBe("waiting");
    } finally {
      redis.child.kill("SIGCONT");
    }
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("98");
  });

  it("waits for Redis before the call when a counter was last heard near its limit", async () => {
    for (let i = 0; i < 2; i++) expect((await send("sk-tight")).status).toBe(200);
    // 2 of 4 left: under half, so the third waits for its count.
    const seen = up.requests.length;
    redis.child.kill("SIGSTOP");
    const pending = send("sk-tight");
    try {
      await sleep(300);
      expect(up.requests.length).toBe(seen);
    } finally {
      redis.child.kill("SIGCONT");
    }
    expect((await pending).status).toBe(200);
    expect(up.requests.length).toBe(seen + 1);
  });

  it("answers a refusal heard during the call with the 429 it would have been, and cancels the call", async () => {
    expect((await send("sk-race")).status).toBe(200);
    // Another replica takes the rest of the minute's requests; this one last heard 9 left.
    expect(await redisCommand(redis.port, "SET", `yallmp:rpm:key:race`, "10", "KEEPTTL")).toBe("+OK");
    const seen = up.requests.length;
    redis.child.kill("SIGSTOP");
    const pending = send("sk-race", "hold");
    try {
      await until("the upstream call", () => up.requests.length === seen + 1);
    } finally {
      redis.child.kill("SIGCONT");
    }
    const res = await pending;
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("rate_limit_exceeded");
    await until("the cancelled call", () => up.requests[seen]!.closedAt !== undefined, 2000);
    // Nothing was counted for it: the minute's 10 are the 10 another replica and this one took.
    expect(await redisCommand(redis.port, "GET", `yallmp:rpm:key:race`)).toBe("$2\r\n10");
  });
});

describe("leases in Redis for a busy key far from its limits", () => {
  let up: Upstream;
  let redis: { child: ChildProcess; port: number } | undefined;
  const proxies: RunningProxy[] = [];
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.close();
    await stopRedis(redis?.child);
    await up?.close();
  });

  /** Scripts Redis ran (INFO commandstats), from a Redis of the test's own. */
  async function scripts(port: number): Promise<number> {
    return Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redisCommand(port, "INFO", "commandstats"))?.[1] ?? 0);
  }

  /** 200 requests, 8 at a time: the successes, and the scripts Redis ran for them. */
  async function busy(p: RunningProxy, port: number): Promise<{ ok: number; scripts: number; remaining: string | null }> {
    const before = await scripts(port);
    let ok = 0;
    let remaining: string | null = null;
    for (let i = 0; i < 25; i++) {
      for (const r of await Promise.all(Array.from({ length: 8 }, () => chat(p.url, "sk-big")))) {
        if (r.status === 200) ok++;
        remaining = r.headers.get("x-ratelimit-remaining-requests");
        await r.arrayBuffer();
      }
    }
    // What leases still hold goes back within 300 ms.
    await sleep(600);
    return { ok, scripts: (await scripts(port)) - before, remaining };
  }

  for (const leases of [true, false]) {
    it(`with leases: ${leases}, ${leases ? "asks Redis far less than once a request" : "asks Redis for every request"}, and counts exactly what was admitted`, async () => {
      up = await chatUpstream();
      redis = await startRedis();
      const p = await startProxy(
        keysYaml(
          up,
          `    - { key_id: big, secret: sk-big, rpm_limit: 1000000, tpm_limit: 100000000 }`,
          `  rate_limits: { redis_timeout_ms: 5000, leases: ${leases} }`,
        ),
        { REDIS_URL: `redis://127.0.0.1:${redis.port}` },
      );
      proxies.push(p);
      const r = await busy(p, redis.port);
      expect(r.ok).toBe(200);
      // Give-backs and correction batches are scripts too: half is far from one a request.
      if (leases) expect(r.scripts).toBeLessThan(200 / 2);
      else expect(r.scripts).toBeGreaterThanOrEqual(200);
      // Unspent leases went back: the minute's count is the 200 requests, and TPM their real tokens.
      expect(await redisCommand(redis.port, "GET", "yallmp:rpm:key:big")).toBe("$3\r\n200");
      expect(await redisCommand(redis.port, "GET", "yallmp:tpm:key:big")).toBe("$5\r\n20000");
      expect(Number(r.remaining)).toBeGreaterThan(1_000_000 - 200 - 1000);
    });
  }
});
