// Non-stream chat completions, both directions.

import { describe, expect, it } from "vitest";
import { TranslateError } from "../codec.js";
import type { LlmResponse } from "../ir.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { decodeChatResponse } from "./decode-response.js";
import { encodeChatResponse } from "./encode-response.js";

const completion = (message: Record<string, unknown>, finish = "stop", extra: Record<string, unknown> = {}) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 123,
  model: "gpt-4o",
  choices: [{ index: 0, message: { role: "assistant", ...message }, logprobs: null, finish_reason: finish }],
  ...extra,
});

describe("decodeChatResponse", () => {
  it("text with url_citation annotations, usage, fingerprint and tier", () => {
    const annotations = [{ type: "url_citation", url_citation: { url: "https://a.test", title: "A", start_index: 0, end_index: 5 } }];
    const { value } = decodeChatResponse(
      completion({ content: "Hello", refusal: null, annotations }, "stop", {
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
        system_fingerprint: "fp_1",
        service_tier: "default",
      }),
    );
    expect(value).toEqual({
      id: "chatcmpl-1",
      model: "gpt-4o",
      created: 123,
      choices: [{ index: 0, content: [{ type: "text", text: "Hello", annotations }], finishReason: "stop", rawFinishReason: "stop" }],
      usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 },
      serviceTier: "default",
      systemFingerprint: "fp_1",
    });
  });

  it.each([
    ["reasoning_content", { reasoning_content: "why", content: "A" }],
    ["reasoning", { reasoning: "why", content: "A" }],
  ])("%s -> ReasoningPart (raw) before the text", (_name, message) => {
    expect(decodeChatResponse(completion(message)).value.choices[0]?.content).toEqual([
      { type: "reasoning", text: "why", kind: "raw" },
      { type: "text", text: "A" },
    ]);
  });

  it("refusal, tool calls and audio", () => {
    const { value } = decodeChatResponse(
      completion(
        {
          content: null,
          refusal: "No.",
          audio: { id: "audio_1", data: "UklG", transcript: "hi", expires_at: 99 },
          tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: '{"x":1}' } }],
        },
        "tool_calls",
      ),
    );
    expect(value.choices[0]).toEqual({
      index: 0,
      content: [
        { type: "refusal", text: "No." },
        { type: "audio_output", id: "audio_1", data: "UklG", transcript: "hi", expiresAt: 99 },
        { type: "tool_call", id: "call_1", name: "f", arguments: '{"x":1}' },
      ],
      finishReason: "tool_calls",
      rawFinishReason: "tool_calls",
    });
  });

  it("content-part arrays and `stop` after tool calls", () => {
    const { value } = decodeChatResponse(
      completion(
        {
          content: [
            { type: "text", text: "a" },
            { type: "refusal", refusal: "b" },
          ],
          tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
        },
        "stop",
      ),
    );
    expect(value.choices[0]?.content.map((p) => p.type)).toEqual(["text", "refusal", "tool_call"]);
    expect(value.choices[0]?.finishReason).toBe("tool_calls");
    expect(value.choices[0]?.rawFinishReason).toBe("stop");
  });

  it("several choices keep their index", () => {
    const body = {
      ...completion({ content: "a" }),
      choices: [
        { index: 0, message: { role: "assistant", content: "a" }, finish_reason: "stop" },
        { index: 1, message: { role: "assistant", content: "b" }, finish_reason: "length" },
      ],
    };
    expect(decodeChatResponse(body).value.choices.map((c) => [c.index, c.finishReason])).toEqual([
      [0, "stop"],
      [1, "length"],
    ]);
  });

  it("garbage and error bodies are 502s", () => {
    expect(() => decodeChatResponse("x")).toThrow(TranslateError);
    expect(() => decodeChatResponse({ error: { message: "bad", code: "x" } })).toThrow(/bad/);
    expect(() => decodeChatResponse({ id: "x" })).toThrow(TranslateError);
  });
});

describe("encodeChatResponse", () => {
  const response: LlmResponse = {
    id: "msg_01abc",
    model: "claude-x",
    created: 0,
    choices: [
      {
        index: 0,
        finishReason: "tool_calls",
        rawFinishReason: "tool_use",
        content: [
          { type: "reasoning", text: "think", signature: "sig" },
          { type: "text", text: "Hi " },
          { type: "text", text: "there", annotations: [{ type: "url_citation", url: "https://a.test", title: "A", start_index: 0, end_index: 5 }] },
          { type: "tool_call", id: "toolu_1", name: "f", arguments: '{"a":1}' },
        ],
      },
    ],
    usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15, reasoningTokens: 2 },
  };

  it("builds a chat.completion with reasoning_content, joined text, shifted citations and tool calls", () => {
    const { value, warnings } = encodeChatResponse(response, createTestContext(), { model: "alias" });
    expect(warnings).toEqual([]);
    expect(value).toEqual({
      id: "msg_01abc",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "alias",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Hi there",
            refusal: null,
            reasoning_content: "think",
            tool_calls: [{ id: "toolu_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
            annotations: [{ type: "url_citation", url_citation: { url: "https://a.test", title: "A", start_index: 3, end_index: 8 } }],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
  });

  it("refusal-only answers have null content; a missing id gets a chatcmpl- id", () => {
    const { value } = encodeChatResponse(
      { id: "", model: "m", created: 5, choices: [{ index: 0, finishReason: "refusal", content: [{ type: "refusal", text: "No" }] }] },
      createTestContext(),
    );
    expect(value["id"]).toBe("chatcmpl-test001");
    expect(value["created"]).toBe(5);
    expect(value["choices"]).toEqual([
      { index: 0, message: { role: "assistant", content: null, refusal: "No" }, logprobs: null, finish_reason: "content_filter" },
    ]);
  });

  it("annotations Chat cannot hold are dropped with a warning", () => {
    const { warnings } = encodeChatResponse(
      {
        id: "x",
        model: "m",
        created: 1,
        choices: [{ index: 0, finishReason: "stop", content: [{ type: "text", text: "t", annotations: [{ type: "file_citation", file_id: "f" }] }] }],
      },
      createTestContext(),
    );
    expect(warnings).toEqual([{ code: "content_dropped", path: "choices[0].content[0].annotations", message: expect.stringContaining("dropped") }]);
  });
});
