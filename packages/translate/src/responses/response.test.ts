// Non-stream Response objects, both directions, plus status and usage mapping.

import { describe, expect, it } from "vitest";
import { TranslateError } from "../codec.js";
import type { FinishReason, LlmRequest, LlmResponse } from "../ir.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { decodeResponsesUsage, encodeResponsesUsage } from "./usage.js";
import { decodeResponsesRequest } from "./decode-request.js";
import { decodeResponsesResponse } from "./decode-response.js";
import { encodeResponsesResponse } from "./encode-response.js";
import { mapResponsesStatus, toResponsesOutcome } from "./finish-reason.js";

type Json = Record<string, unknown>;
const request: LlmRequest = { model: "alias", messages: [{ role: "user", content: [{ type: "text", text: "q" }] }], stream: false };

describe("status mapping", () => {
  it.each([
    ["completed", undefined, false, "stop", "completed"],
    ["completed", undefined, true, "tool_calls", "completed"],
    ["incomplete", "max_output_tokens", false, "length", "max_output_tokens"],
    ["incomplete", "content_filter", false, "content_filter", "content_filter"],
    ["failed", undefined, false, "error", "failed"],
    ["cancelled", undefined, false, "error", "cancelled"],
  ] as const)("%s/%s (calls: %s) -> %s", (status, reason, calls, expected, raw) => {
    expect(mapResponsesStatus(status, reason, calls)).toEqual({ reason: expected, raw });
  });

  it.each([
    [["stop"], "completed", null],
    [["tool_calls"], "completed", null],
    [["other"], "completed", null],
    [["length"], "incomplete", { reason: "max_output_tokens" }],
    [["content_filter"], "incomplete", { reason: "content_filter" }],
    [["refusal"], "incomplete", { reason: "content_filter" }],
    [["stop", "length"], "incomplete", { reason: "max_output_tokens" }],
    [["stop", "error"], "failed", null],
  ] as [FinishReason[], string, unknown][])("%j -> %s", (reasons, status, details) => {
    const outcome = toResponsesOutcome(reasons);
    expect(outcome.status).toBe(status);
    expect(outcome.incompleteDetails).toEqual(details);
  });
});

describe("responses usage", () => {
  it("round-trips details", () => {
    const wire = {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 3, cache_write_tokens: 2 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 15,
    };
    const hub = decodeResponsesUsage(wire);
    expect(hub).toEqual({ inputTokens: 10, outputTokens: 5, totalTokens: 15, cachedInputTokens: 3, cacheWriteTokens: 2, reasoningTokens: 1 });
    expect(hub && encodeResponsesUsage(hub)).toEqual(wire);
  });
});

describe("decodeResponsesResponse", () => {
  const body = {
    id: "resp_1",
    object: "response",
    created_at: 100,
    status: "completed",
    model: "gpt-5",
    service_tier: "default",
    output: [
      { id: "rs_1", type: "reasoning", summary: [{ type: "summary_text", text: "plan" }], encrypted_content: "gAAA" },
      {
        id: "msg_1",
        type: "message",
        status: "completed",
        role: "assistant",
        content: [
          { type: "output_text", text: "See", annotations: [{ type: "url_citation", url: "https://a.test", start_index: 0, end_index: 3, title: "A" }] },
          { type: "refusal", refusal: "not that" },
        ],
      },
      { id: "fc_1", type: "function_call", status: "completed", call_id: "call_1", name: "f", arguments: "{}" },
      { id: "ws_1", type: "web_search_call", status: "completed" },
    ],
    usage: { input_tokens: 5, output_tokens: 6, total_tokens: 11, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 2 } },
  };

  it("one choice with reasoning, text (annotations kept), refusal and tool call; hosted items dropped with a warning", () => {
    const { value, warnings } = decodeResponsesResponse(body);
    expect(value).toEqual({
      id: "resp_1",
      model: "gpt-5",
      created: 100,
      serviceTier: "default",
      choices: [
        {
          index: 0,
          finishReason: "tool_calls",
          rawFinishReason: "completed",
          content: [
            { type: "reasoning", text: "plan", kind: "summary", summary: ["plan"], id: "rs_1", encryptedContent: "gAAA" },
            { type: "text", text: "See", annotations: [{ type: "url_citation", url: "https://a.test", start_index: 0, end_index: 3, title: "A" }] },
            { type: "refusal", text: "not that" },
            { type: "tool_call", id: "call_1", name: "f", arguments: "{}", itemId: "fc_1" },
          ],
        },
      ],
      usage: { inputTokens: 5, outputTokens: 6, totalTokens: 11, cachedInputTokens: 0, reasoningTokens: 2 },
    });
    expect(warnings.map((w) => w.path)).toEqual(["output[3]"]);
  });

  it.each([
    [{ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } }, "length"],
    [{ status: "incomplete", incomplete_details: { reason: "content_filter" } }, "content_filter"],
    [{ status: "failed", error: { code: "server_error", message: "x" } }, "error"],
  ])("%j -> %s", (fields, reason) => {
    expect(decodeResponsesResponse({ ...body, output: [], ...fields }).value.choices[0]?.finishReason).toBe(reason);
  });

  it("a body without output is a 502", () => {
    expect(() => decodeResponsesResponse({ error: { message: "nope" } })).toThrow(TranslateError);
    expect(() => decodeResponsesResponse([])).toThrow(TranslateError);
  });
});

describe("encodeResponsesResponse", () => {
  const response: LlmResponse = {
    id: "chatcmpl-up",
    model: "upstream-model",
    created: 1,
    choices: [
      {
        index: 0,
        finishReason: "tool_calls",
        content: [
          { type: "reasoning", text: "why", kind: "raw" },
          {
            type: "text",
            text: "Hello",
            annotations: [{ type: "url_citation", url_citation: { url: "https://a.test", title: "A", start_index: 0, end_index: 5 } }],
          },
          { type: "refusal", text: "but no" },
          { type: "tool_call", id: "call_1", name: "f", arguments: '{"a":1}' },
        ],
      },
    ],
    usage: { inputTokens: 9, outputTokens: 8, totalTokens: 17, cachedInputTokens: 4, reasoningTokens: 3 },
  };

  it("rawReasoning puts raw reasoning in the content only, or in the summary only", () => {
    const first = (rawReasoning: "content" | "summary") =>
      (encodeResponsesResponse({ response, request, ctx: createTestContext(), rawReasoning }).value.output as unknown[])[0];
    expect(first("content")).toEqual({ id: "rs_test002", type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "why" }] });
    expect(first("summary")).toEqual({ id: "rs_test002", type: "reasoning", summary: [{ type: "summary_text", text: "why" }] });
  });

  it("builds the full Response object with items in order", () => {
    const { value, warnings } = encodeResponsesResponse({ response, request, ctx: createTestContext() });
    expect(warnings).toEqual([]);
    expect(value).toEqual({
      id: "resp_test001",
      object: "response",
      created_at: 1_700_000_000,
      completed_at: 1_700_000_000,
      status: "completed",
      background: false,
      error: null,
      incomplete_details: null,
      instructions: null,
      max_output_tokens: null,
      max_tool_calls: null,
      model: "alias",
      output: [
        {
          id: "rs_test002",
          type: "reasoning",
          summary: [{ type: "summary_text", text: "why" }],
          content: [{ type: "reasoning_text", text: "why" }],
        },
        {
          id: "msg_test003",
          type: "message",
          status: "completed",
          role: "assistant",
          content: [
            {
              type: "output_text",
              annotations: [{ type: "url_citation", url: "https://a.test", title: "A", start_index: 0, end_index: 5 }],
              logprobs: [],
              text: "Hello",
            },
            { type: "refusal", refusal: "but no" },
          ],
        },
        { id: "fc_test004", type: "function_call", status: "completed", arguments: '{"a":1}', call_id: "call_1", name: "f" },
      ],
      parallel_tool_calls: true,
      previous_response_id: null,
      prompt_cache_key: null,
      prompt_cache_retention: null,
      reasoning: { effort: null, summary: null },
      safety_identifier: null,
      service_tier: "default",
      store: true,
      temperature: 1,
      presence_penalty: 0,
      frequency_penalty: 0,
      text: { format: { type: "text" }, verbosity: "medium" },
      tool_choice: "auto",
      tools: [],
      top_logprobs: 0,
      top_p: 1,
      truncation: "disabled",
      usage: {
        input_tokens: 9,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 8,
        output_tokens_details: { reasoning_tokens: 3 },
        total_tokens: 17,
      },
      user: null,
      metadata: {},
      output_text: "Hello",
    });
  });

  it("echoes the request's settings and passthrough fields like OpenAI", () => {
    const decoded = decodeResponsesRequest({
      model: "codex",
      instructions: "Be Codex.",
      input: "x",
      tools: [{ type: "function", name: "shell", parameters: { type: "object" }, strict: true }],
      tool_choice: { type: "function", name: "shell" },
      parallel_tool_calls: false,
      temperature: 0.5,
      top_p: 0.9,
      max_output_tokens: 100,
      max_tool_calls: 2,
      metadata: { a: "b" },
      reasoning: { effort: "low", summary: "auto" },
      text: { format: { type: "json_object" }, verbosity: "low" },
      truncation: "auto",
      service_tier: "flex",
      store: false,
      background: false,
      user: "u",
      safety_identifier: "s",
      prompt_cache_key: "pk",
      top_logprobs: 2,
    }).value;
    const { value } = encodeResponsesResponse({ response, request: decoded, ctx: createTestContext(), id: "resp_fixed", previousResponseId: "resp_prev" });
    expect(value).toMatchObject({
      id: "resp_fixed",
      instructions: "Be Codex.",
      model: "codex",
      tools: [{ type: "function", name: "shell", parameters: { type: "object" }, strict: true }],
      tool_choice: { type: "function", name: "shell" },
      parallel_tool_calls: false,
      temperature: 0.5,
      top_p: 0.9,
      max_output_tokens: 100,
      max_tool_calls: 2,
      metadata: { a: "b" },
      reasoning: { effort: "low", summary: "auto" },
      text: { format: { type: "json_object" }, verbosity: "low" },
      truncation: "auto",
      service_tier: "flex",
      store: false,
      background: false,
      previous_response_id: "resp_prev",
      user: "u",
      safety_identifier: "s",
      prompt_cache_key: "pk",
      top_logprobs: 2,
    });
  });

  it.each([
    ["length", "incomplete", { reason: "max_output_tokens" }],
    ["content_filter", "incomplete", { reason: "content_filter" }],
    ["stop", "completed", null],
  ] as [FinishReason, string, unknown][])("finish %s -> status %s", (finishReason, status, details) => {
    const { value } = encodeResponsesResponse({
      response: { ...response, choices: [{ index: 0, finishReason, content: [{ type: "text", text: "cut" }] }] },
      request,
      ctx: createTestContext(),
    });
    expect(value["status"]).toBe(status);
    expect(value["incomplete_details"]).toEqual(details);
    expect(((value["output"] as Json[])[0] ?? {})["status"]).toBe(status === "incomplete" ? "incomplete" : "completed");
  });

  it("an errored answer is a failed response with an error object", () => {
    const { value } = encodeResponsesResponse({
      response: { ...response, choices: [{ index: 0, finishReason: "error", content: [] }] },
      request,
      ctx: createTestContext(),
    });
    expect(value["status"]).toBe("failed");
    expect(value["error"]).toEqual({ code: "server_error", message: expect.any(String) });
  });

  it("n > 1: every choice contributes its own items, in choice order", () => {
    const { value } = encodeResponsesResponse({
      response: {
        ...response,
        choices: [
          { index: 0, finishReason: "stop", content: [{ type: "text", text: "A" }] },
          {
            index: 1,
            finishReason: "tool_calls",
            content: [
              { type: "text", text: "B" },
              { type: "tool_call", id: "call_b", name: "f", arguments: "{}" },
            ],
          },
        ],
      },
      request,
      ctx: createTestContext(),
    });
    expect((value["output"] as Json[]).map((o) => [o["type"], o["id"]])).toEqual([
      ["message", "msg_test002"],
      ["message", "msg_test003"],
      ["function_call", "fc_test004"],
    ]);
    expect(value["output_text"]).toBe("AB");
  });

  it("keeps upstream rs_/fc_ ids; audio and unknown annotations are dropped with warnings", () => {
    const { value, warnings } = encodeResponsesResponse({
      response: {
        ...response,
        choices: [
          {
            index: 0,
            finishReason: "stop",
            content: [
              { type: "reasoning", text: "s", id: "rs_up", encryptedContent: "gAAA" },
              { type: "text", text: "t", annotations: [{ type: "char_location", cited_text: "x" }] },
              { type: "tool_call", id: "call_1", name: "f", arguments: "{}", itemId: "fc_up" },
              { type: "audio_output", id: "audio_1" },
            ],
          },
        ],
      },
      request,
      ctx: createTestContext(),
    });
    const output = value["output"] as Json[];
    expect(output[0]).toEqual({ id: "rs_up", type: "reasoning", summary: [{ type: "summary_text", text: "s" }], encrypted_content: "gAAA" });
    expect(output[2]?.["id"]).toBe("fc_up");
    expect(warnings.map((w) => w.path)).toEqual(["choices[0].content[3]", "output[1].content[0].annotations"]);
  });
});
