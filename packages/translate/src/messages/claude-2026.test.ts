// Claude Code's 2026 protocol through the hub: adaptive thinking and effort on OpenAI backends, the
// newer stop reasons both ways, and the 2026 content blocks (server tools, citations, compaction)
// translated or dropped with a warning — in requests, JSON answers and streams — never an error.

import { describe, expect, it } from "vitest";
import { codecs } from "../codecs.js";
import type { FinishReason, StreamEvent, TranslationWarning } from "../ir.js";
import { mapChatFinishReason, toChatFinishReason } from "../chat/finish-reason.js";
import { toResponsesOutcome } from "../responses/finish-reason.js";
import { checkResponsesGrammar } from "../shared/testing/responses-grammar.js";
import { decodeAll, encodeAll, parseSse, sseEvents } from "../shared/testing/sse-replay.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { mapFinishReasonToMessages, mapMessagesStopReason } from "./finish-reason.js";

const ctx = createTestContext();

function decode(extra: Record<string, unknown>) {
  return codecs.messages.decodeRequest({ model: "claude-opus-4-8", max_tokens: 64000, messages: [{ role: "user", content: "hi" }], ...extra });
}

describe("adaptive thinking and output_config.effort on OpenAI backends", () => {
  it.each([
    ["low", "low"],
    ["medium", "medium"],
    ["high", "high"],
    ["xhigh", "xhigh"],
  ])("effort %s → chat reasoning_effort and Responses reasoning.effort %s, no warning", (effort, sent) => {
    const { value } = decode({ thinking: { type: "adaptive", display: "omitted" }, output_config: { effort } });
    const chat = codecs.chat.encodeRequest(value, { model: "up", supportsReasoning: true });
    expect(chat.value.reasoning_effort).toBe(sent);
    expect(chat.warnings.filter((w) => w.path === "reasoning.effort")).toEqual([]);
    const responses = codecs.responses.encodeRequest(value, { model: "up" });
    expect(responses.value.reasoning).toEqual({ effort: sent });
  });

  it("`max` is sent as `xhigh`, with a warning, to both OpenAI formats", () => {
    const { value } = decode({ thinking: { type: "adaptive" }, output_config: { effort: "max" } });
    const chat = codecs.chat.encodeRequest(value, { model: "up", supportsReasoning: true });
    expect(chat.value.reasoning_effort).toBe("xhigh");
    expect(chat.warnings).toContainEqual({ code: "value_adjusted", path: "reasoning.effort", message: expect.stringContaining("`max`") });
    const responses = codecs.responses.encodeRequest(value, { model: "up" });
    expect(responses.value.reasoning).toEqual({ effort: "xhigh" });
    expect(responses.warnings).toContainEqual(expect.objectContaining({ code: "value_adjusted", path: "reasoning.effort" }));
  });

  it("adaptive thinking without an effort leaves the backend's default (nothing sent)", () => {
    const { value } = decode({ thinking: { type: "adaptive" } });
    expect(codecs.chat.encodeRequest(value, { model: "up", supportsReasoning: true }).value.reasoning_effort).toBeUndefined();
    expect(codecs.responses.encodeRequest(value, { model: "up" }).value.reasoning).toBeUndefined();
  });

  it("back: a chat or Responses effort reaches an Anthropic backend as thinking with its effort's budget", () => {
    const chat = codecs.chat.decodeRequest({ model: "m", messages: [{ role: "user", content: "hi" }], reasoning_effort: "high" }).value;
    const body = codecs.messages.encodeRequest(chat, { model: "claude" }).value;
    expect(body.thinking).toEqual({ type: "enabled", budget_tokens: 4096 });
    const responses = codecs.responses.decodeRequest({ model: "m", input: "hi", reasoning: { effort: "xhigh" } }).value;
    const fromResponses = codecs.messages.encodeRequest(responses, { model: "claude" }).value;
    expect(fromResponses.thinking).toEqual({ type: "enabled", budget_tokens: 16384 });
  });
});

describe("stop reasons pause_turn, compaction, refusal, model_context_window_exceeded", () => {
  const cases: Array<[string, FinishReason, string, string]> = [
    ["pause_turn", "other", "stop", "completed"],
    ["compaction", "other", "stop", "completed"],
    ["refusal", "refusal", "content_filter", "incomplete"],
    ["model_context_window_exceeded", "length", "length", "incomplete"],
  ];

  it.each(cases)("%s → hub %s → chat %s, Responses %s; an Anthropic client gets it back as it was", (raw, hub, chat, status) => {
    expect(mapMessagesStopReason(raw)).toBe(hub);
    expect(toChatFinishReason(hub)).toBe(chat);
    expect(toResponsesOutcome([hub]).status).toBe(status);
    expect(mapFinishReasonToMessages({ reason: hub, raw })).toEqual({ stopReason: raw, stopSequence: null });
  });

  it("from OpenAI backends: content_filter → refusal, length → max_tokens", () => {
    expect(mapFinishReasonToMessages({ reason: mapChatFinishReason("content_filter"), raw: "content_filter" }).stopReason).toBe("refusal");
    expect(mapFinishReasonToMessages({ reason: mapChatFinishReason("length"), raw: "length" }).stopReason).toBe("max_tokens");
  });

  it("a JSON answer with pause_turn reaches a chat client as stop and a Responses client as completed", () => {
    const upstream = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "c",
      content: [{ type: "text", text: "…" }],
      stop_reason: "pause_turn",
      usage: { input_tokens: 1, output_tokens: 1 },
    };
    const hub = codecs.messages.decodeResponse(upstream, ctx).value;
    const request = codecs.chat.decodeRequest({ model: "m", messages: [{ role: "user", content: "hi" }] }).value;
    const chat = codecs.chat.encodeResponse(hub, { ctx, request, model: "m" }).value as { choices: Array<{ finish_reason: string }> };
    expect(chat.choices[0]!.finish_reason).toBe("stop");
    const asAnthropic = codecs.messages.encodeResponse(hub, { ctx, request, model: "m" }).value;
    expect(asAnthropic.stop_reason).toBe("pause_turn");
  });
});

describe("2026 content blocks in a request for another format", () => {
  const history = [
    { role: "user", content: [{ type: "compaction", content: "Summary: the user wants a greeting.", encrypted_content: "opaque" }] },
    {
      role: "assistant",
      content: [
        { type: "server_tool_use", id: "srvtoolu_1", name: "web_fetch", input: { url: "https://example.com" } },
        { type: "web_fetch_tool_result", tool_use_id: "srvtoolu_1", content: { type: "web_fetch_result", url: "https://example.com", content: {} } },
        { type: "server_tool_use", id: "srvtoolu_2", name: "code_execution", input: { code: "1+1" } },
        {
          type: "bash_code_execution_tool_result",
          tool_use_id: "srvtoolu_2",
          content: { type: "bash_code_execution_result", stdout: "2", stderr: "", return_code: 0, content: [] },
        },
        {
          type: "text",
          text: "Fetched.",
          citations: [{ type: "web_search_result_location", url: "https://example.com", title: "x", encrypted_index: "e", cited_text: "c" }],
        },
        { type: "tool_use", id: "toolu_1", name: "ToolSearch", input: { query: "x" } },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "tool_reference", tool_name: "mcp__github__create_issue" }] },
        { type: "container_upload", file_id: "file_1" },
        { type: "search_result", source: "s", title: "t", content: [{ type: "text", text: "r" }] },
        { type: "text", text: "go on" },
      ],
    },
    { role: "assistant", content: [{ type: "compaction", content: null }] },
    { role: "user", content: "next" },
  ];

  it("decodes without an error: compaction and tool_reference as text, the rest dropped with a warning each", () => {
    const { value, warnings } = decode({ messages: history });
    expect(value.messages[0]).toEqual({ role: "user", content: [{ type: "text", text: "Summary: the user wants a greeting." }] });
    const assistant = value.messages[1]!;
    expect(assistant.role).toBe("assistant");
    expect(assistant.content.map((p) => p.type)).toEqual(["text", "tool_call"]);
    expect(value.messages[2]).toEqual({ role: "tool", toolCallId: "toolu_1", content: [{ type: "text", text: "Tool loaded: mcp__github__create_issue" }] });
    const byPath = (w: TranslationWarning) => `${w.code} ${w.path}`;
    expect(warnings.map(byPath)).toEqual([
      "value_adjusted messages[0].content[0]",
      "content_dropped messages[1].content[0]",
      "content_dropped messages[1].content[1]",
      "content_dropped messages[1].content[2]",
      "content_dropped messages[1].content[3]",
      "value_adjusted messages[2].content[0].content[0]",
      "content_dropped messages[2].content[1]",
      "content_dropped messages[2].content[2]",
      "content_dropped messages[3].content[0]",
    ]);
    // Every backend format takes what is left.
    expect(() => codecs.chat.encodeRequest(value, { model: "up" })).not.toThrow();
    expect(() => codecs.responses.encodeRequest(value, { model: "up" })).not.toThrow();
  });

  it("an unknown block type is still a 400-class error naming the field", () => {
    expect(() => decode({ messages: [{ role: "user", content: [{ type: "hologram" }] }] })).toThrow(/messages\[0\]\.content\[0\]\.type/);
  });
});

/** An Anthropic stream with the 2026 blocks: server tools, a citation, a compaction block, stopped by pause_turn. */
function anthropicStream(stopReason: string): string {
  const ev = (data: Record<string, unknown>) => `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
  const start = (index: number, block: Record<string, unknown>) => ev({ type: "content_block_start", index, content_block: block });
  const delta = (index: number, d: Record<string, unknown>) => ev({ type: "content_block_delta", index, delta: d });
  const stop = (index: number) => ev({ type: "content_block_stop", index });
  return [
    ev({
      type: "message_start",
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude-opus-4-8",
        content: [],
        stop_reason: null,
        usage: { input_tokens: 9, output_tokens: 1 },
      },
    }),
    start(0, { type: "compaction", content: null, encrypted_content: null }),
    delta(0, { type: "compaction_delta", content: "Summary so far.", encrypted_content: "enc" }),
    stop(0),
    start(1, { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} }),
    delta(1, { type: "input_json_delta", partial_json: '{"query":"x"}' }),
    stop(1),
    start(2, {
      type: "web_search_tool_result",
      tool_use_id: "srvtoolu_1",
      content: [{ type: "web_search_result", url: "https://example.com", title: "x", encrypted_content: "e" }],
    }),
    stop(2),
    start(3, { type: "text", text: "" }),
    delta(3, {
      type: "citations_delta",
      citation: { type: "web_search_result_location", url: "https://example.com", title: "x", encrypted_index: "i", cited_text: "c" },
    }),
    delta(3, { type: "text_delta", text: "Found it." }),
    stop(3),
    ev({ type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 12 } }),
    ev({ type: "message_stop" }),
  ].join("");
}

function decodedStream(stopReason: string): { events: StreamEvent[]; warnings: TranslationWarning[] } {
  const warnings: TranslationWarning[] = [];
  const events = decodeAll(codecs.messages.createStreamDecoder(warnings), parseSse(anthropicStream(stopReason)));
  return { events, warnings };
}

describe("2026 blocks in an Anthropic stream for another format", () => {
  it("the decoder keeps the text and its citation and the web search, drops the other blocks with a warning each", () => {
    const { events, warnings } = decodedStream("pause_turn");
    expect(events.filter((e) => e.type === "error")).toEqual([]);
    expect(events.filter((e) => e.type === "tool_call_start")).toEqual([]);
    expect(events.filter((e) => e.type === "text_delta").map((e) => (e.type === "text_delta" ? e.delta : ""))).toEqual(["Found it.", ""]);
    expect(events).toContainEqual({ type: "finish", choice: 0, reason: "other", raw: "pause_turn" });
    expect(events).toContainEqual({
      type: "web_search_call",
      choice: 0,
      call: { type: "web_search_call", id: "srvtoolu_1", status: "completed", query: "x", sources: [{ url: "https://example.com", title: "x" }] },
    });
    expect(warnings.map((w) => [w.code, w.path, w.message.split("`")[1]])).toEqual([["content_dropped", "content[0]", "compaction"]]);
  });

  it("a chat client gets the text, then finish_reason stop and [DONE]", () => {
    const { events } = decodedStream("pause_turn");
    const request = codecs.chat.decodeRequest({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }).value;
    const sse = encodeAll(codecs.chat.createStreamEncoder({ ctx, request, model: "m" }), events);
    expect(sse.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const chunks = sseEvents(sse).map((e) => e.data as { choices?: Array<{ delta?: { content?: string }; finish_reason?: string | null }> });
    expect(
      chunks
        .flatMap((c) => c.choices ?? [])
        .map((c) => c.delta?.content ?? "")
        .join(""),
    ).toBe("Found it.");
    expect(
      chunks
        .flatMap((c) => c.choices ?? [])
        .map((c) => c.finish_reason)
        .filter(Boolean),
    ).toEqual(["stop"]);
  });

  it.each([
    ["pause_turn", "response.completed"],
    ["refusal", "response.incomplete"],
    ["model_context_window_exceeded", "response.incomplete"],
  ])("a Responses client gets a stream that keeps the grammar (%s → %s)", (stopReason, terminal) => {
    const { events } = decodedStream(stopReason);
    const request = codecs.responses.decodeRequest({ model: "m", input: "hi", stream: true }).value;
    const sse = encodeAll(codecs.responses.createStreamEncoder({ ctx, request, model: "m" }), events);
    const grammar = checkResponsesGrammar(sse);
    expect(grammar.violations).toEqual([]);
    expect(grammar.terminalType).toBe(terminal);
  });

  it("an Anthropic client of another backend's stream gets pause_turn back from the raw reason", () => {
    const { events } = decodedStream("pause_turn");
    const request = decode({ stream: true }).value;
    const sse = encodeAll(codecs.messages.createStreamEncoder({ ctx, request, model: "m" }), events);
    const delta = sseEvents(sse).find((e) => e.event === "message_delta");
    expect(delta?.data).toMatchObject({ delta: { stop_reason: "pause_turn" } });
  });
});
