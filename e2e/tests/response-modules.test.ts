// Response modules end to end: a loopback chat upstream answers the way vLLM does for GLM-4.5 and
// Qwen3-Coder served without reasoning or tool parsers (tags in `content`), and the real `openai`
// SDK (Chat and Responses), the Anthropic SDK (Messages) and the AI SDK get reasoning and tool calls,
// streamed and not.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, streamText, tool } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, sendJson, sseHead, sleep, startProxy, startUpstream } from "../lib/harness.js";

const fixtureDir = new URL("../../packages/translate/src/modules/__fixtures__/", import.meta.url);
const GLM_STREAM = readFileSync(new URL("vllm-glm45-think-tool-xml.sse", fixtureDir), "utf8");
const QWEN_STREAM = readFileSync(new URL("vllm-qwen3-coder-start-in-think-xml.sse", fixtureDir), "utf8");

/** The whole answer text a stream carries, for the non-streamed answer of the same model. */
function contentOf(sse: string): string {
  return sse
    .split("\n\n")
    .filter((f) => f.startsWith("data: {"))
    .map((f) => JSON.parse(f.slice(6)) as { choices: { delta?: { content?: string } }[] })
    .map((c) => c.choices[0]?.delta?.content ?? "")
    .join("");
}

function completion(content: string, model: string) {
  return {
    id: "chatcmpl-vllm",
    object: "chat.completion",
    created: 1764547200,
    model,
    choices: [
      { index: 0, message: { role: "assistant", content, tool_calls: [], reasoning_content: null }, logprobs: null, finish_reason: "stop", stop_reason: null },
    ],
    usage: { prompt_tokens: 212, completion_tokens: 47, total_tokens: 259 },
  };
}

/** Streams `sse` in 11-byte pieces, so tags and frames are cut anywhere. */
async function writeInPieces(res: Parameters<typeof sseHead>[0], sse: string): Promise<void> {
  sseHead(res);
  const bytes = Buffer.from(sse, "utf8");
  for (let i = 0; i < bytes.length; i += 11) {
    res.write(bytes.subarray(i, i + 11));
    if (i % 440 === 0) await sleep(1);
  }
  res.end();
}

let up: Upstream;
let proxy: RunningProxy;
const QWEN_TEMPLATE =
  "{{- '<tool_call>\\n<function=' + tool_call.name + '>\\n' }}{{- '</function>\\n</tool_call>' }}{{ '<think>\\n' + reasoning_content + '\\n</think>\\n\\n' + content }}";

beforeAll(async () => {
  up = await startUpstream(async (req, res) => {
    const model = String(req.json?.model);
    if (model === "broken") return sendJson(res, 200, completion("Look: <tool_call>not a call</tool_call> and more", model));
    const sse = model.includes("Qwen") ? QWEN_STREAM : GLM_STREAM;
    if (req.json?.stream === true) await writeInPieces(res, sse);
    else sendJson(res, 200, completion(contentOf(sse), model));
  });
  const dir = mkdtempSync(join(tmpdir(), "yallmp-modules-"));
  writeFileSync(join(dir, "qwen3.jinja"), QWEN_TEMPLATE);
  proxy = await startProxy(
    `
model_list:
  - model_name: glm
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: zai-org/GLM-4.5-Air }
    modules:
      upstream:
        response: [parse_tags]
        parse_tags: { parse_thinking: true, parse_tool_calls: true }
  - model_name: qwen
    model_params:
      api_type: openai
      api_base: ${up.url}
      model: Qwen/Qwen3-Coder-30B-A3B-Instruct
      parsers:
        response: [parse_unparsed]
        parse_unparsed: { template_path: qwen3.jinja, start_in_think: "true", stream_tool_calls: true, tool_parser: qwen_xml }
  - model_name: glm-broken
    model_params: { api_type: openai, api_base: ${up.url}, model: broken }
    modules: { upstream: { response: [parse_tags] } }
  - model_name: glm-raw
    model_params: { api_type: openai, api_base: ${up.url}, model: zai-org/GLM-4.5-Air }
router_settings: { num_retries: 0 }
`,
    {},
    { configPath: join(dir, "config.yaml") },
  );
});

afterAll(async () => {
  await proxy?.close();
  await up?.close();
});

const openai = () => new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: "k", maxRetries: 0 });
const anthropic = () => new Anthropic({ baseURL: proxy.url, apiKey: "k", maxRetries: 0 });
const tools = [{ type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
const GLM_REASONING = "The user wants the weather in Paris. I should call get_weather.";
const GLM_ARGS = { city: "Paris", unit: "celsius" };

describe("openai SDK, Chat Completions", () => {
  it("GLM, not streamed: reasoning_content, the text, a real tool call, finish_reason tool_calls", async () => {
    const r = await openai().chat.completions.create({ model: "glm", messages: [{ role: "user", content: "Weather in Paris?" }], tools });
    const msg = r.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(msg.reasoning_content).toBe(GLM_REASONING);
    expect(msg.content?.trim()).toBe("I'll check that for you.");
    expect(msg.tool_calls?.map((c) => (c.type === "function" ? [c.function.name, JSON.parse(c.function.arguments)] : []))).toEqual([["get_weather", GLM_ARGS]]);
    expect(r.choices[0]!.finish_reason).toBe("tool_calls");
  });

  it("GLM, streamed: reasoning and tool-call deltas, no tags in the text", async () => {
    const stream = await openai().chat.completions.create({ model: "glm", messages: [{ role: "user", content: "Weather in Paris?" }], tools, stream: true });
    let reasoning = "";
    let content = "";
    let args = "";
    let name = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      const delta = choice.delta as typeof choice.delta & { reasoning_content?: string };
      reasoning += delta.reasoning_content ?? "";
      content += delta.content ?? "";
      for (const tc of delta.tool_calls ?? []) {
        name ||= tc.function?.name ?? "";
        args += tc.function?.arguments ?? "";
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(reasoning).toBe(GLM_REASONING);
    expect(content).not.toContain("<");
    expect([name, JSON.parse(args)]).toEqual(["get_weather", GLM_ARGS]);
    expect(finish).toBe("tool_calls");
  });

  it("a tool block that does not parse reaches the client as text, with a warning in the request log", async () => {
    const r = await openai().chat.completions.create({ model: "glm-broken", messages: [{ role: "user", content: "x" }] });
    expect(r.choices[0]!.message.content).toBe("Look: <tool_call>not a call</tool_call> and more");
    expect(r.choices[0]!.message.tool_calls ?? []).toEqual([]);
    const line = proxy.logs().find((l) => l.msg === "request" && l.model === "glm-broken");
    expect(line?.warnings).toEqual([expect.objectContaining({ code: "tool_call_unparsed", path: "choices[0]" })]);
  });

  it("a model without modules still gets the raw text (the modules are per model)", async () => {
    const r = await openai().chat.completions.create({ model: "glm-raw", messages: [{ role: "user", content: "x" }] });
    expect(r.choices[0]!.message.content).toContain("<tool_call>get_weather");
  });
});

describe("openai SDK, Responses", () => {
  it("GLM, not streamed: reasoning, message and function_call items", async () => {
    const r = await openai().responses.create({
      model: "glm",
      input: "Weather in Paris?",
      tools: [{ type: "function", name: "get_weather", parameters: {}, strict: false }],
    });
    expect(r.output.map((i) => i.type)).toEqual(["reasoning", "message", "function_call"]);
    const call = r.output[2];
    expect(call?.type === "function_call" && [call.name, JSON.parse(call.arguments)]).toEqual(["get_weather", GLM_ARGS]);
  });

  it("Qwen3-Coder, streamed: arguments arrive in pieces, two function calls", async () => {
    const stream = openai().responses.stream({ model: "qwen", input: "Weather and time in Paris?" });
    let argDeltas = 0;
    stream.on("response.function_call_arguments.delta", () => argDeltas++);
    const final = await stream.finalResponse();
    const calls = final.output.flatMap((i) => (i.type === "function_call" ? [[i.name, JSON.parse(i.arguments)]] : []));
    expect(calls).toEqual([
      ["get_weather", { city: "Paris" }],
      ["get_time", { zone: "Europe/Paris", format: { hour: true } }],
    ]);
    expect(argDeltas).toBeGreaterThan(4);
    const reasoning = final.output.find((i) => i.type === "reasoning");
    expect(JSON.stringify(reasoning)).toContain("Paris weather and the time there");
  });
});

describe("Anthropic SDK, Messages", () => {
  it("GLM, not streamed: thinking, text and tool_use, stop_reason tool_use", async () => {
    const m = await anthropic().messages.create({ model: "glm", max_tokens: 200, messages: [{ role: "user", content: "Weather in Paris?" }] });
    expect(m.content.map((b) => b.type)).toEqual(["thinking", "text", "tool_use"]);
    const thinking = m.content[0];
    expect(thinking?.type === "thinking" && thinking.thinking).toBe(GLM_REASONING);
    const use = m.content[2];
    expect(use?.type === "tool_use" && [use.name, use.input]).toEqual(["get_weather", GLM_ARGS]);
    expect(m.stop_reason).toBe("tool_use");
  });

  it("Qwen3-Coder, streamed: the SDK's own stream parser builds both tool_use blocks", async () => {
    const final = await anthropic()
      .messages.stream({ model: "qwen", max_tokens: 200, messages: [{ role: "user", content: "Weather and time?" }] })
      .finalMessage();
    expect(final.content.filter((b) => b.type === "tool_use").map((b) => (b.type === "tool_use" ? [b.name, b.input] : []))).toEqual([
      ["get_weather", { city: "Paris" }],
      ["get_time", { zone: "Europe/Paris", format: { hour: true } }],
    ]);
    expect(final.content[0]?.type).toBe("thinking");
    expect(final.stop_reason).toBe("tool_use");
  });
});

describe("AI SDK (its stream parsers validate every event)", () => {
  const tools = {
    get_weather: tool({ description: "Weather", inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } } }) }),
    get_time: tool({ description: "Time", inputSchema: jsonSchema<{ zone: string }>({ type: "object", properties: { zone: { type: "string" } } }) }),
  };

  // The AI SDK reads only reasoning summaries; the think tags' raw reasoning goes out as one too.
  it("streamText on the Responses model: GLM's reasoning as reasoning deltas, then the tool call", async () => {
    const model = createOpenAI({ baseURL: `${proxy.url}/v1`, apiKey: "k" }).responses("glm");
    const result = streamText({ model, prompt: "Weather in Paris?", tools });
    const kinds: string[] = [];
    let deltas = 0;
    for await (const part of result.fullStream) {
      if (part.type === "error") throw part.error;
      kinds.push(part.type);
      if (part.type === "reasoning-delta" && part.text !== "") deltas++;
    }
    expect(await result.reasoningText).toBe(GLM_REASONING);
    expect(deltas).toBeGreaterThan(3);
    expect(kinds.indexOf("reasoning-end")).toBeLessThan(kinds.indexOf("tool-call"));
    expect(await result.text).not.toContain("<");
    const calls = await result.toolCalls;
    expect(calls.map((c) => [c.toolName, c.input])).toEqual([["get_weather", GLM_ARGS]]);
    expect(await result.finishReason).toBe("tool-calls");
  });

  it("generateText on the Responses model: GLM's reasoning, not streamed", async () => {
    const model = createOpenAI({ baseURL: `${proxy.url}/v1`, apiKey: "k" }).responses("glm");
    const result = await generateText({ model, prompt: "Weather in Paris?", tools, maxRetries: 0 });
    expect(result.reasoningText).toBe(GLM_REASONING);
    expect(result.text.trim()).toBe("I'll check that for you.");
    expect(result.toolCalls.map((c) => [c.toolName, c.input])).toEqual([["get_weather", GLM_ARGS]]);
  });

  it("streamText on the Anthropic model: both Qwen3-Coder calls", async () => {
    const model = createAnthropic({ baseURL: `${proxy.url}/v1`, apiKey: "k" })("qwen");
    const result = streamText({ model, prompt: "Weather and time?", tools });
    expect((await result.toolCalls).map((c) => [c.toolName, c.input])).toEqual([
      ["get_weather", { city: "Paris" }],
      ["get_time", { zone: "Europe/Paris", format: { hour: true } }],
    ]);
    expect(await result.reasoningText).toContain("Paris weather and the time there");
  });
});
