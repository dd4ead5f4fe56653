import { describe, expect, it } from "vitest";
import type { FinishReason } from "../ir.js";
import { mapMessagesStopReason } from "./map-messages-stop-reason.js";

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
