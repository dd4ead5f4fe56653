// The two recorded Anthropic streams, replayed through the real SSE parser into the decoder and back out
// through the encoder: a client must see the same message the upstream sent.

import { describe, expect, it } from "vitest";
import type { StreamEvent } from "../ir.js";
import { foldMessagesStream, jsonlToSse, parseSse, readFixture, testContext, type FoldedStream } from "./__fixtures__/replay-fixture.js";
import { createMessagesStreamDecoder } from "./stream-decoder.js";
import { createMessagesStreamEncoder } from "./stream-encoder.js";

const SIGNATURE =
  "EvQBCkYICxgCKkAxhD4NUKFzudtZ6NzbZdEiBACIScTzqjPViM596iWLZIk4EFKYYBj3B6Ptl3b0dcQv/VeJBNbejNWIWRBn+KPNEgz6HWtKx7p+QRgKsEoaDGjsiqfht7gTRFYHiyIwD1VSmNqHxv3wy8KEMP+LYb/TC4UH3H97tuoaADARFFcA0phdfxnzKQxFnc9lwY+dKlzUsaKSUAFeu1bDL5ikZJ1vL0Fkz6JjoFke0L/wOJRIUDUlDUOFJ1tZ3ea7g6LGE/5hwuvWgLwewdcm64d+43l7F57XrOmqNd6flI2K/oPr/4yzNgvi/EhT6Ca17BgB";

function replay(sse: string): { upstream: FoldedStream; events: StreamEvent[]; client: FoldedStream } {
  const frames = parseSse(sse);
  const decoder = createMessagesStreamDecoder({ ctx: testContext() });
  const events = [...frames.flatMap((frame) => decoder.push(frame)), ...decoder.end()];
  const encoder = createMessagesStreamEncoder({ ctx: testContext(), model: "claude-sonnet-4-5" });
  const out = events.map((event) => encoder.push(event)).join("") + encoder.end();
  return { upstream: foldMessagesStream(frames), events, client: foldMessagesStream(parseSse(out)) };
}

function comparable(stream: FoldedStream) {
  return stream.blocks.map(({ index, type, text, thinking, signature, id, name, json }) => ({
    index,
    type,
    text,
    thinking,
    signature,
    id,
    name,
    input: type === "tool_use" ? JSON.parse(json === "" ? "{}" : json) : undefined,
  }));
}

describe("recorded stream: thinking with signature, then text (vercel/ai)", () => {
  const { upstream, events, client } = replay(jsonlToSse(readFixture("anthropic-thinking-text.jsonl")));

  it("decodes into reasoning with the exact signature, then text", () => {
    expect(
      events
        .filter((e) => e.type === "reasoning_delta")
        .map((e) => (e.type === "reasoning_delta" ? e.delta : ""))
        .join(""),
    ).toBe("The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185");
    expect(events.find((e) => e.type === "reasoning_signature")).toEqual({ type: "reasoning_signature", choice: 0, signature: SIGNATURE });
    expect(
      events
        .filter((e) => e.type === "text_delta")
        .map((e) => (e.type === "text_delta" ? e.delta : ""))
        .join(""),
    ).toBe("925 ÷ 5 = 185");
    expect(events.find((e) => e.type === "finish")).toEqual({ type: "finish", choice: 0, reason: "stop", raw: "end_turn" });
    expect(events.at(-1)).toEqual({ type: "end" });
  });

  it("re-encodes to the same blocks, indices 0..n and one message_stop", () => {
    expect(comparable(client)).toEqual(comparable(upstream));
    expect(client.blocks.map((b) => b.index)).toEqual([0, 1]);
    expect(client.blocks[0]?.signature).toBe(SIGNATURE);
    expect(client.events.filter((e) => e === "message_stop")).toHaveLength(1);
    expect(client.events.at(-1)).toBe("message_stop");
    expect(client.messageStart?.id).toBe("msg_01Y6V41gqPaKWEw7iPouH7iW");
    expect(client.messageStart?.usage).toEqual({ input_tokens: 69, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 2 });
    expect(client.messageDeltas).toEqual([
      {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { input_tokens: 69, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 53 },
      },
    ]);
  });
});

describe("recorded stream: text, then tool_use with input_json_delta (anthropic-sdk-python)", () => {
  const { upstream, events, client } = replay(readFixture("anthropic-text-tool-use.sse"));

  it("decodes the tool call with index 0 and its argument fragments", () => {
    expect(events.find((e) => e.type === "tool_call_start")).toEqual({
      type: "tool_call_start",
      choice: 0,
      index: 0,
      id: "toolu_01NRLabsLyVHZPKxbKvkfSMn",
      name: "get_weather",
    });
    const args = events.map((e) => (e.type === "tool_call_delta" ? e.argumentsDelta : "")).join("");
    expect(JSON.parse(args)).toEqual({ location: "Paris" });
    expect(events.find((e) => e.type === "finish")).toEqual({ type: "finish", choice: 0, reason: "tool_calls", raw: "tool_use" });
  });

  it("re-encodes to the same blocks, indices 0..n and one message_stop", () => {
    expect(comparable(client)).toEqual(comparable(upstream));
    expect(comparable(client)).toEqual([
      {
        index: 0,
        type: "text",
        text: "I'll check the current weather in Paris for you.",
        thinking: "",
        signature: "",
        id: undefined,
        name: undefined,
        input: undefined,
      },
      {
        index: 1,
        type: "tool_use",
        text: "",
        thinking: "",
        signature: "",
        id: "toolu_01NRLabsLyVHZPKxbKvkfSMn",
        name: "get_weather",
        input: { location: "Paris" },
      },
    ]);
    expect(client.events.filter((e) => e === "message_stop")).toHaveLength(1);
    expect(client.messageDeltas).toHaveLength(1);
    expect(client.messageDeltas[0]).toMatchObject({ delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { input_tokens: 377, output_tokens: 65 } });
  });
});
