// A Responses client's hosted web_search: Anthropic's own search tool on an Anthropic backend (its
// options mapped, the rest warned about), dropped with a warning on a Chat backend, sent back as it
// was to a Responses backend; and the search Anthropic reports (server_tool_use + its result) as a
// web_search_call item, in JSON and in a stream that keeps the event grammar.

import { describe, expect, it } from "vitest";
import { codecs } from "../codecs.js";
import type { TranslationWarning } from "../ir.js";
import { checkResponsesGrammar } from "../shared/testing/responses-grammar.js";
import { decodeAll, encodeAll, parseSse, sseEvents } from "../shared/testing/sse-replay.js";
import { createTestContext } from "../shared/testing/test-context.js";

const WEB_SEARCH = {
  type: "web_search",
  filters: { allowed_domains: ["example.com", "docs.example.org"] },
  user_location: { type: "approximate", city: "Paris", country: "FR", region: null, timezone: "Europe/Paris" },
  search_context_size: "high",
};
const FN = { type: "function", name: "lookup", parameters: { type: "object", properties: {} } };

function decode(body: Record<string, unknown>) {
  return codecs.responses.decodeRequest({ model: "m", input: "What is new?", ...body });
}

describe("a web_search tool in the request", () => {
  const { value: request, warnings } = decode({ tools: [FN, WEB_SEARCH], max_tool_calls: 3 });

  it("becomes Anthropic's web_search_20250305 with domains, location and max_uses; what has no place is warned about", () => {
    expect(warnings).toEqual([]);
    const { value: body, warnings: encoded } = codecs.messages.encodeRequest(request, { model: "claude" });
    expect(body["tools"]).toEqual([
      { name: "lookup", input_schema: { type: "object", properties: {} } },
      {
        type: "web_search_20250305",
        name: "web_search",
        allowed_domains: ["example.com", "docs.example.org"],
        user_location: { type: "approximate", city: "Paris", country: "FR", timezone: "Europe/Paris" },
        max_uses: 3,
      },
    ]);
    expect(encoded).toContainEqual({ code: "field_dropped", path: "tools[1].search_context_size", message: expect.stringContaining("search_context_size") });
  });

  it("a bare web_search is Anthropic's tool with no options and no warning about it", () => {
    const { value } = decode({ tools: [{ type: "web_search_preview" }] });
    const { value: body, warnings: encoded } = codecs.messages.encodeRequest(value, { model: "claude" });
    expect(body["tools"]).toEqual([{ type: "web_search_20250305", name: "web_search" }]);
    expect(encoded.filter((w) => w.path.startsWith("tools"))).toEqual([]);
  });

  it("is dropped with a warning on a Chat backend", () => {
    const { value: body, warnings: encoded } = codecs.chat.encodeRequest(request, { model: "up" });
    expect((body["tools"] as Array<{ function: { name: string } }>).map((t) => t.function.name)).toEqual(["lookup"]);
    expect(encoded).toContainEqual({ code: "tool_dropped", path: "tools[1]", message: expect.stringContaining("'web_search'") });
  });

  it("goes to a Responses backend as the client sent it", () => {
    const body = codecs.responses.encodeRequest(request, { model: "gpt" }).value;
    expect((body["tools"] as unknown[])[1]).toEqual(WEB_SEARCH);
  });

  it.each([
    [{ ...WEB_SEARCH, filters: "x" }, "tools[0].filters"],
    [{ ...WEB_SEARCH, user_location: { city: 7 } }, "tools[0].user_location.city"],
    [{ ...WEB_SEARCH, filters: { allowed_domains: [1] } }, "tools[0].filters.allowed_domains"],
  ])("a malformed web_search %j is a 400 naming %s", (tool, param) => {
    let err: unknown;
    try {
      decode({ tools: [tool] });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ status: 400 });
    expect(String((err as { param?: string }).param)).toContain(param);
  });
});

const SEARCH_RESULTS = [
  { type: "web_search_result", url: "https://example.com/news", title: "News", encrypted_content: "enc1", page_age: "April 1, 2026" },
  { type: "web_search_result", url: "https://docs.example.org/a", title: "Docs", encrypted_content: "enc2" },
];
const CITATION = { type: "web_search_result_location", url: "https://example.com/news", title: "News", encrypted_index: "ix", cited_text: "It shipped." };

/** An Anthropic answer that searched, as Anthropic returns it. */
const anthropicMessage = {
  id: "msg_ws",
  type: "message",
  role: "assistant",
  model: "claude",
  content: [
    { type: "text", text: "Let me search." },
    { type: "server_tool_use", id: "srvtoolu_01abc", name: "web_search", input: { query: "what shipped" } },
    { type: "web_search_tool_result", tool_use_id: "srvtoolu_01abc", content: SEARCH_RESULTS },
    { type: "server_tool_use", id: "srvtoolu_02def", name: "web_search", input: { query: "more" } },
    { type: "web_search_tool_result", tool_use_id: "srvtoolu_02def", content: { type: "web_search_tool_result_error", error_code: "max_uses_exceeded" } },
    { type: "text", text: "It shipped.", citations: [CITATION] },
  ],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 100, output_tokens: 20, server_tool_use: { web_search_requests: 1 } },
};

const EXPECTED_SEARCHES = [
  {
    id: "ws_01abc",
    type: "web_search_call",
    status: "completed",
    action: {
      type: "search",
      query: "what shipped",
      sources: [
        { type: "url", url: "https://example.com/news" },
        { type: "url", url: "https://docs.example.org/a" },
      ],
    },
  },
  { id: "ws_02def", type: "web_search_call", status: "failed", action: { type: "search", query: "more" } },
];

/** The answer as Anthropic streams it; `citationsFirst` sends a block's citations before its text (either order is seen). */
function anthropicStream(citationsFirst = false): string {
  const ev = (data: Record<string, unknown>) => `event: ${String(data["type"])}\ndata: ${JSON.stringify(data)}\n\n`;
  const frames = [
    ev({ type: "message_start", message: { ...anthropicMessage, content: [], stop_reason: null, usage: { input_tokens: 100, output_tokens: 1 } } }),
  ];
  anthropicMessage.content.forEach((block, index) => {
    if (block.type === "text") {
      frames.push(ev({ type: "content_block_start", index, content_block: { type: "text", text: "" } }));
      const citations = (block.citations ?? []).map((citation) => ev({ type: "content_block_delta", index, delta: { type: "citations_delta", citation } }));
      if (citationsFirst) frames.push(...citations);
      const text = block.text ?? "";
      frames.push(ev({ type: "content_block_delta", index, delta: { type: "text_delta", text: text.slice(0, 3) } }));
      frames.push(ev({ type: "content_block_delta", index, delta: { type: "text_delta", text: text.slice(3) } }));
      if (!citationsFirst) frames.push(...citations);
    } else if (block.type === "server_tool_use") {
      frames.push(ev({ type: "content_block_start", index, content_block: { ...block, input: {} } }));
      const json = JSON.stringify(block.input);
      frames.push(ev({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: json.slice(0, 5) } }));
      frames.push(ev({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: json.slice(5) } }));
    } else frames.push(ev({ type: "content_block_start", index, content_block: block }));
    frames.push(ev({ type: "content_block_stop", index }));
  });
  frames.push(ev({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 20 } }));
  frames.push(ev({ type: "message_stop" }));
  return frames.join("");
}

describe("a search Anthropic ran, for a Responses client", () => {
  const { value: request } = decode({ tools: [WEB_SEARCH], stream: true });

  it("JSON: each search is a web_search_call item between the messages, with its query and sources", () => {
    const ctx = createTestContext();
    const { value: hub, warnings } = codecs.messages.decodeResponse(anthropicMessage, ctx);
    expect(warnings).toEqual([]);
    const json = codecs.responses.encodeResponse(hub, { ctx, request, model: "m" }).value;
    const output = json["output"] as Array<Record<string, unknown>>;
    expect(output.map((i) => i["type"])).toEqual(["message", "web_search_call", "web_search_call", "message"]);
    expect(output.slice(1, 3)).toEqual(EXPECTED_SEARCHES);
    expect(output[3]).toMatchObject({ content: [{ type: "output_text", text: "It shipped." }] });
    expect(json["output_text"]).toBe("Let me search.It shipped.");
    // The citation names a page for its whole block: a url_citation spanning that text.
    expect((output[3]!["content"] as Array<Record<string, unknown>>)[0]!["annotations"]).toEqual([
      { type: "url_citation", url: "https://example.com/news", title: "News", start_index: 0, end_index: "It shipped.".length },
    ]);
  });

  it("JSON, for a Chat client: the citation is a url_citation over its text in the joined message", () => {
    const ctx = createTestContext();
    const hub = codecs.messages.decodeResponse(anthropicMessage, ctx).value;
    const encoded = codecs.chat.encodeResponse(hub, { ctx, request, model: "m" });
    const message = (encoded.value["choices"] as Array<{ message: Record<string, unknown> }>)[0]!.message;
    expect(message["content"]).toBe("Let me search.It shipped.");
    const start = "Let me search.".length;
    expect(message["annotations"]).toEqual([
      { type: "url_citation", url_citation: { url: "https://example.com/news", title: "News", start_index: start, end_index: start + "It shipped.".length } },
    ]);
    expect(encoded.warnings.filter((w) => w.path.includes("annotations"))).toEqual([]);
  });

  it("stream: added, in_progress, searching, completed, done for each search; the grammar holds; the same items as JSON", () => {
    const ctx = createTestContext();
    const warnings: TranslationWarning[] = [];
    const events = decodeAll(codecs.messages.createStreamDecoder(warnings), parseSse(anthropicStream()));
    expect(warnings).toEqual([]);
    const sse = encodeAll(codecs.responses.createStreamEncoder({ ctx, request, model: "m" }), events);
    const grammar = checkResponsesGrammar(sse);
    expect(grammar.violations).toEqual([]);
    expect(grammar.terminalType).toBe("response.completed");
    const frames = sseEvents(sse).map((e) => e.data);
    const first = frames.filter((d) => d["item_id"] === "ws_01abc" || (d["item"] as { id?: string } | undefined)?.id === "ws_01abc").map((d) => d["type"]);
    expect(first).toEqual([
      "response.output_item.added",
      "response.web_search_call.in_progress",
      "response.web_search_call.searching",
      "response.web_search_call.completed",
      "response.output_item.done",
    ]);
    const added = frames.find((d) => d["type"] === "response.output_item.added" && (d["item"] as { id: string }).id === "ws_01abc");
    expect(added?.["item"]).toEqual({ id: "ws_01abc", type: "web_search_call", status: "in_progress", action: { type: "search" } });
    // A failed search has no .completed event.
    expect(frames.filter((d) => d["item_id"] === "ws_02def").map((d) => d["type"])).toEqual([
      "response.web_search_call.in_progress",
      "response.web_search_call.searching",
    ]);
    const terminal = grammar.terminal?.["output"] as Array<Record<string, unknown>>;
    expect(terminal.map((i) => i["type"])).toEqual(["message", "web_search_call", "web_search_call", "message"]);
    expect(terminal.slice(1, 3)).toEqual(EXPECTED_SEARCHES);
  });

  it.each([false, true])(
    "stream (citations first: %s): the citation is a url_citation over its block's text, for Responses and Chat clients",
    (citationsFirst) => {
      const events = decodeAll(codecs.messages.createStreamDecoder([]), parseSse(anthropicStream(citationsFirst)));
      const expected = { type: "url_citation", url: "https://example.com/news", title: "News", start_index: 0, end_index: "It shipped.".length };
      const sse = encodeAll(codecs.responses.createStreamEncoder({ ctx: createTestContext(), request, model: "m" }), events);
      const grammar = checkResponsesGrammar(sse);
      expect(grammar.violations).toEqual([]);
      const added = sseEvents(sse)
        .map((e) => e.data)
        .filter((d) => d["type"] === "response.output_text.annotation.added");
      expect(added.map((d) => d["annotation"])).toEqual([expected]);
      const terminal = grammar.terminal?.["output"] as Array<{ content?: Array<Record<string, unknown>> }>;
      expect(terminal[3]!.content![0]!["annotations"]).toEqual([expected]);

      const chatRequest = codecs.chat.decodeRequest({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }).value;
      const chat = sseEvents(encodeAll(codecs.chat.createStreamEncoder({ ctx: createTestContext(), request: chatRequest, model: "m" }), events))
        .map((e) => e.data)
        .filter((d) => typeof d === "object" && d !== null && "choices" in d);
      const deltas = chat.flatMap((d) => (d["choices"] as Array<{ delta: Record<string, unknown> }>).map((c) => c.delta));
      const content = deltas.map((d) => (typeof d["content"] === "string" ? d["content"] : "")).join("");
      expect(content).toBe("Let me search.It shipped.");
      const start = "Let me search.".length;
      expect(deltas.flatMap((d) => (d["annotations"] as unknown[] | undefined) ?? [])).toEqual([
        { type: "url_citation", url_citation: { url: expected.url, title: "News", start_index: start, end_index: start + "It shipped.".length } },
      ]);
    },
  );

  it("a search with no result yet (the turn paused) is dropped with a warning, JSON and stream", () => {
    const paused = { ...anthropicMessage, content: anthropicMessage.content.slice(0, 2), stop_reason: "pause_turn" };
    const { value: hub, warnings } = codecs.messages.decodeResponse(paused, createTestContext());
    expect(hub.choices[0]!.content.map((p) => p.type)).toEqual(["text"]);
    expect(warnings).toEqual([{ code: "content_dropped", path: "content[1]", message: expect.stringContaining("no result") }]);
    const streamed: TranslationWarning[] = [];
    const frames = anthropicStream()
      .split("\n\n")
      .filter((f) => !/"index":[2-5]/.test(f) && f !== "");
    const events = decodeAll(codecs.messages.createStreamDecoder(streamed), parseSse(frames.map((f) => `${f}\n\n`).join("")));
    expect(events.filter((e) => e.type === "web_search_call")).toEqual([]);
    expect(streamed).toEqual([{ code: "content_dropped", path: "content[1]", message: expect.stringContaining("no result") }]);
  });

  it("a Chat client of the same answer gets the text and a warning for each search", () => {
    const ctx = createTestContext();
    const hub = codecs.messages.decodeResponse(anthropicMessage, ctx).value;
    const chatRequest = codecs.chat.decodeRequest({ model: "m", messages: [{ role: "user", content: "hi" }] }).value;
    const { value, warnings } = codecs.chat.encodeResponse(hub, { ctx, request: chatRequest, model: "m" });
    expect((value["choices"] as Array<{ message: { content: string } }>)[0]!.message.content).toBe("Let me search.It shipped.");
    expect(warnings.filter((w) => w.message.includes("web search"))).toHaveLength(2);
  });
});
