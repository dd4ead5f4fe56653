// App keys, model access, the per-key concurrency queue, and every bad-input error of /v1/chat/completions.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, chatCompletion, sendJson, sleep, startProxy, startUpstream } from "../lib/harness.js";

let up: Upstream;
let p: RunningProxy;

const env = { DEV_SECRET: "app-secret-dev-123", OPS_SECRET: "app-secret-ops-456" };

beforeAll(async () => {
  up = await startUpstream(async (req, res) => {
    const delay = Number((req.json?.metadata as { delay?: string } | undefined)?.delay ?? 0);
    if (delay) await sleep(delay);
    sendJson(res, 200, chatCompletion("ok"));
  });
  p = await startProxy(
    `
model_list:
  - model_name: open
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-live-upstream }
  - model_name: ops-only
    model_params: { api_type: openai, api_base: ${up.url} }
    access_control: { allowed_keys: [ops] }
  - model_name: mocked
    model_params: { api_type: mock }
proxy_settings:
  server: { body_limit_mb: 0.01 }
app_keys:
  enabled: true
  keys:
    - key_id: dev
      secret: \${DEV_SECRET}
      concurrency_limit: 1
      queue_timeout: 0.3
    - key_id: ops
      secret: $OPS_SECRET
`,
    env,
  );
});

afterAll(async () => {
  await p.close();
  await up.close();
});

function post(body: unknown, headers: Record<string, string> = { authorization: `Bearer ${env.DEV_SECRET}` }): Promise<Response> {
  return fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const messages = [{ role: "user", content: "hi" }];

async function errorOf(res: Response): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
  expect(Object.keys(body)).toEqual(["error"]);
  return body.error;
}

describe("app keys", () => {
  it("accepts a key as Bearer or x-api-key", async () => {
    expect((await post({ model: "open", messages })).status).toBe(200);
    expect((await post({ model: "open", messages }, { "x-api-key": env.OPS_SECRET })).status).toBe(200);
  });

  it("rejects a missing or wrong key with 401 in OpenAI's shape", async () => {
    const missing = await post({ model: "open", messages }, {});
    expect(missing.status).toBe(401);
    expect((await errorOf(missing)).code).toBe("missing_api_key");
    const wrong = await post({ model: "open", messages }, { authorization: "Bearer app-secret-dev-124" });
    expect(wrong.status).toBe(401);
    const err = await errorOf(wrong);
    expect(err).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    expect(err.message).not.toContain("app-secret");
  });

  it("forbids a model the key may not use, and hides it from /v1/models", async () => {
    const res = await post({ model: "ops-only", messages });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("model_not_allowed");
    expect((await post({ model: "ops-only", messages }, { "x-api-key": env.OPS_SECRET })).status).toBe(200);
    const models = (await (await fetch(`${p.url}/v1/models`, { headers: { authorization: `Bearer ${env.DEV_SECRET}` } })).json()) as {
      object: string;
      data: Array<{ id: string; object: string }>;
    };
    expect(models.object).toBe("list");
    expect(models.data.map((m) => m.id).sort()).toEqual(["mocked", "open"]);
    expect((await fetch(`${p.url}/v1/models`)).status).toBe(401);
  });

  it("never logs a key or an upstream secret", async () => {
    await post({ model: "open", messages });
    await post({ model: "open", messages }, { authorization: "Bearer wrong-secret-xyz" });
    const logs = p.logText();
    expect(logs).toContain('"key":"dev"');
    for (const secret of [env.DEV_SECRET, env.OPS_SECRET, "sk-live-upstream", "wrong-secret-xyz"]) expect(logs).not.toContain(secret);
  });
});

describe("concurrency queue", () => {
  it("queues a key's requests over its limit and answers 429 when the queue wait runs out", async () => {
    const slow = (ms: number) => ({ model: "open", messages, metadata: { delay: String(ms) } });
    const started = performance.now();
    const [first, second] = await Promise.all([post(slow(150)), (async () => (await sleep(10), post(slow(0))))()]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    // The second request waited for the first slot to free.
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    const [long, timedOut] = await Promise.all([post(slow(600)), (async () => (await sleep(10), post(slow(0))))()]);
    expect(long.status).toBe(200);
    expect(timedOut.status).toBe(429);
    expect(timedOut.headers.get("retry-after")).toBe("1");
    expect((await errorOf(timedOut)).code).toBe("concurrency_queue_timeout");
  });

  it("does not limit another key", async () => {
    const results = await Promise.all([1, 2, 3].map(() => post({ model: "open", messages, metadata: { delay: "100" } }, { "x-api-key": env.OPS_SECRET })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  });
});

describe("bad input", () => {
  it("malformed JSON → 400", async () => {
    const res = await post('{"model": "open", "messages": [');
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });
  });

  it.each([
    [{ model: "open", messages, temperature: "hot" }, "temperature"],
    [{ model: 42, messages }, "model"],
    [{ model: "open", messages: "hi" }, "messages"],
    [{ model: "open", messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
    [{ model: "open", messages: [{ role: "user", content: 7 }] }, "messages[0].content"],
    [{ model: "open", messages, stream: "yes" }, "stream"],
    [{ model: "open", messages, n: 0 }, "n"],
    [{ messages }, "model"],
    [{ model: "open" }, "messages"],
  ])("a field of the wrong type → 400 naming it (%j)", async (body, param) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.param).toBe(param);
    expect(err.message).toContain(param);
  });

  it("unknown model → 404 model_not_found", async () => {
    const res = await post({ model: "gpt-nope", messages });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: "model_not_found", param: "model" });
  });

  it("body over the limit → 413", async () => {
    const res = await post({ model: "open", messages: [{ role: "user", content: "x".repeat(20_000) }] });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("request_too_large");
  });

  it("unknown path → 404 in OpenAI's shape", async () => {
    const res = await fetch(`${p.url}/v1/nothing-here`, { method: "POST" });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("unknown_url");
  });

  it("accepts and echoes x-request-id, or generates one", async () => {
    const given = await post({ model: "open", messages }, { authorization: `Bearer ${env.DEV_SECRET}`, "x-request-id": "trace-abc-123" });
    expect(given.headers.get("x-request-id")).toBe("trace-abc-123");
    const generated = await post({ model: "open", messages });
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const errored = await post({ model: "nope", messages }, { authorization: `Bearer ${env.DEV_SECRET}`, "x-request-id": "err-1" });
    expect(errored.headers.get("x-request-id")).toBe("err-1");
  });

  it("answers health and root probes at once", async () => {
    expect((await fetch(`${p.url}/health`)).status).toBe(200);
    expect((await fetch(`${p.url}/`, { method: "HEAD" })).status).toBe(200);
    expect(((await (await fetch(`${p.url}/`)).json()) as { status: string }).status).toBe("ok");
  });
});
