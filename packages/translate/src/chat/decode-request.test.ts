// Chat request decoding: every role and part, every tool_choice form, scalar fields, validation errors.

import { describe, expect, it } from "vitest";
import { TranslateError } from "../codec.js";
import type { Message } from "../ir.js";
import { decodeChatRequest } from "./decode-request.js";

const base = { model: "gpt-x", messages: [{ role: "user", content: "hi" }] };
const decode = (extra: Record<string, unknown>) => decodeChatRequest({ ...base, ...extra });
const messages = (...msgs: unknown[]): Message[] => decodeChatRequest({ model: "m", messages: msgs }).value.messages;

function errorOf(fn: () => unknown): TranslateError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TranslateError) return e;
    throw e;
  }
  throw new Error("expected a TranslateError");
}

describe("messages", () => {
  it.each([
    ["system string", { role: "system", content: "be brief" }, { role: "system", content: [{ type: "text", text: "be brief" }] }],
    [
      "developer parts",
      {
        role: "developer",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
      {
        role: "developer",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
    ],
    ["user string", { role: "user", content: "hello" }, { role: "user", content: [{ type: "text", text: "hello" }] }],
    [
      "tool with text parts",
      { role: "tool", tool_call_id: "call_1", content: [{ type: "text", text: "42" }] },
      { role: "tool", toolCallId: "call_1", content: [{ type: "text", text: "42" }] },
    ],
    [
      "tool with string",
      { role: "tool", tool_call_id: "call_1", content: "42" },
      { role: "tool", toolCallId: "call_1", content: [{ type: "text", text: "42" }] },
    ],
  ])("%s", (_name, input, expected) => {
    expect(messages(input)).toEqual([expected]);
  });

  it("user parts: text, image URL, image data URL, input_audio, file_data, file_id", () => {
    const [msg] = messages({
      role: "user",
      content: [
        { type: "text", text: "look" },
        { type: "image_url", image_url: { url: "https://img.test/a.png", detail: "high" } },
        { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
        { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
        { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } },
        { type: "file", file: { file_id: "file-abc" } },
      ],
    });
    expect(msg).toEqual({
      role: "user",
      content: [
        { type: "text", text: "look" },
        { type: "image", source: { kind: "url", url: "https://img.test/a.png" }, detail: "high" },
        { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBORw0KGgo=" } },
        { type: "audio", data: "UklGRg==", format: "wav" },
        { type: "file", source: { kind: "base64", mediaType: "application/pdf", data: "JVBERi0=" }, filename: "a.pdf" },
        { type: "file", source: { kind: "file_id", fileId: "file-abc" } },
      ],
    });
  });

  it("assistant: reasoning_content, content, refusal, audio, tool_calls in that order", () => {
    const [msg] = messages({
      role: "assistant",
      reasoning_content: "thinking…",
      content: "Calling.",
      refusal: "partly no",
      audio: { id: "audio_1" },
      tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
    });
    expect(msg).toEqual({
      role: "assistant",
      content: [
        { type: "reasoning", text: "thinking…", kind: "raw" },
        { type: "text", text: "Calling." },
        { type: "refusal", text: "partly no" },
        { type: "audio_output", id: "audio_1" },
        { type: "tool_call", id: "call_1", name: "f", arguments: '{"a":1}' },
      ],
    });
  });

  it("assistant: OpenRouter-style `reasoning`, null content, text/refusal parts", () => {
    expect(messages({ role: "assistant", reasoning: "r", content: null })).toEqual([
      { role: "assistant", content: [{ type: "reasoning", text: "r", kind: "raw" }] },
    ]);
    expect(
      messages({
        role: "assistant",
        content: [
          { type: "text", text: "a" },
          { type: "refusal", refusal: "b" },
        ],
      }),
    ).toEqual([
      {
        role: "assistant",
        content: [
          { type: "text", text: "a" },
          { type: "refusal", text: "b" },
        ],
      },
    ]);
  });

  it("message names are dropped with a warning", () => {
    const { warnings } = decodeChatRequest({ model: "m", messages: [{ role: "user", name: "bob", content: "x" }] });
    expect(warnings).toEqual([{ code: "field_dropped", path: "messages[0].name", message: expect.stringContaining("dropped") }]);
  });
});

describe("validation errors name the bad field", () => {
  it.each([
    [
      {
        model: "m",
        messages: [
          { role: "user", content: "a" },
          { role: "user", content: "b" },
          { role: "user", content: 5 },
        ],
      },
      "messages[2].content",
      "invalid_type",
    ],
    [{ model: "m", messages: [] }, "messages", "invalid_value"],
    [{ messages: [{ role: "user", content: "a" }] }, "model", "missing_required_parameter"],
    [{ model: "m", messages: [{ role: "wizard", content: "a" }] }, "messages[0].role", "invalid_value"],
    [{ model: "m", messages: [{ role: "user", content: [{ type: "video_url" }] }] }, "messages[0].content[0].type", "invalid_value"],
    [{ model: "m", messages: [{ role: "tool", content: "x" }] }, "messages[0].tool_call_id", "missing_required_parameter"],
    [
      { model: "m", messages: [{ role: "assistant", tool_calls: [{ id: "c", function: { name: 3 } }] }] },
      "messages[0].tool_calls[0].function.name",
      "invalid_type",
    ],
    [{ ...base, temperature: "hot" }, "temperature", "invalid_type"],
    [{ ...base, stop: 3 }, "stop", "invalid_type"],
    [{ ...base, reasoning_effort: "extreme" }, "reasoning_effort", "invalid_value"],
    [{ ...base, metadata: { a: 1 } }, "metadata.a", "invalid_type"],
    [{ ...base, tool_choice: "sometimes" }, "tool_choice", "invalid_value"],
  ])("%j -> %s", (body, param, code) => {
    const err = errorOf(() => decodeChatRequest(body));
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.code).toBe(code);
  });

  it("a body that is not an object is a 400", () => {
    expect(errorOf(() => decodeChatRequest("nope")).status).toBe(400);
  });
});

describe("tools and tool_choice", () => {
  const tools = [
    { type: "function", function: { name: "f", description: "does f", parameters: { type: "object" }, strict: true } },
    { type: "custom", custom: { name: "patch" } },
  ];

  it("keeps function tools and drops others with a warning", () => {
    const { value, warnings } = decode({ tools });
    expect(value.tools).toEqual([{ type: "function", name: "f", description: "does f", parameters: { type: "object" }, strict: true }]);
    expect(warnings.map((w) => w.path)).toEqual(["tools[1]"]);
  });

  it.each([
    ["auto", { type: "auto" }],
    ["none", { type: "none" }],
    ["required", { type: "required" }],
    [
      { type: "function", function: { name: "f" } },
      { type: "tool", name: "f" },
    ],
    [
      { type: "allowed_tools", allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "f" } }] } },
      { type: "allowed", mode: "required", names: ["f"] },
    ],
  ])("tool_choice %j", (input, expected) => {
    expect(decode({ tools, tool_choice: input }).value.toolChoice).toEqual(expected);
  });

  it("forcing a custom tool is a 400", () => {
    const err = errorOf(() => decode({ tools, tool_choice: { type: "custom", custom: { name: "patch" } } }));
    expect(err.param).toBe("tool_choice");
    expect(err.message).toContain("patch");
  });
});

describe("scalar fields", () => {
  it("maps every field the hub knows", () => {
    const { value } = decode({
      max_completion_tokens: 100,
      max_tokens: 50,
      stop: "END",
      n: 2,
      seed: 7,
      temperature: 0.2,
      top_p: 0.9,
      frequency_penalty: 0.1,
      presence_penalty: -0.1,
      logprobs: true,
      top_logprobs: 3,
      parallel_tool_calls: false,
      response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true, description: "d" } },
      reasoning_effort: "high",
      verbosity: "low",
      stream: true,
      stream_options: { include_usage: true },
      user: "u1",
      safety_identifier: "s1",
      metadata: { k: "v" },
      service_tier: "flex",
      prompt_cache_key: "pk",
    });
    expect(value).toEqual({
      model: "gpt-x",
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      stream: true,
      streamIncludeUsage: true,
      maxOutputTokens: 100,
      stop: ["END"],
      n: 2,
      seed: 7,
      temperature: 0.2,
      topP: 0.9,
      frequencyPenalty: 0.1,
      presencePenalty: -0.1,
      logprobs: true,
      topLogprobs: 3,
      parallelToolCalls: false,
      responseFormat: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true, description: "d" },
      reasoning: { effort: "high" },
      verbosity: "low",
      user: "u1",
      safetyIdentifier: "s1",
      metadata: { k: "v" },
      serviceTier: "flex",
      promptCacheKey: "pk",
    });
  });

  it.each([
    [{ max_tokens: 50 }, { maxOutputTokens: 50 }],
    [{ stop: ["a", "b"] }, { stop: ["a", "b"] }],
    [{ response_format: { type: "json_object" } }, { responseFormat: { type: "json_object" } }],
    [{ response_format: { type: "text" } }, { responseFormat: { type: "text" } }],
    [{ reasoning_effort: "none" }, { reasoning: { effort: "none", disabled: true } }],
  ])("%j", (input, expected) => {
    expect(decode(input).value).toMatchObject(expected);
  });

  it("unknown fields go to passthrough.chat, stream_options extras included", () => {
    const { value } = decode({ logit_bias: { "1": 2 }, modalities: ["text"], stream_options: { include_usage: false, include_obfuscation: false } });
    expect(value.streamIncludeUsage).toBe(false);
    expect(value.passthrough).toEqual({ chat: { logit_bias: { "1": 2 }, modalities: ["text"], stream_options: { include_obfuscation: false } } });
  });
});
