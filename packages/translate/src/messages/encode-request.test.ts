import { describe, expect, it } from "vitest";
import type { LlmRequest, Message, ToolChoice } from "../ir.js";
import { encodeMessagesRequest } from "./encode-request.js";

function request(extra: Partial<LlmRequest> = {}): LlmRequest {
  return { model: "gpt-5", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stream: false, ...extra };
}

function encode(extra: Partial<LlmRequest> = {}, opts: { defaultMaxTokens?: number } = {}) {
  return encodeMessagesRequest(request(extra), { model: "claude-sonnet-4-5", ...opts });
}

const userText = (text: string): Message => ({ role: "user", content: [{ type: "text", text }] });

describe("encodeMessagesRequest: body basics", () => {
  it("uses the backend model and supplies max_tokens", () => {
    expect(encode().value).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      stream: false,
    });
    expect(encode({}, { defaultMaxTokens: 8192 }).value.max_tokens).toBe(8192);
    expect(encode({ maxOutputTokens: 300 }).value.max_tokens).toBe(300);
  });

  it("maps scalar parameters and warns about what Anthropic lacks", () => {
    const { value, warnings } = encode({
      temperature: 1.4,
      topP: 0.8,
      topK: 20,
      stop: ["END"],
      user: "user-42",
      stream: true,
      n: 3,
      seed: 7,
      metadata: { team: "a" },
      serviceTier: "flex",
    });
    expect(value).toMatchObject({ temperature: 1, top_p: 0.8, top_k: 20, stop_sequences: ["END"], metadata: { user_id: "user-42" }, stream: true });
    expect(value.service_tier).toBeUndefined();
    expect(warnings.map((w) => w.path).sort()).toEqual(["metadata", "n", "seed", "service_tier", "temperature"]);
  });

  it("maps a json_schema response format to output_config.format", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    expect(encode({ responseFormat: { type: "json_schema", name: "x", schema } }).value.output_config).toEqual({ format: { type: "json_schema", schema } });
    const jsonMode = encode({ responseFormat: { type: "json_object" } });
    expect(jsonMode.value.output_config).toBeUndefined();
    expect(jsonMode.warnings[0]?.path).toBe("response_format");
  });
});

describe("encodeMessagesRequest: messages", () => {
  it("hoists system and developer messages into system blocks", () => {
    const { value } = encode({
      messages: [
        { role: "system", content: [{ type: "text", text: "Be brief.", cacheControl: { type: "ephemeral" } }] },
        userText("hi"),
        { role: "developer", content: [{ type: "text", text: "Use tools." }] },
      ],
    });
    expect(value.system).toEqual([
      { type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } },
      { type: "text", text: "Use tools." },
    ]);
    expect(value.messages).toEqual([{ role: "user", content: [{ type: "text", text: "hi" }] }]);
  });

  it("turns a chat tool exchange into tool_use blocks and one user turn of tool_results", () => {
    const { value, warnings } = encode({
      messages: [
        userText("Weather in Paris and Rome?"),
        {
          role: "assistant",
          content: [
            { type: "text", text: "" },
            { type: "tool_call", id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
            { type: "tool_call", id: "call.b", name: "get_weather", arguments: "{not json" },
          ],
        },
        { role: "tool", toolCallId: "call_a", content: [{ type: "text", text: "18°C" }] },
        { role: "tool", toolCallId: "call.b", content: [{ type: "text", text: "boom" }], isError: true },
        userText("Thanks"),
      ],
    });
    expect(value.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "call_a", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_b", name: "get_weather", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_a", content: "18°C" },
          { type: "tool_result", tool_use_id: "call_b", content: "boom", is_error: true },
          { type: "text", text: "Thanks" },
        ],
      },
    ]);
    expect(warnings).toEqual([{ code: "value_adjusted", path: "messages[1].content[2]", message: expect.stringContaining("not a JSON object") }]);
  });

  it("puts tool results first when a user message came before them", () => {
    const { value } = encode({
      messages: [
        { role: "assistant", content: [{ type: "tool_call", id: "toolu_1", name: "f", arguments: "{}" }] },
        userText("also this"),
        { role: "tool", toolCallId: "toolu_1", content: [{ type: "text", text: "done" }] },
      ],
    });
    expect(value.messages).toEqual([
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "f", input: {} }] },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "done" },
          { type: "text", text: "also this" },
        ],
      },
    ]);
  });

  it("keeps tool_result blocks with images and cache_control as block lists", () => {
    const { value } = encode({
      messages: [
        {
          role: "tool",
          toolCallId: "toolu_9",
          cacheControl: { type: "ephemeral" },
          content: [
            { type: "text", text: "shot:" },
            { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBOR" } },
          ],
        },
      ],
    });
    expect(value.messages).toEqual([
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_9",
            content: [
              { type: "text", text: "shot:" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
            ],
            cache_control: { type: "ephemeral" },
          },
        ],
      },
    ]);
  });

  it("merges consecutive same-role turns and skips empty ones", () => {
    const { value } = encode({
      messages: [userText("a"), userText("b"), { role: "assistant", content: [{ type: "text", text: "" }] }, userText("c")],
    });
    expect(value.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
          { type: "text", text: "c" },
        ],
      },
    ]);
  });

  it("converts images: data URLs to base64, http URLs to url sources, other types dropped", () => {
    const { value, warnings } = encode({
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { kind: "url", url: "data:image/png;base64,iVBOR" } },
            { type: "image", source: { kind: "url", url: "https://example.com/cat.jpg" }, detail: "high" },
            { type: "image", source: { kind: "base64", mediaType: "image/jpg", data: "/9j/" } },
            { type: "image", source: { kind: "url", url: "data:image/bmp;base64,Qk0=" } },
            { type: "image", source: { kind: "base64", mediaType: "image/tiff", data: "SUkq" } },
            { type: "audio", data: "UklGR", format: "wav" },
          ],
        },
      ],
    });
    expect(value.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
          { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
          { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/" } },
        ],
      },
    ]);
    expect(warnings.map((w) => w.path)).toEqual(["messages[0].content[3]", "messages[0].content[4]", "messages[0].content[5]"]);
  });

  it("converts files: PDFs to documents, text to text documents", () => {
    const { value, warnings } = encode({
      messages: [
        {
          role: "user",
          content: [
            { type: "file", source: { kind: "base64", mediaType: "application/pdf", data: "JVBER" }, filename: "spec.pdf" },
            { type: "file", source: { kind: "url", url: "data:application/pdf;base64,JVBER" }, title: "Spec" },
            { type: "file", source: { kind: "url", url: "https://example.com/a.pdf" } },
            { type: "file", source: { kind: "base64", mediaType: "text/plain", data: Buffer.from("héllo").toString("base64") } },
            { type: "file", source: { kind: "text", text: "notes" } },
            { type: "file", source: { kind: "file_id", fileId: "file_011" } },
            { type: "file", source: { kind: "base64", mediaType: "application/zip", data: "UEsD" } },
          ],
        },
      ],
    });
    expect(value.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBER" }, title: "spec.pdf" },
          { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBER" }, title: "Spec" },
          { type: "document", source: { type: "url", url: "https://example.com/a.pdf" } },
          { type: "document", source: { type: "text", media_type: "text/plain", data: "héllo" } },
          { type: "document", source: { type: "text", media_type: "text/plain", data: "notes" } },
          { type: "document", source: { type: "file", file_id: "file_011" } },
        ],
      },
    ]);
    expect(warnings.map((w) => w.path)).toEqual(["messages[0].content[6]"]);
  });

  it("replays signed and redacted thinking and drops unsigned reasoning with a warning", () => {
    const signature = "EvQBCkYICxgCKkAxhD4NUKFzudtZ6NzbZdEiBACIScTzqjPViM596iWLZIk4EFKYYBj3B6Ptl3b0dcQv/VeJBNbejNWIWRBn+KPNEgz6HWtKx7p+QRgKsEoa";
    const { value, warnings } = encode({
      messages: [
        userText("q"),
        {
          role: "assistant",
          content: [
            { type: "reasoning", text: "unsigned from chat" },
            { type: "reasoning", text: "signed", signature },
            { type: "reasoning", text: "", redactedData: "EmwKAhgB" },
            { type: "refusal", text: "I can't." },
          ],
        },
      ],
    });
    expect(value.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "q" }] },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "signed", signature },
          { type: "redacted_thinking", data: "EmwKAhgB" },
          { type: "text", text: "I can't." },
        ],
      },
    ]);
    expect(warnings).toEqual([{ code: "reasoning_dropped", path: "messages[1].content[0]", message: expect.stringContaining("signature") }]);
  });
});

describe("encodeMessagesRequest: tools", () => {
  const tools: LlmRequest["tools"] = [
    { type: "function", name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: true },
    { type: "function", name: "ping", parameters: {} },
  ];

  it("maps tools to name/description/input_schema and warns about strict mode", () => {
    const { value, warnings } = encode({ tools });
    expect(value.tools).toEqual([
      { name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
      { name: "ping", input_schema: { type: "object" } },
    ]);
    expect(warnings.map((w) => w.path)).toEqual(["tools"]);
  });

  it.each<[ToolChoice | undefined, boolean | undefined, Record<string, unknown> | undefined]>([
    [{ type: "auto" }, undefined, { type: "auto" }],
    [{ type: "required" }, undefined, { type: "any" }],
    [{ type: "tool", name: "ping" }, undefined, { type: "tool", name: "ping" }],
    [{ type: "none" }, undefined, { type: "none" }],
    [{ type: "none" }, false, { type: "none" }],
    [undefined, false, { type: "auto", disable_parallel_tool_use: true }],
    [{ type: "required" }, false, { type: "any", disable_parallel_tool_use: true }],
    [undefined, true, undefined],
  ])("tool choice %j with parallel %s → %j", (toolChoice, parallelToolCalls, expected) => {
    const extra: Partial<LlmRequest> = { tools };
    if (toolChoice !== undefined) extra.toolChoice = toolChoice;
    if (parallelToolCalls !== undefined) extra.parallelToolCalls = parallelToolCalls;
    expect(encode(extra).value.tool_choice).toEqual(expected);
  });

  it("approximates allowed tools by sending only those", () => {
    const { value } = encode({ tools, toolChoice: { type: "allowed", mode: "required", names: ["ping"] } });
    expect(value.tools).toEqual([{ name: "ping", input_schema: { type: "object" } }]);
    expect(value.tool_choice).toEqual({ type: "any" });
  });

  it("drops tool_choice when there are no tools", () => {
    expect(encode({ toolChoice: { type: "auto" } }).value.tool_choice).toBeUndefined();
  });
});

describe("encodeMessagesRequest: passthrough from an Anthropic client", () => {
  it("replays adaptive thinking, effort, server tools and Anthropic-only fields", () => {
    const { value } = encode({
      reasoning: { effort: "high" },
      tools: [{ type: "function", name: "Bash", parameters: { type: "object" } }],
      passthrough: {
        messages: {
          thinking: { type: "adaptive" },
          output_config: { effort: "high" },
          context_management: { edits: [] },
          tools: [{ type: "web_search_20250305", name: "web_search" }],
          metadata: { extra: "x" },
        },
      },
      user: "u1",
    });
    expect(value.thinking).toEqual({ type: "adaptive" });
    expect(value.output_config).toEqual({ effort: "high" });
    expect(value.max_tokens).toBe(4096);
    expect(value.context_management).toEqual({ edits: [] });
    expect(value.tools).toEqual([
      { name: "Bash", input_schema: { type: "object" } },
      { type: "web_search_20250305", name: "web_search" },
    ]);
    expect(value.metadata).toEqual({ extra: "x", user_id: "u1" });
  });
});
