import { describe, expect, it } from "vitest";
import { finishReasonOf, gigachatChunkToChat, gigachatErrorToChat, gigachatToChat } from "./map-response.js";

const ids = { id: "chatcmpl-1", created: 1700000000, model: "GigaChat-2-Max", random: () => "r1" };

describe("GigaChat answers as Chat Completions", () => {
  it("maps finish reasons", () => {
    const cases: Array<[unknown, string | null]> = [
      ["stop", "stop"],
      ["length", "length"],
      ["function_call", "tool_calls"],
      ["blacklist", "content_filter"],
      [undefined, null],
      ["", null],
    ];
    for (const [raw, mapped] of cases) expect(finishReasonOf(raw), String(raw)).toBe(mapped);
  });

  it("turns a function_call into a tool call whose id carries functions_state_id", () => {
    const out = gigachatToChat(
      {
        choices: [
          {
            index: 0,
            finish_reason: "function_call",
            message: { role: "assistant", content: "", function_call: { name: "get_weather", arguments: { city: "Paris" } }, functions_state_id: "77d3fb14" },
          },
        ],
        created: 1,
        model: "GigaChat-2-Max:2.0",
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, precached_prompt_tokens: 3 },
      },
      ids,
    );
    expect(out).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: "GigaChat-2-Max:2.0",
      choices: [
        {
          index: 0,
          finish_reason: "tool_calls",
          logprobs: null,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "call_gc_77d3fb14", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
          },
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: { cached_tokens: 3 } },
    });
  });

  it("maps stream chunks: text, a whole function call, usage; the id is the stream's", () => {
    const text = gigachatChunkToChat({ choices: [{ index: 0, delta: { role: "assistant", content: "Hi" } }], model: "m2" }, ids);
    expect(text).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: "m2",
      choices: [{ index: 0, delta: { role: "assistant", content: "Hi" }, finish_reason: null }],
    });
    const call = gigachatChunkToChat(
      {
        choices: [{ index: 0, delta: { content: "", function_call: { name: "f", arguments: { a: 1 } } }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      },
      ids,
    );
    expect(call.choices).toEqual([
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, id: "call_r1", type: "function", function: { name: "f", arguments: '{"a":1}' } }] },
        finish_reason: "tool_calls",
      },
    ]);
    expect(call.usage).toEqual({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 });
  });

  it("renders GigaChat's error bodies as OpenAI errors", () => {
    expect(gigachatErrorToChat(401, '{"status":401,"message":"Token has expired"}')).toEqual({
      error: { message: "GigaChat: Token has expired", type: "authentication_error", param: null, code: "401" },
    });
    expect(gigachatErrorToChat(503, "<html>busy</html>").error).toMatchObject({ message: "GigaChat: <html>busy</html>", type: "server_error" });
    expect(gigachatErrorToChat(429, "").error).toMatchObject({ message: "GigaChat: HTTP 429", type: "rate_limit_error" });
  });
});
