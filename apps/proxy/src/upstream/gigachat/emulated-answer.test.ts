import { describe, expect, it } from "vitest";
import { parseEmulatedAnswer } from "./emulated-answer.js";

const tools = new Set(["get_weather"]);

describe("parseEmulatedAnswer", () => {
  it("reads the asked JSON leniently", () => {
    const cases: Array<[string, unknown]> = [
      ['{"action":"final_answer","content":"Hi"}', { action: "final_answer", content: "Hi" }],
      [
        '```json\n{"action":"call_tool","tool":"get_weather","arguments":{"city":"Paris",},}\n```',
        { action: "call_tool", tool: "get_weather", arguments: { city: "Paris" } },
      ],
      ['Sure: {"action":"get_weather","arguments":"{\\"city\\":\\"Rome\\"}"}', { action: "call_tool", tool: "get_weather", arguments: { city: "Rome" } }],
      ['{"tool":"get_weather"}', { action: "call_tool", tool: "get_weather", arguments: {} }],
      ["Just text, no JSON.", { action: "final_answer", content: "Just text, no JSON." }],
    ];
    for (const [content, expected] of cases) expect(parseEmulatedAnswer(content, tools), content).toEqual(expected);
  });

  it("says why an answer does not do", () => {
    expect(parseEmulatedAnswer('{"action":"dance"}', tools)).toMatch(/must be either 'call_tool' or 'final_answer'/);
    expect(parseEmulatedAnswer('{"action":"call_tool","tool":"rm"}', tools)).toBe("Unknown tool 'rm'. Available tools: get_weather");
    expect(parseEmulatedAnswer('{"action":"final_answer"}', tools)).toMatch(/requires string field 'content'/);
    expect(parseEmulatedAnswer("   ", tools)).toBe("the answer is empty");
    expect(parseEmulatedAnswer(null, tools)).toMatch(/must be a string/);
  });
});
