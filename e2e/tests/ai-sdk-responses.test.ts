// The AI SDK's OpenAI Responses model (`createOpenAI(...).responses(id)`) through /v1/responses on a
// loopback chat-completions upstream: generateText and streamText, with a tool the SDK executes
// itself between steps (so the second step replays the tool call and its result).

import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";
import { type ScriptedAnswer, chatCompletionOf, chatStreamFrames, writeSse } from "../lib/scripted.js";

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** An upstream answering the scripted answers in order (stream or JSON, as asked), and a proxy on it. */
async function setup(answers: ScriptedAnswer[], extra: { params?: string; settings?: string } = {}): Promise<{ up: Upstream; p: RunningProxy }> {
  const up = await startUpstream(async (req, res, i) => {
    const answer = answers[i] ?? { text: ["(no more answers)"] };
    if (req.json?.stream === true) await writeSse(res, chatStreamFrames(answer));
    else sendJson(res, 200, chatCompletionOf(answer));
  });
  cleanup.push(up.close);
  const p = await startProxy(`
model_list:
  - model_name: resp-chat
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-model${extra.params ?? ""} }
router_settings: { num_retries: 0 }
${extra.settings ?? ""}
`);
  cleanup.push(p.close);
  return { up, p };
}

/** The provider with a fetch that records each request body it sends (and really sends it). */
function provider(p: RunningProxy, sent: Array<Record<string, any>>) {
  return createOpenAI({
    baseURL: `${p.url}/v1`,
    apiKey: "test-key",
    fetch: async (url, init) => {
      if (typeof init?.body === "string") sent.push(JSON.parse(init.body) as Record<string, any>);
      return fetch(url, init);
    },
  });
}

/** With store on (the SDK's default), step 2 refers to step 1's output items by id only. */
function expectItemReferences(sent: Array<Record<string, any>>): void {
  expect(sent).toHaveLength(2);
  expect(sent[1]!.previous_response_id).toBeUndefined();
  const refs = (sent[1]!.input as Array<Record<string, any>>).filter((i) => i.type === "item_reference");
  expect(refs).toHaveLength(2);
  for (const ref of refs) expect(ref.id).toMatch(/^(msg|fc)_[0-9a-f]{24}_\d+$/);
}

function weatherTool(calls: Array<{ city: string }>) {
  return tool({
    description: "Weather for a city",
    inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false }),
    execute: async (input) => {
      calls.push(input);
      return { city: input.city, sky: "sunny", tempC: 21 };
    },
  });
}

const script: ScriptedAnswer[] = [
  {
    text: ["Let me check."],
    toolCalls: [{ id: "call_ai1", name: "get_weather", argumentFragments: ['{"ci', 'ty":', '"Oslo"}'] }],
    usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 },
  },
  { text: ["Oslo is ", "sunny, 21°C."], usage: { prompt_tokens: 40, completion_tokens: 7, total_tokens: 47 } },
];

/** What the second upstream request must look like: the tool call and its result replayed as chat messages. */
function expectReplayedToolTurn(up: Upstream): void {
  expect(up.requests).toHaveLength(2);
  const first = up.requests[0]!.json!;
  expect(first).toMatchObject({
    model: "up-model",
    tools: [
      { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } },
    ],
  });
  const messages = up.requests[1]!.json!.messages as Array<Record<string, unknown>>;
  expect(messages[0]).toEqual({ role: "user", content: "Weather in Oslo?" });
  const assistant = messages[1]!;
  expect(assistant.role).toBe("assistant");
  expect(assistant.content).toBe("Let me check.");
  expect(assistant.tool_calls).toEqual([{ id: "call_ai1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }]);
  expect(messages[2]).toMatchObject({ role: "tool", tool_call_id: "call_ai1" });
  expect(JSON.parse(messages[2]!.content as string)).toEqual({ city: "Oslo", sky: "sunny", tempC: 21 });
  expect(messages).toHaveLength(3);
}

describe("AI SDK OpenAI Responses model on a chat-completions backend", () => {
  it("generateText: a tool step, then the final text", async () => {
    const { up, p } = await setup(script);
    const sent: Array<Record<string, any>> = [];
    const openai = provider(p, sent);
    const calls: Array<{ city: string }> = [];
    const result = await generateText({
      model: openai.responses("resp-chat"),
      prompt: "Weather in Oslo?",
      tools: { get_weather: weatherTool(calls) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect(calls).toEqual([{ city: "Oslo" }]);
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.finishReason).toBe("tool-calls");
    expect(result.steps[0]!.toolCalls.map((c) => [c.toolCallId, c.toolName, c.input])).toEqual([["call_ai1", "get_weather", { city: "Oslo" }]]);
    expect(result.steps[0]!.text).toBe("Let me check.");
    expect(result.text).toBe("Oslo is sunny, 21°C.");
    expect(result.finishReason).toBe("stop");
    expect(result.steps[1]!.usage).toMatchObject({ inputTokens: 40, outputTokens: 7, totalTokens: 47 });
    expect(result.response.modelId).toBe("resp-chat");
    expect(result.response.id).toMatch(/^resp_/);
    expectReplayedToolTurn(up);
    expectItemReferences(sent);
    expect(up.requests.map((r) => r.json!.stream)).toEqual([false, false]);
  });

  it("streamText: text deltas, the tool call with parsed input, then the final text", async () => {
    const { up, p } = await setup(script);
    const sent: Array<Record<string, any>> = [];
    const openai = provider(p, sent);
    const calls: Array<{ city: string }> = [];
    const result = streamText({
      model: openai.responses("resp-chat"),
      prompt: "Weather in Oslo?",
      tools: { get_weather: weatherTool(calls) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    const kinds: string[] = [];
    const toolInputDeltas: string[] = [];
    for await (const part of result.fullStream) {
      if (part.type === "error") throw part.error;
      kinds.push(part.type);
      if (part.type === "tool-input-delta") toolInputDeltas.push(part.delta);
    }
    expect(calls).toEqual([{ city: "Oslo" }]);
    expect(await result.text).toBe("Oslo is sunny, 21°C.");
    expect(await result.finishReason).toBe("stop");
    const steps = await result.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0]!.toolCalls.map((c) => [c.toolCallId, c.toolName, c.input])).toEqual([["call_ai1", "get_weather", { city: "Oslo" }]]);
    expect(steps[0]!.toolResults.map((r) => r.output)).toEqual([{ city: "Oslo", sky: "sunny", tempC: 21 }]);
    expect(toolInputDeltas.join("")).toBe('{"city":"Oslo"}');
    expect(kinds).toContain("tool-call");
    expect(kinds).toContain("tool-result");
    expect(kinds.filter((k) => k === "finish-step")).toHaveLength(2);
    expect((await result.totalUsage).totalTokens).toBe(29 + 47);
    expectReplayedToolTurn(up);
    expectItemReferences(sent);
    expect(up.requests.map((r) => (r.json as { stream_options?: unknown }).stream_options)).toEqual([{ include_usage: true }, { include_usage: true }]);
  });
});

describe("AI SDK OpenAI Responses model: a chat backend's reasoning_content", () => {
  // The SDK reads reasoning summaries only; the proxy sends raw reasoning as a summary too.
  const thinking: ScriptedAnswer[] = [
    { reasoning: ["Oslo, so ", "call get_weather."], toolCalls: [{ id: "call_ai2", name: "get_weather", argumentFragments: ['{"city":"Oslo"}'] }] },
    { reasoning: ["Sunny: ", "say so."], text: ["Sunny in Oslo."] },
  ];

  /** The second chat request: the first step's reasoning went back with its tool call (the model takes reasoning history). */
  function expectReasoningReplayed(up: Upstream): void {
    const assistant = (up.requests[1]!.json!.messages as Array<Record<string, any>>).find((m) => m.role === "assistant");
    expect(assistant).toMatchObject({ reasoning_content: "Oslo, so call get_weather.", tool_calls: [{ id: "call_ai2" }] });
  }

  it("generateText: each step's reasoningText, and the reasoning item replayed by reference", async () => {
    const { up, p } = await setup(thinking, { params: ", supports_reasoning: true" });
    const sent: Array<Record<string, any>> = [];
    const calls: Array<{ city: string }> = [];
    const result = await generateText({
      model: provider(p, sent).responses("resp-chat"),
      prompt: "Weather in Oslo?",
      tools: { get_weather: weatherTool(calls) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect(calls).toEqual([{ city: "Oslo" }]);
    expect(result.steps.map((s) => s.reasoningText)).toEqual(["Oslo, so call get_weather.", "Sunny: say so."]);
    expect(result.text).toBe("Sunny in Oslo.");
    expect((sent[1]!.input as Array<Record<string, any>>).filter((i) => i.type === "item_reference").map((i) => String(i.id).slice(0, 3))).toEqual([
      "rs_",
      "fc_",
    ]);
    expectReasoningReplayed(up);
  });

  it("streamText: reasoning-delta parts as they stream, before the tool call", async () => {
    const { up, p } = await setup(thinking, { params: ", supports_reasoning: true" });
    const calls: Array<{ city: string }> = [];
    const result = streamText({
      model: provider(p, []).responses("resp-chat"),
      prompt: "Weather in Oslo?",
      tools: { get_weather: weatherTool(calls) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    const deltas: string[] = [];
    const kinds: string[] = [];
    for await (const part of result.fullStream) {
      if (part.type === "error") throw part.error;
      kinds.push(part.type);
      if (part.type === "reasoning-delta") deltas.push(part.text);
    }
    expect(deltas).toEqual(["Oslo, so ", "call get_weather.", "Sunny: ", "say so."]);
    expect(kinds.indexOf("reasoning-end")).toBeLessThan(kinds.indexOf("tool-call"));
    expect((await result.steps).map((s) => s.reasoningText)).toEqual(["Oslo, so call get_weather.", "Sunny: say so."]);
    expect(await result.text).toBe("Sunny in Oslo.");
    expectReasoningReplayed(up);
  });

  it("with proxy_settings.responses.reasoning: content, the reasoning is reasoning_text only, which the SDK does not read", async () => {
    const { p } = await setup([thinking[1]!, thinking[1]!], { settings: "proxy_settings: { responses: { reasoning: content } }" });
    const result = await generateText({ model: provider(p, []).responses("resp-chat"), prompt: "Weather?", maxRetries: 0 });
    expect(result.text).toBe("Sunny in Oslo.");
    expect(result.reasoningText ?? "").toBe("");
    const raw = await fetch(`${p.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"model":"resp-chat","input":"x"}',
    });
    expect(((await raw.json()) as { output: unknown[] }).output[0]).toMatchObject({
      summary: [],
      content: [{ type: "reasoning_text", text: "Sunny: say so." }],
    });
  });
});

describe("AI SDK OpenAI Responses model on a native Responses backend", () => {
  /** A Responses SSE answer: optional text message, then optional function call. */
  function responsesFrames(n: number, text: string | undefined, call?: { callId: string; name: string; args: string }): string[] {
    const id = `resp_up${n}`;
    const base = {
      id,
      object: "response",
      created_at: 1765552659,
      model: "up-model",
      error: null,
      incomplete_details: null,
      instructions: null,
      tools: [],
      parallel_tool_calls: true,
      tool_choice: "auto",
      metadata: {},
      temperature: 1,
      top_p: 1,
    };
    const events: Array<Record<string, unknown>> = [
      { type: "response.created", response: { ...base, status: "in_progress", output: [], usage: null } },
      { type: "response.in_progress", response: { ...base, status: "in_progress", output: [], usage: null } },
    ];
    const output: Array<Record<string, unknown>> = [];
    if (text !== undefined) {
      const msg = {
        id: `msg_up${n}`,
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text, annotations: [], logprobs: [] }],
      };
      const at = { item_id: msg.id, output_index: output.length, content_index: 0 };
      events.push({ type: "response.output_item.added", output_index: output.length, item: { ...msg, status: "in_progress", content: [] } });
      events.push({ type: "response.content_part.added", ...at, part: { type: "output_text", text: "", annotations: [], logprobs: [] } });
      events.push({ type: "response.output_text.delta", ...at, delta: text, logprobs: [] });
      events.push({ type: "response.output_text.done", ...at, text, logprobs: [] });
      events.push({ type: "response.content_part.done", ...at, part: msg.content[0] });
      events.push({ type: "response.output_item.done", output_index: output.length, item: msg });
      output.push(msg);
    }
    if (call) {
      const fc = { id: `fc_up${n}`, type: "function_call", status: "completed", arguments: call.args, call_id: call.callId, name: call.name };
      events.push({ type: "response.output_item.added", output_index: output.length, item: { ...fc, status: "in_progress", arguments: "" } });
      events.push({ type: "response.function_call_arguments.delta", item_id: fc.id, output_index: output.length, delta: call.args });
      events.push({ type: "response.function_call_arguments.done", item_id: fc.id, output_index: output.length, arguments: call.args });
      events.push({ type: "response.output_item.done", output_index: output.length, item: fc });
      output.push(fc);
    }
    const usage = {
      input_tokens: 20,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 25,
    };
    events.push({ type: "response.completed", response: { ...base, status: "completed", output, usage } });
    return events.map((e, i) => `event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`);
  }

  it("streamText with a tool step: the SDK's item_reference replay reaches the upstream unchanged", async () => {
    const up = await startUpstream(async (_req, res, i) => {
      if (i === 0) await writeSse(res, responsesFrames(0, "Let me check.", { callId: "call_n1", name: "get_weather", args: '{"city":"Oslo"}' }));
      else await writeSse(res, responsesFrames(1, "Oslo is sunny."));
    });
    cleanup.push(up.close);
    const p = await startProxy(`
model_list:
  - model_name: resp-native
    model_params: { api_type: openai-responses, api_base: ${up.url}, api_key: sk-up, model: up-model }
router_settings: { num_retries: 0 }
`);
    cleanup.push(p.close);
    const openai = createOpenAI({ baseURL: `${p.url}/v1`, apiKey: "test-key" });
    const calls: Array<{ city: string }> = [];
    const result = streamText({
      model: openai.responses("resp-native"),
      prompt: "Weather in Oslo?",
      tools: { get_weather: weatherTool(calls) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    for await (const part of result.fullStream) if (part.type === "error") throw part.error;
    expect(calls).toEqual([{ city: "Oslo" }]);
    expect(await result.text).toBe("Oslo is sunny.");
    expect(up.requests).toHaveLength(2);
    // store defaults to true, so the SDK refers to the upstream's own items by id.
    expect(up.requests[1]!.json!.input).toEqual([
      { role: "user", content: [{ type: "input_text", text: "Weather in Oslo?" }] },
      { type: "item_reference", id: "msg_up0" },
      { type: "item_reference", id: "fc_up0" },
      { type: "function_call_output", call_id: "call_n1", output: JSON.stringify({ city: "Oslo", sky: "sunny", tempC: 21 }) },
    ]);
    expect(up.requests[1]!.json!.model).toBe("up-model");
  });
});
