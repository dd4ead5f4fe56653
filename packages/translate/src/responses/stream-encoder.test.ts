// Responses stream encoder: choice-aware items, refusals, reasoning kinds, terminal events and failures.

import { describe, expect, it } from "vitest";
import { createChatStreamDecoder } from "../chat/stream-decoder.js";
import type { LlmRequest, LlmResponse, StreamEvent } from "../ir.js";
import { checkResponsesGrammar } from "../shared/testing/responses-grammar.js";
import { decodeAll, encodeAll, parseSse, sseEvents } from "../shared/testing/sse-replay.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { decodeResponsesRequest } from "./decode-request.js";
import { encodeResponsesResponse } from "./encode-response.js";
import { createResponsesStreamEncoder } from "./stream-encoder.js";

type Json = Record<string, unknown>;
const request: LlmRequest = { model: "alias", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stream: true };

function chunk(choices: Json[], extra: Json = {}): string {
  return `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "up", choices, ...extra })}\n\n`;
}
const delta = (index: number, d: Json, finish: string | null = null): Json => ({ index, delta: d, logprobs: null, finish_reason: finish });
const usageChunk = chunk([], { usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } });

function chatToResponses(sse: string, callEnd = true, rawReasoning?: "content" | "summary" | "both") {
  const events = decodeAll(createChatStreamDecoder(), parseSse(sse), callEnd);
  let completions = 0;
  let completed: Json | undefined;
  const encoder = createResponsesStreamEncoder({
    ctx: createTestContext(),
    request,
    model: "alias",
    ...(rawReasoning ? { rawReasoning } : {}),
    onComplete: (r) => {
      completions++;
      completed = r;
    },
  });
  const text = encodeAll(encoder, events, callEnd);
  return { events, text, result: checkResponsesGrammar(text), completions: () => completions, completed: () => completed, encoder };
}

function output(result: { terminal: Json | undefined }): Json[] {
  return (result.terminal?.["output"] ?? []) as Json[];
}

describe("n = 2, interleaved choices", () => {
  const sse =
    chunk([delta(0, { role: "assistant", content: "" })]) +
    chunk([delta(1, { role: "assistant", content: "" })]) +
    chunk([delta(0, { content: "Hel" })]) +
    chunk([delta(1, { content: "Bon" })]) +
    chunk([delta(0, { content: "lo" })]) +
    chunk([delta(1, { content: "jour" })]) +
    chunk([delta(0, {}, "stop")]) +
    chunk([delta(1, {}, "stop")]) +
    usageChunk +
    "data: [DONE]\n\n";
  const { result } = chatToResponses(sse);

  it("yields one message item per choice, both valid", () => {
    expect(result.violations).toEqual([]);
    expect(output(result).map((o) => [o["type"], (o["content"] as Json[])[0]?.["text"]])).toEqual([
      ["message", "Hello"],
      ["message", "Bonjour"],
    ]);
    expect(result.terminal?.["output_text"]).toBe("HelloBonjour");
  });

  it("keeps both items open at once and closes each on its own finish", () => {
    const added = result.types.indexOf("response.output_item.added");
    const secondAdded = result.types.indexOf("response.output_item.added", added + 1);
    const firstDone = result.types.indexOf("response.output_item.done");
    expect(secondAdded).toBeLessThan(firstDone);
    expect(result.types.filter((t) => t === "response.output_item.done")).toHaveLength(2);
  });
});

describe("refusal stream", () => {
  const sse =
    chunk([delta(0, { role: "assistant", content: null, refusal: "" })]) +
    chunk([delta(0, { refusal: "I can't" })]) +
    chunk([delta(0, { refusal: " help with that." })]) +
    chunk([delta(0, {}, "stop")]) +
    usageChunk +
    "data: [DONE]\n\n";
  const { result } = chatToResponses(sse);

  it("streams a refusal part with refusal.delta/done", () => {
    expect(result.violations).toEqual([]);
    expect(result.types).toContain("response.refusal.delta");
    expect(result.types).toContain("response.refusal.done");
    expect(result.types).not.toContain("response.output_text.delta");
    expect(output(result)[0]?.["content"]).toEqual([{ type: "refusal", refusal: "I can't help with that." }]);
    expect(result.terminalType).toBe("response.completed");
  });
});

describe("finish_reason length", () => {
  const sse = chunk([delta(0, { role: "assistant", content: "Once upon" })]) + chunk([delta(0, {}, "length")]) + usageChunk + "data: [DONE]\n\n";
  const { result } = chatToResponses(sse);

  it("ends with response.incomplete and max_output_tokens", () => {
    expect(result.violations).toEqual([]);
    expect(result.terminalType).toBe("response.incomplete");
    expect(result.terminal?.["status"]).toBe("incomplete");
    expect(result.terminal?.["incomplete_details"]).toEqual({ reason: "max_output_tokens" });
    expect(output(result)[0]?.["status"]).toBe("incomplete");
  });
});

describe("content_filter", () => {
  const sse = chunk([delta(0, { role: "assistant", content: "x" })]) + chunk([delta(0, {}, "content_filter")]) + usageChunk + "data: [DONE]\n\n";
  it("ends with response.incomplete / content_filter", () => {
    const { result } = chatToResponses(sse);
    expect(result.terminalType).toBe("response.incomplete");
    expect(result.terminal?.["incomplete_details"]).toEqual({ reason: "content_filter" });
  });
});

describe("stream cut before a finish", () => {
  const sse = chunk([delta(0, { role: "assistant", content: "partial" })]);
  const { result, events, completions } = chatToResponses(sse);

  it("the decoder reports an error and the encoder fails the response", () => {
    expect(events.at(-1)).toEqual({
      type: "error",
      error: { type: "server_error", code: "stream_ended_early", message: "upstream stream ended early" },
    });
    expect(result.violations).toEqual([]);
    expect(result.types.slice(-2)).toEqual(["error", "response.failed"]);
    expect(result.terminal?.["error"]).toEqual({ code: "stream_ended_early", message: "upstream stream ended early" });
    expect(output(result)[0]).toMatchObject({ type: "message", status: "incomplete" });
    expect(completions()).toBe(1);
  });
});

describe("mid-stream error chunk", () => {
  const sse =
    chunk([delta(0, { role: "assistant", content: "Hi" })]) +
    'data: {"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}\n\n';
  const { result, events, text } = chatToResponses(sse);

  it("becomes an error event then response.failed", () => {
    expect(events.at(-1)).toEqual({ type: "error", error: { type: "server_error", message: "The server had an error" } });
    expect(result.violations).toEqual([]);
    expect(result.types.slice(-2)).toEqual(["error", "response.failed"]);
    const err = sseEvents(text).find((e) => e.data["type"] === "error")?.data;
    expect(err).toMatchObject({ type: "error", code: "server_error", message: "The server had an error", param: null });
    expect(result.terminal?.["status"]).toBe("failed");
  });
});

describe("end() without any event", () => {
  it("still emits created, in_progress, error and response.failed", () => {
    const encoder = createResponsesStreamEncoder({ ctx: createTestContext(), request, model: "alias" });
    const result = checkResponsesGrammar(encoder.end());
    expect(result.violations).toEqual([]);
    expect(result.types).toEqual(["response.created", "response.in_progress", "error", "response.failed"]);
    expect(encoder.end()).toBe("");
  });
});

describe("terminal event timing", () => {
  it("holds the terminal event until usage arrives, then sends it once", () => {
    const encoder = createResponsesStreamEncoder({ ctx: createTestContext(), request, model: "alias" });
    encoder.push({ type: "start", id: "x", model: "m", created: 1 });
    encoder.push({ type: "text_delta", choice: 0, delta: "hi" });
    const afterFinish = encoder.push({ type: "finish", choice: 0, reason: "stop" });
    expect(afterFinish).not.toContain("response.completed");
    const afterUsage = encoder.push({ type: "usage", usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } });
    expect(afterUsage).toContain("event: response.completed");
    expect(encoder.push({ type: "end" })).toBe("");
    expect(encoder.end()).toBe("");
  });

  it("completes on end() without usage (usage null)", () => {
    const encoder = createResponsesStreamEncoder({ ctx: createTestContext(), request, model: "alias" });
    const text = encoder.push({ type: "text_delta", choice: 0, delta: "hi" }) + encoder.push({ type: "finish", choice: 0, reason: "stop" }) + encoder.end();
    const result = checkResponsesGrammar(text);
    expect(result.violations).toEqual([]);
    expect(result.terminalType).toBe("response.completed");
    expect(result.terminal?.["usage"]).toBeNull();
  });
});

describe("reasoning", () => {
  const thinking =
    chunk([delta(0, { role: "assistant", content: "", reasoning_content: "Let me " })]) +
    chunk([delta(0, { reasoning_content: "think." })]) +
    chunk([delta(0, { content: "Answer" })]) +
    chunk([delta(0, {}, "stop")]) +
    usageChunk +
    "data: [DONE]\n\n";

  it("chat reasoning_content streams as a summary and as reasoning_text (the default), then the message", () => {
    const { result } = chatToResponses(thinking);
    expect(result.violations).toEqual([]);
    expect(result.types.slice(2, 15)).toEqual([
      "response.output_item.added",
      "response.reasoning_summary_part.added",
      "response.content_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_text.delta",
      "response.reasoning_summary_text.delta",
      "response.reasoning_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
      "response.reasoning_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
    ]);
    expect(output(result)[0]).toEqual({
      id: "rs_test002",
      type: "reasoning",
      summary: [{ type: "summary_text", text: "Let me think." }],
      content: [{ type: "reasoning_text", text: "Let me think." }],
    });
    expect(output(result)[1]).toMatchObject({ type: "message", content: [{ type: "output_text", text: "Answer" }] });
  });

  it("rawReasoning content: reasoning_text with content_part events only, an empty summary", () => {
    const { result } = chatToResponses(thinking, true, "content");
    expect(result.violations).toEqual([]);
    expect(result.types.slice(2, 9)).toEqual([
      "response.output_item.added",
      "response.content_part.added",
      "response.reasoning_text.delta",
      "response.reasoning_text.delta",
      "response.reasoning_text.done",
      "response.content_part.done",
      "response.output_item.done",
    ]);
    expect(output(result)[0]).toEqual({ id: "rs_test002", type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "Let me think." }] });
  });

  it("rawReasoning summary: summary events only, no content on the item", () => {
    const { result } = chatToResponses(thinking, true, "summary");
    expect(result.violations).toEqual([]);
    expect(result.types.filter((t) => t.includes("reasoning") || t.includes("content_part")).slice(0, 5)).toEqual([
      "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
    ]);
    expect(output(result)[0]).toEqual({ id: "rs_test002", type: "reasoning", summary: [{ type: "summary_text", text: "Let me think." }] });
  });

  it("summary reasoning uses reasoning_summary_part/text events and carries encrypted content", () => {
    const events: StreamEvent[] = [
      { type: "start", id: "u", model: "m", created: 1 },
      { type: "reasoning_delta", choice: 0, delta: "Plan", kind: "summary" },
      { type: "reasoning_encrypted", choice: 0, encryptedContent: "enc123", id: "rs_up" },
      { type: "reasoning_end", choice: 0 },
      { type: "text_delta", choice: 0, delta: "Done" },
      { type: "finish", choice: 0, reason: "stop" },
      { type: "end" },
    ];
    const text = encodeAll(createResponsesStreamEncoder({ ctx: createTestContext(), request, model: "alias" }), events);
    const result = checkResponsesGrammar(text);
    expect(result.violations).toEqual([]);
    expect(result.types).toContain("response.reasoning_summary_part.added");
    expect(result.types).toContain("response.reasoning_summary_text.delta");
    expect(result.types).toContain("response.reasoning_summary_part.done");
    expect(output(result)[0]).toEqual({
      id: "rs_test002",
      type: "reasoning",
      summary: [{ type: "summary_text", text: "Plan" }],
      encrypted_content: "enc123",
    });
  });

  it("an Anthropic signature rides in encrypted_content and comes back as a signature on replay", () => {
    const events: StreamEvent[] = [
      { type: "reasoning_delta", choice: 0, delta: "thinking" },
      { type: "reasoning_signature", choice: 0, signature: "EvQBsig" },
      { type: "reasoning_end", choice: 0 },
      { type: "finish", choice: 0, reason: "stop" },
      { type: "end" },
    ];
    const text = encodeAll(createResponsesStreamEncoder({ ctx: createTestContext(), request, model: "alias" }), events);
    const result = checkResponsesGrammar(text);
    expect(result.violations).toEqual([]);
    const item = output(result)[0] ?? {};
    expect(item["encrypted_content"]).toMatch(/^yallmp\.reasoning\.v1:/);
    const replay = decodeResponsesRequest({ model: "m", input: [item, { role: "user", content: "next" }] }).value;
    expect(replay.messages[0]).toEqual({
      role: "assistant",
      content: [{ type: "reasoning", text: "thinking", kind: "summary", summary: ["thinking"], id: "rs_test002", signature: "EvQBsig" }],
    });
  });
});

describe("tool calls", () => {
  it("text then two sequential tool calls in one choice, keeping call ids", () => {
    const sse =
      chunk([delta(0, { role: "assistant", content: "Checking." })]) +
      chunk([delta(0, { tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "f", arguments: '{"x":' } }] })]) +
      chunk([delta(0, { tool_calls: [{ index: 0, function: { arguments: "1}" } }] })]) +
      chunk([delta(0, { tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "g", arguments: "{}" } }] })]) +
      chunk([delta(0, {}, "tool_calls")]) +
      usageChunk +
      "data: [DONE]\n\n";
    const { result } = chatToResponses(sse);
    expect(result.violations).toEqual([]);
    expect(output(result).map((o) => [o["type"], o["call_id"], o["arguments"]])).toEqual([
      ["message", undefined, undefined],
      ["function_call", "call_a", '{"x":1}'],
      ["function_call", "call_b", "{}"],
    ]);
    expect(result.terminalType).toBe("response.completed");
  });
});

describe("annotations", () => {
  it("emits output_text.annotation.added and keeps the annotation on the part", () => {
    const annotation = { type: "url_citation", url_citation: { url: "https://x.test", title: "X", start_index: 0, end_index: 3 } };
    const events: StreamEvent[] = [
      { type: "text_delta", choice: 0, delta: "abc", annotations: [annotation] },
      { type: "finish", choice: 0, reason: "stop" },
      { type: "end" },
    ];
    const result = checkResponsesGrammar(encodeAll(createResponsesStreamEncoder({ ctx: createTestContext(), request, model: "a" }), events));
    expect(result.violations).toEqual([]);
    expect(result.types).toContain("response.output_text.annotation.added");
    expect((output(result)[0]?.["content"] as Json[])[0]?.["annotations"]).toEqual([
      { type: "url_citation", url: "https://x.test", title: "X", start_index: 0, end_index: 3 },
    ]);
  });
});

describe("final response equals the non-stream encoder's", () => {
  it("for reasoning + text + tool call with usage", () => {
    const usage = { inputTokens: 10, outputTokens: 20, totalTokens: 30, cachedInputTokens: 4, reasoningTokens: 6 };
    const events: StreamEvent[] = [
      { type: "start", id: "up", model: "m", created: 5 },
      { type: "reasoning_delta", choice: 0, delta: "why", kind: "raw" },
      { type: "text_delta", choice: 0, delta: "Sure" },
      { type: "tool_call_start", choice: 0, index: 0, id: "call_1", name: "f" },
      { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: "{}" },
      { type: "tool_call_end", choice: 0, index: 0 },
      { type: "finish", choice: 0, reason: "tool_calls" },
      { type: "usage", usage },
      { type: "end" },
    ];
    let streamed: Json | undefined;
    encodeAll(
      createResponsesStreamEncoder({
        ctx: createTestContext(),
        request,
        model: "alias",
        previousResponseId: "resp_prev",
        onComplete: (r) => {
          streamed = r;
        },
      }),
      events,
    );
    const response: LlmResponse = {
      id: "up",
      model: "m",
      created: 5,
      choices: [
        {
          index: 0,
          finishReason: "tool_calls",
          content: [
            { type: "reasoning", text: "why", kind: "raw" },
            { type: "text", text: "Sure" },
            { type: "tool_call", id: "call_1", name: "f", arguments: "{}" },
          ],
        },
      ],
      usage,
    };
    const direct = encodeResponsesResponse({ response, request, ctx: createTestContext(), model: "alias", previousResponseId: "resp_prev" }).value;
    expect(streamed).toEqual(direct);
    expect(direct["previous_response_id"]).toBe("resp_prev");
    expect(direct["usage"]).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 6 },
      total_tokens: 30,
    });
  });
});
