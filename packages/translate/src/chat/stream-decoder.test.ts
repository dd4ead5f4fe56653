// Chat stream decoder: choices, tool-call deltas, reasoning fields, usage, errors and early ends.

import { describe, expect, it } from "vitest";
import type { StreamEvent } from "../ir.js";
import { createChatStreamDecoder } from "./stream-decoder.js";

type Json = Record<string, unknown>;
const chunk = (choices: Json[], extra: Json = {}): string =>
  JSON.stringify({ id: "chatcmpl-9", object: "chat.completion.chunk", created: 42, model: "m", choices, ...extra });
const choice = (index: number, delta: Json, finish: string | null = null): Json => ({ index, delta, finish_reason: finish });

function run(datas: string[], callEnd = true): StreamEvent[] {
  const decoder = createChatStreamDecoder();
  const out = datas.flatMap((data) => decoder.push({ data }));
  return callEnd ? [...out, ...decoder.end()] : out;
}

describe("createChatStreamDecoder", () => {
  it("text answer: start, deltas, finish, usage, end", () => {
    expect(
      run([
        chunk([choice(0, { role: "assistant", content: "", refusal: null })]),
        chunk([choice(0, { content: "Hel" })]),
        chunk([choice(0, { content: "lo" })]),
        chunk([choice(0, {}, "stop")]),
        chunk([], { usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }),
        "[DONE]",
      ]),
    ).toEqual([
      { type: "start", id: "chatcmpl-9", model: "m", created: 42 },
      { type: "text_delta", choice: 0, delta: "Hel" },
      { type: "text_delta", choice: 0, delta: "lo" },
      { type: "finish", choice: 0, reason: "stop", raw: "stop" },
      { type: "usage", usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } },
      { type: "end" },
    ]);
  });

  it("a chunk with content and finish_reason together yields both, in order", () => {
    expect(run([chunk([choice(0, { role: "assistant", content: "all at once" }, "stop")]), "[DONE]"]).slice(1)).toEqual([
      { type: "text_delta", choice: 0, delta: "all at once" },
      { type: "finish", choice: 0, reason: "stop", raw: "stop" },
      { type: "end" },
    ]);
  });

  it("tolerates Azure's empty first chunk (start comes from the first real chunk)", () => {
    const events = run([
      JSON.stringify({ id: "", object: "", created: 0, model: "", choices: [], prompt_filter_results: [] }),
      chunk([choice(0, { role: "assistant", content: "x" })]),
      chunk([choice(0, {}, "stop")]),
      "[DONE]",
    ]);
    expect(events[0]).toEqual({ type: "start", id: "chatcmpl-9", model: "m", created: 42 });
  });

  it.each(["reasoning_content", "reasoning"])("%s deltas -> raw reasoning, ended before the text", (field) => {
    expect(
      run([chunk([choice(0, { role: "assistant", [field]: "think" })]), chunk([choice(0, { content: "A" })]), chunk([choice(0, {}, "stop")]), "[DONE]"]).slice(
        1,
        4,
      ),
    ).toEqual([
      { type: "reasoning_delta", choice: 0, delta: "think", kind: "raw" },
      { type: "reasoning_end", choice: 0 },
      { type: "text_delta", choice: 0, delta: "A" },
    ]);
  });

  it("refusal deltas", () => {
    const events = run([
      chunk([choice(0, { role: "assistant", content: null, refusal: "" })]),
      chunk([choice(0, { refusal: "No" })]),
      chunk([choice(0, {}, "stop")]),
      "[DONE]",
    ]);
    expect(events[1]).toEqual({ type: "refusal_delta", choice: 0, delta: "No" });
  });

  it("parallel tool calls: start/delta/end per call, previous call ended when the next starts", () => {
    const events = run([
      chunk([choice(0, { role: "assistant", tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "f", arguments: "" } }] })]),
      chunk([choice(0, { tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] })]),
      chunk([choice(0, { tool_calls: [{ index: 0, function: { arguments: ":1}" } }] })]),
      chunk([choice(0, { tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "g", arguments: "{}" } }] })]),
      chunk([choice(0, {}, "tool_calls")]),
      "[DONE]",
    ]);
    expect(events.slice(1, -1)).toEqual([
      { type: "tool_call_start", choice: 0, index: 0, id: "call_a", name: "f" },
      { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: '{"a"' },
      { type: "tool_call_delta", choice: 0, index: 0, argumentsDelta: ":1}" },
      { type: "tool_call_end", choice: 0, index: 0 },
      { type: "tool_call_start", choice: 0, index: 1, id: "call_b", name: "g" },
      { type: "tool_call_delta", choice: 0, index: 1, argumentsDelta: "{}" },
      { type: "tool_call_end", choice: 0, index: 1 },
      { type: "finish", choice: 0, reason: "tool_calls", raw: "tool_calls" },
    ]);
  });

  it("a server that reuses index 0 with new ids still gives distinct calls; `stop` after calls -> tool_calls", () => {
    const events = run([
      chunk([choice(0, { tool_calls: [{ index: 0, id: "call_a", function: { name: "f", arguments: "{}" } }] })]),
      chunk([choice(0, { tool_calls: [{ index: 0, id: "call_b", function: { name: "g", arguments: "{}" } }] })]),
      chunk([choice(0, {}, "stop")]),
      "[DONE]",
    ]);
    expect(events.filter((e) => e.type === "tool_call_start")).toEqual([
      { type: "tool_call_start", choice: 0, index: 0, id: "call_a", name: "f" },
      { type: "tool_call_start", choice: 0, index: 1, id: "call_b", name: "g" },
    ]);
    expect(events.find((e) => e.type === "finish")).toEqual({ type: "finish", choice: 0, reason: "tool_calls", raw: "stop" });
  });

  it("n = 2: tool-call indices count per choice, each choice finishes on its own", () => {
    const events = run([
      chunk([choice(0, { tool_calls: [{ index: 0, id: "c0", function: { name: "f", arguments: "" } }] })]),
      chunk([choice(1, { tool_calls: [{ index: 0, id: "c1", function: { name: "f", arguments: "" } }] })]),
      chunk([choice(1, { tool_calls: [{ index: 0, function: { arguments: "{}" } }] })]),
      chunk([choice(0, {}, "tool_calls")]),
      chunk([choice(1, {}, "tool_calls")]),
      "[DONE]",
    ]);
    expect(events.slice(1, -1)).toEqual([
      { type: "tool_call_start", choice: 0, index: 0, id: "c0", name: "f" },
      { type: "tool_call_start", choice: 1, index: 0, id: "c1", name: "f" },
      { type: "tool_call_delta", choice: 1, index: 0, argumentsDelta: "{}" },
      { type: "tool_call_end", choice: 0, index: 0 },
      { type: "finish", choice: 0, reason: "tool_calls", raw: "tool_calls" },
      { type: "tool_call_end", choice: 1, index: 0 },
      { type: "finish", choice: 1, reason: "tool_calls", raw: "tool_calls" },
    ]);
  });

  it("audio deltas pass through", () => {
    const events = run([chunk([choice(0, { audio: { id: "a1", transcript: "hi", data: "UklG" } })]), chunk([choice(0, {}, "stop")]), "[DONE]"]);
    expect(events[1]).toEqual({ type: "audio_delta", choice: 0, id: "a1", data: "UklG", transcript: "hi" });
  });

  it("cumulative usage on every chunk (vLLM) is reported once, the last value, at [DONE]", () => {
    const u = (n: number) => ({ prompt_tokens: 1, completion_tokens: n, total_tokens: 1 + n });
    const events = run([chunk([choice(0, { content: "a" })], { usage: u(1) }), chunk([choice(0, {}, "stop")], { usage: u(2) }), "[DONE]"]);
    expect(events.filter((e) => e.type === "usage")).toEqual([{ type: "usage", usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }]);
    expect(events.at(-1)).toEqual({ type: "end" });
  });

  it("mid-stream error object -> error event; later chunks ignored", () => {
    const decoder = createChatStreamDecoder();
    decoder.push({ data: chunk([choice(0, { content: "a" })]) });
    expect(decoder.push({ data: '{"error":{"message":"Rate limited","type":"rate_limit_error","code":429}}' })).toEqual([
      { type: "error", error: { type: "rate_limit_error", code: "429", message: "Rate limited", status: 429 } },
    ]);
    expect(decoder.push({ data: chunk([choice(0, { content: "b" })]) })).toEqual([]);
    expect(decoder.end()).toEqual([]);
  });

  it("malformed JSON -> error event, never a throw", () => {
    const events = run(["{oops"], false);
    expect(events).toEqual([{ type: "error", error: { type: "invalid_response", message: expect.stringContaining("{oops") } }]);
  });

  it("end() without [DONE] or finish -> 'upstream stream ended early'", () => {
    expect(run([chunk([choice(0, { content: "a" })])]).at(-1)).toEqual({
      type: "error",
      error: { type: "server_error", code: "stream_ended_early", message: "upstream stream ended early" },
    });
  });

  it("end() after every choice finished but no [DONE] is a clean end", () => {
    expect(run([chunk([choice(0, { content: "a" })]), chunk([choice(0, {}, "stop")])]).slice(-2)).toEqual([
      { type: "finish", choice: 0, reason: "stop", raw: "stop" },
      { type: "end" },
    ]);
  });

  it("[DONE] with an unfinished choice closes it with an unknown reason", () => {
    expect(run([chunk([choice(0, { content: "a" })]), "[DONE]"]).slice(-2)).toEqual([{ type: "finish", choice: 0, reason: "other" }, { type: "end" }]);
  });
});
