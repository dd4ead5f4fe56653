import { describe, expect, it } from "vitest";
import { TranslateError } from "../codec.js";
import type { LlmRequest } from "../ir.js";
import { decodeMessagesRequest } from "./decode-request.js";

function base(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: "claude-opus-4-8", max_tokens: 1024, messages: [{ role: "user", content: "hi" }], ...extra };
}

function decode(extra: Record<string, unknown> = {}): LlmRequest {
  return decodeMessagesRequest(base(extra)).value;
}

function errorOf(fn: () => unknown): TranslateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TranslateError) return error;
    throw error;
  }
  throw new Error("expected a TranslateError");
}

describe("decodeMessagesRequest: validation", () => {
  it.each([
    [{ max_tokens: undefined }, "max_tokens"],
    [{ max_tokens: "many" }, "max_tokens"],
    [{ max_tokens: 0 }, "max_tokens"],
    [{ messages: undefined }, "messages"],
    [{ messages: "hi" }, "messages"],
    [{ model: 3 }, "model"],
    [{ messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
    [{ messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
    [
      {
        messages: [
          { role: "user", content: "a" },
          { role: "assistant", content: [{ type: "bogus" }] },
        ],
      },
      "messages[1].content[0].type",
    ],
    [{ messages: [{ role: "user", content: [{ type: "tool_use", id: "t", name: "x", input: {} }] }] }, "messages[0].content[0].type"],
    [{ messages: [{ role: "assistant", content: [{ type: "tool_result", tool_use_id: "t" }] }] }, "messages[0].content[0].type"],
    [{ messages: [{ role: "user", content: [{ type: "text" }] }] }, "messages[0].content[0].text"],
    [{ messages: [{ role: "user", content: [{ type: "image", source: { type: "ftp" } }] }] }, "messages[0].content[0].source.type"],
    [{ messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "x", input: "{}" }] }] }, "messages[0].content[0].input"],
    [{ temperature: "hot" }, "temperature"],
    [{ stop_sequences: ["a", 1] }, "stop_sequences[1]"],
    [{ tools: [{ name: "x" }] }, "tools[0].input_schema"],
    [{ tool_choice: { type: "sometimes" } }, "tool_choice.type"],
    [{ tool_choice: { type: "tool" } }, "tool_choice.name"],
    [{ thinking: { type: "enabled" } }, "thinking.budget_tokens"],
    [{ thinking: { type: "on" } }, "thinking.type"],
    [{ output_config: { effort: "extreme" } }, "output_config.effort"],
    [{ output_config: { format: { type: "yaml" } } }, "output_config.format.type"],
    [{ system: [{ type: "image" }] }, "system[0].type"],
  ])("rejects %j naming `%s`", (extra, param) => {
    const error = errorOf(() => decodeMessagesRequest(base(extra)));
    expect(error.param).toBe(param);
    expect(error.status).toBe(400);
  });

  it("rejects a body that is not an object", () => {
    expect(errorOf(() => decodeMessagesRequest([])).status).toBe(400);
  });
});

describe("decodeMessagesRequest: messages", () => {
  it("turns string and block system prompts into one leading system message, keeping cache_control", () => {
    expect(decode({ system: "Be brief." }).messages[0]).toEqual({ role: "system", content: [{ type: "text", text: "Be brief." }] });
    const req = decode({
      system: [
        { type: "text", text: "You are Claude Code." },
        { type: "text", text: "Project rules.", cache_control: { type: "ephemeral" } },
      ],
    });
    expect(req.messages[0]).toEqual({
      role: "system",
      content: [
        { type: "text", text: "You are Claude Code." },
        { type: "text", text: "Project rules.", cacheControl: { type: "ephemeral" } },
      ],
    });
    expect(req.messages[1]).toEqual({ role: "user", content: [{ type: "text", text: "hi" }] });
  });

  it("decodes image sources and documents", () => {
    const req = decode({
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" }, cache_control: { type: "ephemeral" } },
            { type: "image", source: { type: "file", file_id: "file_011" } },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBER" }, title: "Spec" },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "plain words" } },
            { type: "document", source: { type: "url", url: "https://example.com/a.pdf" } },
            {
              type: "document",
              source: {
                type: "content",
                content: [
                  { type: "text", text: "one" },
                  { type: "text", text: "two" },
                ],
              },
            },
          ],
        },
      ],
    });
    expect(req.messages[0]).toEqual({
      role: "user",
      content: [
        { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBOR" } },
        { type: "image", source: { kind: "url", url: "https://example.com/cat.jpg" }, cacheControl: { type: "ephemeral" } },
        { type: "image", source: { kind: "file_id", fileId: "file_011" } },
        { type: "file", source: { kind: "base64", mediaType: "application/pdf", data: "JVBER" }, title: "Spec" },
        { type: "file", source: { kind: "text", text: "plain words", mediaType: "text/plain" } },
        { type: "file", source: { kind: "url", url: "https://example.com/a.pdf" } },
        { type: "file", source: { kind: "text", text: "one\n\ntwo" } },
      ],
    });
  });

  it("decodes an assistant turn: signed thinking, redacted thinking, text and tool_use with input as JSON text", () => {
    const req = decode({
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "Let me look.", signature: "EvQBsig==" },
            { type: "redacted_thinking", data: "EmwKAhgB" },
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "toolu_01", name: "get_weather", input: { location: "Paris" }, cache_control: { type: "ephemeral" } },
          ],
        },
      ],
    });
    expect(req.messages[1]).toEqual({
      role: "assistant",
      content: [
        { type: "reasoning", text: "Let me look.", signature: "EvQBsig==" },
        { type: "reasoning", text: "", redactedData: "EmwKAhgB" },
        { type: "text", text: "Checking." },
        { type: "tool_call", id: "toolu_01", name: "get_weather", arguments: '{"location":"Paris"}', cacheControl: { type: "ephemeral" } },
      ],
    });
  });

  it("treats an empty thinking signature as none", () => {
    const req = decode({ messages: [{ role: "assistant", content: [{ type: "thinking", thinking: "hm", signature: "" }] }] });
    expect(req.messages[0]).toEqual({ role: "assistant", content: [{ type: "reasoning", text: "hm" }] });
  });

  it("splits tool_result blocks into tool messages placed before the rest of the user turn", () => {
    const req = decode({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Here you go." },
            { type: "tool_result", tool_use_id: "toolu_01", content: "18°C" },
            {
              type: "tool_result",
              tool_use_id: "toolu_02",
              is_error: true,
              cache_control: { type: "ephemeral" },
              content: [
                { type: "text", text: "not found" },
                { type: "image", source: { type: "url", url: "https://example.com/e.png" } },
              ],
            },
            { type: "tool_result", tool_use_id: "toolu_03" },
          ],
        },
      ],
    });
    expect(req.messages).toEqual([
      { role: "tool", toolCallId: "toolu_01", content: [{ type: "text", text: "18°C" }] },
      {
        role: "tool",
        toolCallId: "toolu_02",
        isError: true,
        cacheControl: { type: "ephemeral" },
        content: [
          { type: "text", text: "not found" },
          { type: "image", source: { kind: "url", url: "https://example.com/e.png" } },
        ],
      },
      { role: "tool", toolCallId: "toolu_03", content: [] },
      { role: "user", content: [{ type: "text", text: "Here you go." }] },
    ]);
  });

  it("emits no empty user message for a turn of tool results only", () => {
    const req = decode({ messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01", content: "ok" }] }] });
    expect(req.messages.map((m) => m.role)).toEqual(["tool"]);
  });

  it("drops server-tool blocks with a warning", () => {
    const { value, warnings } = decodeMessagesRequest(
      base({
        messages: [
          {
            role: "assistant",
            content: [
              { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} },
              { type: "text", text: "Found it." },
            ],
          },
        ],
      }),
    );
    expect(value.messages[0]).toEqual({ role: "assistant", content: [{ type: "text", text: "Found it." }] });
    expect(warnings).toEqual([{ code: "content_dropped", path: "messages[0].content[0]", message: expect.stringContaining("server_tool_use") }]);
  });

  it("accepts a mid-conversation system message", () => {
    const req = decode({
      messages: [
        { role: "user", content: "a" },
        { role: "system", content: "Now be formal." },
      ],
    });
    expect(req.messages[1]).toEqual({ role: "system", content: [{ type: "text", text: "Now be formal." }] });
  });
});

describe("decodeMessagesRequest: parameters", () => {
  it("maps scalar parameters", () => {
    const req = decode({
      max_tokens: 64000,
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ["###"],
      stream: true,
      metadata: { user_id: '{"device_id":"abc"}' },
      service_tier: "standard_only",
    });
    expect(req).toMatchObject({
      model: "claude-opus-4-8",
      maxOutputTokens: 64000,
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      stop: ["###"],
      stream: true,
      user: '{"device_id":"abc"}',
      serviceTier: "standard_only",
    });
    expect(req.passthrough).toBeUndefined();
    expect(decode().stream).toBe(false);
  });

  it("maps tools and keeps server tools aside for an Anthropic backend", () => {
    const { value, warnings } = decodeMessagesRequest(
      base({
        tools: [
          { name: "Bash", description: "Run a command", input_schema: { type: "object", properties: { command: { type: "string" } } } },
          { type: "custom", name: "Read", input_schema: { type: "object" }, cache_control: { type: "ephemeral" }, strict: true },
          { type: "web_search_20250305", name: "web_search", max_uses: 5 },
        ],
      }),
    );
    expect(value.tools).toEqual([
      { type: "function", name: "Bash", description: "Run a command", parameters: { type: "object", properties: { command: { type: "string" } } } },
      { type: "function", name: "Read", parameters: { type: "object" }, strict: true, cacheControl: { type: "ephemeral" } },
    ]);
    expect(value.passthrough?.messages?.tools).toEqual([{ type: "web_search_20250305", name: "web_search", max_uses: 5 }]);
    expect(warnings).toEqual([]);
  });

  it.each([
    [{ type: "auto" }, { type: "auto" }, undefined],
    [{ type: "any" }, { type: "required" }, undefined],
    [{ type: "tool", name: "Bash" }, { type: "tool", name: "Bash" }, undefined],
    [{ type: "none" }, { type: "none" }, undefined],
    [{ type: "auto", disable_parallel_tool_use: true }, { type: "auto" }, false],
    [{ type: "any", disable_parallel_tool_use: false }, { type: "required" }, true],
  ])("tool_choice %j → %j, parallel %s", (choice, expected, parallel) => {
    const req = decode({ tool_choice: choice });
    expect(req.toolChoice).toEqual(expected);
    expect(req.parallelToolCalls).toBe(parallel);
  });

  it.each([
    [{ type: "enabled", budget_tokens: 500 }, undefined, { budgetTokens: 500, effort: "minimal" }],
    [{ type: "enabled", budget_tokens: 1024 }, undefined, { budgetTokens: 1024, effort: "low" }],
    [{ type: "enabled", budget_tokens: 3000 }, undefined, { budgetTokens: 3000, effort: "medium" }],
    [{ type: "enabled", budget_tokens: 8000 }, undefined, { budgetTokens: 8000, effort: "high" }],
    [{ type: "enabled", budget_tokens: 32000 }, undefined, { budgetTokens: 32000, effort: "xhigh" }],
    [{ type: "enabled", budget_tokens: 8000 }, { effort: "low" }, { budgetTokens: 8000, effort: "low" }],
    [{ type: "adaptive" }, { effort: "high" }, { effort: "high" }],
    [{ type: "adaptive" }, undefined, {}],
    [{ type: "disabled" }, undefined, { disabled: true }],
    [undefined, { effort: "max" }, { effort: "max" }],
  ])("thinking %j with output_config %j → reasoning %j", (thinking, outputConfig, reasoning) => {
    expect(decode({ thinking, output_config: outputConfig }).reasoning).toEqual(reasoning);
  });

  it("keeps the raw thinking for an Anthropic backend", () => {
    const req = decode({ thinking: { type: "adaptive", display: "summarized" }, output_config: { effort: "high" } });
    expect(req.passthrough?.messages).toEqual({ thinking: { type: "adaptive", display: "summarized" }, output_config: { effort: "high" } });
  });

  it("maps output_config.format to a json_schema response format named structured_output", () => {
    const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"], additionalProperties: false };
    const req = decode({ output_config: { format: { type: "json_schema", schema } } });
    expect(req.responseFormat).toEqual({ type: "json_schema", name: "structured_output", schema });
    expect(req.passthrough).toBeUndefined();
  });

  it("keeps Anthropic-only fields in passthrough.messages", () => {
    const req = decode({
      cache_control: { type: "ephemeral" },
      context_management: { edits: [{ type: "clear_tool_uses_20250919" }] },
      container: "container_1",
      inference_geo: "us",
      mcp_servers: [{ type: "url", url: "https://mcp.example.com", name: "x" }],
      some_future_field: 7,
    });
    expect(req.passthrough?.messages).toEqual({
      cache_control: { type: "ephemeral" },
      context_management: { edits: [{ type: "clear_tool_uses_20250919" }] },
      container: "container_1",
      inference_geo: "us",
      mcp_servers: [{ type: "url", url: "https://mcp.example.com", name: "x" }],
      some_future_field: 7,
    });
  });
});
