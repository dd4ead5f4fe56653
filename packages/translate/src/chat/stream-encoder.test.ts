// Chat stream encoder: role chunks, tool-call chunks, finish per choice, usage, [DONE] and errors.

import { describe, expect, it } from "vitest";
import type { StreamEvent } from "../ir.js";
import { encodeAll, sseEvents } from "../shared/testing/sse-replay.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { createChatStreamEncoder } from "./stream-encoder.js";

type Json = Record<string, unknown>;
const usage = { inputTokens: 3, outputTokens: 4, totalTokens: 7, cachedInputTokens: 1 };

function encode(events: StreamEvent[], includeUsage = true, callEnd = true) {
  const encoder = createChatStreamEncoder(createTestContext(), { model: "alias", includeUsage, created: 99 });
  const text = encodeAll(encoder, events, callEnd);
  const chunks = sseEvents(text).map((e) => e.data);
  return { text, chunks, choices: chunks.map((c) => (c["choices"] as Json[] | undefined)?.[0]), encoder };
}

describe("createChatStreamEncoder", () => {
  it("text answer: role chunk, content, finish, usage, [DONE]", () => {
    const { text, chunks } = encode([
      { type: "start", id: "up", model: "m", created: 1 },
      { type: "text_delta", choice: 0, delta: "Hi" },
      { type: "finish", choice: 0, reason: "stop" },
      { type: "usage", usage },
      { type: "end" },
    ]);
    const base = { id: "chatcmpl-test001", object: "chat.completion.chunk", created: 99, model: "alias" };
    expect(chunks).toEqual([
      { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: "Hi" }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }] },
      {
        ...base,
        choices: [],
        usage: {
          prompt_tokens: 3,
          completion_tokens: 4,
          total_tokens: 7,
          prompt_tokens_details: { cached_tokens: 1 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
    ]);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(text.match(/\[DONE\]/g)).toHaveLength(1);
  });

  it("no usage chunk unless the client asked", () => {
    const { chunks } = encode(
      [{ type: "text_delta", choice: 0, delta: "x" }, { type: "finish", choice: 0, reason: "stop" }, { type: "usage", usage }, { type: "end" }],
      false,
    );
    expect(chunks.some((c) => "usage" in c)).toBe(false);
  });

  it("tool calls carry id/type/name on the first delta only", () => {
    const { choices } = encode([
      { type: "tool_call_start", choice: 0, index: 0, id: "call_1", name: "f" },
      { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: '{"a":' },
      { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: "1}" },
      { type: "tool_call_end", choice: 0, index: 0 },
      { type: "finish", choice: 0, reason: "tool_calls" },
      { type: "end" },
    ]);
    expect(choices.map((c) => c?.["delta"])).toEqual([
      { role: "assistant", content: "" },
      { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: "1}" } }] },
      {},
    ]);
    expect(choices.at(-1)?.["finish_reason"]).toBe("tool_calls");
  });

  it("n = 2: a role chunk and a finish chunk per choice", () => {
    const { choices } = encode([
      { type: "start", id: "u", model: "m", created: 1 },
      { type: "text_delta", choice: 0, delta: "a" },
      { type: "text_delta", choice: 1, delta: "b" },
      { type: "finish", choice: 0, reason: "stop" },
      { type: "finish", choice: 1, reason: "length" },
      { type: "end" },
    ]);
    expect(choices.map((c) => [c?.["index"], c?.["delta"], c?.["finish_reason"]])).toEqual([
      [0, { role: "assistant", content: "" }, null],
      [0, { content: "a" }, null],
      [1, { role: "assistant", content: "" }, null],
      [1, { content: "b" }, null],
      [0, {}, "stop"],
      [1, {}, "length"],
    ]);
  });

  it("refusal, reasoning and citations", () => {
    const { choices } = encode([
      { type: "reasoning_delta", choice: 0, delta: "hmm", kind: "summary" },
      { type: "reasoning_signature", choice: 0, signature: "s" },
      { type: "refusal_delta", choice: 0, delta: "No" },
      { type: "text_delta", choice: 0, delta: "x", annotations: [{ type: "url_citation", url: "https://a.test", title: "A", start_index: 0, end_index: 1 }] },
      { type: "finish", choice: 0, reason: "refusal" },
      { type: "end" },
    ]);
    expect(choices.map((c) => c?.["delta"])).toEqual([
      { role: "assistant", content: "" },
      { reasoning_content: "hmm" },
      { refusal: "No" },
      { content: "x", annotations: [{ type: "url_citation", url_citation: { url: "https://a.test", title: "A", start_index: 0, end_index: 1 } }] },
      {},
    ]);
    expect(choices.at(-1)?.["finish_reason"]).toBe("content_filter");
  });

  it("an error event becomes data: {error} and nothing follows, end() stays safe", () => {
    const { text, encoder } = encode(
      [
        { type: "text_delta", choice: 0, delta: "a" },
        { type: "error", error: { type: "overloaded_error", code: "overloaded", message: "Overloaded" } },
        { type: "text_delta", choice: 0, delta: "b" },
      ],
      true,
      false,
    );
    const last = sseEvents(text).at(-1)?.data;
    expect(last).toEqual({ error: { message: "Overloaded", type: "overloaded_error", code: "overloaded", param: null } });
    expect(text).not.toContain("[DONE]");
    expect(encoder.end()).toBe("");
  });

  it("end() closes unfinished choices with stop, then [DONE]; a second end() is empty", () => {
    const { choices, encoder, text } = encode([{ type: "text_delta", choice: 0, delta: "a" }]);
    expect(choices.at(-1)).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "stop" });
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(encoder.end()).toBe("");
  });
});

describe("usage ordering", () => {
  it("usage that arrives before the finish still goes out last, before [DONE]", () => {
    const { choices, chunks, text } = encode([
      { type: "text_delta", choice: 0, delta: "a" },
      { type: "usage", usage },
      { type: "finish", choice: 0, reason: "stop" },
      { type: "end" },
    ]);
    expect(choices.at(-2)?.["finish_reason"]).toBe("stop");
    expect(chunks.at(-1)?.["choices"]).toEqual([]);
    expect(chunks.at(-1)?.["usage"]).toMatchObject({ prompt_tokens: 3 });
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });
});
