// Hub request -> native Responses backend body.

import { describe, expect, it } from "vitest";
import type { LlmRequest } from "../ir.js";
import { decodeResponsesRequest } from "./decode-request.js";
import { encodeResponsesRequest } from "./encode-request.js";

const req = (extra: Partial<LlmRequest> = {}): LlmRequest => ({
  model: "alias",
  messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
  stream: false,
  ...extra,
});

describe("encodeResponsesRequest", () => {
  it("the leading system message becomes instructions; store is false by default", () => {
    const { value, warnings } = encodeResponsesRequest(
      req({
        messages: [
          { role: "system", content: [{ type: "text", text: "A" }] },
          { role: "developer", content: [{ type: "text", text: "B" }] },
          { role: "user", content: [{ type: "text", text: "hi" }] },
          { role: "system", content: [{ type: "text", text: "late" }] },
        ],
      }),
      { model: "gpt-5" },
    );
    expect(value).toEqual({
      model: "gpt-5",
      instructions: "A",
      input: [
        { type: "message", role: "developer", content: [{ type: "input_text", text: "B" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
        { type: "message", role: "system", content: [{ type: "input_text", text: "late" }] },
      ],
      store: false,
      stream: false,
    });
    expect(warnings).toEqual([]);
  });

  it("user media as input_image / input_file; audio dropped with a warning", () => {
    const { value, warnings } = encodeResponsesRequest(
      req({
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBO" }, detail: "high" },
              { type: "image", source: { kind: "url", url: "https://i.test/a.png" } },
              { type: "image", source: { kind: "file_id", fileId: "file-1" } },
              { type: "file", source: { kind: "base64", mediaType: "application/pdf", data: "JVB" }, title: "Report" },
              { type: "file", source: { kind: "url", url: "https://f.test/a.pdf" } },
              { type: "file", source: { kind: "file_id", fileId: "file-2" }, filename: "b.pdf" },
              { type: "file", source: { kind: "text", text: "plain" } },
              { type: "audio", data: "UklG", format: "wav" },
            ],
          },
        ],
      }),
      { model: "m" },
    );
    expect((value["input"] as unknown[])[0]).toEqual({
      type: "message",
      role: "user",
      content: [
        { type: "input_image", detail: "high", image_url: "data:image/png;base64,iVBO" },
        { type: "input_image", detail: "auto", image_url: "https://i.test/a.png" },
        { type: "input_image", detail: "auto", file_id: "file-1" },
        { type: "input_file", file_data: "data:application/pdf;base64,JVB", filename: "Report" },
        { type: "input_file", file_url: "https://f.test/a.pdf" },
        { type: "input_file", file_id: "file-2", filename: "b.pdf" },
        { type: "input_text", text: "plain" },
      ],
    });
    expect(warnings.map((w) => w.path)).toEqual(["messages[0].content[7]"]);
  });

  it("assistant turns -> reasoning / message / function_call items; tool results -> function_call_output", () => {
    const { value, warnings } = encodeResponsesRequest(
      req({
        messages: [
          { role: "user", content: [{ type: "text", text: "q" }] },
          {
            role: "assistant",
            content: [
              { type: "reasoning", text: "plan", id: "rs_1", summary: ["plan"], encryptedContent: "gAAA" },
              { type: "reasoning", text: "anthropic thinking", signature: "sig" },
              { type: "text", text: "Let me look." },
              { type: "refusal", text: "partly" },
              { type: "tool_call", id: "call_1", name: "f", arguments: "{}", itemId: "fc_1" },
              { type: "tool_call", id: "toolu_2", name: "g", arguments: '{"a":1}' },
            ],
          },
          { role: "tool", toolCallId: "call_1", content: [{ type: "text", text: "ok" }] },
          {
            role: "tool",
            toolCallId: "toolu_2",
            content: [
              { type: "text", text: "see" },
              { type: "image", source: { kind: "url", url: "https://i.test/s.png" } },
            ],
          },
        ],
      }),
      { model: "m" },
    );
    expect((value["input"] as unknown[]).slice(1)).toEqual([
      { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "plan" }], encrypted_content: "gAAA" },
      {
        type: "message",
        role: "assistant",
        content: [
          { type: "output_text", text: "Let me look.", annotations: [] },
          { type: "refusal", refusal: "partly" },
        ],
      },
      { type: "function_call", call_id: "call_1", name: "f", arguments: "{}", id: "fc_1" },
      { type: "function_call", call_id: "toolu_2", name: "g", arguments: '{"a":1}' },
      { type: "function_call_output", call_id: "call_1", output: "ok" },
      {
        type: "function_call_output",
        call_id: "toolu_2",
        output: [
          { type: "input_text", text: "see" },
          { type: "input_image", detail: "auto", image_url: "https://i.test/s.png" },
        ],
      },
    ]);
    expect(warnings.map((w) => w.path)).toEqual(["messages[1].content[1]"]); // foreign reasoning cannot be replayed
  });

  it("with store true, id-only reasoning is replayed by item_reference", () => {
    const { value } = encodeResponsesRequest(
      req({
        messages: [{ role: "assistant", content: [{ type: "reasoning", text: "x", id: "rs_9" }] }],
        passthrough: { responses: { store: true } },
      }),
      { model: "m" },
    );
    expect(value["input"]).toEqual([{ type: "item_reference", id: "rs_9" }]);
    expect(value["store"]).toBe(true);
  });

  it("tools flat with explicit strict, tool_choice forms, text, reasoning and scalars", () => {
    const { value } = encodeResponsesRequest(
      req({
        tools: [{ type: "function", name: "f", description: "d", parameters: { type: "object" } }],
        toolChoice: { type: "allowed", mode: "required", names: ["f"] },
        parallelToolCalls: false,
        maxToolCalls: 3,
        maxOutputTokens: 100,
        temperature: 0.1,
        topP: 0.2,
        responseFormat: { type: "json_schema", name: "o", schema: { type: "object" }, strict: true },
        verbosity: "high",
        reasoning: { effort: "medium", summary: "auto" },
        user: "u",
        safetyIdentifier: "s",
        promptCacheKey: "k",
        serviceTier: "flex",
        metadata: { a: "b" },
        stream: true,
      }),
      { model: "m" },
    );
    expect(value).toMatchObject({
      tools: [{ type: "function", name: "f", description: "d", parameters: { type: "object" }, strict: false }],
      tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "f" }] },
      parallel_tool_calls: false,
      max_tool_calls: 3,
      max_output_tokens: 100,
      temperature: 0.1,
      top_p: 0.2,
      text: { format: { type: "json_schema", name: "o", schema: { type: "object" }, strict: true }, verbosity: "high" },
      reasoning: { effort: "medium", summary: "auto" },
      user: "u",
      safety_identifier: "s",
      prompt_cache_key: "k",
      service_tier: "flex",
      metadata: { a: "b" },
      stream: true,
    });
  });

  it.each([
    [{ type: "auto" }, "auto"],
    [{ type: "none" }, "none"],
    [{ type: "required" }, "required"],
    [
      { type: "tool", name: "f" },
      { type: "function", name: "f" },
    ],
  ] as const)("tool_choice %j -> %j", (toolChoice, expected) => {
    expect(encodeResponsesRequest(req({ toolChoice }), { model: "m" }).value["tool_choice"]).toEqual(expected);
  });

  it("Chat-only fields are dropped with warnings", () => {
    const { value, warnings } = encodeResponsesRequest(
      req({
        n: 2,
        stop: ["x"],
        seed: 1,
        frequencyPenalty: 0.5,
        presencePenalty: 0.5,
        logprobs: true,
        passthrough: { chat: { logit_bias: { "1": 1 }, audio: { voice: "alloy" } } },
      }),
      { model: "m" },
    );
    expect(warnings.map((w) => w.path)).toEqual(["n", "stop", "seed", "frequency_penalty", "presence_penalty", "logprobs", "logit_bias", "audio"]);
    for (const key of ["n", "stop", "seed", "frequency_penalty", "presence_penalty", "logit_bias", "audio"]) expect(value[key]).toBeUndefined();
  });

  it("a thinking budget becomes reasoning.effort; encrypted reasoning can be requested", () => {
    const { value } = encodeResponsesRequest(req({ reasoning: { budgetTokens: 2048 } }), { model: "m", includeEncryptedReasoning: true });
    expect(value["reasoning"]).toEqual({ effort: "medium" });
    expect(value["include"]).toEqual(["reasoning.encrypted_content"]);
  });

  it("a decoded Responses request comes back with its passthrough fields (Codex shape)", () => {
    const body = {
      model: "codex",
      instructions: "You are Codex.",
      input: [
        { type: "message", role: "developer", content: [{ type: "input_text", text: "env" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "fix it" }] },
      ],
      tools: [{ type: "function", name: "shell", parameters: { type: "object" }, strict: false }],
      tool_choice: "auto",
      parallel_tool_calls: true,
      reasoning: { summary: "auto" },
      store: false,
      stream: true,
      include: ["reasoning.encrypted_content"],
      prompt_cache_key: "pk",
    };
    const hub = decodeResponsesRequest(body).value;
    const { value } = encodeResponsesRequest(hub, { model: "gpt-5" });
    expect(value).toEqual({ ...body, model: "gpt-5" });
  });
});
