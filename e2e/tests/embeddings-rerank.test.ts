// `/v1/embeddings` and `/v1/rerank` through the proxy: the openai SDK (float and base64 encodings,
// batch input), rerank by fetch, fallback after a 500, the mock backend, access control, bad input
// in OpenAI's error shape, and usage counted in the ledger.

import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";

const ADMIN = "emb-admin-pw";
let up: Upstream;
let broken: Upstream;
let p: RunningProxy;

/** The vector the loopback upstream gives a text: its char codes, scaled. */
function vectorOf(text: string): number[] {
  return [...text.slice(0, 4).padEnd(4, " ")].map((c) => c.charCodeAt(0) / 128);
}

beforeAll(async () => {
  up = await startUpstream((req, res) => {
    const body = req.json ?? {};
    if (req.url === "/v1/embeddings") {
      const inputs = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
      const data = inputs.map((text, index) => {
        const v = vectorOf(text);
        const embedding = body.encoding_format === "base64" ? Buffer.from(new Float32Array(v).buffer).toString("base64") : v;
        return { object: "embedding", index, embedding };
      });
      const tokens = inputs.reduce((n, t) => n + t.split(" ").length, 0);
      return sendJson(res, 200, { object: "list", data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
    }
    if (req.url === "/v1/rerank") {
      const docs = body.documents as string[];
      const results = docs.map((d, index) => ({ index, relevance_score: d.includes(String(body.query)) ? 0.9 : 0.1, document: { text: d } }));
      results.sort((a, b) => b.relevance_score - a.relevance_score);
      return sendJson(res, 200, { id: "rerank-up", model: body.model, usage: { total_tokens: 17 }, results });
    }
    sendJson(res, 404, { error: { message: "no such path", type: "invalid_request_error" } });
  });
  broken = await startUpstream((_req, res) => sendJson(res, 500, { error: { message: "embedder down", type: "server_error" } }));
  p = await startProxy(
    `
model_list:
  - model_name: emb
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: text-emb-up }
    access_control: { allowed_keys: [alice] }
  - model_name: emb-broken
    model_params: { api_type: openai, api_base: ${broken.url}, api_key: sk-broken }
  - model_name: rr
    model_params: { api_type: openai, api_base: ${up.url}, model: rerank-up }
  - model_name: mock-emb
    model_params: { api_type: mock }
  - model_name: claude
    model_params: { api_type: anthropic, api_base: ${up.url}, api_key: sk-ant }
router_settings:
  num_retries: 0
  fallbacks:
    - emb-broken: [emb]
proxy_settings:
  usage: { flush_interval_ms: 50 }
app_keys:
  enabled: true
  keys:
    - { key_id: alice, secret: sk-alice }
    - { key_id: bob, secret: sk-bob }
`,
    { YALLMP_ADMIN_PASSWORD: ADMIN },
  );
});

afterAll(async () => {
  await p?.close();
  await up?.close();
  await broken?.close();
});

const client = (key = "sk-alice") => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: key, maxRetries: 0 });

function post(path: string, body: unknown, key: string | null = "sk-alice"): Promise<Response> {
  return fetch(`${p.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
}

async function errorOf(res: Response): Promise<{ message: string; type: string; code: string | null; param: string | null }> {
  const body = (await res.json()) as { error: { message: string; type: string; code: string | null; param: string | null } };
  expect(Object.keys(body)).toEqual(["error"]);
  return body.error;
}

describe("embeddings through the openai SDK", () => {
  it("returns float vectors for a batch, with the upstream's model name and key", async () => {
    const before = up.requests.length;
    const out = await client().embeddings.create({ model: "emb", input: ["alpha", "beta", "gamma"], encoding_format: "float" });
    expect(out.data.map((d) => d.index)).toEqual([0, 1, 2]);
    for (const [i, text] of ["alpha", "beta", "gamma"].entries()) {
      for (const [j, x] of vectorOf(text).entries()) expect(out.data[i]!.embedding[j]).toBeCloseTo(x, 6);
    }
    expect(out.usage.prompt_tokens).toBe(3);
    const sent = up.requests[before]!;
    expect(sent.json).toMatchObject({ model: "text-emb-up", input: ["alpha", "beta", "gamma"], encoding_format: "float" });
    expect(sent.headers.authorization).toBe("Bearer sk-up");
  });

  it("relays base64 vectors, which the SDK decodes (its default encoding)", async () => {
    const before = up.requests.length;
    const out = await client().embeddings.create({ model: "emb", input: "delta" });
    expect(up.requests[before]!.json?.encoding_format).toBe("base64");
    const want = vectorOf("delta");
    expect(out.data[0]!.embedding).toHaveLength(want.length);
    for (const [j, x] of want.entries()) expect(out.data[0]!.embedding[j]).toBeCloseTo(x, 6);
  });

  it("falls back to the next backend when the first answers 500", async () => {
    const before = broken.requests.length;
    const out = await client().embeddings.create({ model: "emb-broken", input: "omega", encoding_format: "float" });
    expect(broken.requests.length).toBe(before + 1);
    expect(out.data[0]!.embedding[0]).toBeCloseTo(vectorOf("omega")[0]!, 6);
  });

  it("is answered deterministically by the mock backend", async () => {
    const a = await client().embeddings.create({ model: "mock-emb", input: ["same text", "other"] });
    const b = await client().embeddings.create({ model: "mock-emb", input: ["same text"], encoding_format: "float" });
    expect(a.data[0]!.embedding).toHaveLength(8);
    expect(Math.hypot(...a.data[0]!.embedding)).toBeCloseTo(1, 5);
    for (const [j, x] of b.data[0]!.embedding.entries()) expect(a.data[0]!.embedding[j]).toBeCloseTo(x, 6);
    expect(a.data[1]!.embedding).not.toEqual(a.data[0]!.embedding);
    const small = await client().embeddings.create({ model: "mock-emb", input: "x", dimensions: 3 });
    expect(small.data[0]!.embedding).toHaveLength(3);
  });
});

describe("rerank", () => {
  it("relays the Cohere/Jina/vLLM shape to the upstream and back", async () => {
    const before = up.requests.length;
    const res = await post("/v1/rerank", { model: "rr", query: "cats", documents: ["dogs bark", "cats purr", "fish swim"], top_n: 2 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: Array<{ index: number; relevance_score: number; document: { text: string } }> };
    expect(body.results[0]).toEqual({ index: 1, relevance_score: 0.9, document: { text: "cats purr" } });
    expect(up.requests[before]!.json).toEqual({ model: "rerank-up", query: "cats", documents: ["dogs bark", "cats purr", "fish swim"], top_n: 2 });
  });

  it("is answered deterministically by the mock backend, best match first", async () => {
    const ask = () => post("/v1/rerank", { model: "mock-emb", query: "red apple", documents: ["a blue car", "red apple pie", "an apple"], top_n: 2 });
    const first = (await (await ask()).json()) as { results: Array<{ index: number; relevance_score: number; document?: { text: string } }> };
    const second = (await (await ask()).json()) as typeof first;
    expect(first.results.map((r) => r.index)).toEqual([1, 2]);
    expect(first.results[0]!.document).toEqual({ text: "red apple pie" });
    expect(first.results.map((r) => r.relevance_score)).toEqual(second.results.map((r) => r.relevance_score));
  });
});

describe("the shipped config", () => {
  it("serves mock-embed and mock-rerank with no API keys", async () => {
    const shipped = readFileSync(new URL("../../configs/config.yaml", import.meta.url), "utf8");
    const proxy = await startProxy(shipped);
    try {
      const sdk = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: "none", maxRetries: 0 });
      const out = await sdk.embeddings.create({ model: "mock-embed", input: ["a", "b"] });
      expect(out.data.map((d) => d.embedding.length)).toEqual([8, 8]);
      const res = await fetch(`${proxy.url}/v1/rerank`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "mock-rerank", query: "red apple", documents: ["a blue car", "red apple pie"], top_n: 1 }),
      });
      expect(((await res.json()) as { results: Array<{ index: number }> }).results.map((r) => r.index)).toEqual([1]);
    } finally {
      await proxy.close();
    }
  });
});

describe("refusals", () => {
  it("checks keys and model access", async () => {
    const none = await post("/v1/embeddings", { model: "emb", input: "x" }, null);
    expect(none.status).toBe(401);
    const bob = await post("/v1/embeddings", { model: "emb", input: "x" }, "sk-bob");
    expect(bob.status).toBe(403);
    expect((await errorOf(bob)).code).toBe("model_not_allowed");
    const unknown = await post("/v1/rerank", { model: "nope", query: "q", documents: ["d"] });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe("model_not_found");
  });

  it("answers bad input with a 400 in OpenAI's shape before any upstream call", async () => {
    const before = up.requests.length;
    for (const [path, body] of [
      ["/v1/embeddings", { model: "emb" }],
      ["/v1/embeddings", { model: "emb", input: [] }],
      ["/v1/embeddings", { model: "emb", input: "x", encoding_format: "int8" }],
      ["/v1/rerank", { model: "rr", query: "q", documents: [] }],
      ["/v1/rerank", { model: "rr", query: "q", documents: ["d"], top_n: 0 }],
    ] as const) {
      const res = await post(path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await errorOf(res)).type).toBe("invalid_request_error");
    }
    const notJson = await fetch(`${p.url}/v1/embeddings`, { method: "POST", headers: { authorization: "Bearer sk-alice" }, body: "{oops" });
    expect(notJson.status).toBe(400);
    expect(up.requests.length).toBe(before);
  });

  it("refuses a backend that does not speak OpenAI's embeddings", async () => {
    const res = await post("/v1/embeddings", { model: "claude", input: "x" });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("unsupported_endpoint");
  });

  it("passes an upstream's own refusal on unchanged", async () => {
    const res = await post("/v1/embeddings", { model: "emb-broken", input: "x" }, "sk-bob");
    // bob may use emb-broken but not its fallback: the first backend's 500 is the answer.
    expect(res.status).toBe(500);
    expect((await errorOf(res)).message).toBe("embedder down");
  });
});

describe("usage", () => {
  it("counts embeddings input tokens and rerank tokens in the ledger", async () => {
    await client().embeddings.create({ model: "emb", input: ["one two", "three"], encoding_format: "float" });
    await post("/v1/rerank", { model: "rr", query: "cats", documents: ["cats"] });
    let rows: Array<{ key: string; model: string; input_tokens: number; requests: number }> = [];
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${p.url}/admin/usage?group_by=key,model&granularity=day`, { headers: { authorization: `Bearer ${ADMIN}` } });
      rows = ((await res.json()) as { data: typeof rows }).data;
      if (rows.find((r) => r.key === "alice" && r.model === "rr")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const emb = rows.find((r) => r.key === "alice" && r.model === "emb")!;
    const rr = rows.find((r) => r.key === "alice" && r.model === "rr")!;
    // The calls above that asked for `emb`: 3 + 1 + 3 input tokens; the one served by emb-broken's fallback counts there.
    expect(emb.input_tokens).toBe(3 + 1 + 3);
    expect(rows.find((r) => r.key === "alice" && r.model === "emb-broken")!.input_tokens).toBe(1);
    expect(rr.input_tokens).toBe(17 * rr.requests);
  });
});
