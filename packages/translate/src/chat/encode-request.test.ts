// Hub request -> Chat backend body.

import { describe, expect, it } from "vitest";
import type { LlmRequest } from "../ir.js";
import { encodeChatRequest } from "./encode-request.js";

const user = (text: string): LlmRequest["messages"][number] => ({ role: "user", content: [{ type: "text", text }] });
const req = (extra: Partial<LlmRequest> = {}): LlmRequest => ({ model: "alias", messages: [user("hi")], stream: false, ...extra });

describe("encodeChatRequest", () => {
  it("uses the backend model and plain string content for single text parts", () => {
    const { value, warnings } = encodeChatRequest(req(), { model: "gpt-4o" });
    expect(value).toEqual({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], stream: false });
    expect(warnings).toEqual([]);
  });

  it("always asks for usage when streaming, keeping other stream_options", () => {
    const { value } = encodeChatRequest(
      req({ stream: true, streamIncludeUsage: false, passthrough: { chat: { stream_options: { include_obfuscation: false } } } }),
      {
        model: "m",
      },
    );
    expect(value["stream"]).toBe(true);
    expect(value["stream_options"]).toEqual({ include_obfuscation: false, include_usage: true });
  });

  it("maps scalar fields", () => {
    const { value } = encodeChatRequest(
      req({
        maxOutputTokens: 99,
        temperature: 0.5,
        topP: 0.8,
        stop: ["x"],
        n: 2,
        seed: 1,
        frequencyPenalty: 0.3,
        presencePenalty: 0.4,
        logprobs: true,
        topLogprobs: 2,
        verbosity: "high",
        user: "u",
        safetyIdentifier: "s",
        metadata: { a: "b" },
        serviceTier: "priority",
        promptCacheKey: "k",
        parallelToolCalls: false,
        responseFormat: { type: "json_schema", name: "o", schema: { type: "object" }, strict: true },
      }),
      { model: "m" },
    );
    expect(value).toMatchObject({
      max_completion_tokens: 99,
      temperature: 0.5,
      top_p: 0.8,
      stop: ["x"],
      n: 2,
      seed: 1,
      frequency_penalty: 0.3,
      presence_penalty: 0.4,
      logprobs: true,
      top_logprobs: 2,
      verbosity: "high",
      user: "u",
      safety_identifier: "s",
      metadata: { a: "b" },
      service_tier: "priority",
      prompt_cache_key: "k",
      parallel_tool_calls: false,
      response_format: { type: "json_schema", json_schema: { name: "o", schema: { type: "object" }, strict: true } },
    });
  });

  it("can use max_tokens for older servers; top_logprobs needs logprobs", () => {
    const { value } = encodeChatRequest(req({ maxOutputTokens: 10, topLogprobs: 3 }), { model: "m", maxTokensField: "max_tokens" });
    expect(value["max_tokens"]).toBe(10);
    expect(value["max_completion_tokens"]).toBeUndefined();
    expect(value["top_logprobs"]).toBeUndefined();
  });

  it("tools nested under `function`, every tool_choice form", () => {
    const tools: LlmRequest["tools"] = [{ type: "function", name: "f", description: "d", parameters: { type: "object" } }];
    const cases: [LlmRequest["toolChoice"], unknown][] = [
      [{ type: "auto" }, "auto"],
      [{ type: "none" }, "none"],
      [{ type: "required" }, "required"],
      [
        { type: "tool", name: "f" },
        { type: "function", function: { name: "f" } },
      ],
      [
        { type: "allowed", mode: "auto", names: ["f"] },
        { type: "allowed_tools", allowed_tools: { mode: "auto", tools: [{ type: "function", function: { name: "f" } }] } },
      ],
    ];
    for (const [toolChoice, expected] of cases) {
      const { value } = encodeChatRequest(req({ tools, ...(toolChoice ? { toolChoice } : {}) }), { model: "m" });
      expect(value["tools"]).toEqual([{ type: "function", function: { name: "f", description: "d", parameters: { type: "object" } } }]);
      expect(value["tool_choice"]).toEqual(expected);
    }
  });

  it("system/developer roles; developer as system by default", () => {
    const messages: LlmRequest["messages"] = [
      {
        role: "system",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
      { role: "developer", content: [{ type: "text", text: "c" }] },
      user("hi"),
    ];
    expect(encodeChatRequest(req({ messages }), { model: "m" }).value["messages"]).toEqual([
      {
        role: "system",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
      { role: "system", content: "c" },
      { role: "user", content: "hi" },
    ]);
    expect((encodeChatRequest(req({ messages }), { model: "m", developerRole: "developer" }).value["messages"] as unknown[])[1]).toEqual({
      role: "developer",
      content: "c",
    });
  });

  it("user media: URL and base64 images, files, audio; unsupported media dropped with warnings", () => {
    const { value, warnings } = encodeChatRequest(
      req({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "see" },
              { type: "image", source: { kind: "url", url: "https://i.test/x.png" }, detail: "low" },
              { type: "image", source: { kind: "base64", mediaType: "image/jpeg", data: "AAA" } },
              { type: "image", source: { kind: "file_id", fileId: "file-1" } },
              { type: "file", source: { kind: "base64", mediaType: "application/pdf", data: "JVB" } },
              { type: "file", source: { kind: "file_id", fileId: "file-2" }, filename: "b.pdf" },
              { type: "file", source: { kind: "url", url: "https://f.test/a.pdf" } },
              { type: "file", source: { kind: "text", text: "plain doc" } },
              { type: "audio", data: "UklG", format: "mp3" },
            ],
          },
        ],
      }),
      { model: "m" },
    );
    expect((value["messages"] as unknown[])[0]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "see" },
        { type: "image_url", image_url: { url: "https://i.test/x.png", detail: "low" } },
        { type: "image_url", image_url: { url: "data:image/jpeg;base64,AAA" } },
        { type: "file", file: { file_data: "data:application/pdf;base64,JVB", filename: "document.pdf" } },
        { type: "file", file: { file_id: "file-2", filename: "b.pdf" } },
        { type: "text", text: "plain doc" },
        { type: "input_audio", input_audio: { data: "UklG", format: "mp3" } },
      ],
    });
    expect(warnings.map((w) => w.path)).toEqual(["messages[0].content[3]", "messages[0].content[6]"]);
  });

  it("assistant history: text joined, refusal, tool_calls, audio id; content null with only tool calls", () => {
    const { value } = encodeChatRequest(
      req({
        messages: [
          user("q"),
          {
            role: "assistant",
            content: [
              { type: "text", text: "Let me " },
              { type: "text", text: "check." },
              { type: "refusal", text: "no" },
              { type: "tool_call", id: "call_1", name: "f", arguments: "{}" },
              { type: "audio_output", id: "audio_1" },
            ],
          },
          { role: "assistant", content: [{ type: "tool_call", id: "call_2", name: "g", arguments: '{"a":1}' }] },
        ],
      }),
      { model: "m" },
    );
    expect((value["messages"] as unknown[]).slice(1)).toEqual([
      {
        role: "assistant",
        content: "Let me check.",
        refusal: "no",
        tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }],
        audio: { id: "audio_1" },
      },
      { role: "assistant", content: null, tool_calls: [{ id: "call_2", type: "function", function: { name: "g", arguments: '{"a":1}' } }] },
    ]);
  });

  it("reasoning history -> reasoning_content when supported, else dropped with a warning", () => {
    const messages: LlmRequest["messages"] = [
      user("q"),
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "hmm", signature: "sig" },
          { type: "text", text: "A" },
        ],
      },
    ];
    const on = encodeChatRequest(req({ messages }), { model: "m", supportsReasoning: true });
    expect((on.value["messages"] as unknown[])[1]).toEqual({ role: "assistant", content: "A", reasoning_content: "hmm" });
    expect(on.warnings.map((w) => w.path)).toEqual(["messages[1].content[0]"]); // the signature has no Chat field
    const off = encodeChatRequest(req({ messages }), { model: "m" });
    expect((off.value["messages"] as unknown[])[1]).toEqual({ role: "assistant", content: "A" });
    expect(off.warnings).toEqual([{ code: "reasoning_dropped", path: "messages[1].content[0]", message: expect.stringContaining("dropped") }]);
  });

  it("reasoning effort only for reasoning backends; a thinking budget becomes an effort", () => {
    expect(encodeChatRequest(req({ reasoning: { effort: "low" } }), { model: "m", supportsReasoning: true }).value["reasoning_effort"]).toBe("low");
    expect(encodeChatRequest(req({ reasoning: { budgetTokens: 5000 } }), { model: "m", supportsReasoning: true }).value["reasoning_effort"]).toBe("high");
    const off = encodeChatRequest(req({ reasoning: { effort: "low", summary: "auto" } }), { model: "m" });
    expect(off.value["reasoning_effort"]).toBeUndefined();
    expect(off.warnings.map((w) => w.path)).toEqual(["reasoning.effort", "reasoning.summary"]);
  });

  it("tool results: text as content; images follow the tool messages as one user message", () => {
    const { value, warnings } = encodeChatRequest(
      req({
        messages: [
          user("q"),
          {
            role: "assistant",
            content: [
              { type: "tool_call", id: "c1", name: "shot", arguments: "{}" },
              { type: "tool_call", id: "c2", name: "f", arguments: "{}" },
            ],
          },
          {
            role: "tool",
            toolCallId: "c1",
            content: [
              { type: "text", text: "see image" },
              { type: "image", source: { kind: "url", url: "https://i.test/s.png" } },
            ],
          },
          { role: "tool", toolCallId: "c2", content: [], isError: true },
          user("next"),
        ],
      }),
      { model: "m" },
    );
    expect((value["messages"] as unknown[]).slice(2)).toEqual([
      { role: "tool", tool_call_id: "c1", content: "see image" },
      { role: "tool", tool_call_id: "c2", content: "" },
      { role: "user", content: [{ type: "image_url", image_url: { url: "https://i.test/s.png" } }] },
      { role: "user", content: "next" },
    ]);
    expect(warnings.map((w) => w.path)).toEqual(["messages[2].content[1]", "messages[3].isError"]);
  });

  it("warns about hub fields Chat cannot carry and merges passthrough.chat back", () => {
    const { value, warnings } = encodeChatRequest(
      req({ topK: 5, maxToolCalls: 3, passthrough: { chat: { logit_bias: { "1": 1 } }, responses: { store: true } } }),
      {
        model: "m",
      },
    );
    expect(value["logit_bias"]).toEqual({ "1": 1 });
    expect(value["store"]).toBeUndefined();
    expect(warnings.map((w) => w.path)).toEqual(["top_k", "max_tool_calls"]);
  });
});
