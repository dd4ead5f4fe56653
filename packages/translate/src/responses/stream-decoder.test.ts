// Responses stream decoder: terminal events, both error shapes, items that arrive only complete.

import { describe, expect, it } from "vitest";
import type { SseFrame } from "../codec.js";
import type { LlmRequest, StreamEvent } from "../ir.js";
import { decodeAll, encodeAll, parseSse } from "../shared/testing/sse-replay.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { createResponsesStreamDecoder } from "./stream-decoder.js";
import { createResponsesStreamEncoder } from "./stream-encoder.js";

function frames(...payloads: Record<string, unknown>[]): SseFrame[] {
  return payloads.map((p, i) => ({ event: String(p["type"]), data: JSON.stringify({ sequence_number: i, ...p }) }));
}
function run(input: SseFrame[], callEnd = true): StreamEvent[] {
  const decoder = createResponsesStreamDecoder();
  const out = input.flatMap((f) => decoder.push(f));
  return callEnd ? [...out, ...decoder.end()] : out;
}
const created = { type: "response.created", response: { id: "resp_1", model: "gpt-x", created_at: 7, status: "in_progress", output: [] } };
const usage = {
  input_tokens: 3,
  output_tokens: 4,
  total_tokens: 7,
  input_tokens_details: { cached_tokens: 1 },
  output_tokens_details: { reasoning_tokens: 2 },
};

describe("terminal events", () => {
  it.each([
    ["response.completed", { status: "completed" }, "stop", "completed"],
    ["response.incomplete", { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } }, "length", "max_output_tokens"],
    ["response.incomplete", { status: "incomplete", incomplete_details: { reason: "content_filter" } }, "content_filter", "content_filter"],
  ] as const)("%s %j -> finish %s", (type, fields, reason, raw) => {
    const events = run(frames(created, { type, response: { ...fields, usage, output: [] } }));
    expect(events).toEqual([
      { type: "start", id: "resp_1", model: "gpt-x", created: 7 },
      { type: "finish", choice: 0, reason, raw },
      { type: "usage", usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7, cachedInputTokens: 1, reasoningTokens: 2 } },
      { type: "end" },
    ]);
  });

  it("response.failed -> error event, nothing after", () => {
    const events = run(frames(created, { type: "response.failed", response: { status: "failed", error: { code: "server_error", message: "boom" } } }));
    expect(events.slice(1)).toEqual([{ type: "error", error: { type: "server_error", code: "server_error", message: "boom" } }]);
  });
});

describe("error events", () => {
  it("accepts the spec's flat shape", () => {
    const events = run(frames(created, { type: "error", code: "rate_limit_exceeded", message: "slow down", param: null }));
    expect(events.at(-1)).toEqual({ type: "error", error: { type: "rate_limit_exceeded", code: "rate_limit_exceeded", message: "slow down" } });
  });

  it("accepts the observed nested shape and ignores the response.failed that follows", () => {
    const events = run(
      frames(
        created,
        { type: "error", error: { type: "insufficient_quota", code: "insufficient_quota", message: "quota", param: null } },
        { type: "response.failed", response: { status: "failed", error: { code: "insufficient_quota", message: "quota" } } },
      ),
    );
    expect(events.filter((e) => e.type === "error")).toEqual([
      { type: "error", error: { type: "insufficient_quota", code: "insufficient_quota", message: "quota" } },
    ]);
  });

  it("malformed JSON becomes an error event, never a throw", () => {
    const events = run([{ data: "{not json" }]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "error", error: { type: "invalid_response" } });
  });

  it("EOF before a terminal event -> error 'upstream stream ended early'", () => {
    const events = run(frames(created, { type: "response.output_text.delta", item_id: "m", output_index: 0, delta: "x" }));
    expect(events.at(-1)).toEqual({
      type: "error",
      error: { type: "server_error", code: "stream_ended_early", message: "upstream stream ended early" },
    });
  });

  it("[DONE] after the terminal event is ignored; end() adds nothing", () => {
    const decoder = createResponsesStreamDecoder();
    for (const f of frames(created, { type: "response.completed", response: { status: "completed", output: [] } })) decoder.push(f);
    expect(decoder.push({ data: "[DONE]" })).toEqual([]);
    expect(decoder.end()).toEqual([]);
  });
});

describe("items", () => {
  it("message text and refusal deltas", () => {
    const events = run(
      frames(
        created,
        { type: "response.output_item.added", output_index: 0, item: { id: "msg_1", type: "message", content: [] } },
        { type: "response.output_text.delta", item_id: "msg_1", output_index: 0, content_index: 0, delta: "Hi" },
        { type: "response.refusal.delta", item_id: "msg_1", output_index: 0, content_index: 1, delta: "No" },
        { type: "response.output_item.done", output_index: 0, item: { id: "msg_1", type: "message", content: [] } },
        { type: "response.completed", response: { status: "completed", output: [] } },
      ),
    );
    expect(events.slice(1, 3)).toEqual([
      { type: "text_delta", choice: 0, delta: "Hi" },
      { type: "refusal_delta", choice: 0, delta: "No" },
    ]);
  });

  it("items that arrive only complete are replayed as one delta each", () => {
    const events = run(
      frames(
        created,
        {
          type: "response.output_item.done",
          output_index: 0,
          item: {
            id: "rs_1",
            type: "reasoning",
            summary: [
              { type: "summary_text", text: "A" },
              { type: "summary_text", text: "B" },
            ],
          },
        },
        {
          type: "response.output_item.done",
          output_index: 1,
          item: { id: "msg_1", type: "message", content: [{ type: "output_text", text: "T", annotations: [] }] },
        },
        { type: "response.output_item.done", output_index: 2, item: { id: "fc_1", type: "function_call", call_id: "call_1", name: "f", arguments: "{}" } },
        { type: "response.completed", response: { status: "completed", output: [] } },
      ),
    );
    expect(events.slice(1, -1)).toEqual([
      { type: "reasoning_delta", choice: 0, delta: "A\n\nB", kind: "summary" },
      { type: "reasoning_end", choice: 0 },
      { type: "text_delta", choice: 0, delta: "T" },
      { type: "tool_call_start", choice: 0, index: 0, id: "call_1", name: "f", itemId: "fc_1" },
      { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: "{}" },
      { type: "tool_call_end", choice: 0, index: 0 },
      { type: "finish", choice: 0, reason: "tool_calls", raw: "completed" },
    ]);
  });

  it("counts tool-call indices per response and separates summary parts", () => {
    const events = run(
      frames(
        created,
        { type: "response.output_item.added", output_index: 0, item: { id: "rs_1", type: "reasoning", summary: [] } },
        { type: "response.reasoning_summary_text.delta", item_id: "rs_1", output_index: 0, summary_index: 0, delta: "one" },
        { type: "response.reasoning_summary_text.delta", item_id: "rs_1", output_index: 0, summary_index: 1, delta: "two" },
        { type: "response.output_item.done", output_index: 0, item: { id: "rs_1", type: "reasoning", summary: [] } },
        { type: "response.output_item.added", output_index: 1, item: { id: "fc_a", type: "function_call", call_id: "call_a", name: "f", arguments: "" } },
        { type: "response.function_call_arguments.done", item_id: "fc_a", output_index: 1, arguments: '{"a":1}' },
        { type: "response.output_item.done", output_index: 1, item: { id: "fc_a", type: "function_call", call_id: "call_a", name: "f", arguments: '{"a":1}' } },
        { type: "response.output_item.added", output_index: 2, item: { id: "fc_b", type: "function_call", call_id: "call_b", name: "g", arguments: "" } },
        { type: "response.function_call_arguments.delta", item_id: "fc_b", output_index: 2, delta: "{}" },
        { type: "response.output_item.done", output_index: 2, item: { id: "fc_b", type: "function_call", call_id: "call_b", name: "g", arguments: "{}" } },
        { type: "response.completed", response: { status: "completed", output: [] } },
      ),
    );
    const reasoning = events.flatMap((e) => (e.type === "reasoning_delta" ? [e.delta] : [])).join("");
    expect(reasoning).toBe("one\n\ntwo");
    expect(events.filter((e) => e.type === "tool_call_start").map((e) => (e.type === "tool_call_start" ? [e.index, e.id] : []))).toEqual([
      [0, "call_a"],
      [1, "call_b"],
    ]);
    expect(events.filter((e) => e.type === "tool_call_delta")).toEqual([
      { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: '{"a":1}' },
      { type: "tool_call_delta", choice: 0, index: 1, argumentsDelta: "{}" },
    ]);
  });

  it("raw reasoning_text deltas keep kind raw; annotations ride on an empty text delta", () => {
    const annotation = { type: "url_citation", url: "https://a.test", start_index: 0, end_index: 1, title: "A" };
    const events = run(
      frames(
        created,
        { type: "response.reasoning_text.delta", item_id: "rs_1", output_index: 0, content_index: 0, delta: "raw" },
        { type: "response.output_text.annotation.added", item_id: "msg_1", output_index: 1, content_index: 0, annotation_index: 0, annotation },
      ),
      false,
    );
    expect(events.slice(1)).toEqual([
      { type: "reasoning_delta", choice: 0, delta: "raw", kind: "raw" },
      { type: "text_delta", choice: 0, delta: "", annotations: [annotation] },
    ]);
  });
});

describe("reasoning sent both as a summary and as reasoning_text", () => {
  it("is read once, as the kind its item streams first (the proxy's own rawReasoning: both)", () => {
    const request: LlmRequest = { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stream: true };
    const encoder = createResponsesStreamEncoder({ ctx: createTestContext(), request, model: "m" });
    const sse = encodeAll(encoder, [
      { type: "start", id: "u", model: "m", created: 1 },
      { type: "reasoning_delta", choice: 0, delta: "Let me ", kind: "raw" },
      { type: "reasoning_delta", choice: 0, delta: "think.", kind: "raw" },
      { type: "text_delta", choice: 0, delta: "Answer" },
      { type: "finish", choice: 0, reason: "stop" },
      { type: "usage", usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } },
    ]);
    expect(sse).toContain("response.reasoning_text.delta");
    const events = decodeAll(createResponsesStreamDecoder(), parseSse(sse));
    const reasoning = events.flatMap((e) => (e.type === "reasoning_delta" ? [e] : []));
    expect(reasoning.map((e) => e.delta).join("")).toBe("Let me think.");
    expect(new Set(reasoning.map((e) => e.kind))).toEqual(new Set(["summary"]));
  });
});

describe("terminal with open items", () => {
  it("ends a function call the upstream never marked done before the finish", () => {
    const events = run(
      frames(
        created,
        { type: "response.output_item.added", output_index: 0, item: { id: "fc_1", type: "function_call", call_id: "call_1", name: "f", arguments: "" } },
        { type: "response.function_call_arguments.delta", item_id: "fc_1", output_index: 0, delta: "{}" },
        { type: "response.completed", response: { status: "completed", output: [] } },
      ),
    );
    expect(events.slice(1).map((e) => e.type)).toEqual(["tool_call_start", "tool_call_delta", "tool_call_end", "finish", "end"]);
    expect(events.find((e) => e.type === "finish")).toEqual({ type: "finish", choice: 0, reason: "tool_calls", raw: "completed" });
  });
});
