// Several deployments of one model on loopback upstreams: the strategies' shares, cooldowns with
// probing, Retry-After, a group with every deployment out, session affinity, and a group whose
// deployments speak different wire formats, seen through the openai SDK.

import type { ServerResponse } from "node:http";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../packages/db/src/testing/postgres.js";
import { answerOf } from "../lib/faults.js";
import { type RecordedRequest, type RunningProxy, type Upstream, sendJson, sleep, sseHead, startProxy, startUpstream } from "../lib/harness.js";

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

type Answer = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/** A chat upstream that answers with `hello` (streamed when asked), after `delay()` ms. */
const chat =
  (delay: () => number = () => 0): Answer =>
  async (req, res) => {
    const ms = delay();
    if (ms) await sleep(ms);
    const a = answerOf("chat");
    if (req.json?.stream === true) {
      sseHead(res);
      res.end(a.frames.join(""));
    } else sendJson(res, 200, a.json);
  };

async function upstreams(...answers: Answer[]): Promise<Upstream[]> {
  const out: Upstream[] = [];
  for (const a of answers) {
    const u = await startUpstream(a);
    cleanup.push(u.close);
    out.push(u);
  }
  return out;
}

async function proxy(yaml: string): Promise<RunningProxy> {
  const p = await startProxy(yaml);
  cleanup.push(p.close);
  return p;
}

/** A group `m` of one entry per upstream; `extra` goes into each entry's model_params. */
function groupYaml(ups: Upstream[], router: string, extra: (i: number) => string = () => "", apiType: (i: number) => string = () => "openai"): string {
  const entries = ups
    .map(
      (u, i) =>
        `  - model_name: m\n    model_info: { id: d${i} }\n    model_params: { api_type: ${apiType(i)}, api_base: "${u.url}", api_key: k${i}, model: up${i}${extra(i)} }\n`,
    )
    .join("");
  return `model_list:\n${entries}router_settings:\n  retry_base_delay_ms: 1\n  retry_max_delay_ms: 1\n${router}`;
}

function post(p: RunningProxy, body: Record<string, unknown> = {}, headers: Record<string, string> = {}, path = "/v1/chat/completions"): Promise<Response> {
  return fetch(`${p.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...body }),
  });
}

/** `n` requests, `parallel` at a time; every answer must be 200. */
async function load(p: RunningProxy, n: number, parallel: number, body: Record<string, unknown> = {}): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const res = await post(p, body);
      expect(res.status, await res.clone().text()).toBe(200);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

const counts = (ups: Upstream[]) => ups.map((u) => u.requests.length);
const countsSince = (ups: Upstream[], before: number[]) => ups.map((u, i) => u.requests.length - (before[i] ?? 0));

describe("routing strategies over 3 loopback deployments", () => {
  it("weighted: 3,000 requests split 1:2:3 within a few percent", async () => {
    const ups = await upstreams(chat(), chat(), chat());
    const p = await proxy(`${groupYaml(ups, "  routing_strategy: weighted\n", (i) => `, weight: ${i + 1}`)}proxy_settings:\n  traces: { capture: off }\n`);
    await load(p, 3000, 16);
    const shares = counts(ups).map((c) => c / 3000);
    expect(shares[0]).toBeCloseTo(1 / 6, 1);
    shares.forEach((s, i) => expect(Math.abs(s - (i + 1) / 6), `shares ${shares.join(", ")}`).toBeLessThan(0.03));
    // 3,000 requests through the proxy: a few seconds on a quiet machine, far more on a busy one.
  }, 120_000);

  it("least-busy: a slow deployment gets few of the requests", async () => {
    const ups = await upstreams(
      chat(() => 300),
      chat(() => 5),
      chat(() => 5),
    );
    const p = await proxy(groupYaml(ups, "  routing_strategy: least-busy\n"));
    await load(p, 120, 6);
    const [slow, a, b] = counts(ups) as [number, number, number];
    expect(slow, `slow ${slow}, fast ${a} and ${b}`).toBeLessThan(12);
    expect(a + b).toBeGreaterThan(108);
  });

  it("latency: the fast deployment gets the most, the slow one the least", async () => {
    // Gaps wide enough that a loaded test machine's own delays (which a peak-EWMA takes at once)
    // cannot make the fast one look like the medium one.
    const ups = await upstreams(
      chat(() => 150),
      chat(() => 1),
      chat(() => 50),
    );
    const p = await proxy(groupYaml(ups, "  routing_strategy: latency\n"));
    await load(p, 90, 1);
    const [slow, fast, medium] = counts(ups) as [number, number, number];
    expect(fast, `slow ${slow}, fast ${fast}, medium ${medium}`).toBeGreaterThan(45);
    expect(slow).toBeLessThan(medium + 3);
  });

  it("usage: the deployment with the fewest tokens this minute is picked", async () => {
    const ups = await upstreams(chat(), chat(), chat());
    const p = await proxy(groupYaml(ups, "  routing_strategy: usage\n"));
    await load(p, 30, 1);
    // Every answer costs 7 tokens: the lowest count rotates through the three.
    expect(counts(ups)).toEqual([10, 10, 10]);
  });

  it("steps around a deployment at its max_parallel_requests", async () => {
    const ups = await upstreams(
      chat(() => 100),
      chat(() => 100),
      chat(() => 100),
    );
    const p = await proxy(groupYaml(ups, "", () => ", max_parallel_requests: 1"));
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(p)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 429]);
    expect(counts(ups)).toEqual([1, 1, 1]);
    const refused = answers.find((r) => r.status === 429)!;
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("no_deployment_available");
  });
});

describe("health", () => {
  it("cools a failing deployment after allowed_fails, probes it, doubles the cooldown on a failed probe, and brings it back", async () => {
    let broken = true;
    const ups = await upstreams(chat(), chat(), (req, res) => (broken ? sendJson(res, 500, { error: { message: "boom" } }) : chat()(req, res)));
    // d2 takes nearly all the traffic while it is in the rotation.
    const p = await proxy(groupYaml(ups, "  allowed_fails: 1\n  cooldown_seconds: 1\n", (i) => `, weight: ${i === 2 ? 1000 : 1}`));
    // Two failures (one allowed): each request moves to another deployment and still succeeds.
    await load(p, 2, 1);
    const tripped = Date.now();
    expect(ups[2]!.requests.length).toBe(2);
    let before = counts(ups);
    await load(p, 10, 1);
    expect(Date.now() - tripped).toBeLessThan(1000);
    expect(countsSince(ups, before)[2], "cooling: no requests").toBe(0);
    const metrics = await (await fetch(`${p.url}/metrics`)).text();
    expect(metrics).toContain('yallmp_deployment_cooling{model="m",deployment="d2"} 1');
    expect(metrics).toContain('yallmp_deployment_cooling{model="m",deployment="d0"} 0');
    expect(metrics).toContain('yallmp_deployment_cooldowns{model="m",deployment="d2"} 1');
    expect(metrics).toMatch(/yallmp_deployment_in_flight\{model="m",deployment="d1"\} 0/);
    // After the cooldown one probe goes out; it fails, and the next cooldown is twice as long (2 s).
    await sleep(1050 - (Date.now() - tripped));
    before = counts(ups);
    await load(p, 10, 1);
    const probeFailed = Date.now();
    expect(countsSince(ups, before)[2], "one probe").toBe(1);
    await sleep(1100 - (Date.now() - probeFailed));
    before = counts(ups);
    await load(p, 5, 1);
    expect(Date.now() - probeFailed, "checked within the second cooldown").toBeLessThan(2000);
    expect(countsSince(ups, before)[2], "still cooling").toBe(0);
    broken = false;
    await sleep(2050 - (Date.now() - probeFailed));
    before = counts(ups);
    await load(p, 10, 1);
    expect(countsSince(ups, before)[2], "back in the rotation").toBeGreaterThan(7);
  });

  it("concurrent requests each try every deployment once, then num_retries more, then give up", async () => {
    const failing: Answer = (_req, res) => sendJson(res, 500, { error: { message: "down" } });
    const ups = await upstreams(failing, failing);
    const p = await proxy(groupYaml(ups, "  allowed_fails: 100\n  num_retries: 1\n"));
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(p)));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(500));
    expect(counts(ups).reduce((a, b) => a + b)).toBe(30);
  });

  it("a 429 with Retry-After: 2 keeps a deployment out for 2 s", async () => {
    let limited = true;
    const ups = await upstreams(chat(), chat(), (req, res) => {
      if (!limited) return chat()(req, res);
      limited = false;
      sendJson(res, 429, { error: { message: "slow down", type: "rate_limit_error" } }, { "retry-after": "2" });
    });
    const p = await proxy(groupYaml(ups, "", (i) => `, weight: ${i === 2 ? 1000 : 1}`));
    // The cooldown starts between these two times.
    const before = Date.now();
    await load(p, 1, 1);
    const after = Date.now();
    expect(ups[2]!.requests.length).toBe(1);
    await sleep(1500 - (Date.now() - before));
    await load(p, 5, 1);
    expect(Date.now() - before).toBeLessThan(2000);
    expect(ups[2]!.requests.length, "out before 2 s").toBe(1);
    await sleep(2050 - (Date.now() - after));
    await load(p, 5, 1);
    expect(ups[2]!.requests.length, "back after 2 s").toBeGreaterThan(3);
  });

  it("a group with every deployment cooling answers with the soonest retry time, in the client's format", async () => {
    const limited: Answer = (_req, res) => sendJson(res, 429, { error: { message: "slow down", type: "rate_limit_error" } }, { "retry-after": "3" });
    const ups = await upstreams(limited, limited);
    const p = await proxy(groupYaml(ups, ""));
    const first = await post(p);
    // Both tried, both said 429: the upstream's own answer.
    expect(first.status).toBe(429);
    await first.arrayBuffer();
    expect(counts(ups)).toEqual([1, 1]);
    const chatAnswer = await post(p);
    expect(chatAnswer.status).toBe(429);
    expect(Number(chatAnswer.headers.get("retry-after"))).toBeGreaterThanOrEqual(2);
    expect(Number(chatAnswer.headers.get("retry-after"))).toBeLessThanOrEqual(3);
    expect(await chatAnswer.json()).toMatchObject({ error: { code: "no_deployment_available", type: "rate_limit_error" } });
    const anthropic = await post(p, { max_tokens: 5 }, {}, "/v1/messages");
    expect(anthropic.status).toBe(429);
    expect(anthropic.headers.get("retry-after")).toBeTruthy();
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    expect(counts(ups)).toEqual([1, 1]);
  });
});

describe("access control per deployment", () => {
  it("a key reaches only the deployments it is allowed on, and sees the model when any is its own", async () => {
    const ups = await upstreams(chat(), chat(), chat());
    const entries = ups
      .map(
        (u, i) =>
          `  - model_name: m\n    model_info: { id: d${i} }\n    model_params: { api_base: "${u.url}", api_key: k }\n    access_control: { allowed_keys: [${i === 0 ? "us" : "eu"}] }\n`,
      )
      .join("");
    const p = await proxy(`model_list:\n${entries}  - { model_name: other, model_params: { api_type: mock }, access_control: { allowed_keys: [us] } }
app_keys:
  enabled: true
  keys: [{ key_id: us, secret: s-us }, { key_id: eu, secret: s-eu }, { key_id: none, secret: s-none }]
`);
    const as = (secret: string) => ({ authorization: `Bearer ${secret}` });
    for (let i = 0; i < 10; i++) await (await post(p, {}, as("s-us"))).arrayBuffer();
    expect(counts(ups)).toEqual([10, 0, 0]);
    for (let i = 0; i < 20; i++) await (await post(p, {}, as("s-eu"))).arrayBuffer();
    expect(counts(ups)[0]).toBe(10);
    expect(counts(ups)[1]! + counts(ups)[2]!).toBe(20);
    expect((await post(p, {}, as("s-none"))).status).toBe(403);
    const models = async (secret: string) =>
      ((await (await fetch(`${p.url}/v1/models`, { headers: as(secret) })).json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    expect(await models("s-eu")).toEqual(["m"]);
    expect(await models("s-us")).toEqual(["m", "other"]);
  });
});

describe("the trace", () => {
  it("names the deployment, why it was picked, what was skipped and the cooldown a failure started", async () => {
    const ups = await upstreams(chat(), (_req, res) => sendJson(res, 429, { error: { message: "slow down" } }, { "retry-after": "30" }));
    const p = await startProxy(
      groupYaml(ups, "", (i) => `, weight: ${i === 1 ? 1000 : 1}`),
      { YALLMP_ADMIN_PASSWORD: "adm" },
    );
    cleanup.push(p.close);
    await (await post(p)).arrayBuffer();
    await (await post(p)).arrayBuffer();
    const admin = { authorization: "Bearer adm" };
    let ids: string[] = [];
    for (let i = 0; i < 50 && ids.length < 2; i++) {
      await sleep(100);
      ids = ((await (await fetch(`${p.url}/admin/traces?model=m`, { headers: admin })).json()) as { data: Array<{ id: string }> }).data.map((t) => t.id);
    }
    const details = await Promise.all(
      ids.map(async (id) => (await (await fetch(`${p.url}/admin/traces/${id}`, { headers: admin })).json()) as Record<string, unknown>),
    );
    const attempts = details.map((d) => d.attempts).reverse();
    expect((attempts[0] as Array<Record<string, unknown>>)[1]).not.toHaveProperty("skipped");
    expect(attempts).toEqual([
      [
        expect.objectContaining({ backend: "d1", status: 429, outcome: "retry", reason: "weighted", cooled: "retry_after" }),
        // d1 was tried, not skipped, by this request.
        expect.objectContaining({ backend: "d0", status: 200, outcome: "answered", reason: "weighted" }),
      ],
      [expect.objectContaining({ backend: "d0", outcome: "answered", reason: "weighted", skipped: [{ deployment: "d1", why: "cooling" }] })],
    ]);
    expect(details[0]).toMatchObject({ backend: "d0" });
  });
});

describe("session affinity", () => {
  /** The index of the upstream that got request number `n` (in arrival order over all of them). */
  const servedBy = (ups: Upstream[], before: number[]) => countsSince(ups, before).findIndex((c) => c > 0);

  it("keeps a 10-turn Claude Code conversation on one deployment until it fails, then moves once", async () => {
    const failing = new Set<number>();
    const answer =
      (i: number): Answer =>
      (req, res) =>
        failing.has(i) ? sendJson(res, 500, { error: { message: "down" } }) : chat()(req, res);
    const ups = await upstreams(answer(0), answer(1), answer(2));
    const p = await proxy(groupYaml(ups, "  allowed_fails: 0\n  cooldown_seconds: 30\n"));
    const turn = async () => {
      const before = counts(ups);
      const res = await post(p, { max_tokens: 16 }, { "x-claude-code-session-id": "sess-1" }, "/v1/messages");
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      return countsSince(ups, before);
    };
    const served: number[] = [];
    for (let t = 0; t < 10; t++) served.push((await turn()).findIndex((c) => c > 0));
    expect(new Set(served).size, `turns went to ${served.join(",")}`).toBe(1);
    const home = served[0]!;
    failing.add(home);
    const moved = await turn();
    expect(moved[home]).toBe(1);
    const next = moved.findIndex((c, i) => i !== home && c > 0);
    expect(next).toBeGreaterThanOrEqual(0);
    failing.delete(home);
    const after: number[] = [];
    for (let t = 0; t < 5; t++) after.push((await turn()).findIndex((c) => c > 0));
    expect(after).toEqual([next, next, next, next, next]);
    // Another conversation is not tied to this one's deployment.
    const others = new Set<number>();
    for (let s = 0; s < 12; s++) {
      const before = counts(ups);
      await (await post(p, {}, { "x-claude-code-session-id": `other-${s}` })).arrayBuffer();
      others.add(servedBy(ups, before));
    }
    expect(others.size).toBeGreaterThan(1);
  });

  it("keeps a Responses chain on one deployment", async () => {
    const ups = await upstreams(chat(), chat(), chat());
    const p = await proxy(groupYaml(ups, ""));
    let previous: string | undefined;
    const served: number[] = [];
    for (let t = 0; t < 10; t++) {
      const before = counts(ups);
      const res = await fetch(`${p.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", input: `turn ${t}`, ...(previous ? { previous_response_id: previous } : {}) }),
      });
      const body = (await res.json()) as { id: string };
      expect(res.status, JSON.stringify(body)).toBe(200);
      previous = body.id;
      served.push(servedBy(ups, before));
    }
    expect(new Set(served).size, `turns went to ${served.join(",")}`).toBe(1);
    // The tenth turn carried the whole chain.
    const home = ups[served[0]!]!;
    expect(JSON.stringify(home.requests.at(-1)!.json)).toContain("turn 0");
  });
});

describe("a group of a chat deployment and an Anthropic one", () => {
  it("serves the openai SDK the same from both, streamed and not", async () => {
    const anthropic: Answer = (req, res) => {
      const a = answerOf("messages");
      if (req.json?.stream === true) {
        sseHead(res);
        res.end(a.frames.join(""));
      } else sendJson(res, 200, a.json);
    };
    const ups = await upstreams(chat(), anthropic);
    const p = await proxy(
      groupYaml(
        ups,
        "",
        () => "",
        (i) => (i === 0 ? "openai" : "anthropic"),
      ),
    );
    const openai = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "k", maxRetries: 0 });
    for (let i = 0; i < 12; i++) {
      const res = await openai.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
      expect(res.choices[0]!.message.content).toBe("hello");
      const stream = await openai.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toBe("hello");
    }
    const [toChat, toAnthropic] = counts(ups) as [number, number];
    expect(toChat).toBeGreaterThan(2);
    expect(toAnthropic).toBeGreaterThan(2);
    expect(ups[1]!.requests[0]!.url).toBe("/v1/messages");
    expect(ups[1]!.requests[0]!.json).toMatchObject({ model: "up1", max_tokens: expect.any(Number) });
  });
});

describe("two replicas sharing Redis", () => {
  const REDIS_URL = "redis://127.0.0.1:6379";

  it("share cooldowns and affinity", async () => {
    const run = Math.random().toString(36).slice(2, 8);
    let limited = true;
    const ups = await upstreams(chat(), chat(), (req, res) => {
      if (!limited) return chat()(req, res);
      limited = false;
      sendJson(res, 429, { error: { message: "slow down" } }, { "retry-after": "30" });
    });
    const yaml = groupYaml(ups, "", (i) => `, weight: ${i === 2 ? 1000 : 1}`).replace(/id: d(\d)/g, `id: ${run}-d$1`);
    const [a, b] = [await startProxy(yaml, { REDIS_URL }), await startProxy(yaml, { REDIS_URL })] as [RunningProxy, RunningProxy];
    cleanup.push(a.close, b.close);
    // Replica a hears the 429; replica b keeps the deployment out without ever calling it.
    expect((await post(a)).status).toBe(200);
    expect(ups[2]!.requests.length).toBe(1);
    // The cooldown reaches b through Redis's pub/sub: a moment on a quiet machine, longer on a busy one.
    const cooling = new RegExp(`yallmp_deployment_cooling\\{[^}]*deployment="${run}-d\\d"[^}]*\\} 1`);
    for (let i = 0; i < 100 && !cooling.test(await (await fetch(`${b.url}/metrics`)).text()); i++) await sleep(50);
    for (let i = 0; i < 10; i++) await (await post(b)).arrayBuffer();
    expect(ups[2]!.requests.length).toBe(1);

    // A conversation started on replica a continues on replica b's side on the same deployment.
    const session = `${run}-session`;
    const turn = async (p: RunningProxy) => {
      const before = counts(ups);
      const res = await post(p, {}, { "x-claude-code-session-id": session });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      return countsSince(ups, before).findIndex((c) => c > 0);
    };
    const first = await turn(a);
    const served: number[] = [];
    for (const p of [b, b, a, b, a, b, b, a]) served.push(await turn(p));
    expect(served).toEqual(Array(8).fill(first));
  });
});

describe("Redis unreachable at start", () => {
  it("stops start-up with the reason", async () => {
    const ups = await upstreams(chat(), chat());
    await expect(startProxy(groupYaml(ups, ""), { REDIS_URL: "redis://127.0.0.1:1" })).rejects.toThrow(
      /ECONNREFUSED 127\.0\.0\.1:1|cannot connect to Redis at 127\.0\.0\.1:1/,
    );
  });
});

describe("two replicas on PostgreSQL without Redis", () => {
  it("hear each other's cooldowns over the bus", async () => {
    const db = await createTestDatabase();
    cleanup.push(db.drop);
    let limited = true;
    const ups = await upstreams(chat(), (req, res) => {
      if (!limited) return chat()(req, res);
      limited = false;
      sendJson(res, 429, { error: { message: "slow down" } }, { "retry-after": "30" });
    });
    const yaml = groupYaml(ups, "", (i) => `, weight: ${i === 1 ? 1000 : 1}`);
    const a = await startProxy(yaml, { DATABASE_URL: db.url });
    cleanup.push(a.close);
    const b = await startProxy(yaml, { DATABASE_URL: db.url });
    cleanup.push(b.close);
    expect((await post(a)).status).toBe(200);
    expect(ups[1]!.requests.length).toBe(1);
    await sleep(200);
    for (let i = 0; i < 10; i++) await (await post(b)).arrayBuffer();
    expect(ups[1]!.requests.length).toBe(1);
  });
});
