import { describe, expect, it } from "vitest";
import { TranslateError } from "../codec.js";
import { testContext } from "./__fixtures__/replay-fixture.js";
import { decodeMessagesResponse } from "./decode-response.js";

const message = {
  id: "msg_01Y6V41gqPaKWEw7iPouH7iW",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5-20250929",
  content: [
    { type: "thinking", thinking: "925 ÷ 5 = 185", signature: "EvQBsig" },
    { type: "redacted_thinking", data: "EmwKAhgB" },
    {
      type: "text",
      text: "It is 185.",
      citations: [{ type: "char_location", cited_text: "185", document_index: 0, document_title: null, start_char_index: 0, end_char_index: 3 }],
    },
    { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "x" } },
    { type: "tool_use", id: "toolu_01", name: "calculator", input: { a: 925, b: 5, op: "divide" } },
  ],
  stop_reason: "tool_use",
  stop_sequence: null,
  usage: {
    input_tokens: 69,
    cache_creation_input_tokens: 10,
    cache_read_input_tokens: 2000,
    output_tokens: 53,
    service_tier: "standard",
  },
};

describe("decodeMessagesResponse", () => {
  it("decodes content blocks, stop reason and usage", () => {
    const { value, warnings } = decodeMessagesResponse(message, testContext());
    expect(value).toEqual({
      id: "msg_01Y6V41gqPaKWEw7iPouH7iW",
      model: "claude-sonnet-4-5-20250929",
      created: 1_750_000_000,
      serviceTier: "standard",
      choices: [
        {
          index: 0,
          finishReason: "tool_calls",
          rawFinishReason: "tool_use",
          content: [
            { type: "reasoning", text: "925 ÷ 5 = 185", signature: "EvQBsig" },
            { type: "reasoning", text: "", redactedData: "EmwKAhgB" },
            { type: "text", text: "It is 185.", annotations: message.content[2]?.citations },
            { type: "tool_call", id: "toolu_01", name: "calculator", arguments: '{"a":925,"b":5,"op":"divide"}' },
          ],
        },
      ],
      usage: {
        inputTokens: 2079,
        outputTokens: 53,
        totalTokens: 2132,
        cachedInputTokens: 2000,
        cacheWriteTokens: 10,
        raw: { service_tier: "standard" },
      },
    });
    // A search with no result in this answer has nothing to show.
    expect(warnings).toEqual([{ code: "content_dropped", path: "content[3]", message: expect.stringContaining("web search with no result") }]);
  });

  it("keeps the matched stop sequence and defaults created to 0 without a clock", () => {
    const { value } = decodeMessagesResponse({ ...message, content: [], stop_reason: "stop_sequence", stop_sequence: "###" });
    expect(value.created).toBe(0);
    expect(value.choices[0]).toMatchObject({ finishReason: "stop", rawFinishReason: "stop_sequence", stopSequence: "###" });
  });

  it("reads output_tokens_details.thinking_tokens as reasoning tokens", () => {
    const { value } = decodeMessagesResponse({ ...message, usage: { input_tokens: 1, output_tokens: 9, output_tokens_details: { thinking_tokens: 7 } } });
    expect(value.usage?.reasoningTokens).toBe(7);
  });

  it("rejects a malformed upstream body as a 502 naming the field", () => {
    expect(() => decodeMessagesResponse("nope")).toThrow(TranslateError);
    try {
      decodeMessagesResponse({ ...message, content: [{ type: "text" }] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TranslateError);
      expect(error).toMatchObject({ status: 502, param: "content[0].text" });
    }
  });
});
