// The recorded Responses stream, through the real SSE parser, the Responses decoder and the Chat encoder.

import { describe, expect, it } from "vitest";
import { createChatStreamEncoder } from "../chat/stream-encoder.js";
import type { LlmRequest } from "../ir.js";
import { checkResponsesGrammar } from "../shared/testing/responses-grammar.js";
import { decodeAll, encodeAll, jsonlToSse, parseSse, readFixture, sseEvents } from "../shared/testing/sse-replay.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { createResponsesStreamDecoder } from "./stream-decoder.js";
import { createResponsesStreamEncoder } from "./stream-encoder.js";

const fixture = readFixture("responses-reasoning-function-call.jsonl");
// The reasoning item as `output_item.done` carried it (the API re-encrypts it for `response.completed`).
const reasoningDone = fixture
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as { type: string; item?: Record<string, unknown> })
  .find((e) => e.type === "response.output_item.done" && e.item?.["type"] === "reasoning");
const recordedReasoning = reasoningDone?.item ?? {};
const SUMMARY =
  "**Calculating step-by-step using calculator**\n\nI'll compute 12 plus 7, then multiply the result by 3, and finally multiply that by 10, reporting the final product.";

describe("Responses fixture -> hub events", () => {
  const events = decodeAll(createResponsesStreamDecoder(), parseSse(jsonlToSse(fixture)));

  it("starts with the upstream response id and model", () => {
    expect(events[0]).toEqual({
      type: "start",
      id: "resp_01830d662ab3856501693c321345c88190b0de00f3b9975691",
      model: "gpt-5.1-codex-max",
      created: 1765552659,
    });
  });

  it("keeps the reasoning summary, its encrypted content and the item id", () => {
    expect(String(recordedReasoning["encrypted_content"])).toMatch(/^gAAAA/);
    const summary = events.flatMap((e) => (e.type === "reasoning_delta" ? [e] : []));
    expect(summary.every((e) => e.kind === "summary")).toBe(true);
    expect(summary.map((e) => e.delta).join("")).toBe(SUMMARY);
    expect(events.find((e) => e.type === "reasoning_encrypted")).toEqual({
      type: "reasoning_encrypted",
      choice: 0,
      encryptedContent: recordedReasoning["encrypted_content"],
      id: "rs_01830d662ab3856501693c321405c88190be3ab04d5782d5f9",
    });
  });

  it("turns the function call into start / deltas / end with call_id and item id", () => {
    expect(events.find((e) => e.type === "tool_call_start")).toEqual({
      type: "tool_call_start",
      choice: 0,
      index: 0,
      id: "call_AB6AaRZ1FYZB2RwS6A5vbdqn",
      name: "calculator",
      itemId: "fc_01830d662ab3856501693c32151234819091cfca267e98cc5f",
    });
    const args = events.flatMap((e) => (e.type === "tool_call_delta" ? [e.argumentsDelta] : [])).join("");
    expect(args).toBe('{"a":12,"b":7,"op":"add"}');
    expect(events.slice(-4).map((e) => e.type)).toEqual(["tool_call_end", "finish", "usage", "end"]);
    expect(events.at(-3)).toEqual({ type: "finish", choice: 0, reason: "tool_calls", raw: "completed" });
    expect(events.at(-2)).toEqual({
      type: "usage",
      usage: { inputTokens: 134, outputTokens: 28, totalTokens: 162, cachedInputTokens: 0, reasoningTokens: 0 },
    });
  });

  it("re-encodes to a valid Responses stream (Responses -> hub -> Responses)", () => {
    const request: LlmRequest = { model: "codex", messages: [], stream: true };
    const sse = encodeAll(createResponsesStreamEncoder({ ctx: createTestContext(), request, model: "codex" }), events);
    const result = checkResponsesGrammar(sse);
    expect(result.violations).toEqual([]);
    const output = (result.terminal?.["output"] ?? []) as Record<string, unknown>[];
    expect(output.map((o) => o["type"])).toEqual(["reasoning", "function_call"]);
    expect(output[0]?.["summary"]).toEqual([{ type: "summary_text", text: SUMMARY }]);
    expect(output[0]?.["encrypted_content"]).toBe(recordedReasoning["encrypted_content"]);
    expect(output[1]).toMatchObject({ id: "fc_01830d662ab3856501693c32151234819091cfca267e98cc5f", call_id: "call_AB6AaRZ1FYZB2RwS6A5vbdqn" });
  });
});

describe("Responses fixture -> Chat stream", () => {
  const events = decodeAll(createResponsesStreamDecoder(), parseSse(jsonlToSse(fixture)));
  const text = encodeAll(createChatStreamEncoder(createTestContext(), { model: "alias", includeUsage: true }), events);
  const chunks = sseEvents(text).map((e) => e.data);
  const deltas = chunks.flatMap((c) =>
    (c["choices"] as Record<string, unknown>[])[0] ? [(c["choices"] as Record<string, unknown>[])[0] as Record<string, unknown>] : [],
  );

  it("ends with [DONE] and every chunk is a chat.completion.chunk of one id", () => {
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(new Set(chunks.map((c) => c["id"]))).toEqual(new Set(["chatcmpl-test001"]));
    expect(chunks.every((c) => c["object"] === "chat.completion.chunk" && c["model"] === "alias")).toBe(true);
  });

  it("opens with a role chunk and keeps the reasoning as reasoning_content", () => {
    expect(deltas[0]).toEqual({ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null });
    const reasoning = deltas.map((d) => (d["delta"] as Record<string, unknown>)["reasoning_content"]).filter((r) => typeof r === "string");
    expect(reasoning.join("")).toBe(SUMMARY);
  });

  it("keeps the tool call id, name and arguments intact", () => {
    const calls = deltas.flatMap((d) => ((d["delta"] as Record<string, unknown>)["tool_calls"] as Record<string, unknown>[] | undefined) ?? []);
    expect(calls[0]).toEqual({
      index: 0,
      id: "call_AB6AaRZ1FYZB2RwS6A5vbdqn",
      type: "function",
      function: { name: "calculator", arguments: "" },
    });
    const args = calls.map((c) => (c["function"] as Record<string, unknown>)["arguments"]).join("");
    expect(args).toBe('{"a":12,"b":7,"op":"add"}');
    expect(calls.slice(1).every((c) => c["id"] === undefined && c["index"] === 0)).toBe(true);
  });

  it("sends the finish chunk then the usage chunk", () => {
    const finishIndex = chunks.findIndex((c) => (c["choices"] as Record<string, unknown>[])[0]?.["finish_reason"] === "tool_calls");
    expect(finishIndex).toBeGreaterThan(0);
    expect(chunks[finishIndex + 1]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 134, completion_tokens: 28, total_tokens: 162, completion_tokens_details: { reasoning_tokens: 0 } },
    });
    expect(chunks).toHaveLength(finishIndex + 2);
  });
});
