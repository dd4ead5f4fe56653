// The usage ledger: a mixed workload (Chat relayed and translated, Responses and Messages translated,
// Messages relayed, streaming and not, three keys, a priced, an overridden and an unpriced model)
// against loopback upstreams that report token counts; the ledger must add up to exactly what they
// reported, per key and model, and cost what the price table says. On SQLite and on PostgreSQL.

import type { ServerResponse } from "node:http";
import { calcPrice } from "@pydantic/genai-prices";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable } from "../../packages/db/src/testing/postgres.js";
import { type RecordedRequest, type RunningProxy, type Upstream, chatChunk, sendJson, sseHead, startProxy, startUpstream } from "../lib/harness.js";
import { DONE, anthropicFrame, chatUsageChunk } from "../lib/scripted.js";

const ADMIN = "usage-admin-pw";
const admin = { authorization: `Bearer ${ADMIN}` };

interface Reported {
  key: string;
  model: string;
  input: number;
  output: number;
  cached: number;
  cacheWrite: number;
}

/** What the upstream said it used, in the order it answered. */
let reported: Array<Omit<Reported, "key" | "model">> = [];
let n = 0;

function chatAnswer(req: RecordedRequest, res: ServerResponse): void {
  n += 1;
  const usage = { input: 20 + n, output: 3 + n, cached: n % 2 === 0 ? 8 : 0, cacheWrite: 0 };
  reported.push(usage);
  const wire = {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cached },
  };
  const model = String(req.json?.model ?? "m");
  if (req.json?.stream) {
    sseHead(res);
    res.write(chatChunk({ role: "assistant", content: "" }, { model }));
    res.write(chatChunk({ content: "hello" }, { model }));
    res.write(chatChunk({}, { model, finish: "stop" }));
    res.end(chatUsageChunk(wire, model) + DONE);
    return;
  }
  sendJson(res, 200, {
    id: "chatcmpl-u",
    object: "chat.completion",
    created: 1,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: "hello", refusal: null }, logprobs: null, finish_reason: "stop" }],
    usage: wire,
  });
}

function anthropicAnswer(req: RecordedRequest, res: ServerResponse): void {
  n += 1;
  const usage = { input: 40 + n, output: 5 + n, cached: 16, cacheWrite: 4 };
  reported.push(usage);
  // Anthropic's input_tokens leave the cache reads and writes out.
  const start = {
    input_tokens: usage.input - usage.cached - usage.cacheWrite,
    cache_read_input_tokens: usage.cached,
    cache_creation_input_tokens: usage.cacheWrite,
  };
  const model = String(req.json?.model ?? "c");
  if (req.json?.stream) {
    sseHead(res);
    res.write(
      anthropicFrame("message_start", {
        message: { id: "msg_u", type: "message", role: "assistant", model, content: [], stop_reason: null, usage: { ...start, output_tokens: 1 } },
      }),
    );
    res.write(anthropicFrame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }));
    res.write(anthropicFrame("content_block_delta", { index: 0, delta: { type: "text_delta", text: "hi" } }));
    res.write(anthropicFrame("content_block_stop", { index: 0 }));
    res.write(anthropicFrame("message_delta", { delta: { stop_reason: "max_tokens", stop_sequence: null }, usage: { output_tokens: usage.output } }));
    res.end(anthropicFrame("message_stop"));
    return;
  }
  sendJson(res, 200, {
    id: "msg_u",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text: "hi" }],
    stop_reason: "max_tokens",
    stop_sequence: null,
    usage: { ...start, output_tokens: usage.output },
  });
}

function responsesAnswer(req: RecordedRequest, res: ServerResponse): void {
  n += 1;
  const usage = { input: 60 + n, output: 7 + n, cached: 32, cacheWrite: 0 };
  reported.push(usage);
  const base = {
    id: "resp_u",
    object: "response",
    created_at: 1,
    model: String(req.json?.model ?? "r"),
    error: null,
    incomplete_details: null,
    tools: [],
    metadata: {},
  };
  const item = { id: "msg_u", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "hey", annotations: [] }] };
  const final = {
    ...base,
    status: "completed",
    output: [item],
    usage: {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: usage.cached },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: usage.input + usage.output,
    },
  };
  if (!req.json?.stream) return sendJson(res, 200, final);
  const events: Array<Record<string, unknown>> = [
    { type: "response.created", response: { ...base, status: "in_progress", output: [], usage: null } },
    { type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress", content: [] } },
    { type: "response.content_part.added", item_id: "msg_u", output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } },
    { type: "response.output_text.delta", item_id: "msg_u", output_index: 0, content_index: 0, delta: "hey" },
    { type: "response.output_text.done", item_id: "msg_u", output_index: 0, content_index: 0, text: "hey" },
    { type: "response.content_part.done", item_id: "msg_u", output_index: 0, content_index: 0, part: item.content[0] },
    { type: "response.output_item.done", output_index: 0, item },
    { type: "response.completed", response: final },
  ];
  sseHead(res);
  res.end(events.map((e, i) => `event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`).join(""));
}

const CLAUDE_PRICE = { input: 3, output: 15, cached_input: 0.3, cache_write: 3.75 };

function yamlFor(up: Upstream): string {
  return `
model_list:
  - model_name: gpt
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: gpt-4o-mini }
  - model_name: claude
    model_params:
      api_type: anthropic
      api_base: ${up.url}
      api_key: sk-ant
      model: claude-sonnet-4-5
      pricing: { input: ${CLAUDE_PRICE.input}, output: ${CLAUDE_PRICE.output}, cached_input: ${CLAUDE_PRICE.cached_input}, cache_write: ${CLAUDE_PRICE.cache_write} }
  - model_name: resp
    model_params: { api_type: openai-responses, api_base: ${up.url}, api_key: sk-up, model: gpt-4o-mini }
  - model_name: local
    model_params: { api_type: openai, api_base: ${up.url}, model: house-model-without-a-price }
proxy_settings:
  usage: { flush_interval_ms: 50 }
app_keys:
  enabled: true
  keys:
    - { key_id: alice, secret: sk-alice }
    - { key_id: bob, secret: sk-bob }
    - { key_id: carol, secret: sk-carol }
`;
}

type Call = { key: string; model: string; path: string; body: Record<string, unknown> };

function workload(): Call[] {
  const chat = (key: string, model: string, stream: boolean): Call => ({
    key,
    model,
    path: "/v1/chat/completions",
    body: { model, stream, ...(stream ? { stream_options: { include_usage: true } } : {}), messages: [{ role: "user", content: "hi" }] },
  });
  const responses = (key: string, model: string, stream: boolean): Call => ({ key, model, path: "/v1/responses", body: { model, stream, input: "hi" } });
  const messages = (key: string, model: string, stream: boolean): Call => ({
    key,
    model,
    path: "/v1/messages",
    body: { model, stream, max_tokens: 64, messages: [{ role: "user", content: "hi" }] },
  });
  return [
    chat("alice", "gpt", false),
    chat("alice", "gpt", true),
    responses("alice", "gpt", false),
    responses("alice", "gpt", true),
    messages("bob", "gpt", false),
    messages("bob", "gpt", true),
    messages("bob", "claude", false),
    messages("bob", "claude", true),
    chat("carol", "claude", true),
    responses("carol", "claude", false),
    chat("carol", "local", false),
    chat("carol", "local", true),
    messages("alice", "local", true),
    responses("alice", "resp", false),
    responses("alice", "resp", true),
    chat("bob", "resp", true),
    messages("carol", "resp", false),
  ];
}

function costOf(model: string, r: Reported): number | undefined {
  if (model === "local") return undefined;
  const upstreamModel = model === "resp" ? "gpt-4o-mini" : model;
  if (model === "claude") {
    const uncached = r.input - r.cached - r.cacheWrite;
    return (
      (uncached * CLAUDE_PRICE.input + r.cached * CLAUDE_PRICE.cached_input + r.cacheWrite * CLAUDE_PRICE.cache_write + r.output * CLAUDE_PRICE.output) / 1e6
    );
  }
  const price = calcPrice(
    { input_tokens: r.input, output_tokens: r.output, cache_read_tokens: r.cached, cache_write_tokens: r.cacheWrite },
    upstreamModel === "gpt" ? "gpt-4o-mini" : upstreamModel,
  );
  if (!price) throw new Error("the price table has no gpt-4o-mini");
  return price.total_price;
}

interface UsageRowSeen {
  key?: string | null;
  model?: string;
  backend?: string | null;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  unpriced_requests: number;
  stop_reasons: Record<string, number>;
}

async function runWorkload(p: RunningProxy): Promise<Reported[]> {
  reported = [];
  const done: Reported[] = [];
  for (const call of workload()) {
    const res = await fetch(`${p.url}${call.path}`, {
      method: "POST",
      headers: { authorization: `Bearer sk-${call.key}`, "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify(call.body),
    });
    const text = await res.text();
    expect(res.status, `${call.path} ${call.model}: ${text}`).toBe(200);
    const r = reported[reported.length - 1]!;
    expect(reported.length).toBe(done.length + 1);
    done.push({ key: call.key, model: call.model, ...r });
  }
  return done;
}

function sums(
  rows: Reported[],
  by: (r: Reported) => string,
): Map<string, { requests: number; input: number; output: number; cached: number; cacheWrite: number }> {
  const out = new Map<string, { requests: number; input: number; output: number; cached: number; cacheWrite: number }>();
  for (const r of rows) {
    const id = by(r);
    const s = out.get(id) ?? { requests: 0, input: 0, output: 0, cached: 0, cacheWrite: 0 };
    s.requests += 1;
    s.input += r.input;
    s.output += r.output;
    s.cached += r.cached;
    s.cacheWrite += r.cacheWrite;
    out.set(id, s);
  }
  return out;
}

async function adminUsage(p: RunningProxy, query: string): Promise<UsageRowSeen[]> {
  const res = await fetch(`${p.url}/admin/usage?${query}`, { headers: admin });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: UsageRowSeen[] }).data;
}

function ledgerSuite(name: string, databaseUrl: () => Promise<{ url: string | undefined; drop(): Promise<void> }>): void {
  describe(`the usage ledger on ${name}`, () => {
    let up: Upstream;
    let p: RunningProxy;
    let done: Reported[];
    let drop: () => Promise<void> = async () => {};

    beforeAll(async () => {
      n = 0;
      up = await startUpstream((req, res) =>
        req.url.endsWith("/messages") ? anthropicAnswer(req, res) : req.url.endsWith("/responses") ? responsesAnswer(req, res) : chatAnswer(req, res),
      );
      const db = await databaseUrl();
      drop = db.drop;
      p = await startProxy(yamlFor(up), { YALLMP_ADMIN_PASSWORD: ADMIN, ...(db.url ? { DATABASE_URL: db.url } : {}) });
      done = await runWorkload(p);
    }, 60_000);

    afterAll(async () => {
      await p?.close();
      await up?.close();
      await drop();
    });

    it("adds up to exactly the tokens the upstreams reported, per key and model", async () => {
      const rows = await adminUsage(p, "group_by=key,model&granularity=day");
      const expected = sums(done, (r) => `${r.key}/${r.model}`);
      const seen = new Map(rows.map((r) => [`${r.key}/${r.model}`, r]));
      expect([...seen.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [id, e] of expected) {
        const row = seen.get(id)!;
        expect({
          id,
          requests: row.requests,
          input: row.input_tokens,
          output: row.output_tokens,
          cached: row.cached_tokens,
          cacheWrite: row.cache_write_tokens,
        }).toEqual({
          id,
          ...e,
        });
        expect(row.errors).toBe(0);
      }
    });

    it("costs what the price table and the model's own pricing say; an unpriced model is marked, not free", async () => {
      const rows = await adminUsage(p, "group_by=model");
      for (const model of ["gpt", "claude", "resp"]) {
        const want = done.filter((r) => r.model === model).reduce((s, r) => s + costOf(model, r)!, 0);
        const row = rows.find((r) => r.model === model)!;
        expect(row.cost_usd).toBeCloseTo(want, 9);
        expect(row.cost_usd).toBeGreaterThan(0);
        expect(row.unpriced_requests).toBe(0);
      }
      const local = rows.find((r) => r.model === "local")!;
      expect(local.unpriced_requests).toBe(done.filter((r) => r.model === "local").length);
      expect(local.cost_usd).toBe(0);
      expect(local.input_tokens).toBeGreaterThan(0);
    });

    it("records how answers ended, and serves the report as CSV", async () => {
      const rows = await adminUsage(p, "group_by=model");
      expect(rows.find((r) => r.model === "claude")!.stop_reasons).toEqual({ length: done.filter((r) => r.model === "claude").length });
      expect(rows.find((r) => r.model === "gpt")!.stop_reasons).toEqual({ stop: done.filter((r) => r.model === "gpt").length });
      expect(rows.find((r) => r.model === "resp")!.stop_reasons).toEqual({ stop: done.filter((r) => r.model === "resp").length });
      const res = await fetch(`${p.url}/admin/usage?group_by=key&format=csv`, { headers: admin });
      expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
      const lines = (await res.text()).trim().split("\r\n");
      expect(lines[0]).toMatch(/^period,key,requests,errors,input_tokens,output_tokens/);
      const alice = lines.find((l) => l.split(",")[1] === "alice")!.split(",");
      expect(Number(alice[2])).toBe(done.filter((r) => r.key === "alice").length);
      expect(Number(alice[4])).toBe(done.filter((r) => r.key === "alice").reduce((s, r) => s + r.input, 0));
    });

    it("lets a key owner read their own usage and nobody else's", async () => {
      const res = await fetch(`${p.url}/v1/usage?group_by=model,key`, { headers: { authorization: "Bearer sk-bob" } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: UsageRowSeen[] };
      const bob = done.filter((r) => r.key === "bob");
      expect(body.data.reduce((s, r) => s + r.requests, 0)).toBe(bob.length);
      expect(body.data.reduce((s, r) => s + r.output_tokens, 0)).toBe(bob.reduce((s, r) => s + r.output, 0));
      expect(body.data.every((r) => r.key === undefined)).toBe(true);
      expect((await fetch(`${p.url}/v1/usage`)).status).toBe(401);
      const bad = await fetch(`${p.url}/admin/usage?granularity=week`, { headers: admin });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { param: string } }).error.param).toBe("granularity");
    });
  });
}

ledgerSuite("SQLite", async () => ({ url: undefined, drop: async () => {} }));

const pgMissing = await postgresAvailable();
if (!pgMissing) ledgerSuite("PostgreSQL", () => createTestDatabase());
