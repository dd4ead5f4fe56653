// OpenAI clients (the `openai` SDK: Chat Completions and Responses) through the proxy on a loopback
// upstream that speaks Anthropic Messages (`api_type: anthropic`), JSON and SSE with `event:` lines.
// The upstream checks each request the way Anthropic does (and answers 400 like Anthropic otherwise).

import type { ServerResponse } from "node:http";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type RecordedRequest, type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";
import { anthropicFrame, parseSse, writeSse } from "../lib/scripted.js";

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A signature with the characters a real one has (base64 with + / =), to prove it is kept byte for byte. */
const SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxDkb+/Zl0pB1A8wHtvI9JbD3tXcmYz+Q4kcEw1kXo/tYyP8fA==";
const THINKING = ["The user wants weather ", "for two cities; ", "call the tool twice."];

interface Block {
  type: string;
  [k: string]: unknown;
}

/** What an Anthropic server would reject, as its 400 message; undefined when the request is valid. */
function anthropicProblem(req: RecordedRequest): string | undefined {
  if (req.headers["x-api-key"] !== "sk-ant-upstream") return "authentication: bad x-api-key";
  if (typeof req.headers["anthropic-version"] !== "string") return "anthropic-version: header is required";
  const body = req.json;
  if (!body) return "body: not JSON";
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) return "max_tokens: Field required";
  const messages = body.messages as Array<{ role: string; content: string | Block[] }>;
  if (!Array.isArray(messages) || messages.length === 0) return "messages: Field required";
  for (const [i, m] of messages.entries()) {
    if (m.role !== "user" && m.role !== "assistant") return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (i > 0 && messages[i - 1]!.role === m.role) return `messages.${i}: roles must alternate`;
    if (Array.isArray(m.content)) {
      for (const b of m.content) if (b.type === "text" && b.text === "") return `messages.${i}: text content blocks must be non-empty`;
    }
  }
  if (messages[0]!.role !== "user") return "messages.0.role: first message must use the user role";
  // Every tool_use is answered by a tool_result at the start of the next user turn.
  for (const [i, m] of messages.entries()) {
    if (m.role !== "assistant" || !Array.isArray(m.content)) continue;
    const ids = m.content.filter((b) => b.type === "tool_use").map((b) => b.id);
    if (ids.length === 0) continue;
    const next = messages[i + 1];
    const results = Array.isArray(next?.content) ? next.content.filter((b) => b.type === "tool_result").map((b) => b.tool_use_id) : [];
    if (JSON.stringify(results.sort()) !== JSON.stringify([...ids].sort())) {
      return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${ids.join(", ")}`;
    }
  }
  const thinking = body.thinking as { type?: string; budget_tokens?: number } | undefined;
  if (thinking?.type === "enabled") {
    if (!Number.isInteger(thinking.budget_tokens) || thinking.budget_tokens! < 1024)
      return "thinking.budget_tokens: Input should be greater than or equal to 1024";
    if (thinking.budget_tokens! >= (body.max_tokens as number)) return "max_tokens must be greater than thinking.budget_tokens";
    if (body.temperature !== undefined && body.temperature !== 1) return "temperature may only be set to 1 when thinking is enabled";
    // The assistant turn in an open tool loop must start with its (signed) thinking block.
    const last = messages[messages.length - 1]!;
    const prev = messages[messages.length - 2];
    if (last.role === "user" && Array.isArray(last.content) && last.content.some((b) => b.type === "tool_result") && prev && Array.isArray(prev.content)) {
      const first = prev.content[0];
      if (first?.type !== "thinking" && first?.type !== "redacted_thinking") {
        return `messages.${messages.length - 2}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first?.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block`;
      }
    }
  }
  for (const m of messages) {
    if (!Array.isArray(m.content)) continue;
    for (const b of m.content) if (b.type === "thinking" && b.signature !== SIGNATURE) return "messages: Invalid `signature` in `thinking` block";
  }
  return undefined;
}

const hasToolResults = (req: RecordedRequest) => {
  const messages = req.json!.messages as Array<{ content: string | Block[] }>;
  const last = messages[messages.length - 1]!;
  return Array.isArray(last.content) && last.content.some((b) => b.type === "tool_result");
};

const TOOL_CALLS = [
  { id: "toolu_01Paris", input: { city: "Paris" }, fragments: ["", '{"city"', ': "Par', 'is"}'] },
  { id: "toolu_02Oslo", input: { city: "Oslo" }, fragments: ['{"ci', 'ty": "Oslo"}'] },
];

/** Turn 1 (thinking if asked, text, two tool calls) or turn 2 (the final text). */
function turnContent(req: RecordedRequest): Block[] {
  if (hasToolResults(req)) return [{ type: "text", text: "Sunny in Paris, rain in Oslo." }];
  const blocks: Block[] = [];
  if ((req.json!.thinking as { type?: string } | undefined)?.type === "enabled")
    blocks.push({ type: "thinking", thinking: THINKING.join(""), signature: SIGNATURE });
  blocks.push({ type: "text", text: "Let me check both." });
  for (const c of TOOL_CALLS) blocks.push({ type: "tool_use", id: c.id, name: "get_weather", input: c.input });
  return blocks;
}

async function answer(req: RecordedRequest, res: ServerResponse): Promise<void> {
  if (req.url !== "/v1/messages") return sendJson(res, 404, { type: "error", error: { type: "not_found_error", message: `no route ${req.url}` } });
  const problem = anthropicProblem(req);
  if (problem) return sendJson(res, 400, { type: "error", error: { type: "invalid_request_error", message: problem } });
  const content = turnContent(req);
  const stopReason = content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
  const usage = { input_tokens: 120, output_tokens: 48, cache_creation_input_tokens: 0, cache_read_input_tokens: 20 };
  if (req.json!.stream !== true) {
    return sendJson(res, 200, {
      id: "msg_up_1",
      type: "message",
      role: "assistant",
      model: "claude-upstream-1",
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage,
    });
  }
  const frames = [
    anthropicFrame("message_start", {
      message: {
        id: "msg_up_1",
        type: "message",
        role: "assistant",
        model: "claude-upstream-1",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
    anthropicFrame("ping"),
  ];
  content.forEach((b, index) => {
    if (b.type === "thinking") {
      frames.push(anthropicFrame("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } }));
      for (const t of THINKING) frames.push(anthropicFrame("content_block_delta", { index, delta: { type: "thinking_delta", thinking: t } }));
      frames.push(anthropicFrame("content_block_delta", { index, delta: { type: "signature_delta", signature: SIGNATURE } }));
    } else if (b.type === "text") {
      frames.push(anthropicFrame("content_block_start", { index, content_block: { type: "text", text: "" } }));
      const text = b.text as string;
      const mid = Math.floor(text.length / 2);
      for (const t of [text.slice(0, mid), text.slice(mid)])
        frames.push(anthropicFrame("content_block_delta", { index, delta: { type: "text_delta", text: t } }));
    } else {
      frames.push(anthropicFrame("content_block_start", { index, content_block: { type: "tool_use", id: b.id, name: b.name, input: {} } }));
      const call = TOOL_CALLS.find((c) => c.id === b.id)!;
      for (const f of call.fragments) frames.push(anthropicFrame("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: f } }));
    }
    frames.push(anthropicFrame("content_block_stop", { index }));
  });
  frames.push(anthropicFrame("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 48 } }));
  frames.push(anthropicFrame("message_stop"));
  await writeSse(res, frames);
}

async function setup(): Promise<{ up: Upstream; p: RunningProxy; openai: OpenAI }> {
  const up = await startUpstream(answer);
  cleanup.push(up.close);
  const p = await startProxy(`
model_list:
  - model_name: claude-via-proxy
    model_params: { api_type: anthropic, api_base: ${up.url}, api_key: sk-ant-upstream, model: claude-upstream-1 }
router_settings: { num_retries: 0 }
`);
  cleanup.push(p.close);
  return { up, p, openai: new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "client-key", maxRetries: 0 }) };
}

const chatTools: OpenAI.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Weather for a city",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
];
const responsesTools: OpenAI.Responses.FunctionTool[] = [
  {
    type: "function",
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    strict: false,
  },
];

type FunctionCallItem = { type: "function_call"; call_id: string; name: string; arguments: string };
const functionCalls = (output: ReadonlyArray<{ type: string }>) => output.filter((o) => o.type === "function_call") as unknown as FunctionCallItem[];

const expectedCalls = TOOL_CALLS.map((c) => ({ id: c.id, name: "get_weather", input: c.input }));

function assertAnthropicHeaders(req: RecordedRequest): void {
  expect(req.url).toBe("/v1/messages");
  expect(req.headers["x-api-key"]).toBe("sk-ant-upstream");
  expect(req.headers["anthropic-version"]).toBe("2023-06-01");
  expect(req.headers.authorization).toBeUndefined();
}

describe("openai SDK chat.completions on an Anthropic backend", () => {
  it("non-streaming: the tool calls, text and usage come back; the upstream got a valid Anthropic body", async () => {
    const { up, openai } = await setup();
    const res = await openai.chat.completions.create({
      model: "claude-via-proxy",
      messages: [
        { role: "system", content: "You are a weather bot." },
        { role: "user", content: "Weather in Paris and Oslo?" },
      ],
      tools: chatTools,
      temperature: 0.3,
    });
    expect(res.object).toBe("chat.completion");
    expect(res.model).toBe("claude-via-proxy");
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("Let me check both.");
    expect(
      choice.message.tool_calls!.map((c) => (c.type === "function" ? { id: c.id, name: c.function.name, input: JSON.parse(c.function.arguments) } : c)),
    ).toEqual(expectedCalls);
    expect(res.usage).toMatchObject({ prompt_tokens: 140, completion_tokens: 48, total_tokens: 188 });

    expect(up.requests).toHaveLength(1);
    const sent = up.requests[0]!;
    assertAnthropicHeaders(sent);
    expect(sent.json).toEqual({
      model: "claude-upstream-1",
      max_tokens: 4096,
      system: [{ type: "text", text: "You are a weather bot." }],
      messages: [{ role: "user", content: [{ type: "text", text: "Weather in Paris and Oslo?" }] }],
      tools: [
        { name: "get_weather", description: "Weather for a city", input_schema: chatTools[0]!.type === "function" ? chatTools[0]!.function.parameters : {} },
      ],
      temperature: 0.3,
      stream: false,
    });
  });

  it("streaming with thinking: reasoning_content, text and fragmented tool calls; turn 2 merges the tool results into one user turn", async () => {
    const { up, openai } = await setup();
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "system", content: "You are a weather bot." },
      { role: "user", content: "Weather in Paris and Oslo?" },
    ];
    const stream = await openai.chat.completions.create({
      model: "claude-via-proxy",
      messages,
      tools: chatTools,
      reasoning_effort: "high",
      max_completion_tokens: 20000,
      stream: true,
      stream_options: { include_usage: true },
    });
    let reasoning = "";
    let text = "";
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    const calls: Array<{ id: string; name: string; args: string }> = [];
    let argChunks = 0;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const c = chunk.choices[0];
      if (!c) continue;
      reasoning += (c.delta as { reasoning_content?: string }).reasoning_content ?? "";
      text += c.delta.content ?? "";
      finish = c.finish_reason ?? finish;
      for (const tc of c.delta.tool_calls ?? []) {
        if (tc.id) calls[tc.index] = { id: tc.id, name: tc.function?.name ?? "", args: "" };
        if (tc.function?.arguments) {
          calls[tc.index]!.args += tc.function.arguments;
          argChunks++;
        }
      }
    }
    expect(reasoning).toBe(THINKING.join(""));
    expect(text).toBe("Let me check both.");
    expect(finish).toBe("tool_calls");
    expect(calls.map((c) => ({ id: c.id, name: c.name, input: JSON.parse(c.args) }))).toEqual(expectedCalls);
    expect(argChunks).toBeGreaterThanOrEqual(4); // fragments stay fragments
    expect(usage).toMatchObject({ prompt_tokens: 140, completion_tokens: 48 });

    const first = up.requests[0]!;
    assertAnthropicHeaders(first);
    expect(first.json).toMatchObject({ model: "claude-upstream-1", stream: true, system: [{ type: "text", text: "You are a weather bot." }] });
    const thinking = first.json!.thinking as { type: string; budget_tokens: number };
    expect(thinking.type).toBe("enabled");
    expect(first.json!.max_tokens as number).toBeGreaterThan(thinking.budget_tokens);

    // Turn 2: the assistant turn as the SDK user would send it back, plus one tool message per call.
    messages.push({
      role: "assistant",
      content: text,
      tool_calls: calls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.args } })),
      reasoning_content: reasoning,
    } as OpenAI.ChatCompletionAssistantMessageParam);
    messages.push({ role: "tool", tool_call_id: calls[0]!.id, content: "Paris: 21 C, sunny" });
    messages.push({ role: "tool", tool_call_id: calls[1]!.id, content: "Oslo: 9 C, rain" });
    const second = await openai.chat.completions.create({
      model: "claude-via-proxy",
      messages,
      tools: chatTools,
      reasoning_effort: "high",
      max_completion_tokens: 20000,
    });
    expect(second.choices[0]!.message.content).toBe("Sunny in Paris, rain in Oslo.");
    expect(second.choices[0]!.finish_reason).toBe("stop");

    const sent = up.requests[1]!;
    assertAnthropicHeaders(sent);
    const sentMessages = sent.json!.messages as Array<{ role: string; content: Block[] }>;
    expect(sentMessages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(sentMessages[2]!.content).toEqual([
      { type: "tool_result", tool_use_id: "toolu_01Paris", content: "Paris: 21 C, sunny" },
      { type: "tool_result", tool_use_id: "toolu_02Oslo", content: "Oslo: 9 C, rain" },
    ]);
    // Chat has no field for the thinking signature, so the thinking block cannot be replayed: the
    // proxy must not send `thinking` into an open tool loop whose assistant turn has no signed block.
    expect(sentMessages[1]!.content.map((b) => b.type)).toEqual(["text", "tool_use", "tool_use"]);
    expect(sent.json!.thinking).toBeUndefined();
  });
});

describe("openai SDK responses on an Anthropic backend", () => {
  it("responses.create and responses.stream().finalResponse() give the same output", async () => {
    const { up, openai } = await setup();
    const params = { model: "claude-via-proxy", instructions: "You are a weather bot.", input: "Weather in Paris and Oslo?", tools: responsesTools };
    const created = await openai.responses.create(params);
    const streamed = await openai.responses.stream(params).finalResponse();
    for (const r of [created, streamed]) {
      expect(r.status).toBe("completed");
      expect(r.model).toBe("claude-via-proxy");
      expect(r.output_text).toBe("Let me check both.");
      const fcs = functionCalls(r.output);
      expect(fcs.map((o) => ({ id: o.call_id, name: o.name, input: JSON.parse(o.arguments) }))).toEqual(expectedCalls);
      expect(r.usage).toMatchObject({ input_tokens: 140, output_tokens: 48 });
    }
    expect(up.requests).toHaveLength(2);
    for (const sent of up.requests) {
      assertAnthropicHeaders(sent);
      expect(sent.json).toMatchObject({
        model: "claude-upstream-1",
        max_tokens: 4096,
        system: [{ type: "text", text: "You are a weather bot." }],
        messages: [{ role: "user", content: [{ type: "text", text: "Weather in Paris and Oslo?" }] }],
      });
    }
    expect(up.requests.map((r) => r.json!.stream)).toEqual([false, true]);
  });

  it("a thinking signature from turn 1 goes back byte for byte in turn 2 (reasoning items round-trip)", async () => {
    const { up, openai } = await setup();
    const input: OpenAI.Responses.ResponseInputItem[] = [{ role: "user", content: "Weather in Paris and Oslo?" }];
    const first = await openai.responses
      .stream({
        model: "claude-via-proxy",
        input,
        tools: responsesTools,
        reasoning: { effort: "high", summary: "auto" },
        store: false,
        include: ["reasoning.encrypted_content"],
      })
      .finalResponse();
    const reasoningItem = first.output.find((o) => o.type === "reasoning");
    expect(reasoningItem, JSON.stringify(first.output)).toBeDefined();
    expect(JSON.stringify(reasoningItem)).toContain("for two cities");
    expect(typeof reasoningItem!.encrypted_content).toBe("string");
    const calls = functionCalls(first.output);
    expect(calls).toHaveLength(2);

    // Codex-style stateless turn 2: the whole history, reasoning item included, then the outputs.
    input.push(...(first.output as OpenAI.Responses.ResponseInputItem[]));
    input.push({ type: "function_call_output", call_id: calls[0]!.call_id, output: "Paris: 21 C, sunny" });
    input.push({ type: "function_call_output", call_id: calls[1]!.call_id, output: "Oslo: 9 C, rain" });
    const second = await openai.responses.create({ model: "claude-via-proxy", input, tools: responsesTools, reasoning: { effort: "high" }, store: false });
    expect(second.output_text).toBe("Sunny in Paris, rain in Oslo.");

    const sent = up.requests[1]!;
    assertAnthropicHeaders(sent);
    expect((sent.json!.thinking as { type: string }).type).toBe("enabled");
    const msgs = sent.json!.messages as Array<{ role: string; content: Block[] }>;
    expect(msgs.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(msgs[1]!.content[0]).toEqual({ type: "thinking", thinking: THINKING.join(""), signature: SIGNATURE });
    expect(msgs[1]!.content.slice(1).map((b) => b.type)).toEqual(["text", "tool_use", "tool_use"]);
    expect(msgs[2]!.content.map((b) => [b.type, b.tool_use_id])).toEqual([
      ["tool_result", "toolu_01Paris"],
      ["tool_result", "toolu_02Oslo"],
    ]);
    // Byte for byte, in the raw body the upstream received.
    expect(sent.body).toContain(JSON.stringify(SIGNATURE));
  });

  it("previous_response_id chains rebuild the history, signature included", async () => {
    const { up, openai } = await setup();
    const first = await openai.responses.create({
      model: "claude-via-proxy",
      input: "Weather in Paris and Oslo?",
      tools: responsesTools,
      reasoning: { effort: "high" },
    });
    const calls = functionCalls(first.output);
    const second = await openai.responses.create({
      model: "claude-via-proxy",
      previous_response_id: first.id,
      input: calls.map((c, i) => ({ type: "function_call_output" as const, call_id: c.call_id, output: i === 0 ? "Paris: 21 C" : "Oslo: 9 C" })),
      tools: responsesTools,
      reasoning: { effort: "high" },
    });
    expect(second.output_text).toBe("Sunny in Paris, rain in Oslo.");
    expect(second.previous_response_id).toBe(first.id);
    const msgs = up.requests[1]!.json!.messages as Array<{ role: string; content: Block[] }>;
    expect(msgs[1]!.content[0]).toEqual({ type: "thinking", thinking: THINKING.join(""), signature: SIGNATURE });
  });
});

describe("Anthropic upstream errors reach OpenAI clients in OpenAI's shape", () => {
  async function failing(handler: (req: RecordedRequest, res: ServerResponse) => Promise<void> | void): Promise<OpenAI> {
    const up = await startUpstream(handler);
    cleanup.push(up.close);
    const p = await startProxy(`
model_list:
  - model_name: claude-via-proxy
    model_params: { api_type: anthropic, api_base: ${up.url}, api_key: sk-ant-upstream, model: claude-upstream-1 }
router_settings: { num_retries: 0 }
`);
    cleanup.push(p.close);
    return new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "client-key", maxRetries: 0 });
  }

  it("a 429 rate_limit_error is a RateLimitError with Anthropic's message", async () => {
    const openai = await failing((_req, res) =>
      sendJson(
        res,
        429,
        { type: "error", error: { type: "rate_limit_error", message: "Number of request tokens has exceeded your per-minute rate limit" } },
        { "retry-after": "0" },
      ),
    );
    const err = await openai.chat.completions.create({ model: "claude-via-proxy", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).message).toContain("per-minute rate limit");
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).error).toMatchObject({ message: expect.stringContaining("per-minute rate limit") });
  });

  it("a 400 invalid_request_error keeps its status and message", async () => {
    const openai = await failing((_req, res) =>
      sendJson(res, 400, { type: "error", error: { type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" } }),
    );
    const err = await openai.responses.create({ model: "claude-via-proxy", input: "hi" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain("prompt is too long");
  });

  const overloadedMidStream = async (_req: RecordedRequest, res: ServerResponse) =>
    writeSse(res, [
      anthropicFrame("message_start", {
        message: {
          id: "msg_x",
          type: "message",
          role: "assistant",
          model: "claude-upstream-1",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 5, output_tokens: 1 },
        },
      }),
      anthropicFrame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      anthropicFrame("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Hel" } }),
      anthropicFrame("error", { error: { type: "overloaded_error", message: "Overloaded" } }),
    ]);

  it("an event: error mid-stream makes the chat stream throw after the text so far", async () => {
    const openai = await failing(overloadedMidStream);
    const stream = await openai.chat.completions.create({ model: "claude-via-proxy", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })().catch((e: unknown) => e);
    expect(text).toBe("Hel");
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain("Overloaded");
  });

  it("an event: error mid-stream fails the Responses stream", async () => {
    const openai = await failing(overloadedMidStream);
    const stream = openai.responses.stream({ model: "claude-via-proxy", input: "hi" });
    const types: string[] = [];
    stream.on("event", (e) => types.push(e.type));
    // The SDK rejects with the `error` event itself.
    const err = await stream.finalResponse().catch((e: unknown) => e);
    expect(err).toMatchObject({ type: "error", message: "Overloaded" });
    expect(types).toContain("response.output_text.delta");
    expect(types).not.toContain("response.completed");
    // On the wire, the stream still ends with its terminal event (Codex needs one).
    const raw = await fetch(`${openai.baseURL}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-via-proxy", input: "hi", stream: true }),
    });
    const frames = parseSse(await raw.text());
    expect(frames.slice(-2).map((f) => f.event)).toEqual(["error", "response.failed"]);
    expect(frames[frames.length - 1]!.json.response).toMatchObject({ status: "failed", error: { message: "Overloaded" }, output_text: "Hel" });
  });
});
