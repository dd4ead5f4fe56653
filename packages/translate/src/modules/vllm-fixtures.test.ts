// vLLM streams with raw tags (GLM-4.5, Qwen3-Coder, Qwen3) through the chat decoder and the modules,
// read by the real SSE parser in small pieces, then encoded for a Responses client and checked.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { codecs } from "../codecs.js";
import type { LlmRequest, StreamEvent, TranslationWarning } from "../ir.js";
import { checkResponsesGrammar } from "../shared/testing/responses-grammar.js";
import { parseSse } from "../shared/testing/sse-replay.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { parseTags } from "../shared/testing/modules-harness.js";
import { withResponseModules } from "./response-modules.js";
import type { ResponseModule } from "./module.js";

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");

function replay(name: string, modules: ResponseModule[], chunkSize: number) {
  const warnings: TranslationWarning[] = [];
  const decoder = withResponseModules(codecs.chat.createStreamDecoder(), modules, createTestContext(), warnings);
  const events: StreamEvent[] = [...parseSse(fixture(name), chunkSize).flatMap((f) => decoder.push(f)), ...decoder.end()];
  let reasoning = "";
  let content = "";
  const calls: { name: string; args: string }[] = [];
  for (const ev of events) {
    if (ev.type === "reasoning_delta") reasoning += ev.delta;
    if (ev.type === "text_delta") content += ev.delta;
    if (ev.type === "tool_call_start") calls.push({ name: ev.name, args: "" });
    if (ev.type === "tool_call_delta") calls[calls.length - 1]!.args += ev.argumentsDelta;
  }
  return {
    events,
    warnings,
    reasoning,
    content,
    calls: calls.map((c) => ({ name: c.name, args: JSON.parse(c.args) as unknown })),
    finish: events.find((e) => e.type === "finish"),
  };
}

const request: LlmRequest = { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "weather?" }] }], stream: true };

function responsesOutput(events: StreamEvent[]) {
  const ctx = createTestContext();
  const encoder = codecs.responses.createStreamEncoder({ ctx, request, model: "glm" });
  const sse = events.map((e) => encoder.push(e)).join("") + encoder.end();
  return checkResponsesGrammar(sse);
}

describe("vLLM streams with raw tags", () => {
  for (const chunkSize of [7, 64, 100_000]) {
    it(`GLM-4.5: reasoning, text, one call with two arguments (read ${chunkSize} bytes at a time)`, () => {
      const seen = replay("vllm-glm45-think-tool-xml.sse", parseTags({}), chunkSize);
      expect(seen.reasoning).toBe("The user wants the weather in Paris. I should call get_weather.");
      expect(seen.content).toBe("\nI'll check that for you.\n");
      expect(seen.calls).toEqual([{ name: "get_weather", args: { city: "Paris", unit: "celsius" } }]);
      expect(seen.finish).toMatchObject({ reason: "tool_calls" });
      expect(seen.warnings).toEqual([]);
    });
  }

  it("GLM-4.5: a Responses client gets a reasoning item, a message and a function_call", () => {
    const result = responsesOutput(replay("vllm-glm45-think-tool-xml.sse", parseTags({}), 7).events);
    expect(result.violations).toEqual([]);
    expect(result.items.map((i) => i.type)).toEqual(["reasoning", "message", "function_call"]);
    expect(result.items[2]).toMatchObject({ name: "get_weather" });
    expect(JSON.parse(result.items[2]!.args)).toEqual({ city: "Paris", unit: "celsius" });
  });

  it("Qwen3-Coder: starts inside reasoning, two streamed calls, a JSON parameter", () => {
    const seen = replay("vllm-qwen3-coder-start-in-think-xml.sse", parseTags({ start_in_think: true, stream_tool_calls: true, tool_parser: "qwen_xml" }), 7);
    expect(seen.reasoning).toBe("Paris weather and the time there; two calls.\n");
    expect(seen.content.trim()).toBe("");
    expect(seen.calls).toEqual([
      { name: "get_weather", args: { city: "Paris" } },
      { name: "get_time", args: { zone: "Europe/Paris", format: { hour: true } } },
    ]);
    expect(seen.events.filter((e) => e.type === "tool_call_delta").length).toBeGreaterThan(4);
    expect(seen.finish).toMatchObject({ reason: "tool_calls" });
  });

  it("Qwen3: a JSON call with <think>, </think> and <tool_call> split across chunks", () => {
    const seen = replay("vllm-qwen3-think-tool-json-split.sse", parseTags({ tool_parser: "qwen_xml" }), 5);
    expect(seen.reasoning).toBe("\nNeed the weather.\n");
    expect(seen.content.trim()).toBe("");
    expect(seen.calls).toEqual([{ name: "get_weather", args: { city: "Paris" } }]);
  });

  it("GLM-4.5: reasoning then text, nothing else changed", () => {
    const seen = replay("vllm-glm45-think-text.sse", parseTags({}), 7);
    expect(seen).toMatchObject({ reasoning: "Simple greeting.", content: "Hello! How can I help?", calls: [] });
    expect(seen.finish).toMatchObject({ reason: "stop" });
    expect(seen.events.some((e) => e.type === "usage")).toBe(true);
  });

  it("without modules the tags stay text (what the proxy did before)", () => {
    const seen = replay("vllm-glm45-think-tool-xml.sse", [], 64);
    expect(seen.content).toContain("<tool_call>get_weather");
    expect(seen.calls).toEqual([]);
  });
});
