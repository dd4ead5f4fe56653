// A native Responses upstream (`api_type: openai-responses`) scripted on loopback: Responses clients
// get its stream passed through as it comes, and Chat clients (`openai` SDK chat.completions) get
// proper chat completions translated from it, with the upstream receiving a valid Responses request.

import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";
import { parseSse, writeSse } from "../lib/scripted.js";

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

/** A proxy with one native Responses model `resp-native` (upstream name `gpt-up`) on `up`. */
async function nativeProxy(up: Upstream): Promise<RunningProxy> {
  const p = await startProxy(`
model_list:
  - model_name: resp-native
    model_params: { api_type: openai-responses, api_base: ${up.url}, api_key: sk-up, model: gpt-up }
router_settings: { num_retries: 0 }
`);
  cleanup.push(p.close);
  return p;
}

function client(p: RunningProxy): OpenAI {
  return new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "test-key", maxRetries: 0 });
}

// A recorded OpenAI Responses stream (vercel/ai fixture, Apache-2.0): reasoning summary with
// encrypted_content, then a `calculator` function call.
const fixturePayloads = readFileSync(new URL("../../packages/translate/src/__fixtures__/responses-reasoning-function-call.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as Record<string, any>);
const fixtureFrames = fixturePayloads.map((d) => `event: ${d.type}\ndata: ${JSON.stringify(d)}\n\n`);
const fixtureFinal = fixturePayloads.at(-1)!.response as Record<string, any>;

/** A Responses text answer, as OpenAI streams it. */
function textEvents(parts: string[], usage = { input_tokens: 11, output_tokens: 3, total_tokens: 14 }): { frames: string[]; final: Record<string, unknown> } {
  const base = {
    id: "resp_up1",
    object: "response",
    created_at: 1765552659,
    model: "gpt-up",
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
  const text = parts.join("");
  const item = {
    id: "msg_up1",
    type: "message",
    status: "completed",
    role: "assistant",
    content: [{ type: "output_text", text, annotations: [], logprobs: [] }],
  };
  const final = {
    ...base,
    status: "completed",
    output: [item],
    usage: {
      input_tokens: usage.input_tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.output_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.total_tokens,
    },
  };
  const events: Array<Record<string, unknown>> = [
    { type: "response.created", response: { ...base, status: "in_progress", output: [], usage: null } },
    { type: "response.in_progress", response: { ...base, status: "in_progress", output: [], usage: null } },
    { type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress", content: [] } },
    {
      type: "response.content_part.added",
      item_id: "msg_up1",
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [], logprobs: [] },
    },
    ...parts.map((delta) => ({ type: "response.output_text.delta", item_id: "msg_up1", output_index: 0, content_index: 0, delta, logprobs: [] })),
    { type: "response.output_text.done", item_id: "msg_up1", output_index: 0, content_index: 0, text, logprobs: [] },
    { type: "response.content_part.done", item_id: "msg_up1", output_index: 0, content_index: 0, part: item.content[0] },
    { type: "response.output_item.done", output_index: 0, item },
    { type: "response.completed", response: final },
  ];
  return { frames: events.map((e, i) => `event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`), final };
}

describe("Responses clients on a native Responses backend (pass-through)", () => {
  it("the recorded stream reaches the client event for event, byte for byte", async () => {
    const up = await upstream((_req, res) => writeSse(res, fixtureFrames, 1));
    const p = await nativeProxy(up);
    const body = {
      model: "resp-native",
      input: "Compute (12+7)*3*10",
      stream: true,
      store: false,
      include: ["reasoning.encrypted_content"],
      reasoning: { effort: "high", summary: "detailed" },
      tools: [fixtureFinal.tools[0]],
    };
    const res = await fetch(`${p.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer client-key" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toBe(fixtureFrames.join(""));
    const frames = parseSse(text);
    expect(frames.map((f) => f.json)).toEqual(fixturePayloads);

    // The upstream got the client's request with only the model name replaced.
    const sent = up.requests[0]!;
    expect(sent.url).toBe("/v1/responses");
    expect(sent.headers.authorization).toBe("Bearer sk-up");
    expect(sent.json).toEqual({ ...body, model: "gpt-up" });
  });

  it("the openai SDK's responses.stream() accumulates the passed-through stream", async () => {
    const up = await upstream((_req, res) => writeSse(res, fixtureFrames, 0));
    const p = await nativeProxy(up);
    const final = await client(p).responses.stream({ model: "resp-native", input: "Compute (12+7)*3*10", store: false }).finalResponse();
    expect(final.id).toBe(fixtureFinal.id);
    expect(final.status).toBe("completed");
    expect(final.output.map((i) => i.type)).toEqual(["reasoning", "function_call"]);
    const call = final.output[1]!;
    if (call.type !== "function_call") throw new Error("expected a function_call");
    expect(call).toMatchObject({ call_id: "call_AB6AaRZ1FYZB2RwS6A5vbdqn", name: "calculator", arguments: '{"a":12,"b":7,"op":"add"}' });
    const reasoning = final.output[0]!;
    if (reasoning.type !== "reasoning") throw new Error("expected reasoning");
    expect(reasoning.encrypted_content).toBe(fixtureFinal.output[0].encrypted_content);
    expect(final.usage).toMatchObject({ input_tokens: 134, output_tokens: 28, total_tokens: 162 });
  });

  it("a JSON answer is passed through unchanged", async () => {
    const { final } = textEvents(["Hello ", "there."]);
    const up = await upstream((_req, res) => sendJson(res, 200, final));
    const p = await nativeProxy(up);
    const r = await client(p).responses.create({ model: "resp-native", input: "Hi" });
    expect(r.id).toBe("resp_up1");
    expect(r.output_text).toBe("Hello there.");
    expect(r.model).toBe("gpt-up");
    expect(up.requests[0]!.json).toEqual({ model: "gpt-up", input: "Hi" });
  });

  it("an upstream id of 300 characters is stored and served by GET, input_items and DELETE; one past 1024 gets a 414 in OpenAI's shape", async () => {
    const longId = `resp_${"a1".repeat(150)}`;
    const { final } = textEvents(["Hello."]);
    const up = await upstream((_req, res) => sendJson(res, 200, { ...final, id: longId }));
    const p = await nativeProxy(up);
    const created = await client(p).responses.create({ model: "resp-native", input: "Hi" });
    expect(created.id).toBe(longId);
    const got = await fetch(`${p.url}/v1/responses/${longId}`);
    expect(got.status).toBe(200);
    expect(((await got.json()) as { id: string }).id).toBe(longId);
    const items = await fetch(`${p.url}/v1/responses/${longId}/input_items`);
    expect(items.status).toBe(200);
    expect(((await items.json()) as { data: unknown[] }).data).toHaveLength(1);
    const cancel = await fetch(`${p.url}/v1/responses/${longId}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(400);
    expect(await cancel.json()).toMatchObject({ error: { param: "response_id" } });
    const deleted = await fetch(`${p.url}/v1/responses/${longId}`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: longId, object: "response", deleted: true });

    const tooLong = await fetch(`${p.url}/v1/responses/resp_${"b".repeat(1100)}`);
    expect(tooLong.status).toBe(414);
    expect(await tooLong.json()).toMatchObject({ error: { message: expect.any(String), type: "invalid_request_error" } });
  });
});

describe("Chat clients on a native Responses backend (translated)", () => {
  const calculatorParameters = {
    type: "object",
    properties: { a: { type: "number" }, b: { type: "number" }, op: { type: "string" } },
    required: ["a", "b", "op"],
  };
  const tools: OpenAI.Chat.ChatCompletionTool[] = [
    { type: "function", function: { name: "calculator", description: "A minimal calculator for basic arithmetic.", parameters: calculatorParameters } },
  ];

  it("a streamed tool call (recorded stream): tool_calls, reasoning_content, finish_reason and usage", async () => {
    const up = await upstream((_req, res) => writeSse(res, fixtureFrames, 0));
    const p = await nativeProxy(up);
    const stream = await client(p).chat.completions.create({
      model: "resp-native",
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: "system", content: "You are a calculator." },
        { role: "user", content: "Compute (12+7)*3*10" },
      ],
      tools,
      tool_choice: "auto",
    });
    let reasoning = "";
    let args = "";
    const starts: Array<{ index: number; id?: string; name?: string }> = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.model).toBe("resp-native");
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      reasoning += (choice.delta as { reasoning_content?: string }).reasoning_content ?? "";
      for (const tc of choice.delta.tool_calls ?? []) {
        if (tc.id) starts.push({ index: tc.index, id: tc.id, name: tc.function?.name });
        args += tc.function?.arguments ?? "";
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(chunks).toBeGreaterThan(10);
    expect(starts).toEqual([{ index: 0, id: "call_AB6AaRZ1FYZB2RwS6A5vbdqn", name: "calculator" }]);
    expect(JSON.parse(args)).toEqual({ a: 12, b: 7, op: "add" });
    expect(reasoning).toBe(fixtureFinal.output[0].summary[0].text);
    expect(finish).toBe("tool_calls");
    expect(usage).toMatchObject({ prompt_tokens: 134, completion_tokens: 28, total_tokens: 162 });

    const sent = up.requests[0]!.json!;
    expect(sent).toMatchObject({
      model: "gpt-up",
      instructions: "You are a calculator.",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "Compute (12+7)*3*10" }] }],
      tools: [
        { type: "function", name: "calculator", description: "A minimal calculator for basic arithmetic.", parameters: calculatorParameters, strict: false },
      ],
      tool_choice: "auto",
      stream: true,
    });
    expect(sent).not.toHaveProperty("messages");
    expect(sent).not.toHaveProperty("stream_options");
    expect((sent.tools as Array<Record<string, unknown>>)[0]).not.toHaveProperty("function");
  });

  it("the SDK's chat stream helper and a non-streamed call build the same tool-call message", async () => {
    const up = await upstream((req, res) => (req.json?.stream === true ? writeSse(res, fixtureFrames, 0) : sendJson(res, 200, fixtureFinal)));
    const p = await nativeProxy(up);
    const c = client(p);
    const params = { model: "resp-native", messages: [{ role: "user" as const, content: "Compute (12+7)*3*10" }], tools };
    const created = await c.chat.completions.create(params);
    const streamed = await c.chat.completions.stream(params).finalChatCompletion();
    for (const r of [created, streamed]) {
      const choice = r.choices[0]!;
      expect(choice.finish_reason).toBe("tool_calls");
      expect(choice.message.tool_calls).toEqual([
        { id: "call_AB6AaRZ1FYZB2RwS6A5vbdqn", type: "function", function: { name: "calculator", arguments: '{"a":12,"b":7,"op":"add"}' } },
      ]);
    }
    expect(created.usage).toMatchObject({ prompt_tokens: 134, completion_tokens: 28, total_tokens: 162 });
    expect(created.object).toBe("chat.completion");
  });

  it("text answers, streamed and not, and a full tool round trip in the request", async () => {
    const { frames, final } = textEvents(["The answer ", "is 570."]);
    const up = await upstream((req, res) => (req.json?.stream === true ? writeSse(res, frames) : sendJson(res, 200, final)));
    const p = await nativeProxy(up);
    const c = client(p);
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: "system", content: "You are a calculator." },
      { role: "user", content: "Compute (12+7)*3*10" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "calculator", arguments: '{"a":12,"b":7,"op":"add"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "19" },
    ];

    const created = await c.chat.completions.create({ model: "resp-native", messages, tools, max_tokens: 50, temperature: 0.5 });
    expect(created.choices[0]!.message.content).toBe("The answer is 570.");
    expect(created.choices[0]!.finish_reason).toBe("stop");
    expect(created.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });

    const stream = await c.chat.completions.create({ model: "resp-native", messages, tools, stream: true, stream_options: { include_usage: true } });
    const deltas: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const d = chunk.choices[0]?.delta.content;
      if (d) deltas.push(d);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas).toEqual(["The answer ", "is 570."]);
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });

    const [plain, streamed] = up.requests.map((r) => r.json!);
    const expectedInput = [
      { type: "message", role: "user", content: [{ type: "input_text", text: "Compute (12+7)*3*10" }] },
      { type: "function_call", call_id: "call_1", name: "calculator", arguments: '{"a":12,"b":7,"op":"add"}' },
      { type: "function_call_output", call_id: "call_1", output: "19" },
    ];
    expect(plain).toMatchObject({
      model: "gpt-up",
      instructions: "You are a calculator.",
      input: expectedInput,
      max_output_tokens: 50,
      temperature: 0.5,
      stream: false,
    });
    expect(streamed).toMatchObject({ instructions: "You are a calculator.", input: expectedInput, stream: true });
    expect(plain).not.toHaveProperty("max_tokens");
  });
});
