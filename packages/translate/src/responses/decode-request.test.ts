// Responses request decoding: input items, tools (hosted ones dropped or refused), settings, passthrough.

import { describe, expect, it } from "vitest";
import { TranslateError } from "../codec.js";
import type { Message } from "../ir.js";
import { decodeResponsesRequest } from "./decode-request.js";
import type { ResponsesInputItem } from "./responses-api.js";

const decode = (body: Record<string, unknown>, resolveItem?: (id: string) => ResponsesInputItem | undefined) =>
  decodeResponsesRequest({ model: "gpt-x", ...body }, resolveItem ? { resolveItem } : {});
const messages = (input: unknown): Message[] => decode({ input }).value.messages;

function errorOf(fn: () => unknown): TranslateError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TranslateError) return e;
    throw e;
  }
  throw new Error("expected a TranslateError");
}

describe("input", () => {
  it("a string is one user message; instructions lead as a system message", () => {
    expect(decode({ input: "hi", instructions: "be brief" }).value.messages).toEqual([
      { role: "system", content: [{ type: "text", text: "be brief" }] },
      { role: "user", content: [{ type: "text", text: "hi" }] },
    ]);
  });

  it("messages of every role, with and without `type`", () => {
    expect(
      messages([
        { role: "developer", content: "dev" },
        { type: "message", role: "system", content: [{ type: "input_text", text: "sys" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "q" }] },
        {
          type: "message",
          role: "assistant",
          content: [
            { type: "output_text", text: "a", annotations: [] },
            { type: "refusal", refusal: "r" },
          ],
        },
      ]),
    ).toEqual([
      { role: "developer", content: [{ type: "text", text: "dev" }] },
      { role: "system", content: [{ type: "text", text: "sys" }] },
      { role: "user", content: [{ type: "text", text: "q" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "a" },
          { type: "refusal", text: "r" },
        ],
      },
    ]);
  });

  it("input_image (URL, data URL, file_id) and input_file (file_data, file_url, file_id)", () => {
    const [msg] = messages([
      {
        role: "user",
        content: [
          { type: "input_image", image_url: "https://i.test/a.png", detail: "low" },
          { type: "input_image", image_url: "data:image/webp;base64,UklG" },
          { type: "input_image", file_id: "file-img" },
          { type: "input_file", file_data: "data:application/pdf;base64,JVBE", filename: "r.pdf" },
          { type: "input_file", file_url: "https://f.test/r.pdf" },
          { type: "input_file", file_id: "file-doc" },
        ],
      },
    ]);
    expect(msg?.content).toEqual([
      { type: "image", source: { kind: "url", url: "https://i.test/a.png" }, detail: "low" },
      { type: "image", source: { kind: "base64", mediaType: "image/webp", data: "UklG" } },
      { type: "image", source: { kind: "file_id", fileId: "file-img" } },
      { type: "file", source: { kind: "base64", mediaType: "application/pdf", data: "JVBE" }, filename: "r.pdf" },
      { type: "file", source: { kind: "url", url: "https://f.test/r.pdf" } },
      { type: "file", source: { kind: "file_id", fileId: "file-doc" } },
    ]);
  });

  it("reasoning + consecutive function_calls merge into ONE assistant message; outputs become tool messages", () => {
    expect(
      messages([
        { role: "user", content: "q" },
        {
          type: "reasoning",
          id: "rs_1",
          summary: [
            { type: "summary_text", text: "s1" },
            { type: "summary_text", text: "s2" },
          ],
          encrypted_content: "gAAA",
        },
        { type: "function_call", id: "fc_1", call_id: "call_1", name: "f", arguments: '{"a":1}' },
        { type: "function_call", id: "fc_2", call_id: "call_2", name: "g", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: "1" },
        {
          type: "function_call_output",
          call_id: "call_2",
          output: [
            { type: "input_text", text: "2" },
            { type: "input_image", image_url: "https://i.test/x.png" },
          ],
        },
      ]),
    ).toEqual([
      { role: "user", content: [{ type: "text", text: "q" }] },
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "s1\n\ns2", kind: "summary", summary: ["s1", "s2"], id: "rs_1", encryptedContent: "gAAA" },
          { type: "tool_call", id: "call_1", name: "f", arguments: '{"a":1}', itemId: "fc_1" },
          { type: "tool_call", id: "call_2", name: "g", arguments: "{}", itemId: "fc_2" },
        ],
      },
      { role: "tool", toolCallId: "call_1", content: [{ type: "text", text: "1" }] },
      {
        role: "tool",
        toolCallId: "call_2",
        content: [
          { type: "text", text: "2" },
          { type: "image", source: { kind: "url", url: "https://i.test/x.png" } },
        ],
      },
    ]);
  });

  it("raw reasoning_text content is the reasoning text (kind raw)", () => {
    expect(messages([{ type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "raw" }] }])).toEqual([
      { role: "assistant", content: [{ type: "reasoning", text: "raw", kind: "raw" }] },
    ]);
  });

  it("item_reference is resolved through the injected resolver", () => {
    const stored: Record<string, ResponsesInputItem> = {
      msg_old: { type: "message", role: "assistant", content: [{ type: "output_text", text: "earlier" }] },
    };
    const { value } = decode(
      {
        input: [
          { type: "item_reference", id: "msg_old" },
          { role: "user", content: "and?" },
        ],
      },
      (id) => stored[id],
    );
    expect(value.messages).toEqual([
      { role: "assistant", content: [{ type: "text", text: "earlier" }] },
      { role: "user", content: [{ type: "text", text: "and?" }] },
    ]);
  });

  it.each([
    ["no resolver", undefined],
    ["unknown id", () => undefined],
  ])("item_reference with %s is a 400 naming input[i]", (_name, resolver) => {
    const err = errorOf(() =>
      decode(
        {
          input: [
            { role: "user", content: "x" },
            { type: "item_reference", id: "rs_gone" },
          ],
        },
        resolver,
      ),
    );
    expect(err.status).toBe(400);
    expect(err.param).toBe("input[1]");
    expect(err.message).toContain("rs_gone");
  });

  it("items with no hub meaning are dropped with a warning", () => {
    const { value, warnings } = decode({
      input: [
        { type: "web_search_call", id: "ws_1", status: "completed" },
        { role: "user", content: "x" },
      ],
    });
    expect(value.messages).toHaveLength(1);
    expect(warnings).toEqual([{ code: "content_dropped", path: "input[0]", message: expect.stringContaining("web_search_call") }]);
  });
  it("refuses an input item type OpenAI does not define, naming it", () => {
    expect(() => decode({ input: [{ role: "user", content: "x" }, { type: "bogus" }] })).toThrow(
      expect.objectContaining({ status: 400, param: "input[1].type" }),
    );
  });

  it.each([
    [[{ role: "user", content: 5 }], "input[0].content", "invalid_type"],
    [[{ role: "user", content: [{ type: "input_audio" }] }], "input[0].content[0].type", "invalid_value"],
    [[{ role: "system", content: [{ type: "input_image", image_url: "x" }] }], "input[0].content[0].type", "invalid_value"],
    [[{ type: "function_call", name: "f" }], "input[0].call_id", "missing_required_parameter"],
    [[{ role: "robot", content: "x" }], "input[0].role", "invalid_value"],
    [42, "input", "invalid_type"],
  ])("invalid input %j -> 400 at %s", (input, param, code) => {
    const err = errorOf(() => decode({ input }));
    expect([err.param, err.code]).toEqual([param, code]);
  });
});

describe("tools", () => {
  const tools = [
    { type: "function", name: "shell", description: "run", parameters: { type: "object" }, strict: false },
    { type: "web_search" },
    { type: "namespace", name: "mcp__x", tools: [] },
    { type: "custom", name: "apply_patch" },
    { type: "web_search_preview" },
    { type: "file_search", vector_store_ids: [] },
    { type: "mcp", server_label: "gh" },
  ];

  it("keeps function and client tools, the first web search as the hub's, and drops other hosted ones with a warning each", () => {
    const { value, warnings } = decode({ input: "x", tools });
    expect(value.tools?.map((t) => [t.name, t.client?.type])).toEqual([
      ["shell", undefined],
      ["apply_patch", "custom"],
    ]);
    expect(value.tools?.[0]).toEqual({ type: "function", name: "shell", description: "run", parameters: { type: "object" }, strict: false });
    expect(value.webSearch).toEqual({ raw: { type: "web_search" }, path: "tools[1]", unmapped: [] });
    // A second web search (tools[4]) has no backend to run it.
    expect(warnings.map((w) => w.path)).toEqual(["tools[5]", "tools[6]", "tools[4]"]);
    expect(warnings.every((w) => w.code === "tool_dropped")).toBe(true);
  });

  it.each([
    ["auto", { type: "auto" }],
    ["none", { type: "none" }],
    ["required", { type: "required" }],
    [
      { type: "function", name: "shell" },
      { type: "tool", name: "shell" },
    ],
    [
      { type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "shell" }, { type: "web_search" }] },
      { type: "allowed", mode: "auto", names: ["shell"] },
    ],
    [
      { type: "custom", name: "apply_patch" },
      { type: "tool", name: "apply_patch" },
    ],
  ])("tool_choice %j", (input, expected) => {
    expect(decode({ input: "x", tools, tool_choice: input }).value.toolChoice).toEqual(expected);
  });

  it.each([
    { type: "web_search_preview" },
    { type: "file_search" },
    { type: "mcp", server_label: "gh" },
    { type: "allowed_tools", mode: "required", tools: [{ type: "web_search" }] },
  ])("forcing a hosted tool %j is a 400", (choice) => {
    const err = errorOf(() => decode({ input: "x", tools, tool_choice: choice }));
    expect(err.status).toBe(400);
    expect(err.param).toBe("tool_choice");
  });
});

describe("settings", () => {
  it("maps every field with a hub meaning", () => {
    const { value } = decode({
      input: "x",
      text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true, description: "d" }, verbosity: "low" },
      reasoning: { effort: "high", summary: "detailed" },
      max_output_tokens: 500,
      parallel_tool_calls: false,
      max_tool_calls: 4,
      temperature: 0.3,
      top_p: 0.7,
      top_logprobs: 2,
      user: "u",
      safety_identifier: "s",
      prompt_cache_key: "k",
      service_tier: "flex",
      metadata: { a: "b" },
      stream: true,
      n: 2,
    });
    expect(value).toEqual({
      model: "gpt-x",
      messages: [{ role: "user", content: [{ type: "text", text: "x" }] }],
      stream: true,
      responseFormat: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true, description: "d" },
      verbosity: "low",
      reasoning: { effort: "high", summary: "detailed" },
      maxOutputTokens: 500,
      parallelToolCalls: false,
      maxToolCalls: 4,
      temperature: 0.3,
      topP: 0.7,
      topLogprobs: 2,
      user: "u",
      safetyIdentifier: "s",
      promptCacheKey: "k",
      serviceTier: "flex",
      metadata: { a: "b" },
      n: 2,
    });
  });

  it.each([
    [{ text: { format: { type: "json_object" } } }, { responseFormat: { type: "json_object" } }],
    [{ text: { format: { type: "text" } } }, { responseFormat: { type: "text" } }],
    [{ reasoning: { effort: "none" } }, { reasoning: { effort: "none", disabled: true } }],
    [{ reasoning: { generate_summary: "concise" } }, { reasoning: { summary: "concise" } }],
    [{ include: ["message.output_text.logprobs"] }, { logprobs: true }],
  ])("%j", (body, expected) => {
    expect(decode({ input: "x", ...body }).value).toMatchObject(expected);
  });

  it("fields with no hub meaning go to passthrough.responses (instructions kept for the echo)", () => {
    const codexish = {
      input: "x",
      instructions: "sys",
      store: false,
      include: ["reasoning.encrypted_content"],
      truncation: "auto",
      background: false,
      previous_response_id: "resp_prev",
      prompt_cache_retention: "24h",
      client_metadata: { x: 1 },
      stream_options: { include_obfuscation: false },
    };
    expect(decode(codexish).value.passthrough).toEqual({
      responses: {
        store: false,
        include: ["reasoning.encrypted_content"],
        truncation: "auto",
        background: false,
        previous_response_id: "resp_prev",
        prompt_cache_retention: "24h",
        client_metadata: { x: 1 },
        stream_options: { include_obfuscation: false },
        instructions: "sys",
      },
    });
  });

  it.each([
    [{ text: { format: { type: "xml" } } }, "text.format.type"],
    [{ text: { format: { type: "json_schema", name: "x" } } }, "text.format.schema"],
    [{ reasoning: { effort: "turbo" } }, "reasoning.effort"],
    [{ max_output_tokens: 1.5 }, "max_output_tokens"],
    [{ metadata: { a: 1 } }, "metadata.a"],
  ])("invalid %j -> 400 at %s", (body, param) => {
    expect(errorOf(() => decode({ input: "x", ...body })).param).toBe(param);
  });
});
