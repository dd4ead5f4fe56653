// Anthropic clients (`@anthropic-ai/sdk`, the AI SDK's Anthropic provider) through /v1/messages on a
// loopback OpenAI-compatible chat-completions upstream that streams the way real servers do.

import Anthropic from "@anthropic-ai/sdk";
import { createAnthropic } from "@ai-sdk/anthropic";
import { jsonSchema, streamText, tool } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, chatChunk, sendJson, sleep, sseHead, startProxy, startUpstream } from "../lib/harness.js";
import { type ScriptedAnswer, chatCompletionOf, chatStreamFrames, parseSse, writeSse } from "../lib/scripted.js";

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

async function proxy(yaml: string): Promise<RunningProxy> {
  const p = await startProxy(yaml);
  cleanup.push(p.close);
  return p;
}

/** A proxy with one chat model `claude-test` (upstream name `up-model`) on `up`. */
function chatProxy(up: Upstream, extra = ""): Promise<RunningProxy> {
  return proxy(`
model_list:
  - model_name: claude-test
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-model, supports_reasoning: true }
router_settings: { num_retries: 0 }
${extra}`);
}

function client(p: RunningProxy, apiKey = "test-key"): Anthropic {
  return new Anthropic({ baseURL: p.url, apiKey, maxRetries: 0 });
}

/** Answers streaming requests with `answer` as SSE and the others as one JSON completion. */
function answering(answer: ScriptedAnswer): Parameters<typeof startUpstream>[0] {
  return async (req, res) => {
    if (req.json?.stream === true) await writeSse(res, chatStreamFrames(answer));
    else sendJson(res, 200, chatCompletionOf(answer));
  };
}

const weatherTool = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" }, unit: { type: "string" } }, required: ["city"] },
};

const toolAnswer: ScriptedAnswer = {
  reasoning: ["The user wants ", "the weather; ", "call the tool."],
  text: ["Let me ", "check ", "that."],
  toolCalls: [{ id: "call_w1", name: "get_weather", argumentFragments: ['{"ci', 'ty": "Par', 'is", "unit"', ': "c"}'] }],
  usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59, completion_tokens_details: { reasoning_tokens: 6 } },
};

describe("@anthropic-ai/sdk on a chat-completions backend", () => {
  it("messages.create and messages.stream().finalMessage() give the same content", async () => {
    const up = await upstream(answering(toolAnswer));
    const p = await chatProxy(up);
    const c = client(p);
    const params = {
      model: "claude-test",
      max_tokens: 1024,
      system: "You are terse.",
      messages: [{ role: "user" as const, content: "Weather in Paris?" }],
      tools: [weatherTool],
    };
    const created = await c.messages.create(params);
    const streamed = await c.messages.stream(params).finalMessage();

    const expected = [
      { type: "thinking", thinking: "The user wants the weather; call the tool.", signature: "" },
      { type: "text", text: "Let me check that." },
      { type: "tool_use", id: "call_w1", name: "get_weather", input: { city: "Paris", unit: "c" } },
    ];
    expect(created.content).toEqual(expected);
    expect(streamed.content).toEqual(expected);
    for (const m of [created, streamed]) {
      expect(m.role).toBe("assistant");
      expect(m.model).toBe("claude-test");
      expect(m.stop_reason).toBe("tool_use");
      expect(m.id).toMatch(/^msg_/);
      expect(m.usage.output_tokens).toBe(17);
      expect(m.usage.input_tokens).toBe(42);
    }

    // Both upstream requests are valid chat requests built from the Anthropic one.
    expect(up.requests).toHaveLength(2);
    const [plain, streaming] = up.requests.map((r) => r.json!);
    for (const body of [plain!, streaming!]) {
      expect(body.model).toBe("up-model");
      expect(body.messages).toEqual([
        { role: "system", content: "You are terse." },
        { role: "user", content: "Weather in Paris?" },
      ]);
      expect(body.tools).toEqual([
        { type: "function", function: { name: "get_weather", description: "Weather for a city", parameters: weatherTool.input_schema } },
      ]);
      expect(body.max_completion_tokens ?? body.max_tokens).toBe(1024);
    }
    expect(plain!.stream).toBe(false);
    expect(streaming).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(up.requests[0]!.headers.authorization).toBe("Bearer sk-up");
  });

  it("streams thinking, text and a tool call as blocks 0, 1, 2 with every event intact", async () => {
    const up = await upstream(answering(toolAnswer));
    const p = await chatProxy(up);
    const res = await fetch(`${p.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "test-key", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({
        model: "claude-test",
        max_tokens: 1024,
        stream: true,
        messages: [{ role: "user", content: "Weather in Paris?" }],
        tools: [weatherTool],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const frames = parseSse(await res.text()).filter((f) => f.event !== "ping");
    // Every frame is named, and named after its own `type`.
    for (const f of frames) expect(f.event).toBe(f.json.type);
    const names = frames.map((f) => f.event);
    expect(names[0]).toBe("message_start");
    expect(names.slice(-2)).toEqual(["message_delta", "message_stop"]);

    const start = frames[0]!.json;
    expect(start.message).toMatchObject({ type: "message", role: "assistant", model: "claude-test", content: [], stop_reason: null });
    expect(start.message.usage.input_tokens).toBeGreaterThan(0);
    expect(typeof start.message.usage.output_tokens).toBe("number");

    // The block structure, in order: start, deltas, stop for 0 (thinking), 1 (text), 2 (tool_use).
    const blockEvents = frames.filter((f) => f.event!.startsWith("content_block"));
    const shape = blockEvents.map((f) => `${f.event!.replace("content_block_", "")}:${f.json.index}:${f.json.content_block?.type ?? f.json.delta?.type ?? ""}`);
    expect(shape).toEqual([
      "start:0:thinking",
      "delta:0:thinking_delta",
      "delta:0:thinking_delta",
      "delta:0:thinking_delta",
      "stop:0:",
      "start:1:text",
      "delta:1:text_delta",
      "delta:1:text_delta",
      "delta:1:text_delta",
      "stop:1:",
      "start:2:tool_use",
      "delta:2:input_json_delta",
      "delta:2:input_json_delta",
      "delta:2:input_json_delta",
      "delta:2:input_json_delta",
      "stop:2:",
    ]);
    expect(blockEvents[0]!.json.content_block).toEqual({ type: "thinking", thinking: "", signature: "" });
    expect(blockEvents[5]!.json.content_block).toEqual({ type: "text", text: "" });
    expect(blockEvents[10]!.json.content_block).toEqual({ type: "tool_use", id: "call_w1", name: "get_weather", input: {} });
    const deltas = (type: string) => blockEvents.filter((f) => f.json.delta?.type === type).map((f) => f.json.delta);
    expect(deltas("thinking_delta").map((d) => d.thinking)).toEqual(toolAnswer.reasoning);
    expect(deltas("text_delta").map((d) => d.text)).toEqual(toolAnswer.text);
    const fragments = deltas("input_json_delta").map((d) => d.partial_json as string);
    expect(fragments).toEqual(toolAnswer.toolCalls![0]!.argumentFragments);
    expect(JSON.parse(fragments.join(""))).toEqual({ city: "Paris", unit: "c" });

    const md = frames[frames.length - 2]!.json;
    expect(md.delta).toMatchObject({ stop_reason: "tool_use", stop_sequence: null });
    expect(md.usage).toMatchObject({ output_tokens: 17, input_tokens: 42 });
    expect(frames[frames.length - 1]!.json).toEqual({ type: "message_stop" });

    // And the SDK assembles the same stream into the final message.
    const sdkStream = client(p).messages.stream({
      model: "claude-test",
      max_tokens: 1024,
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [weatherTool],
    });
    const seen: string[] = [];
    sdkStream.on("streamEvent", (e) => seen.push(e.type));
    const final = await sdkStream.finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(["thinking", "text", "tool_use"]);
    expect(final.content[2]).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Paris", unit: "c" } });
    expect(final.stop_reason).toBe("tool_use");
    expect(final.usage.output_tokens).toBe(17);
    expect(seen.filter((t) => t === "content_block_start")).toHaveLength(3);
  });

  it("parallel tool calls become consecutive tool_use blocks, each with its own input", async () => {
    const up = await upstream(
      answering({
        toolCalls: [
          { id: "call_p1", name: "get_weather", argumentFragments: ['{"city":', '"Paris"}'] },
          { id: "call_p2", name: "get_weather", argumentFragments: ['{"city":"Os', 'lo","unit":"f"}'] },
        ],
      }),
    );
    const p = await chatProxy(up);
    const params = { model: "claude-test", max_tokens: 100, messages: [{ role: "user" as const, content: "Paris and Oslo?" }], tools: [weatherTool] };
    const expected = [
      { type: "tool_use", id: "call_p1", name: "get_weather", input: { city: "Paris" } },
      { type: "tool_use", id: "call_p2", name: "get_weather", input: { city: "Oslo", unit: "f" } },
    ];
    const streamed = client(p).messages.stream(params);
    const starts: number[] = [];
    streamed.on("streamEvent", (e) => {
      if (e.type === "content_block_start") starts.push(e.index);
    });
    const final = await streamed.finalMessage();
    expect(final.content).toEqual(expected);
    expect(final.stop_reason).toBe("tool_use");
    expect(starts).toEqual([0, 1]);
    expect((await client(p).messages.create(params)).content).toEqual(expected);
  });

  it("sends the tool result back to the chat upstream as a tool message after the assistant's tool call", async () => {
    const up = await upstream(async (req, res) => {
      const msgs = req.json!.messages as Array<Record<string, unknown>>;
      if (msgs.some((m) => m.role === "tool")) await writeSse(res, chatStreamFrames({ text: ["It is 18 °C in Paris."] }));
      else await writeSse(res, chatStreamFrames(toolAnswer));
    });
    const p = await chatProxy(up);
    const c = client(p);
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "Weather in Paris?" }];
    const first = await c.messages.stream({ model: "claude-test", max_tokens: 1024, messages, tools: [weatherTool] }).finalMessage();
    const call = first.content.find((b) => b.type === "tool_use")!;
    messages.push({ role: "assistant", content: first.content as Anthropic.ContentBlockParam[] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "18 C, sunny" }] });
    const second = await c.messages.stream({ model: "claude-test", max_tokens: 1024, messages, tools: [weatherTool] }).finalMessage();
    expect(second.content).toEqual([expect.objectContaining({ type: "text", text: "It is 18 °C in Paris." })]);
    expect(second.stop_reason).toBe("end_turn");

    const sent = up.requests[1]!.json!.messages as Array<Record<string, unknown>>;
    expect(sent).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: "Let me check that.",
        reasoning_content: "The user wants the weather; call the tool.",
        tool_calls: [{ id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' } }],
      },
      { role: "tool", tool_call_id: "call_w1", content: "18 C, sunny" },
    ]);
  });
});

describe("finish reasons", () => {
  it("a chat `length` finish is `max_tokens`, streaming and not", async () => {
    const up = await upstream(answering({ text: ["cut ", "off"], finish: "length" }));
    const p = await chatProxy(up);
    const params = { model: "claude-test", max_tokens: 2, messages: [{ role: "user" as const, content: "write a lot" }] };
    const created = await client(p).messages.create(params);
    const streamed = await client(p).messages.stream(params).finalMessage();
    for (const m of [created, streamed]) {
      expect(m.stop_reason).toBe("max_tokens");
      expect(m.content).toEqual([{ type: "text", text: "cut off" }]);
    }
    expect(up.requests[0]!.json!.max_completion_tokens ?? up.requests[0]!.json!.max_tokens).toBe(2);
  });
});

describe("AI SDK (ai v5 + @ai-sdk/anthropic) on a chat-completions backend", () => {
  it("streamText with a tool: the text and the tool call (name, parsed input) come through", async () => {
    const up = await upstream(
      answering({
        reasoning: ["Oslo ", "weather needed."],
        text: ["Checking ", "the weather."],
        toolCalls: [{ id: "call_ai1", name: "get_weather", argumentFragments: ['{"city"', ':"Oslo"}'] }],
        usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 },
      }),
    );
    const p = await chatProxy(up);
    const anthropic = createAnthropic({ baseURL: `${p.url}/v1`, apiKey: "test-key" });
    const result = streamText({
      model: anthropic("claude-test"),
      prompt: "Weather in Oslo?",
      maxRetries: 0,
      tools: {
        get_weather: tool({
          description: "Weather for a city",
          inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
        }),
      },
    });
    const parts: string[] = [];
    for await (const part of result.fullStream) {
      if (part.type === "error") throw part.error;
      parts.push(part.type);
    }
    expect(await result.text).toBe("Checking the weather.");
    expect(await result.reasoningText).toBe("Oslo weather needed.");
    const calls = await result.toolCalls;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ toolName: "get_weather", toolCallId: "call_ai1", input: { city: "Oslo" } });
    expect(await result.finishReason).toBe("tool-calls");
    expect((await result.usage).outputTokens).toBe(12);
    expect(parts).toContain("tool-input-delta");
    const sent = up.requests[0]!.json!;
    expect(sent.tools).toEqual([{ type: "function", function: expect.objectContaining({ name: "get_weather", description: "Weather for a city" }) }]);
    expect(up.requests[0]!.url).toBe("/v1/chat/completions");
  });
});

describe("errors in Anthropic's shape", () => {
  it("upstream 429 → RateLimitError with rate_limit_error", async () => {
    const up = await upstream((_req, res) =>
      sendJson(res, 429, { error: { message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded" } }, { "retry-after": "0" }),
    );
    const p = await chatProxy(up);
    const err = await client(p)
      .messages.create({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.error).toMatchObject({ type: "error", error: { type: "rate_limit_error", message: "Rate limit reached for requests" } });
  });

  it("upstream 503 before streaming → overloaded_error", async () => {
    const up = await upstream((_req, res) => sendJson(res, 503, { error: { message: "The server is overloaded", type: "server_error" } }));
    const p = await chatProxy(up);
    const err = await client(p)
      .messages.stream({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const e = err as InstanceType<typeof Anthropic.APIError>;
    expect(e.status).toBe(503);
    expect(e.error).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
  });

  it("an upstream that breaks mid-stream ends the stream with event: error, and the SDK throws", async () => {
    const up = await upstream(async (_req, res) => {
      sseHead(res);
      res.write(chatChunk({ role: "assistant", content: "" }));
      res.write(chatChunk({ content: "partial " }));
      await sleep(20);
      res.socket!.destroy();
    });
    const p = await chatProxy(up);
    const raw = await fetch(`${p.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k" },
      body: JSON.stringify({ model: "claude-test", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(raw.status).toBe(200);
    const frames = parseSse(await raw.text()).filter((f) => f.event !== "ping");
    expect(frames.map((f) => f.event)).toEqual(["message_start", "content_block_start", "content_block_delta", "error"]);
    expect(frames[2]!.json.delta).toEqual({ type: "text_delta", text: "partial " });
    expect(frames[3]!.json).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect(frames[3]!.json.error.message).toMatch(/upstream/);

    const stream = client(p).messages.stream({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    stream.on("text", (t) => {
      text += t;
    });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String((err as Error).message)).toMatch(/api_error/);
    expect(text).toBe("partial ");
  });

  it("unknown model → 404 not_found_error", async () => {
    const up = await upstream((_req, res) => sendJson(res, 500, {}));
    const p = await chatProxy(up);
    const err = await client(p)
      .messages.create({ model: "no-such-model", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect(up.requests).toHaveLength(0);
  });

  it("missing max_tokens → 400 invalid_request_error", async () => {
    const up = await upstream((_req, res) => sendJson(res, 500, {}));
    const p = await chatProxy(up);
    const err = await client(p)
      .messages.create({ model: "claude-test", messages: [{ role: "user", content: "hi" }] } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const body = (err as InstanceType<typeof Anthropic.BadRequestError>).error as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(body.error.message).toContain("max_tokens");
    expect(up.requests).toHaveLength(0);
  });

  it("bad or missing key → 401 authentication_error", async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, chatCompletionOf({ text: ["ok"] })));
    const p = await chatProxy(
      up,
      `
app_keys:
  enabled: true
  keys:
    - { key_id: team, secret: good-secret }
`,
    );
    const err = await client(p, "wrong-secret")
      .messages.create({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.AuthenticationError>).status).toBe(401);
    expect((err as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    // The SDK refuses to send without a key, so the keyless request is a plain one.
    const keyless = await fetch(`${p.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(keyless.status).toBe(401);
    expect(await keyless.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const ok = await client(p, "good-secret").messages.create({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    expect(ok.content).toEqual([{ type: "text", text: "ok" }]);
    expect(up.requests).toHaveLength(1);
  });
});

describe("count_tokens", () => {
  it("counts locally on a chat backend", async () => {
    const up = await upstream((_req, res) => sendJson(res, 500, {}));
    const p = await chatProxy(up);
    const c = client(p);
    const small = await c.messages.countTokens({ model: "claude-test", messages: [{ role: "user", content: "Hello there" }] });
    const big = await c.messages.countTokens({
      model: "claude-test",
      system: "You are a careful assistant who answers in full sentences.",
      messages: [{ role: "user", content: "Please describe the weather in Paris, Oslo and Lisbon in detail, one paragraph each." }],
      tools: [weatherTool],
    });
    expect(small.input_tokens).toBeGreaterThan(1);
    expect(small.input_tokens).toBeLessThan(20);
    expect(big.input_tokens).toBeGreaterThan(small.input_tokens + 20);
    expect(big.input_tokens).toBeLessThan(200);
    expect(up.requests).toHaveLength(0);
  });

  it("is forwarded to an Anthropic-format upstream with the upstream model name and the client's anthropic headers", async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, { input_tokens: 1234 }));
    const p = await proxy(`
model_list:
  - model_name: claude-alias
    model_params: { api_type: anthropic, api_base: ${up.url}, api_key: sk-ant-up, model: claude-upstream-1 }
router_settings: { num_retries: 0 }
`);
    // Whatever version the SDK speaks is what the upstream must get (the proxy defaults it only when absent).
    const clientHeaders: Array<Record<string, string>> = [];
    const recording = new Anthropic({
      baseURL: p.url,
      apiKey: "test-key",
      maxRetries: 0,
      fetch: async (url, init) => {
        clientHeaders.push(Object.fromEntries(new Headers(init?.headers).entries()));
        return fetch(url, init);
      },
    });
    const res = await recording.beta.messages.countTokens({
      model: "claude-alias",
      messages: [{ role: "user", content: "Hello" }],
      betas: ["token-counting-2024-11-01", "interleaved-thinking-2025-05-14"],
    });
    expect(res.input_tokens).toBe(1234);
    expect(up.requests).toHaveLength(1);
    const sent = up.requests[0]!;
    expect(sent.url).toBe("/v1/messages/count_tokens");
    expect(sent.json).toEqual({ model: "claude-upstream-1", messages: [{ role: "user", content: "Hello" }] });
    expect(sent.headers["x-api-key"]).toBe("sk-ant-up");
    expect(clientHeaders[0]!["anthropic-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(sent.headers["anthropic-version"]).toBe(clientHeaders[0]!["anthropic-version"]);
    expect(clientHeaders[0]!["anthropic-beta"]).toContain("interleaved-thinking-2025-05-14");
    expect(sent.headers["anthropic-beta"]).toBe(clientHeaders[0]!["anthropic-beta"]);

    // A request without the headers still reaches the upstream with a version (and no beta header).
    const plain = await fetch(`${p.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k" },
      body: JSON.stringify({ model: "claude-alias", messages: [{ role: "user", content: "Hello" }] }),
    });
    expect(await plain.json()).toEqual({ input_tokens: 1234 });
    expect(up.requests[1]!.headers["anthropic-version"]).toBe("2023-06-01");
    expect(up.requests[1]!.headers["anthropic-beta"]).toBeUndefined();
  });
});

describe("keepalive pings", () => {
  it("sends event: ping while a chat upstream is silent, and the SDK still gets the answer", async () => {
    const up = await upstream(async (_req, res) => {
      sseHead(res);
      res.write(chatChunk({ role: "assistant", content: "" }));
      await sleep(900);
      for (const f of chatStreamFrames({ text: ["after ", "the wait"] }).slice(1)) res.write(f);
      res.end();
    });
    const p = await chatProxy(up, "proxy_settings: { messages_ping_interval_seconds: 0.2 }");
    const started = performance.now();
    const res = await fetch(`${p.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k" },
      body: JSON.stringify({ model: "claude-test", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    const reader = res.body!.getReader();
    const arrivals: Array<{ at: number; text: string }> = [];
    const dec = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      arrivals.push({ at: performance.now() - started, text: dec.decode(value) });
    }
    const frames = parseSse(arrivals.map((a) => a.text).join(""));
    const pings = frames.filter((f) => f.event === "ping");
    expect(pings.length).toBeGreaterThanOrEqual(3);
    for (const ping of pings) expect(ping.json).toEqual({ type: "ping" });
    // The pings arrive during the silence, before the first content block.
    const firstBlock = frames.findIndex((f) => f.event === "content_block_start");
    expect(frames.findIndex((f) => f.event === "ping")).toBeLessThan(firstBlock);
    expect(frames[0]!.event).toBe("message_start");
    const pingArrivals = arrivals.filter((a) => a.text.includes("event: ping"));
    expect(pingArrivals[0]!.at).toBeLessThan(700);
    const text = frames
      .filter((f) => f.json?.delta?.type === "text_delta")
      .map((f) => f.json.delta.text)
      .join("");
    expect(text).toBe("after the wait");

    const final = await client(p)
      .messages.stream({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      .finalMessage();
    expect(final.content).toEqual([expect.objectContaining({ type: "text", text: "after the wait" })]);
  });

  it("pings an upstream that is silent before its first chunk too", async () => {
    const up = await upstream(async (_req, res) => {
      sseHead(res);
      res.flushHeaders(); // the 200 and its headers are out; the first chunk is not
      await sleep(700);
      for (const f of chatStreamFrames({ text: ["late"] })) res.write(f);
      res.end();
    });
    const p = await chatProxy(up, "proxy_settings: { messages_ping_interval_seconds: 0.2 }");
    const stream = client(p).messages.stream({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    const raw = await stream.withResponse();
    const final = await stream.finalMessage();
    expect(raw.response.status).toBe(200);
    expect(final.content).toEqual([expect.objectContaining({ type: "text", text: "late" })]);

    const res = await fetch(`${p.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k" },
      body: JSON.stringify({ model: "claude-test", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    const frames = parseSse(await res.text());
    expect(frames.filter((f) => f.event === "ping").length).toBeGreaterThanOrEqual(2);
    // Anthropic's order: message_start first, pings after it, then the blocks.
    expect(frames[0]!.event).toBe("message_start");
    expect(frames.map((f) => f.event).filter((e) => e !== "ping")).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(frames[0]!.json.message).toMatchObject({ model: "claude-test", role: "assistant", content: [] });
    expect(frames[0]!.json.message.id).toMatch(/^msg_/);
  });
});
