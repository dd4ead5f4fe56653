// Chat response -> hub -> Responses response -> hub -> Chat response keeps what a user would notice.

import { describe, expect, it } from "vitest";
import { decodeChatResponse } from "../chat/decode-response.js";
import { encodeChatResponse } from "../chat/encode-response.js";
import { decodeChatRequest } from "../chat/decode-request.js";
import { encodeChatRequest } from "../chat/encode-request.js";
import type { LlmRequest } from "../ir.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { decodeResponsesRequest } from "./decode-request.js";
import { decodeResponsesResponse } from "./decode-response.js";
import { encodeResponsesRequest } from "./encode-request.js";
import { encodeResponsesResponse } from "./encode-response.js";

const request: LlmRequest = { model: "alias", messages: [{ role: "user", content: [{ type: "text", text: "q" }] }], stream: false };

describe("response round trip chat -> responses -> chat", () => {
  const original = {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 10,
    model: "deepseek-r1",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          reasoning_content: "First add, then multiply.",
          content: "Calling the calculator.",
          refusal: "I won't do division by zero.",
          tool_calls: [
            { id: "call_a", type: "function", function: { name: "calc", arguments: '{"a":1,"b":2}' } },
            { id: "call_b", type: "function", function: { name: "calc", arguments: '{"a":3,"b":4}' } },
          ],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ],
    usage: {
      prompt_tokens: 50,
      completion_tokens: 30,
      total_tokens: 80,
      prompt_tokens_details: { cached_tokens: 10 },
      completion_tokens_details: { reasoning_tokens: 12 },
    },
  };

  const hub1 = decodeChatResponse(original).value;
  const responsesBody = encodeResponsesResponse({ response: hub1, request, ctx: createTestContext() }).value;
  const hub2 = decodeResponsesResponse(responsesBody).value;
  const chatBody = encodeChatResponse(hub2, createTestContext(), { model: "deepseek-r1" }).value;

  it("keeps text, refusal, reasoning, tool calls and finish reason", () => {
    const message = (chatBody["choices"] as Record<string, unknown>[])[0];
    expect(message).toEqual({
      index: 0,
      message: {
        role: "assistant",
        content: "Calling the calculator.",
        refusal: "I won't do division by zero.",
        reasoning_content: "First add, then multiply.",
        tool_calls: original.choices[0]?.message.tool_calls,
      },
      logprobs: null,
      finish_reason: "tool_calls",
    });
  });

  it("keeps usage with cached and reasoning tokens", () => {
    expect(chatBody["usage"]).toEqual({
      prompt_tokens: 50,
      completion_tokens: 30,
      total_tokens: 80,
      prompt_tokens_details: { cached_tokens: 10 },
      completion_tokens_details: { reasoning_tokens: 12 },
    });
  });

  it("the hub sees the same content after both hops, plus the Responses item ids", () => {
    expect(hub2.choices[0]?.content).toEqual([
      { ...hub1.choices[0]?.content[0], id: "rs_test002" },
      hub1.choices[0]?.content[1],
      hub1.choices[0]?.content[2],
      { ...hub1.choices[0]?.content[3], itemId: "fc_test004" },
      { ...hub1.choices[0]?.content[4], itemId: "fc_test005" },
    ]);
    expect(hub2.choices[0]?.finishReason).toBe("tool_calls");
  });
});

describe("request round trip: Codex-style Responses history -> Chat backend -> back", () => {
  it("tool calls and outputs pair up by call id in Chat and survive the way back", () => {
    const body = {
      model: "codex",
      input: [
        { role: "user", content: "list files" },
        { type: "reasoning", id: "rs_1", summary: [], content: [{ type: "reasoning_text", text: "use ls" }] },
        { type: "function_call", id: "fc_1", call_id: "call_1", name: "shell", arguments: '{"cmd":"ls"}' },
        { type: "function_call_output", call_id: "call_1", output: "a.txt" },
      ],
    };
    const hub = decodeResponsesRequest(body).value;
    const chat = encodeChatRequest(hub, { model: "deepseek", supportsReasoning: true }).value;
    expect(chat["messages"]).toEqual([
      { role: "user", content: "list files" },
      {
        role: "assistant",
        content: null,
        reasoning_content: "use ls",
        tool_calls: [{ id: "call_1", type: "function", function: { name: "shell", arguments: '{"cmd":"ls"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "a.txt" },
    ]);
    const back = decodeChatRequest(chat).value;
    const { value: responses, warnings } = encodeResponsesRequest(back, { model: "gpt-5" });
    // Chat reasoning has no encrypted content: a Responses backend cannot take it back.
    expect(warnings.map((w) => w.path)).toEqual(["messages[1].content[0]"]);
    expect(responses["input"]).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "list files" }] },
      { type: "function_call", call_id: "call_1", name: "shell", arguments: '{"cmd":"ls"}' },
      { type: "function_call_output", call_id: "call_1", output: "a.txt" },
    ]);
  });
});
