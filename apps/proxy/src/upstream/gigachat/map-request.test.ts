import { describe, expect, it } from "vitest";
import { GigaChatRequestError, chatToGigaChat } from "./map-request.js";

const weather = {
  type: "function",
  function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
};

describe("chatToGigaChat", () => {
  it("maps tools to functions and tool_choice to function_call", () => {
    const cases: Array<[unknown, unknown]> = [
      [undefined, "auto"],
      ["auto", "auto"],
      ["required", "auto"],
      ["none", "none"],
      [{ type: "function", function: { name: "get_weather" } }, { name: "get_weather" }],
    ];
    for (const [toolChoice, functionCall] of cases) {
      const out = chatToGigaChat({ messages: [{ role: "user", content: "hi" }], tools: [weather], tool_choice: toolChoice }, "GigaChat-2-Max");
      expect(out.function_call, JSON.stringify(toolChoice)).toEqual(functionCall);
      expect(out.functions).toEqual([weather.function]);
    }
    expect(chatToGigaChat({ messages: [{ role: "user", content: "hi" }] }, "m")).not.toHaveProperty("functions");
  });

  it("merges system messages first, sends assistant tool calls as function_call and tool results as function messages", () => {
    const out = chatToGigaChat(
      {
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Weather" },
              { type: "image_url", image_url: { url: "x" } },
              { type: "text", text: "in Paris?" },
            ],
          },
          { role: "system", content: "Be terse." },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_gc_77d3fb14-457a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
              { id: "call_2", type: "function", function: { name: "other", arguments: "{}" } },
            ],
          },
          { role: "tool", tool_call_id: "call_gc_77d3fb14-457a", content: "sunny" },
          { role: "tool", tool_call_id: "call_x", content: '{"temp":20}' },
          { role: "developer", content: "Metric units." },
        ],
        max_completion_tokens: 100,
        temperature: 0.3,
        stream: true,
        n: 2,
      },
      "GigaChat-2-Max",
    );
    expect(out).toEqual({
      model: "GigaChat-2-Max",
      profanity_check: false,
      temperature: 0.3,
      max_tokens: 100,
      stream: true,
      messages: [
        { role: "system", content: "Be terse.\n\nMetric units." },
        { role: "user", content: "Weather\nin Paris?" },
        { role: "assistant", content: "", function_call: { name: "get_weather", arguments: { city: "Paris" } }, functions_state_id: "77d3fb14-457a" },
        { role: "function", name: "get_weather", content: '{"result":"sunny"}' },
        { role: "function", name: "tool_result", content: '{"temp":20}' },
      ],
    });
  });

  it("keeps arguments that are not a JSON object, wrapped", () => {
    const out = chatToGigaChat(
      { messages: [{ role: "assistant", content: "", tool_calls: [{ id: "c", function: { name: "f", arguments: "not json" } }] }] },
      "m",
    );
    expect((out.messages as Array<Record<string, unknown>>)[0]!.function_call).toEqual({ name: "f", arguments: { arguments: "not json" } });
  });

  it("refuses a request with no message GigaChat can take", () => {
    expect(() => chatToGigaChat({ messages: [{ role: "user", content: "" }] }, "m")).toThrow(GigaChatRequestError);
    expect(() => chatToGigaChat({ messages: "hi" }, "m")).toThrow(GigaChatRequestError);
  });
});
