import { describe, expect, it } from "vitest";
import type { SseFrame, StreamDecoder } from "../codec.js";
import type { StreamEvent } from "../ir.js";
import { testContext } from "./__fixtures__/replay-fixture.js";
import { createMessagesStreamDecoder } from "./stream-decoder.js";

function frame(payload: Record<string, unknown>): SseFrame {
  return { event: String(payload.type), data: JSON.stringify(payload) };
}

function run(decoder: StreamDecoder, payloads: Record<string, unknown>[]): StreamEvent[] {
  return payloads.flatMap((payload) => decoder.push(frame(payload)));
}

const messageStart = {
  type: "message_start",
  message: {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 5, output_tokens: 1 },
  },
};

const block = (index: number, contentBlock: Record<string, unknown>) => ({ type: "content_block_start", index, content_block: contentBlock });
const delta = (index: number, d: Record<string, unknown>) => ({ type: "content_block_delta", index, delta: d });
const stop = (index: number) => ({ type: "content_block_stop", index });

describe("createMessagesStreamDecoder", () => {
  it("decodes a thinking → text → two tool_use stream into hub events", () => {
    const events = run(createMessagesStreamDecoder({ ctx: testContext() }), [
      messageStart,
      block(0, { type: "thinking", thinking: "", signature: "" }),
      { type: "ping" },
      delta(0, { type: "thinking_delta", thinking: "Hmm" }),
      delta(0, { type: "thinking_delta", thinking: "" }),
      delta(0, { type: "signature_delta", signature: "sig==" }),
      stop(0),
      block(1, { type: "text", text: "" }),
      delta(1, { type: "text_delta", text: "Hi" }),
      stop(1),
      block(2, { type: "tool_use", id: "toolu_a", name: "f", input: {} }),
      delta(2, { type: "input_json_delta", partial_json: "" }),
      delta(2, { type: "input_json_delta", partial_json: '{"x":' }),
      delta(2, { type: "input_json_delta", partial_json: "1}" }),
      stop(2),
      block(3, { type: "tool_use", id: "toolu_b", name: "g", input: {} }),
      delta(3, { type: "input_json_delta", partial_json: "" }),
      stop(3),
      { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 42 } },
      { type: "message_stop" },
    ]);
    const usage = { inputTokens: 115, outputTokens: 1, totalTokens: 116, cachedInputTokens: 100, cacheWriteTokens: 5 };
    expect(events).toEqual([
      { type: "start", id: "msg_1", model: "claude-sonnet-4-5", created: 1_750_000_000, usage },
      { type: "reasoning_delta", choice: 0, delta: "Hmm" },
      { type: "reasoning_signature", choice: 0, signature: "sig==" },
      { type: "reasoning_end", choice: 0 },
      { type: "text_delta", choice: 0, delta: "Hi" },
      { type: "tool_call_start", choice: 0, index: 0, id: "toolu_a", name: "f" },
      { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: '{"x":' },
      { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: "1}" },
      { type: "tool_call_end", choice: 0, index: 0 },
      { type: "tool_call_start", choice: 0, index: 1, id: "toolu_b", name: "g" },
      { type: "tool_call_delta", choice: 0, index: 1, argumentsDelta: "{}" },
      { type: "tool_call_end", choice: 0, index: 1 },
      { type: "finish", choice: 0, reason: "tool_calls", raw: "tool_use" },
      { type: "usage", usage: { ...usage, outputTokens: 42, totalTokens: 157 } },
      { type: "end" },
    ]);
  });

  it("decodes redacted thinking, citations and a stop sequence", () => {
    const citation = { type: "char_location", cited_text: "x", document_index: 0, start_char_index: 0, end_char_index: 1 };
    const events = run(createMessagesStreamDecoder(), [
      messageStart,
      block(0, { type: "redacted_thinking", data: "EmwK" }),
      stop(0),
      block(1, { type: "text", text: "" }),
      delta(1, { type: "citations_delta", citation }),
      stop(1),
      { type: "message_delta", delta: { stop_reason: "stop_sequence", stop_sequence: "###" }, usage: { output_tokens: 3 } },
    ]);
    expect(events.slice(1, 4)).toEqual([
      { type: "reasoning_redacted", choice: 0, data: "EmwK" },
      { type: "reasoning_end", choice: 0 },
      // A block's citations cover all of it: they go out at its end, with its length.
      { type: "text_delta", choice: 0, delta: "", annotations: [citation], annotated: 0 },
    ]);
    expect(events[4]).toEqual({ type: "finish", choice: 0, reason: "stop", raw: "stop_sequence", stopSequence: "###" });
    expect(events[0]).toMatchObject({ type: "start", created: 0 });
  });

  it("skips server-tool blocks and their deltas", () => {
    const events = run(createMessagesStreamDecoder(), [
      messageStart,
      block(0, { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} }),
      delta(0, { type: "input_json_delta", partial_json: '{"q":1}' }),
      stop(0),
      block(1, { type: "tool_use", id: "toolu_1", name: "f", input: {} }),
    ]);
    expect(events.slice(1)).toEqual([{ type: "tool_call_start", choice: 0, index: 0, id: "toolu_1", name: "f" }]);
  });

  it("turns an error event into a hub error with the Anthropic type, then stays silent", () => {
    const decoder = createMessagesStreamDecoder();
    const events = run(decoder, [messageStart, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, { type: "message_stop" }]);
    expect(events.slice(1)).toEqual([{ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }]);
    expect(decoder.end()).toEqual([]);
  });

  it.each([
    ["data that is not JSON", { event: "message_start", data: "{oops" }],
    ["a delta for a block that was never started", frame(delta(4, { type: "text_delta", text: "x" }))],
    ["a tool_use block without an id", frame(block(0, { type: "tool_use", name: "f", input: {} }))],
  ])("reports %s as an error event instead of throwing", (_what, bad) => {
    const decoder = createMessagesStreamDecoder();
    decoder.push(frame(messageStart));
    const events = decoder.push(bad);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect(decoder.push(frame({ type: "message_stop" }))).toEqual([]);
  });

  it("reports a stream that ends without message_stop", () => {
    const decoder = createMessagesStreamDecoder();
    run(decoder, [messageStart, block(0, { type: "text", text: "" }), delta(0, { type: "text_delta", text: "par" })]);
    expect(decoder.end()).toEqual([{ type: "error", error: { type: "api_error", message: "upstream stream ended before message_stop" } }]);
  });

  it("ends quietly after message_stop", () => {
    const decoder = createMessagesStreamDecoder();
    run(decoder, [messageStart, { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } }, { type: "message_stop" }]);
    expect(decoder.end()).toEqual([]);
  });
});
