// yaLLMproxy's configuration keys, behaving as they did there, against real loopback upstreams; and
// yaLLMproxy's own example config loaded as-is, every model it can serve answering.

import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, chatChunk, chatCompletion, sendJson, sseHead, startProxy, startUpstream } from "../lib/harness.js";

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

function chat(p: RunningProxy, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${p.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

const userMsg = [{ role: "user", content: "hi" }];
const EXAMPLE = new URL("../../apps/proxy/test/fixtures/yallmproxy-config-example.yaml", import.meta.url).pathname;

describe("yaLLMproxy's configs/config_example.yaml", () => {
  it("serves each of its models, GigaChat's two once their credentials are set, with their settings applied", async () => {
    const up = await upstream((req, res) => sendJson(res, 200, chatCompletion("hello", { model: String(req.json?.model) })));
    const yaml = readFileSync(EXAMPLE, "utf8").replace(/api_base: \S+/g, `api_base: ${up.url}`);
    const gigachatEnv = { GIGACHAT_API_KEY: "a2V5", GIGACHAT_SCOPE: "GIGACHAT_API_PERS", GIGACHAT_CLIENT_CERT: "/c.pem", GIGACHAT_CLIENT_KEY: "/k.pem" };
    const p = await proxy(yaml, { Z_AI_API_KEY: "zk", MINIMAX_API_KEY: "mk", ...gigachatEnv });
    const models = (await (await fetch(`${p.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    const served = models.data.map((m) => m.id);
    const expected = [
      "GLM-5.1-cursor",
      "GLM-5.1",
      "GLM-5-turbo",
      "MiniMax-M2.7-cursor",
      "MiniMax-M2.7",
      "glm_local",
      "glm_local_AWQ",
      "glm_flash",
      "Qwen3.5",
      "Qwen3.5-122b",
    ];
    expect(served.sort()).toEqual([...expected, "GigaChat-Max", "GigaChat-Local"].sort());
    const upstreamModels: Record<string, string> = {};
    for (const name of expected) {
      const res = await chat(p, { model: name, messages: userMsg, temperature: 0.2 });
      expect(res.status, name).toBe(200);
      const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
      expect(body.choices[0]!.message.content, name).toContain("hello");
      upstreamModels[name] = String(up.requests.at(-1)!.json!.model);
    }
    expect(upstreamModels).toMatchObject({
      "GLM-5.1": "glm-5.1",
      "MiniMax-M2.7": "MiniMax-M2.7",
      glm_local: "GLM_air_fp8",
      "Qwen3.5": "Qwen3.5-122B-A10B-AWQ-4bit",
    });
    const sent = (i: number) => up.requests[i]!;
    // GLM-5.1: forced temperature and top_p, the nested thinking.clear_thinking, the key, the thinking block.
    expect(sent(1).json).toMatchObject({ temperature: 1.0, top_p: 0.95, thinking: { type: "enabled", clear_thinking: false } });
    expect(sent(1).headers.authorization).toBe("Bearer zk");
    // MiniMax-M2.7: reasoning_split forced.
    expect(sent(4).json).toMatchObject({ reasoning_split: true, temperature: 1.0 });
    // glm_local: supports_reasoning asks for thinking.
    expect(sent(5).json).toMatchObject({ thinking: { type: "enabled" } });
    // Qwen3.5: temperature may be overridden, tool_choice may not.
    expect(sent(8).json).toMatchObject({ temperature: 0.2, tool_choice: "none" });
    // The Responses endpoint is off, as the example says.
    expect(
      (
        await fetch(`${p.url}/v1/responses`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "glm_local", input: "hi" }),
        })
      ).status,
    ).toBe(404);
  });
});

describe("model_params keys", () => {
  it("supports_reasoning adds thinking, but not for structured output nor over the client's own", async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, chatCompletion("ok")));
    const p = await proxy(`
model_list:
  - model_name: r
    model_params: { api_base: ${up.url}, supports_reasoning: true }
`);
    await chat(p, { model: "r", messages: userMsg });
    await chat(p, { model: "r", messages: userMsg, response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } } });
    await chat(p, { model: "r", messages: userMsg, thinking: { type: "disabled" } });
    expect(up.requests[0]!.json!.thinking).toEqual({ type: "enabled" });
    expect(up.requests[1]!.json!.thinking).toBeUndefined();
    expect(up.requests[2]!.json!.thinking).toEqual({ type: "disabled" });
  });

  it("entry-level parameters, forward_model, an openai/ model name and http2 over plain http", async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, chatCompletion("ok")));
    const p = await proxy(`
model_list:
  - model_name: a
    model_params: { api_base: ${up.url}, forward_model: upstream-a, http2: true }
    parameters: { temperature: { default: 0.3, allow_override: false } }
  - model_name: b
    model_params: { api_base: ${up.url}, model: openai/gpt-4o-mini }
`);
    expect((await chat(p, { model: "a", messages: userMsg, temperature: 1.5 })).status).toBe(200);
    expect((await chat(p, { model: "openai/b", messages: userMsg })).status).toBe(200);
    expect(up.requests[0]!.json).toMatchObject({ model: "upstream-a", temperature: 0.3 });
    expect(up.requests[1]!.json).toMatchObject({ model: "gpt-4o-mini" });
  });

  it("anthropic_version is sent to an Anthropic backend; a client's own header wins", async () => {
    const up = await upstream((_req, res) =>
      sendJson(res, 200, {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude-x",
        content: [{ type: "text", text: "ok" }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      }),
    );
    const p = await proxy(`
model_list:
  - model_name: c
    model_params: { api_type: anthropic, api_base: ${up.url}, api_key: sk-ant, anthropic_version: "2023-01-01" }
`);
    expect((await chat(p, { model: "c", messages: userMsg, max_tokens: 5 })).status).toBe(200);
    const viaMessages = await fetch(`${p.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "c", max_tokens: 5, messages: userMsg }),
    });
    expect(viaMessages.status).toBe(200);
    expect(up.requests[0]!.headers["anthropic-version"]).toBe("2023-01-01");
    expect(up.requests[1]!.headers["anthropic-version"]).toBe("2023-06-01");
  });
});

const MINIMAX_ERROR = `data: ${JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "the server is overloaded", http_code: "529" } })}\n\n`;

describe("an error event at the start of a 200 stream", () => {
  it("is retried, then failed over, as yaLLMproxy's sse.py did; the client sees only the answer", async () => {
    const bad = await upstream((_req, res) => {
      sseHead(res);
      res.end(MINIMAX_ERROR);
    });
    const good = await upstream((_req, res) => {
      sseHead(res);
      res.write(chatChunk({ role: "assistant", content: "" }));
      res.write(chatChunk({ content: "fine" }));
      res.write(chatChunk({}, { finish: "stop" }));
      res.end("data: [DONE]\n\n");
    });
    const p = await proxy(`
model_list:
  - { model_name: a, model_params: { api_base: ${bad.url} } }
  - { model_name: b, model_params: { api_base: ${good.url} } }
router_settings: { num_retries: 1, retry_base_delay_ms: 1, fallbacks: [{ a: [b] }] }
`);
    const res = await chat(p, { model: "a", messages: userMsg, stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"content":"fine"');
    expect(text).not.toContain("overloaded");
    expect(bad.requests).toHaveLength(2);
    expect(good.requests).toHaveLength(1);
  });

  it("with nowhere left to go, is the client's 502 with the upstream's message", async () => {
    const bad = await upstream((_req, res) => {
      sseHead(res);
      res.write(": keep-alive\n\n");
      res.end(`data: ${JSON.stringify({ error: { message: "quota exceeded", type: "insufficient_quota" } })}\n\n`);
    });
    const p = await proxy(`
model_list:
  - { model_name: a, model_params: { api_base: ${bad.url} } }
router_settings: { num_retries: 0 }
`);
    const res = await chat(p, { model: "a", messages: userMsg, stream: true });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain("quota exceeded");
  });

  it("after a first good event is relayed as the stream's own, not retried", async () => {
    const up = await upstream((_req, res) => {
      sseHead(res);
      res.write(chatChunk({ role: "assistant", content: "" }));
      res.end(MINIMAX_ERROR);
    });
    const p = await proxy(`model_list: [{ model_name: a, model_params: { api_base: ${up.url} } }]`);
    const res = await chat(p, { model: "a", messages: userMsg, stream: true });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("the server is overloaded");
    expect(up.requests).toHaveLength(1);
  });
});
