// The recorded Chat stream, through the real SSE parser, the Chat decoder and the Responses encoder.

import { describe, expect, it } from "vitest";
import { createChatStreamDecoder } from "../chat/stream-decoder.js";
import type { LlmRequest } from "../ir.js";
import { checkResponsesGrammar } from "../shared/testing/responses-grammar.js";
import { decodeAll, encodeAll, parseSse, readFixture } from "../shared/testing/sse-replay.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { createResponsesStreamEncoder } from "./stream-encoder.js";

const request: LlmRequest = {
  model: "my-alias",
  messages: [{ role: "user", content: [{ type: "text", text: "weather in NYC?" }] }],
  tools: [{ type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }],
  stream: true,
};

describe("chat fixture -> Responses stream", () => {
  const frames = parseSse(readFixture("chat-tool-call-usage.sse"));
  const events = decodeAll(createChatStreamDecoder(), frames);
  let completed: Record<string, unknown> | undefined;
  const sse = encodeAll(
    createResponsesStreamEncoder({
      ctx: createTestContext(),
      request,
      model: "my-alias",
      onComplete: (r) => {
        completed = r;
      },
    }),
    events,
  );
  const result = checkResponsesGrammar(sse);

  it("decodes the recorded chunks into hub events", () => {
    expect(events.map((e) => e.type)).toEqual([
      "start",
      "tool_call_start",
      ...Array<string>(7).fill("tool_call_delta"),
      "tool_call_end",
      "finish",
      "usage",
      "end",
    ]);
    expect(events[0]).toEqual({ type: "start", id: "chatcmpl-ABfwERreu9s99xXsVuOWtIB2UOx62", model: "gpt-4o-2024-08-06", created: 1727346182 });
    expect(events[1]).toEqual({ type: "tool_call_start", choice: 0, index: 0, id: "call_4XzlGBLtUe9dy3GVNV4jhq7h", name: "get_weather" });
    expect(events.find((e) => e.type === "finish")).toEqual({ type: "finish", choice: 0, reason: "tool_calls", raw: "tool_calls" });
  });

  it("follows the Responses event grammar", () => {
    expect(result.violations).toEqual([]);
    expect(result.types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      ...Array<string>(7).fill("response.function_call_arguments.delta"),
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
  });

  it("ends with a completed response whose output equals the accumulated deltas", () => {
    expect(result.terminalType).toBe("response.completed");
    const final = result.terminal ?? {};
    expect(final["status"]).toBe("completed");
    expect(final["model"]).toBe("my-alias");
    expect(final["output"]).toEqual([
      {
        id: "fc_test002",
        type: "function_call",
        status: "completed",
        arguments: '{"city":"New York City"}',
        call_id: "call_4XzlGBLtUe9dy3GVNV4jhq7h",
        name: "get_weather",
      },
    ]);
    expect(result.items[0]?.args).toBe('{"city":"New York City"}');
    expect(final["usage"]).toEqual({
      input_tokens: 44,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 16,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 60,
    });
    expect(final["tools"]).toEqual([
      { type: "function", name: "get_weather", description: null, parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false },
    ]);
  });

  it("writes each lifecycle event as JSON.stringify would, its Response in full", () => {
    const frames = parseSse(sse).filter((f) => f.event === "response.created" || f.event === "response.in_progress" || f.event === "response.completed");
    expect(frames).toHaveLength(3);
    for (const f of frames) {
      const parsed = JSON.parse(f.data) as { response: Record<string, unknown> };
      expect(f.data).toBe(JSON.stringify(parsed));
      expect(parsed.response["tools"]).toEqual([expect.objectContaining({ type: "function", name: "get_weather" })]);
    }
    // The very bytes JSON.stringify writes for the event around the final Response, key order included.
    const seq = (JSON.parse(frames[2]!.data) as { sequence_number: number }).sequence_number;
    expect(frames[2]!.data).toBe(JSON.stringify({ type: "response.completed", sequence_number: seq, response: completed }));
  });

  it("hands the final response to onComplete", () => {
    expect(completed).toEqual(result.terminal);
  });
});
