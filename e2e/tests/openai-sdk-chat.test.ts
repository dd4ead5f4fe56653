// The official `openai` SDK as a real client of /v1/chat/completions, on the built-in mock backend and
// on the shipped config.

import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { type RunningProxy, startProxy } from "../lib/harness.js";

let p: RunningProxy;
let client: OpenAI;

beforeAll(async () => {
  p = await startProxy(`
model_list:
  - model_name: mock
    model_params: { api_type: mock, supports_reasoning: true }
  - model_name: mock-cut
    model_params: { api_type: mock, mock: { cut_after_chunks: 3 } }
  - model_name: mock-down
    model_params: { api_type: mock, mock: { fail_status: 503, fail_message: "mock is down" } }
  - model_name: mock-slow
    model_params: { api_type: mock, mock: { latency_ms: 150 } }
router_settings: { num_retries: 0 }
`);
  client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "unused", maxRetries: 0 });
});

afterAll(async () => p.close());

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city"] },
  },
};

describe("openai SDK through the proxy (mock backend)", () => {
  it("plain completion echoes the last user message", async () => {
    const res = await client.chat.completions.create({
      model: "mock",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "Hello, proxy!" },
      ],
    });
    expect(res.object).toBe("chat.completion");
    expect(res.choices[0]!.message.content).toBe("Hello, proxy!");
    expect(res.choices[0]!.finish_reason).toBe("stop");
    expect(res.usage?.completion_tokens).toBe(2);
  });

  it("streams, with usage when asked", async () => {
    const stream = await client.chat.completions.create({
      model: "mock",
      messages: [{ role: "user", content: "one two three" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("one two three");
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
  });

  it("calls a tool, then answers from its result (streaming helper accumulates it)", async () => {
    const runner = client.chat.completions.stream({ model: "mock", messages: [{ role: "user", content: "Paris" }], tools: [weatherTool] });
    const first = await runner.finalChatCompletion();
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call.type).toBe("function");
    if (call.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris", days: 1 });

    const second = await client.chat.completions.create({
      model: "mock",
      tools: [weatherTool],
      messages: [
        { role: "user", content: "Paris" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "sunny, 21C" },
      ],
    });
    expect(second.choices[0]!.message.content).toBe("Tool result: sunny, 21C");
  });

  it("honours n: 2, streamed and not", async () => {
    const res = await client.chat.completions.create({ model: "mock", n: 2, messages: [{ role: "user", content: "twice" }] });
    expect(res.choices.map((c) => [c.index, c.message.content])).toEqual([
      [0, "twice"],
      [1, "twice"],
    ]);

    const runner = client.chat.completions.stream({ model: "mock", n: 2, messages: [{ role: "user", content: "a b c" }] });
    const final = await runner.finalChatCompletion();
    expect(final.choices.map((c) => c.message.content)).toEqual(["a b c", "a b c"]);
  });

  it("streams reasoning_content when reasoning is asked of a reasoning model", async () => {
    const res = await client.chat.completions.create({ model: "mock", reasoning_effort: "low", messages: [{ role: "user", content: "why" }] });
    expect((res.choices[0]!.message as unknown as { reasoning_content: string }).reasoning_content).toBe("Thinking about: why");
  });

  it("surfaces a backend failure as an APIError with the upstream's status and message", async () => {
    const err = await client.chat.completions.create({ model: "mock-down", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain("mock is down");
  });

  it("a stream cut mid-way throws in the SDK instead of ending quietly", async () => {
    const stream = await client.chat.completions.create({ model: "mock-cut", messages: [{ role: "user", content: "a b c d e f" }], stream: true });
    let text = "";
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })().catch((e: unknown) => e);
    expect(text).toBe("a b");
    expect(err).toBeInstanceOf(OpenAI.APIError);
  });

  it("adds the configured latency", async () => {
    const started = performance.now();
    await client.chat.completions.create({ model: "mock-slow", messages: [{ role: "user", content: "x" }] });
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });
});

describe("the shipped configs/config.yaml", () => {
  it("answers every model with no API key", async () => {
    const text = readFileSync(new URL("../../configs/config.yaml", import.meta.url), "utf8");
    const shipped = await startProxy(text);
    try {
      const c = new OpenAI({ baseURL: `${shipped.url}/v1`, apiKey: "none", maxRetries: 0 });
      const models = await c.models.list();
      expect(models.data.length).toBeGreaterThan(0);
      // The agent demos' models greet; the others echo.
      const agents = new Set(["claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-sonnet-4-5", "gpt-5.5"]);
      for (const m of models.data.filter((m) => m.id !== "mock-slow")) {
        const res = await c.chat.completions.create({ model: m.id, messages: [{ role: "user", content: `ping ${m.id}` }] });
        const expected = agents.has(m.id)
          ? `Hello from yaLLMproxy's mock model! You said: "ping ${m.id}". Start a message with "run" to see a tool call.`
          : `ping ${m.id}`;
        expect(res.choices[0]!.message.content).toBe(expected);
      }
      expect(models.data.filter((m) => agents.has(m.id))).toHaveLength(agents.size);
    } finally {
      await shipped.close();
    }
  });
});
