import { type LlmResponse, type StreamEvent, type TranslationWarning, createChatStreamDecoder } from "@yallmproxy/translate";
import { describe, expect, it } from "vitest";
import { limitResponseToolCalls, limitStreamToolCalls } from "./max-tool-calls.js";

const chunk = (delta: Record<string, unknown>, index = 0, finish: string | null = null) => ({
  data: JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index, delta, finish_reason: finish }] }),
});

function threeCalls(choice = 0) {
  return [0, 1, 2].flatMap((i) => [
    chunk({ tool_calls: [{ index: i, id: `call_${choice}${i}`, type: "function", function: { name: `f${i}`, arguments: "" } }] }, choice),
    chunk({ tool_calls: [{ index: i, function: { arguments: `{"n":${i}}` } }] }, choice),
  ]);
}

describe("limitStreamToolCalls", () => {
  it("keeps the first N calls of each choice, drops the rest with a warning each", () => {
    const warnings: TranslationWarning[] = [];
    const decoder = limitStreamToolCalls(createChatStreamDecoder(), 2, warnings);
    const frames = [
      chunk({ role: "assistant", content: null }),
      ...threeCalls(0),
      chunk({ role: "assistant", content: null }, 1),
      ...threeCalls(1),
      chunk({}, 0, "tool_calls"),
      chunk({}, 1, "tool_calls"),
      { data: "[DONE]" },
    ];
    const events: StreamEvent[] = [];
    for (const f of frames) events.push(...decoder.push(f));
    events.push(...decoder.end());
    const starts = events.filter((e) => e.type === "tool_call_start").map((e) => (e.type === "tool_call_start" ? `${e.choice}:${e.index}:${e.id}` : ""));
    expect(starts).toEqual(["0:0:call_00", "0:1:call_01", "1:0:call_10", "1:1:call_11"]);
    const touched = events.filter((e) => e.type === "tool_call_delta" || e.type === "tool_call_end").map((e) => ("index" in e ? e.index : -1));
    expect(touched.every((i) => i < 2)).toBe(true);
    expect(events.filter((e) => e.type === "finish")).toHaveLength(2);
    expect(events.at(-1)).toEqual({ type: "end" });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toEqual({
      code: "tool_call_limit",
      path: "max_tool_calls",
      message: expect.stringContaining("call 3 ('f2') of choice 0 exceeds max_tool_calls=2"),
    });
  });

  it("passes everything through under the limit", () => {
    const warnings: TranslationWarning[] = [];
    const decoder = limitStreamToolCalls(createChatStreamDecoder(), 3, warnings);
    const events = [chunk({ role: "assistant" }), ...threeCalls(0), chunk({}, 0, "tool_calls")].flatMap((f) => decoder.push(f));
    expect(events.filter((e) => e.type === "tool_call_start")).toHaveLength(3);
    expect(warnings).toEqual([]);
  });
});

describe("limitResponseToolCalls", () => {
  const response: LlmResponse = {
    id: "r",
    model: "m",
    created: 1,
    choices: [
      {
        index: 0,
        finishReason: "tool_calls",
        content: [
          { type: "text", text: "Calling." },
          { type: "tool_call", id: "a", name: "fa", arguments: "{}" },
          { type: "tool_call", id: "b", name: "fb", arguments: "{}" },
        ],
      },
    ],
  };

  it("drops calls past the limit and keeps the text", () => {
    const warnings: TranslationWarning[] = [];
    const limited = limitResponseToolCalls(response, 1, warnings);
    expect(limited.choices[0]!.content).toEqual([
      { type: "text", text: "Calling." },
      { type: "tool_call", id: "a", name: "fa", arguments: "{}" },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain("('fb')");
    expect(response.choices[0]!.content).toHaveLength(3);
  });

  it("returns the same object when nothing is over the limit", () => {
    const warnings: TranslationWarning[] = [];
    expect(limitResponseToolCalls(response, 2, warnings)).toBe(response);
    expect(warnings).toEqual([]);
  });
});
