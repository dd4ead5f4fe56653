// The official `openai` SDK's Responses API (`responses.create`, `responses.stream`) through the proxy
// on a loopback OpenAI-compatible chat-completions upstream that streams the way real servers do:
// text, a fragmented tool call, a refusal, n: 2, a length cut, failures mid-stream, and the raw
// Responses event grammar the proxy writes.

import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, chatChunk, sendJson, sleep, sseHead, startProxy, startUpstream } from "../lib/harness.js";
import { DONE, type ScriptedAnswer, chatCompletionOf, chatStreamFrames, chatUsageChunk, parseSse, writeSse } from "../lib/scripted.js";

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

/** A proxy with one chat model `resp-chat` (upstream model name `up-model`) on `up`. */
async function chatProxy(up: Upstream): Promise<RunningProxy> {
  const p = await startProxy(`
model_list:
  - model_name: resp-chat
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-model }
router_settings: { num_retries: 0 }
`);
  cleanup.push(p.close);
  return p;
}

function client(p: RunningProxy): OpenAI {
  return new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "test-key", maxRetries: 0 });
}

/** Streaming requests get `frames`; the others one JSON completion. */
function answering(frames: string[], json: Record<string, unknown>): Parameters<typeof startUpstream>[0] {
  return async (req, res) => {
    if (req.json?.stream === true) await writeSse(res, frames);
    else sendJson(res, 200, json);
  };
}

function answeringScripted(a: ScriptedAnswer): Parameters<typeof startUpstream>[0] {
  return answering(chatStreamFrames(a), chatCompletionOf(a));
}

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" }, unit: { type: "string" } }, required: ["city"] },
  strict: false,
};

const toolAnswer: ScriptedAnswer = {
  toolCalls: [{ id: "call_w1", name: "get_weather", argumentFragments: ['{"ci', 'ty": "Par', 'is", "unit"', ': "c"}'] }],
  usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 },
};

/** Raw POST /v1/responses with stream: true; the SSE frames the proxy wrote. */
async function rawStream(p: RunningProxy, body: Record<string, unknown>) {
  const res = await fetch(`${p.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  return parseSse(await res.text());
}

describe("openai SDK responses.* on a chat-completions backend", () => {
  it("plain text: create and stream().finalResponse() agree, and the upstream got a proper chat request", async () => {
    const up = await upstream(
      answeringScripted({ text: ["Hello", " from", " upstream."], usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 } }),
    );
    const p = await chatProxy(up);
    const c = client(p);
    const params = { model: "resp-chat", instructions: "Be terse.", input: "Say hello", max_output_tokens: 64, temperature: 0.2 };

    const created = await c.responses.create(params);
    expect(created.object).toBe("response");
    expect(created.id).toMatch(/^resp_/);
    expect(created.status).toBe("completed");
    expect(created.model).toBe("resp-chat");
    expect(created.output_text).toBe("Hello from upstream.");
    expect(created.output).toHaveLength(1);
    expect(created.output[0]).toMatchObject({
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "Hello from upstream.", annotations: [] }],
    });
    expect(created.usage).toMatchObject({ input_tokens: 12, output_tokens: 4, total_tokens: 16 });
    expect(created.instructions).toBe("Be terse.");
    expect(created.max_output_tokens).toBe(64);

    const deltas: string[] = [];
    const stream = c.responses.stream(params);
    stream.on("response.output_text.delta", (e) => deltas.push(e.delta));
    const streamed = await stream.finalResponse();
    expect(deltas).toEqual(["Hello", " from", " upstream."]);
    expect(streamed.status).toBe("completed");
    expect(streamed.output_text).toBe("Hello from upstream.");
    expect(streamed.output[0]).toMatchObject({ type: "message", content: [{ type: "output_text", text: "Hello from upstream." }] });
    expect(streamed.usage).toMatchObject({ input_tokens: 12, output_tokens: 4, total_tokens: 16 });

    expect(up.requests).toHaveLength(2);
    const [plain, streamedReq] = up.requests.map((r) => r.json!);
    expect(up.requests[0]!.url).toBe("/v1/chat/completions");
    expect(plain).toMatchObject({
      model: "up-model",
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: "Say hello" },
      ],
      max_completion_tokens: 64,
      temperature: 0.2,
      stream: false,
    });
    expect(plain).not.toHaveProperty("max_output_tokens");
    expect(plain).not.toHaveProperty("stream_options");
    expect(streamedReq).toMatchObject({ model: "up-model", stream: true, stream_options: { include_usage: true }, max_completion_tokens: 64 });
    expect(up.requests[0]!.headers.authorization).toBe("Bearer sk-up");
  });

  it("a tool call becomes a function_call item (call_id, name, arguments), streamed and not", async () => {
    const up = await upstream(answeringScripted(toolAnswer));
    const p = await chatProxy(up);
    const c = client(p);
    const params = { model: "resp-chat", input: "Weather in Paris?", tools: [weatherTool], tool_choice: "auto" as const, parallel_tool_calls: false };

    const created = await c.responses.create(params);
    const argDeltas: string[] = [];
    const stream = c.responses.stream(params);
    stream.on("response.function_call_arguments.delta", (e) => argDeltas.push(e.delta));
    const streamed = await stream.finalResponse();

    for (const r of [created, streamed]) {
      expect(r.status).toBe("completed");
      expect(r.output).toHaveLength(1);
      const call = r.output[0]!;
      expect(call.type).toBe("function_call");
      if (call.type !== "function_call") throw new Error("expected a function_call");
      expect(call.call_id).toBe("call_w1");
      expect(call.name).toBe("get_weather");
      expect(JSON.parse(call.arguments)).toEqual({ city: "Paris", unit: "c" });
      expect(call.id).toMatch(/^fc_/);
      expect(r.usage).toMatchObject({ input_tokens: 42, output_tokens: 17, total_tokens: 59 });
    }
    expect(argDeltas).toEqual(['{"ci', 'ty": "Par', 'is", "unit"', ': "c"}']);

    for (const r of up.requests) {
      expect(r.json).toMatchObject({
        tools: [{ type: "function", function: { name: "get_weather", description: "Weather for a city", parameters: weatherTool.parameters, strict: false } }],
        tool_choice: "auto",
        parallel_tool_calls: false,
      });
    }
  });

  it("a refusal becomes a refusal content part", async () => {
    const frames = [
      chatChunk({ role: "assistant", content: null, refusal: "" }),
      chatChunk({ refusal: "I can't " }),
      chatChunk({ refusal: "help with that." }),
      chatChunk({}, { finish: "stop" }),
      chatUsageChunk({ prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 }),
      DONE,
    ];
    const json = {
      id: "chatcmpl-up",
      object: "chat.completion",
      created: 1700000000,
      model: "up-model",
      choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "I can't help with that." }, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 },
    };
    const up = await upstream(answering(frames, json));
    const p = await chatProxy(up);
    const c = client(p);
    const params = { model: "resp-chat", input: "Something bad" };

    const created = await c.responses.create(params);
    const refusalDeltas: string[] = [];
    const stream = c.responses.stream(params);
    stream.on("response.refusal.delta", (e) => refusalDeltas.push(e.delta));
    const streamed = await stream.finalResponse();
    for (const r of [created, streamed]) {
      expect(r.status).toBe("completed");
      expect(r.output).toHaveLength(1);
      expect(r.output[0]).toMatchObject({ type: "message", role: "assistant", content: [{ type: "refusal", refusal: "I can't help with that." }] });
      expect(r.output_text).toBe("");
    }
    expect(refusalDeltas).toEqual(["I can't ", "help with that."]);
  });

  it("n: 2 (an extension) gives two message items, streamed and not", async () => {
    const frames = [
      chatChunk({ role: "assistant", content: "" }, { index: 0 }),
      chatChunk({ role: "assistant", content: "" }, { index: 1 }),
      chatChunk({ content: "First " }, { index: 0 }),
      chatChunk({ content: "Second " }, { index: 1 }),
      chatChunk({ content: "answer." }, { index: 0 }),
      chatChunk({ content: "answer." }, { index: 1 }),
      chatChunk({}, { index: 0, finish: "stop" }),
      chatChunk({}, { index: 1, finish: "stop" }),
      chatUsageChunk({ prompt_tokens: 5, completion_tokens: 8, total_tokens: 13 }),
      DONE,
    ];
    const json = {
      id: "chatcmpl-up",
      object: "chat.completion",
      created: 1700000000,
      model: "up-model",
      choices: [
        { index: 0, message: { role: "assistant", content: "First answer.", refusal: null }, logprobs: null, finish_reason: "stop" },
        { index: 1, message: { role: "assistant", content: "Second answer.", refusal: null }, logprobs: null, finish_reason: "stop" },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 8, total_tokens: 13 },
    };
    const up = await upstream(answering(frames, json));
    const p = await chatProxy(up);
    const c = client(p);
    // The SDK's types have no `n`; the proxy takes it as an extension.
    const params = { model: "resp-chat", input: "Two answers please", n: 2 } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming;

    const created = await c.responses.create(params);
    const streamed = await c.responses.stream(params as unknown as OpenAI.Responses.ResponseCreateParamsStreaming).finalResponse();
    for (const r of [created, streamed]) {
      expect(r.status).toBe("completed");
      const texts = r.output.map((item) => (item.type === "message" && item.content[0]?.type === "output_text" ? item.content[0].text : item.type));
      expect(texts).toEqual(["First answer.", "Second answer."]);
      expect(new Set(r.output.map((i) => (i as { id: string }).id)).size).toBe(2);
    }
    expect(up.requests.map((r) => r.json!.n)).toEqual([2, 2]);
  });

  it("finish_reason length becomes status incomplete / max_output_tokens", async () => {
    const up = await upstream(
      answeringScripted({ text: ["This answer is cut"], finish: "length", usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 } }),
    );
    const p = await chatProxy(up);
    const c = client(p);
    const params = { model: "resp-chat", input: "Write a lot", max_output_tokens: 4 };

    const created = await c.responses.create(params);
    const streamed = await c.responses.stream(params).finalResponse();
    for (const r of [created, streamed]) {
      expect(r.status).toBe("incomplete");
      expect(r.incomplete_details).toEqual({ reason: "max_output_tokens" });
      expect(r.output_text).toBe("This answer is cut");
      expect(r.output[0]).toMatchObject({ type: "message", status: "incomplete" });
    }
    expect(up.requests.map((r) => r.json!.max_completion_tokens)).toEqual([4, 4]);

    const frames = await rawStream(p, params);
    expect(frames.at(-1)!.event).toBe("response.incomplete");
    expect(frames.filter((f) => /^response\.(completed|incomplete|failed)$/.test(f.event ?? ""))).toHaveLength(1);
  });

  it("an upstream that breaks mid-stream: `error` then `response.failed` on the wire; the SDK's finalResponse() rejects", async () => {
    const up = await upstream(async (_req, res) => {
      sseHead(res);
      res.write(chatChunk({ role: "assistant", content: "" }));
      res.write(chatChunk({ content: "Partial " }));
      await sleep(20);
      res.socket?.destroy();
    });
    const p = await chatProxy(up);
    const c = client(p);

    const frames = await rawStream(p, { model: "resp-chat", input: "Go" });
    const types = frames.map((f) => f.event);
    expect(types.slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
    expect(types).toContain("response.output_text.delta");
    expect(types.slice(-2)).toEqual(["error", "response.failed"]);
    expect(frames.at(-2)!.json).toMatchObject({ type: "error", code: "server_error", param: null });
    expect(String(frames.at(-2)!.json.message)).toContain("closed the connection before the stream ended");
    const failed = frames.at(-1)!.json.response;
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatchObject({ code: "server_error" });
    expect(failed.output[0]).toMatchObject({ type: "message", status: "incomplete", content: [{ type: "output_text", text: "Partial " }] });
    for (const f of frames) expect(f.json.type).toBe(f.event);

    // The SDK's ResponseStream treats the `error` event as fatal: finalResponse() rejects with the
    // event's data (not an Error instance), and the stream ends there.
    const seen: string[] = [];
    const stream = c.responses.stream({ model: "resp-chat", input: "Go" });
    stream.on("event", (e) => seen.push(e.type));
    const rejected = await stream.finalResponse().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(rejected).toMatchObject({ type: "error", code: "server_error" });
    expect(String((rejected as { message: string }).message)).toContain("closed the connection before the stream ended");
    expect(seen).toContain("response.output_text.delta");
    expect(seen.at(-1)).toBe("error");

    // Iterating the raw stream yields the same two events last.
    const raw = await c.responses.create({ model: "resp-chat", input: "Go", stream: true });
    const iterated: string[] = [];
    for await (const e of raw) iterated.push(e.type);
    expect(iterated.slice(-2)).toEqual(["error", "response.failed"]);
  });

  it("an upstream error chunk mid-stream becomes `error` + `response.failed` with the upstream's message", async () => {
    const up = await upstream(async (_req, res) => {
      await writeSse(res, [
        chatChunk({ role: "assistant", content: "" }),
        chatChunk({ content: "Hi" }),
        `data: ${JSON.stringify({ error: { message: "The server had an error while processing your request.", type: "server_error", param: null, code: null } })}\n\n`,
      ]);
    });
    const p = await chatProxy(up);
    const frames = await rawStream(p, { model: "resp-chat", input: "Go" });
    expect(frames.slice(-2).map((f) => f.event)).toEqual(["error", "response.failed"]);
    expect(frames.at(-2)!.json.message).toBe("The server had an error while processing your request.");
    expect(frames.at(-1)!.json.response.error.message).toBe("The server had an error while processing your request.");
  });

  it("a server that ignores include_usage (no usage chunk) still gets a terminal event, with usage null", async () => {
    const frames = chatStreamFrames({ text: ["No ", "usage."] }).filter((f) => !f.includes('"choices":[]'));
    const up = await upstream(async (_req, res) => writeSse(res, frames));
    const p = await chatProxy(up);
    const sse = await rawStream(p, { model: "resp-chat", input: "x" });
    expect(sse.at(-1)!.event).toBe("response.completed");
    expect(sse.at(-1)!.json.response).toMatchObject({ status: "completed", output_text: "No usage.", usage: null });
    const final = await client(p).responses.stream({ model: "resp-chat", input: "x" }).finalResponse();
    expect(final.output_text).toBe("No usage.");
  });

  it("an upstream stream that just ends (no finish, no [DONE]) ends in response.failed, never silently", async () => {
    const up = await upstream(async (_req, res) => writeSse(res, [chatChunk({ role: "assistant", content: "" }), chatChunk({ content: "Half" })]));
    const p = await chatProxy(up);
    const sse = await rawStream(p, { model: "resp-chat", input: "x" });
    expect(sse.slice(-2).map((f) => f.event)).toEqual(["error", "response.failed"]);
    expect(sse.at(-1)!.json.response.output[0]).toMatchObject({ status: "incomplete", content: [{ text: "Half" }] });
  });

  it("an upstream HTTP error before the stream starts is an OpenAI error for the SDK", async () => {
    const up = await upstream((_req, res) =>
      sendJson(res, 400, { error: { message: "Unsupported parameter: 'foo'", type: "invalid_request_error", param: "foo", code: "unsupported_parameter" } }),
    );
    const p = await chatProxy(up);
    const err = await client(p)
      .responses.create({ model: "resp-chat", input: "x" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain("Unsupported parameter: 'foo'");
  });
});

describe("Responses SSE grammar the proxy writes (one streamed tool-call response)", () => {
  it("created/in_progress first, contiguous sequence numbers, added before deltas, one terminal event", async () => {
    const up = await upstream(answeringScripted({ text: ["Let me ", "check."], ...toolAnswer }));
    const p = await chatProxy(up);
    const frames = await rawStream(p, { model: "resp-chat", input: "Weather in Paris?", tools: [weatherTool] });

    const types = frames.map((f) => f.event!);
    for (const f of frames) expect(f.json.type).toBe(f.event);
    expect(frames.map((f) => f.json.sequence_number)).toEqual(frames.map((_, i) => i));
    expect(types.slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
    expect(frames[0]!.json.response).toMatchObject({ status: "in_progress", output: [], usage: null });
    expect(types.filter((t) => /^response\.(completed|incomplete|failed)$/.test(t))).toEqual(["response.completed"]);
    expect(types.at(-1)).toBe("response.completed");
    expect(frames.some((f) => f.data === "[DONE]")).toBe(false);

    // Exactly the event sequence of docs/protocol.md §1.6: the message item, then the function_call item.
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);

    // Every item event refers to an item added before it, with the added item's id and index.
    const added = new Map<number, string>();
    for (const f of frames) {
      const d = f.json;
      if (f.event === "response.output_item.added") {
        expect(d.output_index).toBe(added.size);
        added.set(d.output_index, d.item.id);
        continue;
      }
      if (d.output_index !== undefined && f.event !== "response.output_item.done") expect(d.item_id).toBe(added.get(d.output_index));
      if (f.event === "response.output_item.done") expect(d.item.id).toBe(added.get(d.output_index));
    }
    const fcAdded = frames.find((f) => f.event === "response.output_item.added" && f.json.item.type === "function_call")!.json.item;
    expect(fcAdded).toMatchObject({ type: "function_call", call_id: "call_w1", name: "get_weather", arguments: "", status: "in_progress" });
    const argsDone = frames.find((f) => f.event === "response.function_call_arguments.done")!.json;
    expect(JSON.parse(argsDone.arguments)).toEqual({ city: "Paris", unit: "c" });
    const completed = frames.at(-1)!.json.response;
    expect(completed.status).toBe("completed");
    expect(completed.output.map((i: { type: string }) => i.type)).toEqual(["message", "function_call"]);
    expect(completed.usage).toMatchObject({ input_tokens: 42, output_tokens: 17, total_tokens: 59 });
  });
});

describe("max_tool_calls on a chat backend (enforced by the proxy)", () => {
  const threeCalls: ScriptedAnswer = {
    toolCalls: [
      { id: "call_a", name: "get_weather", argumentFragments: ['{"city":', '"Paris"}'] },
      { id: "call_b", name: "get_weather", argumentFragments: ['{"city":', '"Oslo"}'] },
      { id: "call_c", name: "get_weather", argumentFragments: ['{"city":', '"Rome"}'] },
    ],
  };

  it("keeps the first N calls, streamed and not, and logs a warning per dropped call", async () => {
    const up = await upstream(answeringScripted(threeCalls));
    const p = await chatProxy(up);
    const c = client(p);
    const params = { model: "resp-chat", input: "Weather in three cities?", tools: [weatherTool], max_tool_calls: 2 };

    const created = await c.responses.create(params);
    const streamed = await c.responses.stream(params).finalResponse();
    for (const r of [created, streamed]) {
      expect(r.status).toBe("completed");
      // The SDK's types lack max_tool_calls; the API (and the proxy) echo it.
      expect((r as unknown as { max_tool_calls: number }).max_tool_calls).toBe(2);
      expect(r.output.map((i) => (i.type === "function_call" ? i.call_id : i.type))).toEqual(["call_a", "call_b"]);
      const second = r.output[1]!;
      if (second.type !== "function_call") throw new Error("expected a function_call");
      expect(JSON.parse(second.arguments)).toEqual({ city: "Oslo" });
    }
    // The raw stream never mentions the dropped call.
    const frames = await rawStream(p, params);
    expect(frames.map((f) => f.data).join("\n")).not.toContain("call_c");
    expect(frames.filter((f) => f.event === "response.output_item.added")).toHaveLength(2);
    expect(frames.map((f) => f.json.sequence_number)).toEqual(frames.map((_, i) => i));

    // The chat upstream has no such field: it is not sent.
    for (const r of up.requests) expect(r.json).not.toHaveProperty("max_tool_calls");
    const requestLogs = p.logs().filter((l) => l.msg === "request");
    expect(requestLogs).toHaveLength(3);
    for (const l of requestLogs) {
      const warnings = l.warnings as { code: string; path: string; message: string }[];
      const dropped = warnings.filter(
        (w) => w.code === "tool_call_limit" && w.path === "max_tool_calls" && w.message.includes("was dropped") && w.message.includes("'get_weather'"),
      );
      expect(dropped).toHaveLength(1);
      expect(dropped[0]!.message).toContain("call 3");
    }
  });

  it("a limit the answer stays under changes nothing", async () => {
    const up = await upstream(answeringScripted(threeCalls));
    const p = await chatProxy(up);
    const params = { model: "resp-chat", input: "Weather?", tools: [weatherTool], max_tool_calls: 3 };
    const r = await client(p).responses.create(params);
    expect(r.output.map((i) => (i.type === "function_call" ? i.call_id : i.type))).toEqual(["call_a", "call_b", "call_c"]);
  });
});
