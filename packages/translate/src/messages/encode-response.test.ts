import { describe, expect, it } from "vitest";
import type { LlmResponse } from "../ir.js";
import { testContext } from "./__fixtures__/replay-fixture.js";
import { decodeMessagesResponse } from "./decode-response.js";
import { encodeMessagesResponse } from "./encode-response.js";
import { unpackReasoningSignature } from "./reasoning-signature.js";

function chatResponse(extra: Partial<LlmResponse["choices"][number]> = {}): LlmResponse {
  return {
    id: "chatcmpl-abc",
    model: "gpt-5",
    created: 1,
    choices: [{ index: 0, finishReason: "stop", content: [{ type: "text", text: "Hello" }], ...extra }],
    usage: { inputTokens: 1200, outputTokens: 40, totalTokens: 1240, cachedInputTokens: 1000 },
  };
}

describe("encodeMessagesResponse", () => {
  it("builds an Anthropic message from a chat answer", () => {
    const { value, warnings } = encodeMessagesResponse(chatResponse(), testContext());
    expect(value).toEqual({
      id: "msg_test1",
      type: "message",
      role: "assistant",
      model: "gpt-5",
      content: [{ type: "text", text: "Hello" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 200, cache_creation_input_tokens: 0, cache_read_input_tokens: 1000, output_tokens: 40 },
    });
    expect(warnings).toEqual([]);
  });

  it("orders blocks thinking → text → tool_use and parses arguments", () => {
    const { value, warnings } = encodeMessagesResponse(
      chatResponse({
        finishReason: "tool_calls",
        content: [
          { type: "text", text: "Let me check." },
          { type: "tool_call", id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
          { type: "reasoning", text: "User wants weather." },
          { type: "refusal", text: "(partial refusal)" },
          { type: "tool_call", id: "toolu_2", name: "broken", arguments: "{oops" },
        ],
      }),
      testContext(),
    );
    expect(value.content).toEqual([
      { type: "thinking", thinking: "User wants weather.", signature: "" },
      { type: "text", text: "Let me check." },
      { type: "text", text: "(partial refusal)" },
      { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
      { type: "tool_use", id: "toolu_2", name: "broken", input: {} },
    ]);
    expect(value.stop_reason).toBe("tool_use");
    expect(warnings.map((w) => w.path)).toEqual(["choices[0].content[4]"]);
  });

  it.each([
    ["stop", undefined, undefined, "end_turn", null],
    ["stop", undefined, "###", "stop_sequence", "###"],
    ["length", "length", undefined, "max_tokens", null],
    ["tool_calls", "tool_calls", undefined, "tool_use", null],
    ["content_filter", "content_filter", undefined, "refusal", null],
    ["refusal", undefined, undefined, "refusal", null],
    ["other", "pause_turn", undefined, "pause_turn", null],
  ] as const)("finish %s (raw %s, sequence %s) → %s", (finishReason, raw, stopSequence, stopReason, sequence) => {
    const choice: Partial<LlmResponse["choices"][number]> = { finishReason };
    if (raw !== undefined) choice.rawFinishReason = raw;
    if (stopSequence !== undefined) choice.stopSequence = stopSequence;
    const { value } = encodeMessagesResponse(chatResponse(choice), testContext());
    expect(value.stop_reason).toBe(stopReason);
    expect(value.stop_sequence).toBe(sequence);
  });

  it("keeps only choice 0, with a warning", () => {
    const res = chatResponse();
    res.choices.push({ index: 1, finishReason: "stop", content: [{ type: "text", text: "Other" }] });
    const { value, warnings } = encodeMessagesResponse(res, testContext());
    expect(value.content).toEqual([{ type: "text", text: "Hello" }]);
    expect(warnings.map((w) => w.path)).toEqual(["choices"]);
  });

  it("carries a Responses reasoning item through the signature", () => {
    const { value } = encodeMessagesResponse(
      chatResponse({ content: [{ type: "reasoning", text: "sum", encryptedContent: "gAAAAB", id: "rs_1" }] }),
      testContext(),
    );
    const block = (value.content as { signature: string }[])[0];
    expect(block?.signature).toMatch(/^yallm-rsenc-v1:/);
    expect(unpackReasoningSignature(block?.signature ?? "")).toEqual({ encryptedContent: "gAAAAB", id: "rs_1" });
  });
});

describe("Anthropic response → hub → Anthropic response", () => {
  it("keeps text, signed thinking, tool use, stop reason and cache usage", () => {
    const original = {
      id: "msg_019Q1hrJbZG26Fb9BQhrkHEr",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-20250514",
      content: [
        { type: "thinking", thinking: "Paris weather needed.", signature: "EvQBCkYICxgCKkAx+/==" },
        { type: "redacted_thinking", data: "EmwKAhgB" },
        { type: "text", text: "I'll check the current weather in Paris for you." },
        { type: "tool_use", id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_weather", input: { location: "Paris", units: ["c"] } },
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 377, cache_creation_input_tokens: 12, cache_read_input_tokens: 3000, output_tokens: 65, service_tier: "standard" },
    };
    const ctx = testContext();
    const back = encodeMessagesResponse(decodeMessagesResponse(original, ctx).value, ctx);
    expect(back.value).toEqual(original);
  });
});
