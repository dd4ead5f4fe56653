import { describe, expect, it } from "vitest";
import type { StreamEncoder } from "../codec.js";
import type { StreamEvent } from "../ir.js";
import { foldMessagesStream, parseSse, testContext } from "./__fixtures__/replay-fixture.js";
import { createMessagesStreamEncoder } from "./stream-encoder.js";
import { unpackReasoningSignature } from "./reasoning-signature.js";

function encoder(extra: { id?: string; inputTokens?: number } = {}): StreamEncoder {
  return createMessagesStreamEncoder({ ctx: testContext(), model: "claude-opus-4-8", ...extra });
}

function encodeAll(events: StreamEvent[], end = true, enc = encoder()): string {
  return events.map((event) => enc.push(event)).join("") + (end ? enc.end() : "");
}

const start: StreamEvent = { type: "start", id: "chatcmpl-1", model: "gpt-5", created: 1 };

describe("createMessagesStreamEncoder: a chat-style upstream", () => {
  // Reasoning deltas with no signature, then text, then one tool call with fragmented arguments,
  // finish BEFORE usage, as chat completions with include_usage sends it.
  const chatEvents: StreamEvent[] = [
    start,
    { type: "reasoning_delta", choice: 0, delta: "The user wants " },
    { type: "reasoning_delta", choice: 0, delta: "the weather." },
    { type: "text_delta", choice: 0, delta: "Checking " },
    { type: "text_delta", choice: 0, delta: "now." },
    { type: "tool_call_start", choice: 0, index: 0, id: "call_abc", name: "get_weather" },
    { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: '{"ci' },
    { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: 'ty":"Pa' },
    { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: 'ris"}' },
    { type: "finish", choice: 0, reason: "tool_calls", raw: "tool_calls" },
    { type: "usage", usage: { inputTokens: 500, outputTokens: 77, totalTokens: 577, cachedInputTokens: 300 } },
    { type: "end" },
  ];

  it("produces sequential blocks, a held message_delta with usage, and one message_stop", () => {
    const sse = encodeAll(chatEvents);
    const folded = foldMessagesStream(parseSse(sse));
    expect(folded.events).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(folded.messageStart).toEqual({
      id: "msg_test1",
      type: "message",
      role: "assistant",
      model: "claude-opus-4-8",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
    });
    expect(folded.blocks).toEqual([
      { index: 0, type: "thinking", thinking: "The user wants the weather.", signature: "", text: "", json: "" },
      { index: 1, type: "text", text: "Checking now.", thinking: "", signature: "", json: "" },
      { index: 2, type: "tool_use", id: "call_abc", name: "get_weather", text: "", thinking: "", signature: "", json: '{"city":"Paris"}' },
    ]);
    expect(folded.messageDeltas).toEqual([
      {
        type: "message_delta",
        delta: { stop_reason: "tool_use", stop_sequence: null },
        usage: { input_tokens: 200, cache_creation_input_tokens: 0, cache_read_input_tokens: 300, output_tokens: 77 },
      },
    ]);
  });

  it("holds the message_delta until the usage arrives", () => {
    const enc = encoder();
    const beforeUsage = chatEvents
      .slice(0, 10)
      .map((event) => enc.push(event))
      .join("");
    expect(beforeUsage).not.toContain("message_delta");
    expect(beforeUsage).toContain('event: content_block_stop\ndata: {"type":"content_block_stop","index":2}');
    const afterUsage = enc.push(chatEvents[10] ?? { type: "end" });
    expect(afterUsage).toMatch(/^event: message_delta\n.*\n\nevent: message_stop\ndata: \{"type":"message_stop"\}\n\n$/);
    expect(enc.push({ type: "end" }) + enc.end()).toBe("");
  });

  it("uses the start usage, else the estimated input tokens, in message_start", () => {
    const withUsage = foldMessagesStream(
      parseSse(encodeAll([{ ...start, usage: { inputTokens: 90, outputTokens: 1, totalTokens: 91, cachedInputTokens: 80 } }], false)),
    );
    expect(withUsage.messageStart?.usage).toEqual({ input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 80, output_tokens: 1 });
    const estimated = foldMessagesStream(parseSse(encodeAll([start], false, encoder({ inputTokens: 1234 }))));
    expect(estimated.messageStart?.usage).toMatchObject({ input_tokens: 1234, output_tokens: 0 });
  });

  it("flushes the finish at end() when the upstream never reports usage", () => {
    const folded = foldMessagesStream(
      parseSse(
        encodeAll([start, { type: "text_delta", choice: 0, delta: "ok" }, { type: "finish", choice: 0, reason: "length" }], true, encoder({ inputTokens: 50 })),
      ),
    );
    expect(folded.messageDeltas[0]).toEqual({
      type: "message_delta",
      delta: { stop_reason: "max_tokens", stop_sequence: null },
      usage: { input_tokens: 50, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
    });
    expect(folded.events.filter((e) => e === "message_stop")).toHaveLength(1);
  });

  it("ignores events for choices other than 0", () => {
    const folded = foldMessagesStream(
      parseSse(
        encodeAll([
          start,
          { type: "text_delta", choice: 1, delta: "other" },
          { type: "text_delta", choice: 0, delta: "mine" },
          { type: "finish", choice: 1, reason: "length" },
          { type: "finish", choice: 0, reason: "stop" },
          { type: "end" },
        ]),
      ),
    );
    expect(folded.blocks.map((b) => b.text)).toEqual(["mine"]);
    expect(folded.messageDeltas[0]?.delta).toEqual({ stop_reason: "end_turn", stop_sequence: null });
  });
});

describe("createMessagesStreamEncoder: block kinds", () => {
  it("sends the signature before closing a thinking block, and redacted thinking whole", () => {
    const folded = foldMessagesStream(
      parseSse(
        encodeAll([
          start,
          { type: "reasoning_delta", choice: 0, delta: "think" },
          { type: "reasoning_signature", choice: 0, signature: "EvQB+/==" },
          { type: "reasoning_end", choice: 0 },
          { type: "reasoning_redacted", choice: 0, data: "EmwK" },
          { type: "refusal_delta", choice: 0, delta: "I can't help with that." },
          { type: "finish", choice: 0, reason: "refusal" },
          { type: "end" },
        ]),
      ),
    );
    expect(folded.blocks).toEqual([
      { index: 0, type: "thinking", thinking: "think", signature: "EvQB+/==", text: "", json: "" },
      { index: 1, type: "redacted_thinking", data: "EmwK", text: "", thinking: "", signature: "", json: "" },
      { index: 2, type: "text", text: "I can't help with that.", thinking: "", signature: "", json: "" },
    ]);
    expect(folded.messageDeltas[0]?.delta).toEqual({ stop_reason: "refusal", stop_sequence: null });
  });

  it("packs a Responses reasoning item into the thinking signature", () => {
    const folded = foldMessagesStream(
      parseSse(
        encodeAll([
          start,
          { type: "reasoning_encrypted", choice: 0, encryptedContent: "gAAAAB", id: "rs_9" },
          { type: "text_delta", choice: 0, delta: "x" },
          { type: "finish", choice: 0, reason: "stop" },
          { type: "end" },
        ]),
      ),
    );
    expect(folded.blocks[0]?.type).toBe("thinking");
    expect(unpackReasoningSignature(folded.blocks[0]?.signature ?? "")).toEqual({ encryptedContent: "gAAAAB", id: "rs_9" });
  });

  it("numbers parallel tool calls as consecutive blocks and says tool_use after an OpenAI stop", () => {
    const folded = foldMessagesStream(
      parseSse(
        encodeAll([
          start,
          { type: "tool_call_start", choice: 0, index: 0, id: "call_1", name: "a" },
          { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: "{}" },
          { type: "tool_call_end", choice: 0, index: 0 },
          { type: "tool_call_start", choice: 0, index: 1, id: "call_2", name: "b" },
          { type: "tool_call_delta", choice: 0, index: 1, argumentsDelta: '{"n":2}' },
          { type: "finish", choice: 0, reason: "stop", raw: "completed" },
          { type: "end" },
        ]),
      ),
    );
    expect(folded.blocks.map((b) => [b.index, b.id, b.json])).toEqual([
      [0, "call_1", "{}"],
      [1, "call_2", '{"n":2}'],
    ]);
    expect(folded.messageDeltas[0]?.delta).toEqual({ stop_reason: "tool_use", stop_sequence: null });
  });

  it("keeps an upstream msg_ id and prefers an explicit one", () => {
    expect(foldMessagesStream(parseSse(encodeAll([{ ...start, id: "msg_up" }], false))).messageStart?.id).toBe("msg_up");
    expect(foldMessagesStream(parseSse(encodeAll([{ ...start, id: "msg_up" }], false, encoder({ id: "msg_mine" })))).messageStart?.id).toBe("msg_mine");
  });
});

describe("createMessagesStreamEncoder: errors", () => {
  it.each([
    [{ status: 529, type: "server_error", message: "busy" }, "overloaded_error"],
    [{ status: 503, type: "server_error", message: "busy" }, "overloaded_error"],
    [{ status: 429, type: "requests", message: "slow down" }, "rate_limit_error"],
    [{ status: 500, type: "server_error", message: "boom" }, "api_error"],
    [{ type: "overloaded_error", message: "Overloaded" }, "overloaded_error"],
    [{ type: "server_error", message: "boom" }, "api_error"],
  ])("maps %j to %s and sends nothing after it", (error, type) => {
    const enc = encoder();
    const sse = encodeAll([start, { type: "text_delta", choice: 0, delta: "par" }, { type: "error", error }], false, enc);
    const trailing = enc.push({ type: "text_delta", choice: 0, delta: "tial" }) + enc.push({ type: "end" }) + enc.end();
    expect(trailing).toBe("");
    const folded = foldMessagesStream(parseSse(sse));
    expect(folded.events.at(-1)).toBe("error");
    expect(folded.errors).toEqual([{ type, message: error.message }]);
    expect(sse).toContain(`event: error\ndata: {"type":"error","error":{"type":"${type}","message":"${error.message}"}}\n\n`);
  });

  it("reports a stream cut before the finish as an api_error", () => {
    const sse = encodeAll([start, { type: "text_delta", choice: 0, delta: "half an ans" }]);
    const folded = foldMessagesStream(parseSse(sse));
    expect(folded.events.at(-1)).toBe("error");
    expect(folded.events).not.toContain("message_stop");
    expect(folded.errors).toEqual([{ type: "api_error", message: "upstream stream ended early" }]);
  });

  it("treats a clean upstream end without a finish as end_turn", () => {
    const folded = foldMessagesStream(parseSse(encodeAll([start, { type: "text_delta", choice: 0, delta: "done" }, { type: "end" }])));
    expect(folded.messageDeltas[0]?.delta).toEqual({ stop_reason: "end_turn", stop_sequence: null });
    expect(folded.events.at(-1)).toBe("message_stop");
  });
});
