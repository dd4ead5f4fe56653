// Durable response state: chains survive SIGKILL and restarts, replicas on one PostgreSQL share
// them, TTL expiry, owner isolation, background mode, and chains that alternate backend kinds.

import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable } from "../../packages/db/src/testing/postgres.js";
import {
  type ProxyProcess,
  type RunningProxy,
  type Upstream,
  chatChunk,
  chatCompletion,
  sendJson,
  sleep,
  spawnProxy,
  sseHead,
  startProxy,
  startUpstream,
} from "../lib/harness.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A chat upstream that streams "answer N" for its Nth request and records what it was sent. */
async function countingChatUpstream(delayMs = 0): Promise<Upstream> {
  return startUpstream(async (req, res, i) => {
    if (delayMs) await sleep(delayMs);
    if (res.destroyed) return;
    if (req.json?.stream) {
      sseHead(res);
      res.write(chatChunk({ role: "assistant", content: "" }));
      res.write(chatChunk({ content: `answer ${i + 1}` }));
      res.write(chatChunk({}, { finish: "stop" }));
      res.write(
        `data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } })}\n\n`,
      );
      res.end("data: [DONE]\n\n");
    } else {
      sendJson(res, 200, chatCompletion(`answer ${i + 1}`));
    }
  });
}

/** The user/assistant texts of a chat request, in order. */
function transcript(body: Record<string, unknown> | undefined): string[] {
  const messages = (body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  return messages.map(
    (m) =>
      `${m.role}:${typeof m.content === "string" ? m.content : Array.isArray(m.content) ? (m.content as Array<{ text?: string }>).map((p) => p.text ?? "").join("") : ""}`,
  );
}

const chatModelYaml = (url: string, extra = "") => `
model_list:
  - model_name: chat-m
    model_params: { api_type: openai, api_base: ${url}, model: up-chat }
${extra}`;

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});

describe("a chain survives the proxy being killed", () => {
  it("SIGKILL right after response.completed reached the client, restart, continue", async () => {
    const up = await countingChatUpstream();
    cleanups.push(up.close);
    const dbUrl = `file:${join(mkdtempSync(join(tmpdir(), "yallmp-kill-")), "state.db")}`;
    const yaml = chatModelYaml(up.url);
    let proxy: ProxyProcess = await spawnProxy(yaml, { DATABASE_URL: dbUrl });
    cleanups.push(() => proxy.kill("SIGKILL"));

    const res = await fetch(`${proxy.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "chat-m", input: "first question", stream: true }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let responseId: string | undefined;
    while (!responseId) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const m = /event: response\.completed\ndata: (.*)\n/.exec(text);
      if (m) responseId = (JSON.parse(m[1]!) as { response: { id: string } }).response.id;
    }
    expect(responseId).toMatch(/^resp_/);
    await proxy.kill("SIGKILL");

    proxy = await spawnProxy(yaml, { DATABASE_URL: dbUrl });
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: "x", maxRetries: 0 });
    const second = await client.responses.create({ model: "chat-m", input: "second question", previous_response_id: responseId! });
    expect(second.output_text).toBe("answer 2");
    expect(second.previous_response_id).toBe(responseId);
    expect(transcript(up.requests[1]!.json)).toEqual(["user:first question", "assistant:answer 1", "user:second question"]);
  }, 60_000);
});

const pgSkip = await postgresAvailable();
describe.skipIf(pgSkip !== undefined)("two proxy processes on one PostgreSQL", () => {
  it("a response made on one is continued on the other at once", async () => {
    const up = await countingChatUpstream();
    cleanups.push(up.close);
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const yaml = chatModelYaml(up.url);
    const [a, b] = await Promise.all([spawnProxy(yaml, { DATABASE_URL: db.url }), spawnProxy(yaml, { DATABASE_URL: db.url })]);
    cleanups.push(
      () => a.kill(),
      () => b.kill(),
    );
    const onA = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "x", maxRetries: 0 });
    const onB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: "x", maxRetries: 0 });
    const first = await onA.responses.stream({ model: "chat-m", input: "made on A" }).finalResponse();
    const second = await onB.responses.create({ model: "chat-m", input: "continued on B", previous_response_id: first.id });
    expect(second.output_text).toBe("answer 2");
    expect(transcript(up.requests[1]!.json)).toEqual(["user:made on A", "assistant:answer 1", "user:continued on B"]);
    expect((await onA.responses.retrieve(second.id)).output_text).toBe("answer 2");
  }, 60_000);
});

describe("response state in one proxy", () => {
  let up: Upstream;
  let p: RunningProxy;
  const keys = { A: "secret-key-a", B: "secret-key-b" };
  const client = (key: string) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: key, maxRetries: 0 });

  beforeAll(async () => {
    up = await countingChatUpstream(0);
    p = await startProxy(
      `
model_list:
  - model_name: chat-m
    model_params: { api_type: openai, api_base: ${up.url}, model: up-chat }
  - model_name: slow-m
    model_params: { api_type: mock, mock: { latency_ms: 400 } }
  - model_name: stuck-m
    model_params: { api_type: mock, mock: { latency_ms: 5000 } }
proxy_settings:
  responses:
    state: { ttl_seconds: 1, cleanup_interval_seconds: 1, max_memory_entries: 50 }
app_keys:
  enabled: true
  keys:
    - { key_id: a, secret: ${keys.A} }
    - { key_id: b, secret: ${keys.B} }
`,
    );
  });
  afterAll(async () => {
    await p.close();
    await up.close();
  });

  it("keeps each key's responses to itself", async () => {
    const mine = await client(keys.A).responses.create({ model: "chat-m", input: "private" });
    expect((await client(keys.A).responses.retrieve(mine.id)).id).toBe(mine.id);
    for (const attempt of [
      () => client(keys.B).responses.retrieve(mine.id),
      () => client(keys.B).responses.inputItems.list(mine.id),
      () => client(keys.B).responses.delete(mine.id),
      () => client(keys.B).responses.create({ model: "chat-m", input: "steal", previous_response_id: mine.id }),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    }
    expect((await client(keys.A).responses.retrieve(mine.id)).id).toBe(mine.id);
  });

  it("lists input items and deletes a response", async () => {
    const r = await client(keys.A).responses.create({
      model: "chat-m",
      input: [
        { role: "developer", content: "be terse" },
        { role: "user", content: "items please" },
      ],
    });
    const items = await client(keys.A).responses.inputItems.list(r.id, { order: "asc" });
    expect(items.data.map((i) => (i.type === "message" ? i.role : i.type))).toEqual(["developer", "user"]);
    expect(items.data.every((i) => typeof i.id === "string")).toBe(true);
    const deleted = await fetch(`${p.url}/v1/responses/${r.id}`, { method: "DELETE", headers: { authorization: `Bearer ${keys.A}` } });
    expect(await deleted.json()).toEqual({ id: r.id, object: "response", deleted: true });
    await expect(client(keys.A).responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("stores nothing when store is false", async () => {
    const r = await client(keys.A).responses.create({ model: "chat-m", input: "forget me", store: false });
    await expect(client(keys.A).responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const err = await client(keys.A)
      .responses.create({ model: "chat-m", input: "x", previous_response_id: r.id })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain(`Previous response with id '${r.id}' not found.`);
  });

  it("forgets a response once its TTL has passed", async () => {
    const r = await client(keys.A).responses.create({ model: "chat-m", input: "short-lived" });
    expect((await client(keys.A).responses.retrieve(r.id)).id).toBe(r.id);
    await sleep(2300);
    await expect(client(keys.A).responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const err = await client(keys.A)
      .responses.create({ model: "chat-m", input: "too late", previous_response_id: r.id })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("runs a background response to the end and lets the client poll it", async () => {
    const started = performance.now();
    const queued = await client(keys.A).responses.create({ model: "slow-m", input: "in the background", background: true });
    expect(performance.now() - started).toBeLessThan(300);
    expect(queued.status).toBe("queued");
    expect(queued.background).toBe(true);
    let polled = await client(keys.A).responses.retrieve(queued.id);
    expect(["queued", "in_progress"]).toContain(polled.status);
    for (let i = 0; i < 40 && (polled.status === "queued" || polled.status === "in_progress"); i++) {
      await sleep(50);
      polled = await client(keys.A).responses.retrieve(queued.id);
    }
    expect(polled.status).toBe("completed");
    expect(polled.id).toBe(queued.id);
    expect(polled.output_text).toBe("in the background");
  });

  it("cancels a background response that is still running", async () => {
    const queued = await client(keys.A).responses.create({ model: "stuck-m", input: "never mind", background: true });
    await sleep(100);
    const cancelled = await client(keys.A).responses.cancel(queued.id);
    expect(cancelled.status).toBe("cancelled");
    await sleep(100);
    expect((await client(keys.A).responses.retrieve(queued.id)).status).toBe("cancelled");
    const err = await client(keys.A)
      .responses.cancel("resp_unknown")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("a chain that alternates a chat backend and a native Responses backend", () => {
  it("carries the whole history across both kinds, in order", async () => {
    const chat = await countingChatUpstream();
    cleanups.push(chat.close);
    let nativeCount = 0;
    const native = await startUpstream((req, res) => {
      nativeCount += 1;
      const text = `native answer ${nativeCount}`;
      sendJson(res, 200, {
        id: `resp_native${nativeCount}`,
        object: "response",
        created_at: 1,
        status: "completed",
        model: "up-native",
        output: [
          {
            type: "message",
            id: `msg_native${nativeCount}`,
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text, annotations: [] }],
          },
        ],
        usage: { input_tokens: 5, output_tokens: 3, total_tokens: 8 },
        error: null,
        incomplete_details: null,
      });
    });
    cleanups.push(native.close);
    const p = await startProxy(`
model_list:
  - model_name: chat-m
    model_params: { api_type: openai, api_base: ${chat.url}, model: up-chat }
  - model_name: native-m
    model_params: { api_type: openai-responses, api_base: ${native.url}, model: up-native }
`);
    cleanups.push(p.close);
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "x", maxRetries: 0 });
    const t1 = await client.responses.create({ model: "chat-m", input: "turn one" });
    const t2 = await client.responses.create({ model: "native-m", input: "turn two", previous_response_id: t1.id });
    expect(t2.output_text).toBe("native answer 1");
    const nativeInput = native.requests[0]!.json!.input as Array<{ role?: string; content: unknown }>;
    expect(native.requests[0]!.json!.previous_response_id).toBeUndefined();
    expect(JSON.stringify(nativeInput)).toContain("turn one");
    expect(JSON.stringify(nativeInput)).toContain("answer 1");
    const t3 = await client.responses.create({ model: "chat-m", input: "turn three", previous_response_id: t2.id });
    expect(t3.output_text).toBe("answer 2");
    expect(transcript(chat.requests[1]!.json)).toEqual([
      "user:turn one",
      "assistant:answer 1",
      "user:turn two",
      "assistant:native answer 1",
      "user:turn three",
    ]);
  });
});
