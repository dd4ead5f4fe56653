import { describe, expect, it } from "vitest";
import type { FinishReason } from "../ir.js";
import { mapFinishReasonToMessages, mapMessagesStopReason } from "./finish-reason.js";

describe("mapMessagesStopReason", () => {
  it.each<[string | null | undefined, FinishReason]>([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["tool_use", "tool_calls"],
    ["refusal", "refusal"],
    ["pause_turn", "other"],
    ["compaction", "other"],
    ["something_new", "other"],
    [null, "other"],
    [undefined, "other"],
  ])("%s → %s", (raw, expected) => {
    expect(mapMessagesStopReason(raw)).toBe(expected);
  });
});

describe("mapFinishReasonToMessages", () => {
  it.each<[FinishReason, string]>([
    ["stop", "end_turn"],
    ["length", "max_tokens"],
    ["tool_calls", "tool_use"],
    ["content_filter", "refusal"],
    ["refusal", "refusal"],
    ["error", "end_turn"],
    ["other", "end_turn"],
  ])("%s → %s", (reason, expected) => {
    expect(mapFinishReasonToMessages({ reason })).toEqual({ stopReason: expected, stopSequence: null });
  });

  it("reports the matched stop sequence", () => {
    expect(mapFinishReasonToMessages({ reason: "stop", stopSequence: "###" })).toEqual({ stopReason: "stop_sequence", stopSequence: "###" });
  });

  it("keeps an Anthropic raw value that means the same thing", () => {
    expect(mapFinishReasonToMessages({ reason: "other", raw: "pause_turn" }).stopReason).toBe("pause_turn");
    expect(mapFinishReasonToMessages({ reason: "length", raw: "model_context_window_exceeded" }).stopReason).toBe("model_context_window_exceeded");
    expect(mapFinishReasonToMessages({ reason: "stop", raw: "stop_sequence", stopSequence: "END" })).toEqual({
      stopReason: "stop_sequence",
      stopSequence: "END",
    });
  });

  it("ignores a raw value that disagrees with the reason or is not Anthropic's", () => {
    expect(mapFinishReasonToMessages({ reason: "length", raw: "end_turn" }).stopReason).toBe("max_tokens");
    expect(mapFinishReasonToMessages({ reason: "length", raw: "max_output_tokens" }).stopReason).toBe("max_tokens");
    expect(mapFinishReasonToMessages({ reason: "stop", raw: "stop_sequence" }).stopReason).toBe("end_turn");
  });

  it("says tool_use when tool calls were emitted under an OpenAI `stop`", () => {
    expect(mapFinishReasonToMessages({ reason: "stop", raw: "completed", hasToolCalls: true }).stopReason).toBe("tool_use");
    expect(mapFinishReasonToMessages({ reason: "length", hasToolCalls: true }).stopReason).toBe("max_tokens");
  });
});
