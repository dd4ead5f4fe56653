// Client-executed Responses tools (custom, client tool_search, namespace functions) through Chat and
// Anthropic backends: the request each backend gets, the items the client gets back (JSON and
// stream, checked against the event grammar), and history replayed both ways.

import { describe, expect, it } from "vitest";
import { codecs } from "../codecs.js";
import type { LlmRequest, StreamEvent } from "../ir.js";
import { checkResponsesGrammar } from "../shared/testing/responses-grammar.js";
import { decodeAll, encodeAll, parseSse } from "../shared/testing/sse-replay.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { flatToolName } from "./client-tools.js";
import { CustomInputStream } from "./custom-input-stream.js";

const GRAMMAR = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF';
const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+Hello "world"\\n\tend\n*** End Patch';

const codexTools = [
  { type: "function", name: "shell", description: "Runs a command.", parameters: { type: "object", properties: { cmd: { type: "string" } } }, strict: false },
  { type: "custom", name: "apply_patch", description: "Edit files.", format: { type: "grammar", syntax: "lark", definition: GRAMMAR } },
  { type: "tool_search", execution: "client", description: "Find deferred tools.", parameters: { type: "object", properties: { query: { type: "string" } } } },
  {
    type: "namespace",
    name: "mcp__github__",
    description: "GitHub",
    tools: [{ type: "function", name: "create_issue", description: "Opens an issue.", parameters: { type: "object", properties: {} } }],
  },
  { type: "web_search" },
];

function decode(body: Record<string, unknown>) {
  return codecs.responses.decodeRequest({ model: "m", ...body });
}

function chatSse(chunks: object[]): string {
  return (
    chunks.map((c) => `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "up", ...c })}\n\n`).join("") +
    "data: [DONE]\n\n"
  );
}

function chatToolCallStream(name: string, args: string, pieces: number): string {
  const size = Math.ceil(args.length / pieces);
  const deltas = [];
  for (let i = 0; i < args.length; i += size) deltas.push(args.slice(i, i + size));
  return chatSse([
    { choices: [{ index: 0, delta: { role: "assistant", tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name, arguments: "" } }] } }] },
    ...deltas.map((d) => ({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: d } }] } }] })),
    { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
    { choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } },
  ]);
}

function responsesStream(request: LlmRequest, events: StreamEvent[]) {
  const sse = encodeAll(codecs.responses.createStreamEncoder({ ctx: createTestContext(), request, model: "m" }), events);
  return checkResponsesGrammar(sse);
}

describe("client tools in the request", () => {
  const { value: request, warnings } = decode({ input: "hi", tools: codexTools });

  it("become function tools for a Chat backend; hosted ones are dropped with a warning", () => {
    expect(warnings).toEqual([]);
    const { value: body, warnings: encoded } = codecs.chat.encodeRequest(request, { model: "up" });
    const tools = body["tools"] as { function: { name: string; description?: string; parameters: Record<string, unknown> } }[];
    expect(tools.map((t) => t.function.name)).toEqual(["shell", "apply_patch", "tool_search", "mcp__github__create_issue"]);
    const patch = tools[1]!.function;
    expect(patch.parameters).toEqual({
      type: "object",
      properties: { input: { type: "string" } },
      required: ["input"],
      additionalProperties: false,
    });
    expect(patch.description).toContain("Edit files.");
    expect(patch.description).toContain(`lark grammar:\n${GRAMMAR}`);
    expect(tools[3]!.function.description).toBe("GitHub\n\nOpens an issue.");
    expect(encoded).toEqual([{ code: "tool_dropped", path: "tools[4]", message: expect.stringContaining("'web_search'") as string }]);
  });

  it("become tools with an input schema for an Anthropic backend", () => {
    const body = codecs.messages.encodeRequest(request, { model: "claude" }).value;
    const tools = body["tools"] as { name: string; input_schema: unknown }[];
    // web_search becomes Anthropic's own hosted search.
    expect(tools.map((t) => t.name)).toEqual(["shell", "apply_patch", "tool_search", "mcp__github__create_issue", "web_search"]);
    expect(tools[4]).toEqual({ type: "web_search_20250305", name: "web_search" });
    expect(tools[1]!.input_schema).toMatchObject({ properties: { input: { type: "string" } }, required: ["input"] });
  });

  it("are echoed in the Response as the client sent them, descriptions null where absent", () => {
    const events = decodeAll(
      codecs.chat.createStreamDecoder(),
      parseSse(chatSse([{ choices: [{ index: 0, delta: { content: "ok" }, finish_reason: "stop" }] }])),
    );
    const result = responsesStream(request, events);
    expect(result.violations).toEqual([]);
    expect(result.terminal?.["tools"]).toEqual([
      codexTools[0],
      { ...codexTools[1] },
      codexTools[2],
      {
        type: "namespace",
        name: "mcp__github__",
        description: "GitHub",
        tools: [{ type: "function", name: "create_issue", description: "Opens an issue.", parameters: { type: "object", properties: {} }, strict: false }],
      },
    ]);
  });

  it("a function tool without a description echoes description: null", () => {
    const { value } = decode({ input: "hi", tools: [{ type: "function", name: "f", parameters: { type: "object" } }] });
    const json = codecs.responses.encodeResponse(
      { id: "x", model: "up", created: 1, choices: [{ index: 0, content: [{ type: "text", text: "ok" }], finishReason: "stop" }] },
      { ctx: createTestContext(), request: value, model: "m" },
    ).value;
    expect(json["tools"]).toEqual([{ type: "function", name: "f", description: null, parameters: { type: "object" }, strict: false }]);
    expect(json["completed_at"]).toBe(1_700_000_000);
    expect([json["presence_penalty"], json["frequency_penalty"]]).toEqual([0, 0]);
  });
});

describe("a backend's call of a client tool comes back as the client's item", () => {
  const { value: request } = decode({ input: "hi", tools: codexTools });

  it.each([1, 3, 17, 400])("custom tool from a Chat stream in %i pieces: custom_tool_call_input deltas, never function_call", (pieces) => {
    const sse = chatToolCallStream("apply_patch", JSON.stringify({ input: PATCH }), pieces);
    const result = responsesStream(request, decodeAll(codecs.chat.createStreamDecoder(), parseSse(sse)));
    expect(result.violations).toEqual([]);
    expect(result.types.filter((t) => t.includes("function_call"))).toEqual([]);
    expect(result.types).toContain("response.custom_tool_call_input.delta");
    expect(result.types.slice(-3)).toEqual(["response.custom_tool_call_input.done", "response.output_item.done", "response.completed"]);
    expect(result.items[0]?.args).toBe(PATCH);
    const output = result.terminal?.["output"] as Record<string, unknown>[];
    expect(output).toEqual([{ id: "ctc_test002", type: "custom_tool_call", status: "completed", call_id: "call_1", name: "apply_patch", input: PATCH }]);
  });

  it("custom tool cut mid-stream: response.failed, the item incomplete with the input streamed so far", () => {
    const args = JSON.stringify({ input: PATCH });
    const full = chatToolCallStream("apply_patch", args, 10);
    // The upstream stops after a few argument chunks: no finish, no [DONE].
    const cut = full.split("\n\n").slice(0, 4).join("\n\n") + "\n\n";
    const result = responsesStream(request, decodeAll(codecs.chat.createStreamDecoder(), parseSse(cut)));
    expect(result.violations).toEqual([]);
    expect(result.terminalType).toBe("response.failed");
    const item = (result.terminal?.["output"] as Record<string, unknown>[])[0]!;
    expect(item).toMatchObject({ type: "custom_tool_call", status: "incomplete" });
    expect(item["input"]).toBe(result.items[0]?.args);
    expect(PATCH.startsWith(String(item["input"]))).toBe(true);
    expect(String(item["input"]).length).toBeGreaterThan(0);
  });

  it("custom tool whose arguments are not the expected shape: the input goes out whole at the end", () => {
    const sse = chatToolCallStream("apply_patch", JSON.stringify({ patch: PATCH }), 5);
    const result = responsesStream(request, decodeAll(codecs.chat.createStreamDecoder(), parseSse(sse)));
    expect(result.violations).toEqual([]);
    expect((result.terminal?.["output"] as Record<string, unknown>[])[0]?.["input"]).toBe(PATCH);
  });

  it("custom tool from an Anthropic stream (input_json_delta)", () => {
    const args = JSON.stringify({ input: PATCH });
    const frames = [
      {
        type: "message_start",
        message: { id: "msg_1", type: "message", role: "assistant", model: "claude", content: [], usage: { input_tokens: 3, output_tokens: 0 } },
      },
      { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_1", name: "apply_patch", input: {} } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: args.slice(0, 20) } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: args.slice(20) } },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 9 } },
      { type: "message_stop" },
    ].map((d) => ({ event: d.type, data: JSON.stringify(d) }));
    const result = responsesStream(request, decodeAll(codecs.messages.createStreamDecoder(), frames));
    expect(result.violations).toEqual([]);
    expect(result.items.map((i) => [i.type, i.args])).toEqual([["custom_tool_call", PATCH]]);
  });

  it("tool_search and namespace calls from a Chat stream", () => {
    const sse = chatSse([
      {
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                { index: 0, id: "call_s", type: "function", function: { name: "tool_search", arguments: '{"query":"issues"}' } },
                { index: 1, id: "call_n", type: "function", function: { name: "mcp__github__create_issue", arguments: '{"title":"x"}' } },
              ],
            },
          },
        ],
      },
      { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
    ]);
    const result = responsesStream(request, decodeAll(codecs.chat.createStreamDecoder(), parseSse(sse)));
    expect(result.violations).toEqual([]);
    const output = result.terminal?.["output"] as Record<string, unknown>[];
    expect(output[0]).toEqual({
      id: "tsc_test002",
      type: "tool_search_call",
      status: "completed",
      call_id: "call_s",
      execution: "client",
      arguments: { query: "issues" },
    });
    expect(output[1]).toMatchObject({ type: "function_call", name: "create_issue", namespace: "mcp__github__", arguments: '{"title":"x"}' });
    // A tool search's arguments are an object in its item, never streamed as text.
    expect(result.types.filter((t) => t === "response.function_call_arguments.delta")).toHaveLength(1);
  });

  it("in a JSON answer from Anthropic", () => {
    const decoded = codecs.messages.decodeResponse(
      {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude",
        content: [{ type: "tool_use", id: "toolu_1", name: "apply_patch", input: { input: PATCH } }],
        stop_reason: "tool_use",
        usage: { input_tokens: 1, output_tokens: 1 },
      },
      createTestContext(),
    ).value;
    const json = codecs.responses.encodeResponse(decoded, { ctx: createTestContext(), request, model: "m" }).value;
    expect(json["output"]).toEqual([
      { id: "ctc_test002", type: "custom_tool_call", status: "completed", call_id: "toolu_1", name: "apply_patch", input: PATCH },
    ]);
  });
});

describe("history with client tool items", () => {
  const input = [
    { type: "message", role: "user", content: "add a file" },
    { type: "message", role: "assistant", phase: "commentary", content: [{ type: "output_text", text: "Adding it." }] },
    { type: "custom_tool_call", id: "ctc_1", call_id: "call_p", name: "apply_patch", input: PATCH },
    { type: "custom_tool_call_output", call_id: "call_p", output: "Success." },
    { type: "tool_search_call", call_id: "call_s", execution: "client", status: "completed", arguments: { query: "linear" } },
    {
      type: "tool_search_output",
      call_id: "call_s",
      execution: "client",
      status: "completed",
      tools: [{ type: "namespace", name: "mcp__linear__", tools: [{ type: "function", name: "list", parameters: { type: "object", properties: {} } }] }],
    },
    { type: "function_call", call_id: "call_l", name: "list", namespace: "mcp__linear__", arguments: "{}" },
    { type: "function_call_output", call_id: "call_l", output: "[]" },
  ];
  const { value: request, warnings } = decode({ input, tools: codexTools });

  it("replays on a Chat backend as tool calls and tool messages; searched tools become callable", () => {
    expect(warnings).toEqual([]);
    const { value: body, warnings: encoded } = codecs.chat.encodeRequest(request, { model: "up" });
    expect(encoded.map((w) => w.path)).toEqual(["tools[4]"]);
    const messages = body["messages"] as Record<string, unknown>[];
    expect(messages.map((m) => m["role"])).toEqual(["user", "assistant", "tool", "assistant", "tool", "assistant", "tool"]);
    const calls = messages.flatMap((m) => (m["tool_calls"] ?? []) as { id: string; function: { name: string; arguments: string } }[]);
    expect(calls.map((c) => [c.id, c.function.name])).toEqual([
      ["call_p", "apply_patch"],
      ["call_s", "tool_search"],
      ["call_l", "mcp__linear__list"],
    ]);
    expect(JSON.parse(calls[0]!.function.arguments)).toEqual({ input: PATCH });
    expect(JSON.parse(calls[1]!.function.arguments)).toEqual({ query: "linear" });
    expect(messages[2]).toMatchObject({ role: "tool", tool_call_id: "call_p", content: "Success." });
    const toolNames = (body["tools"] as { function: { name: string } }[]).map((t) => t.function.name);
    expect(toolNames).toContain("mcp__linear__list");
  });

  it("replays on an Anthropic backend as tool_use / tool_result", () => {
    const body = codecs.messages.encodeRequest(request, { model: "claude" }).value;
    const messages = body["messages"] as { role: string; content: Record<string, unknown>[] }[];
    const uses = messages.flatMap((m) => m.content.filter((b) => b["type"] === "tool_use"));
    expect(uses.map((b) => [b["id"], b["name"], b["input"]])).toEqual([
      ["call_p", "apply_patch", { input: PATCH }],
      ["call_s", "tool_search", { query: "linear" }],
      ["call_l", "mcp__linear__list", {}],
    ]);
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant", "user"]);
    expect(messages[2]!.content).toMatchObject([{ type: "tool_result", tool_use_id: "call_p" }]);
  });

  it("the searched tools are not echoed as the request's own tools", () => {
    const json = codecs.responses.encodeResponse(
      { id: "x", model: "up", created: 1, choices: [{ index: 0, content: [{ type: "text", text: "ok" }], finishReason: "stop" }] },
      { ctx: createTestContext(), request, model: "m" },
    ).value;
    expect((json["tools"] as unknown[]).length).toBe(4);
  });

  it("goes back to a Responses backend as the same item types, phase included", () => {
    const body = codecs.responses.encodeRequest(request, { model: "gpt" }).value;
    const items = body["input"] as Record<string, unknown>[];
    expect(items.map((i) => i["type"])).toEqual([
      "message",
      "message",
      "custom_tool_call",
      "custom_tool_call_output",
      "tool_search_call",
      "tool_search_output",
      "function_call",
      "function_call_output",
    ]);
    expect(items[1]).toMatchObject({ role: "assistant", phase: "commentary" });
    expect(items[2]).toMatchObject({ call_id: "call_p", name: "apply_patch", input: PATCH });
    expect(items[4]).toMatchObject({ arguments: { query: "linear" }, execution: "client" });
    expect(items[5]!["tools"]).toEqual(input[5]!["tools"]);
    expect(items[6]).toMatchObject({ name: "list", namespace: "mcp__linear__" });
    expect((body["tools"] as Record<string, unknown>[]).map((t) => t["type"])).toEqual(["function", "custom", "tool_search", "namespace", "web_search"]);
  });

  it("phase is warned about on a backend of another format", () => {
    const lost = codecs.responses.crossFormatWarnings?.(request) ?? [];
    expect(lost.map((w) => [w.code, w.path])).toEqual([["field_dropped", "input"]]);
  });
});

describe("flatToolName", () => {
  it.each([
    ["mcp__github__", "create_issue", "mcp__github__create_issue"],
    ["mcp__codex_apps__gmail", "_search_emails", "mcp__codex_apps__gmail_search_emails"],
    ["files", "read", "files__read"],
    ["my.server", "do it", "my_server__do_it_f3c0b7a8"],
  ])("%s + %s -> %s", (ns, name, flat) => {
    const out = flatToolName(ns, name);
    if (flat.endsWith("_f3c0b7a8")) {
      expect(out).toMatch(/^my_server__do_it_[0-9a-f]{8}$/);
    } else expect(out).toBe(flat);
  });

  it("long names are cut to 64 characters with a hash, distinct for distinct inputs", () => {
    const a = flatToolName("n".repeat(40), "a".repeat(40));
    const b = flatToolName("n".repeat(40), `${"a".repeat(39)}b`);
    expect(a.length).toBe(64);
    expect(a).not.toBe(b);
  });

  it("two namespaces whose names would collide get distinct hub names", () => {
    const { value } = decode({
      input: "x",
      tools: [
        { type: "function", name: "a__b" },
        { type: "namespace", name: "a", tools: [{ type: "function", name: "b" }] },
      ],
    });
    expect(value.tools?.map((t) => t.name)).toEqual(["a__b", "a__b_2"]);
  });
});

describe("CustomInputStream", () => {
  const cases = [PATCH, "", "plain", 'quote " backslash \\ unicode \u00e9 \ud83d\ude00 control \u0001'];
  it.each(cases)("reads %j the same at every split point", (text) => {
    const args = JSON.stringify({ input: text });
    for (let cut = 0; cut <= args.length; cut++) {
      const s = new CustomInputStream();
      const streamed = s.push(args.slice(0, cut)) + s.push(args.slice(cut));
      expect(streamed).toBe(text);
      expect(s.result()).toBe(text);
    }
  });

  it("one character at a time, with spaces around the key", () => {
    const args = `{ "input" : ${JSON.stringify(PATCH)} }`;
    const s = new CustomInputStream();
    let out = "";
    for (const c of args) out += s.push(c);
    expect(out).toBe(PATCH);
  });

  it("arguments of another shape are read whole", () => {
    const s = new CustomInputStream();
    expect(s.push('{"patch": "x"}')).toBe("");
    expect(s.streamed).toBe(false);
    expect(s.result()).toBe("x");
  });
});

describe("tool_choice naming a client tool", () => {
  const { value: request } = decode({ input: "x", tools: codexTools, tool_choice: { type: "custom", name: "apply_patch" } });

  it("forces the function on the backend and is echoed as the client named it", () => {
    expect(codecs.chat.encodeRequest(request, { model: "up" }).value["tool_choice"]).toEqual({ type: "function", function: { name: "apply_patch" } });
    const json = codecs.responses.encodeResponse(
      { id: "x", model: "up", created: 1, choices: [{ index: 0, content: [{ type: "text", text: "ok" }], finishReason: "stop" }] },
      { ctx: createTestContext(), request, model: "m" },
    ).value;
    expect(json["tool_choice"]).toEqual({ type: "custom", name: "apply_patch" });
  });

  it("a namespace's function is chosen by its hub name", () => {
    const { value } = decode({ input: "x", tools: codexTools, tool_choice: { type: "function", name: "create_issue", namespace: "mcp__github__" } });
    expect(value.toolChoice).toEqual({ type: "tool", name: "mcp__github__create_issue" });
    expect(codecs.messages.encodeRequest(value, { model: "c" }).value["tool_choice"]).toEqual({ type: "tool", name: "mcp__github__create_issue" });
  });
});

describe("items of a server-run tool search", () => {
  it("are dropped with a warning, not refused", () => {
    const { value, warnings } = decode({
      input: [
        { type: "message", role: "user", content: "x" },
        { type: "tool_search_call", id: "tsc_1", call_id: null, execution: "server", status: "completed", arguments: { paths: ["a"] } },
        { type: "tool_search_output", id: "tso_1", call_id: null, execution: "server", status: "completed", tools: [] },
      ],
    });
    expect(value.messages).toHaveLength(1);
    expect(warnings.map((w) => [w.code, w.path])).toEqual([
      ["content_dropped", "input[1]"],
      ["content_dropped", "input[2]"],
    ]);
  });
});

describe("a namespace member that is not a function", () => {
  it("is dropped with a warning; the namespace's functions stay", () => {
    const { value, warnings } = decode({
      input: "x",
      tools: [
        {
          type: "namespace",
          name: "ns",
          tools: [
            { type: "custom", name: "exec" },
            { type: "function", name: "wait" },
          ],
        },
      ],
    });
    expect(value.tools?.map((t) => t.name)).toEqual(["ns__wait"]);
    expect(warnings.map((w) => [w.code, w.path])).toEqual([["tool_dropped", "tools[0].tools[0]"]]);
  });
});
