// /v1/chat/completions against real loopback upstreams: pass-through, routing, retries, fallbacks,
// timeouts, client disconnects and mid-stream failures.

import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, chatChunk, chatCompletion, sendJson, sleep, sseHead, startProxy, startUpstream } from "../lib/harness.js";

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function upstream(handler: Parameters<typeof startUpstream>[0]): Promise<Upstream> {
  const u = await startUpstream(handler);
  cleanup.push(u.close);
  return u;
}

async function proxy(yaml: string, env: Record<string, string> = {}): Promise<RunningProxy> {
  const p = await startProxy(yaml, env);
  cleanup.push(p.close);
  return p;
}

function post(p: RunningProxy, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

const userMsg = [{ role: "user", content: "hi" }];

describe("pass-through to an OpenAI-compatible backend", () => {
  it("rewrites the model, applies parameter overrides, sends the key, and relays the body", async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, chatCompletion("hello back")));
    const p = await proxy(`
model_list:
  - model_name: gpt-test
    model_params:
      api_type: openai
      api_base: ${up.url}
      api_key: sk-upstream-secret
      model: real-model
      parameters:
        temperature: { default: 0.2, allow_override: false }
        top_p: { default: 0.9, allow_override: true }
        stream_options.include_usage: { default: true, allow_override: false }
`);
    const res = await post(p, { model: "openai/gpt-test", messages: userMsg, temperature: 1.5, top_p: 0.5, custom_field: { keep: true } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(chatCompletion("hello back"));
    const sent = up.requests[0]!;
    expect(sent.url).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe("Bearer sk-upstream-secret");
    expect(sent.json).toMatchObject({
      model: "real-model",
      temperature: 0.2,
      top_p: 0.5,
      custom_field: { keep: true },
      stream_options: { include_usage: true },
    });
    expect(p.logText()).not.toContain("sk-upstream-secret");
    const line = p.logs().find((l) => l.msg === "request")!;
    expect(line).toMatchObject({ model: "gpt-test", backend: "gpt-test", status: 200, promptTokens: 5, completionTokens: 2 });
    expect(typeof line.latencyMs).toBe("number");
  });

  it("streams the upstream's bytes through unchanged", async () => {
    const frames = [
      chatChunk({ role: "assistant", content: "" }),
      chatChunk({ content: "Hel" }),
      ": keep-alive comment\n\n",
      chatChunk({ content: "lo ✓" }),
      chatChunk({}, { finish: "stop" }),
      `data: ${JSON.stringify({ id: "chatcmpl-up", object: "chat.completion.chunk", created: 1, model: "up-model", choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } })}\n\n`,
      "data: [DONE]\n\n",
    ];
    const up = await upstream(async (_req, res) => {
      sseHead(res);
      for (const f of frames) {
        res.write(f);
        await sleep(5);
      }
      res.end();
    });
    const p = await proxy(`
model_list:
  - model_name: m
    model_params: { api_type: openai, api_base: ${up.url}, api_key: k }
`);
    const res = await post(p, { model: "m", messages: userMsg, stream: true });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(await res.text()).toBe(frames.join(""));
    await sleep(20);
    expect(p.logs().find((l) => l.msg === "request")).toMatchObject({ status: 200, stream: true, totalTokens: 7 });
  });

  it("keeps an upstream 4xx as sent and does not retry it", async () => {
    const body = {
      error: { message: "Unsupported parameter: 'max_tokens'", type: "invalid_request_error", param: "max_tokens", code: "unsupported_parameter" },
    };
    const up = await upstream((_req, res) => sendJson(res, 400, body));
    const p = await proxy(`
model_list:
  - model_name: m
    model_params: { api_type: openai, api_base: ${up.url} }
router_settings: { num_retries: 3, retry_base_delay_ms: 1 }
`);
    const res = await post(p, { model: "m", messages: userMsg });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(body);
    expect(up.requests).toHaveLength(1);
  });
});

describe("retries and fallbacks", () => {
  it("retries the route, then falls back in order, before anything reaches the client", async () => {
    const order: string[] = [];
    const a = await upstream((_req, res) => {
      order.push("a");
      sendJson(res, 503, { error: { message: "overloaded", type: "server_error" } });
    });
    const b = await upstream((_req, res) => {
      order.push("b");
      sendJson(res, 429, { error: { message: "slow down", type: "rate_limit_error" } });
    });
    const c = await upstream((_req, res) => {
      order.push("c");
      sendJson(res, 200, chatCompletion("from c"));
    });
    const p = await proxy(`
model_list:
  - { model_name: a, model_params: { api_type: openai, api_base: ${a.url} } }
  - { model_name: b, model_params: { api_type: openai, api_base: ${b.url} } }
  - { model_name: c, model_params: { api_type: openai, api_base: ${c.url}, model: c-upstream } }
router_settings:
  num_retries: 1
  retry_base_delay_ms: 5
  fallbacks:
    - a: [b, c]
`);
    const res = await post(p, { model: "a", messages: userMsg });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe("from c");
    expect(order).toEqual(["a", "a", "b", "b", "c"]);
    expect(c.requests[0]!.json!.model).toBe("c-upstream");
  });

  it("returns the last upstream error when every route fails", async () => {
    const a = await upstream((_req, res) => sendJson(res, 500, { error: { message: "boom", type: "server_error", code: "internal" } }));
    const p = await proxy(`
model_list:
  - { model_name: a, model_params: { api_type: openai, api_base: ${a.url} } }
router_settings: { num_retries: 2, retry_base_delay_ms: 1 }
`);
    const res = await post(p, { model: "a", messages: userMsg });
    expect(res.status).toBe(500);
    // The retries ran out on an upstream of the client's own format: its body goes out as it came.
    expect(await res.json()).toEqual({ error: { message: "boom", type: "server_error", code: "internal" } });
    expect(a.requests).toHaveLength(3);
  });

  it("honours Retry-After between attempts", async () => {
    const up = await upstream((_req, res, i) => {
      if (i === 0) return sendJson(res, 429, { error: { message: "later", type: "rate_limit_error" } }, { "retry-after": "0.4" });
      sendJson(res, 200, chatCompletion("ok"));
    });
    const p = await proxy(`
model_list:
  - { model_name: m, model_params: { api_type: openai, api_base: ${up.url} } }
router_settings: { num_retries: 1, retry_base_delay_ms: 1 }
`);
    const res = await post(p, { model: "m", messages: userMsg });
    expect(res.status).toBe(200);
    const gap = up.requests[1]!.receivedAt - up.requests[0]!.receivedAt;
    expect(gap).toBeGreaterThanOrEqual(390);
    expect(gap).toBeLessThan(1500);
  });

  it("retries connect errors and answers 502 when the upstream is unreachable", async () => {
    const dead = await upstream(() => undefined);
    const deadUrl = dead.url;
    await dead.close();
    cleanup = cleanup.filter((c) => c !== dead.close);
    const p = await proxy(`
model_list:
  - { model_name: m, model_params: { api_type: openai, api_base: ${deadUrl}, api_key: sk-dead-key } }
router_settings: { num_retries: 1, retry_base_delay_ms: 1 }
`);
    const res = await post(p, { model: "m", messages: userMsg });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("upstream_unreachable");
    expect(JSON.stringify(body)).not.toContain("sk-dead-key");
    expect(p.logs().find((l) => l.msg === "request")).toMatchObject({ attempts: 2, status: 502 });
  });

  it("answers 504 when the upstream exceeds request_timeout, after retrying", async () => {
    const up = await upstream(async (_req, res) => {
      await sleep(1500);
      if (!res.destroyed) sendJson(res, 200, chatCompletion("too late"));
    });
    const p = await proxy(`
model_list:
  - { model_name: m, model_params: { api_type: openai, api_base: ${up.url}, request_timeout: 0.2 } }
router_settings: { num_retries: 1, retry_base_delay_ms: 1 }
`);
    const started = performance.now();
    const res = await post(p, { model: "m", messages: userMsg });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("upstream_timeout");
    expect(up.requests).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(1400);
  });

  it("never retries once the stream has started: the client gets an error chunk and the stream ends", async () => {
    const up = await upstream(async (_req, res) => {
      sseHead(res);
      res.write(chatChunk({ role: "assistant", content: "" }));
      res.write(chatChunk({ content: "partial" }));
      await sleep(20);
      res.socket?.destroy();
    });
    const p = await proxy(`
model_list:
  - { model_name: m, model_params: { api_type: openai, api_base: ${up.url} } }
router_settings: { num_retries: 3, retry_base_delay_ms: 1 }
`);
    const res = await post(p, { model: "m", messages: userMsg, stream: true });
    const text = await res.text();
    expect(text).toContain('"content":"partial"');
    const last = text.trim().split("\n\n").at(-1)!;
    expect(JSON.parse(last.slice("data: ".length))).toMatchObject({ error: { type: "server_error", code: "upstream_stream_error" } });
    expect(up.requests).toHaveLength(1);
  });
});

describe("client disconnects", () => {
  it("aborts the upstream request within 100 ms of the client leaving", async () => {
    const up = await upstream(async (_req, res) => {
      sseHead(res);
      res.write(chatChunk({ role: "assistant", content: "" }));
      for (let i = 0; i < 200 && !res.destroyed; i++) {
        res.write(chatChunk({ content: `w${i} ` }));
        await sleep(20);
      }
      res.end();
    });
    const p = await proxy(`
model_list:
  - { model_name: m, model_params: { api_type: openai, api_base: ${up.url} } }
`);
    const controller = new AbortController();
    const res = await post(p, { model: "m", messages: userMsg, stream: true }, {}, controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    await sleep(50);
    const abortedAt = performance.now();
    controller.abort();
    for (let i = 0; i < 50 && up.requests[0]!.closedAt === undefined; i++) await sleep(5);
    const closedAt = up.requests[0]!.closedAt;
    expect(closedAt).toBeDefined();
    expect(closedAt! - abortedAt).toBeLessThan(100);
  });

  it("aborts a non-streaming upstream request that is still waiting for headers", async () => {
    const up = await upstream(async (_req, res) => {
      await sleep(3000);
      if (!res.destroyed) sendJson(res, 200, chatCompletion("late"));
    });
    const p = await proxy(`
model_list:
  - { model_name: m, model_params: { api_type: openai, api_base: ${up.url} } }
`);
    const controller = new AbortController();
    const pending = post(p, { model: "m", messages: userMsg }, {}, controller.signal).catch(() => undefined);
    for (let i = 0; i < 100 && up.requests.length === 0; i++) await sleep(5);
    const abortedAt = performance.now();
    controller.abort();
    await pending;
    for (let i = 0; i < 50 && up.requests[0]!.closedAt === undefined; i++) await sleep(5);
    expect(up.requests[0]!.closedAt! - abortedAt).toBeLessThan(100);
  });
});
