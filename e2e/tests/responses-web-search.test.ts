// A Responses client's hosted `web_search` (the `openai` SDK) through the proxy: on a loopback Anthropic
// upstream it is Anthropic's own search tool, and the searches Anthropic reports (server_tool_use +
// web_search_tool_result, shaped as Anthropic sends them) come back as web_search_call items, JSON and
// streamed; on a chat upstream it is dropped with a warning in the trace log.

import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";
import { anthropicFrame, chatCompletionOf, chatStreamFrames, writeSse } from "../lib/scripted.js";

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const WEB_SEARCH: OpenAI.Responses.WebSearchTool = {
  type: "web_search",
  filters: { allowed_domains: ["example.com"] },
  user_location: { type: "approximate", city: "Oslo", country: "NO", timezone: "Europe/Oslo" },
  search_context_size: "low",
};

const RESULTS = [
  {
    type: "web_search_result",
    url: "https://example.com/release",
    title: "Release notes",
    encrypted_content: "EqgfCioIARgBIiQ3YTAwMjY1Mi1",
    page_age: "November 30, 2026",
  },
  { type: "web_search_result", url: "https://example.com/blog", title: "Blog", encrypted_content: "EpMGCioIARgBIiQzMjA4ZDk0", page_age: null },
];
const CITATION = {
  type: "web_search_result_location",
  url: "https://example.com/release",
  title: "Release notes",
  encrypted_index: "Eo8BCioIAhgB",
  cited_text: "2.0 shipped",
};

/** Anthropic's answer to a question it searched for: text, the search, its results, a cited answer. */
const CONTENT = [
  { type: "text", text: "I'll look that up." },
  { type: "server_tool_use", id: "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE", name: "web_search", input: { query: "example 2.0 release" } },
  { type: "web_search_tool_result", tool_use_id: "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE", content: RESULTS },
  { type: "text", text: "Version 2.0 shipped.", citations: [CITATION] },
];
const USAGE = { input_tokens: 2100, output_tokens: 90, server_tool_use: { web_search_requests: 1 } };

function anthropicSse(model: string): string[] {
  const frames = [
    anthropicFrame("message_start", {
      message: {
        id: "msg_ws1",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 2100, output_tokens: 1 },
      },
    }),
  ];
  CONTENT.forEach((block, index) => {
    if (block.type === "text") {
      frames.push(anthropicFrame("content_block_start", { index, content_block: { type: "text", text: "" } }));
      frames.push(anthropicFrame("content_block_delta", { index, delta: { type: "text_delta", text: block.text } }));
      for (const citation of block.citations ?? []) frames.push(anthropicFrame("content_block_delta", { index, delta: { type: "citations_delta", citation } }));
    } else if (block.type === "server_tool_use") {
      frames.push(anthropicFrame("content_block_start", { index, content_block: { ...block, input: {} } }));
      frames.push(anthropicFrame("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: '{"query": "example' } }));
      frames.push(anthropicFrame("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: ' 2.0 release"}' } }));
    } else frames.push(anthropicFrame("content_block_start", { index, content_block: block }));
    frames.push(anthropicFrame("content_block_stop", { index }));
  });
  frames.push(
    anthropicFrame("message_delta", {
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 90, server_tool_use: { web_search_requests: 1 } },
    }),
  );
  frames.push(anthropicFrame("message_stop"));
  return frames;
}

async function proxyOn(apiType: "anthropic" | "openai"): Promise<{ up: Upstream; p: RunningProxy; openai: OpenAI }> {
  const up = await startUpstream(async (req, res) => {
    if (apiType === "openai") {
      const answer = { text: ["No search here."] };
      return req.json?.stream === true ? writeSse(res, chatStreamFrames(answer)) : sendJson(res, 200, chatCompletionOf(answer));
    }
    if (req.url !== "/v1/messages") return sendJson(res, 404, { type: "error", error: { type: "not_found_error", message: req.url } });
    const model = String(req.json?.model);
    if (req.json?.stream === true) return writeSse(res, anthropicSse(model));
    sendJson(res, 200, {
      id: "msg_ws1",
      type: "message",
      role: "assistant",
      model,
      content: CONTENT,
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: USAGE,
    });
  });
  cleanup.push(up.close);
  const p = await startProxy(`
model_list:
  - model_name: searcher
    model_params: { api_type: ${apiType}, api_base: ${up.url}, api_key: sk-up, model: up-model }
router_settings: { num_retries: 0 }
`);
  cleanup.push(p.close);
  return { up, p, openai: new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "test", maxRetries: 0 }) };
}

const EXPECTED_CALL = {
  id: "ws_01WYG3ziw53XMcoyKL4XcZmE",
  type: "web_search_call",
  status: "completed",
  action: {
    type: "search",
    query: "example 2.0 release",
    sources: [
      { type: "url", url: "https://example.com/release" },
      { type: "url", url: "https://example.com/blog" },
    ],
  },
};

const warningsOf = (p: RunningProxy) =>
  p.logs().flatMap((l) => (Array.isArray(l.warnings) ? (l.warnings as Array<{ code: string; path: string; message: string }>) : []));

describe("web_search on an Anthropic backend", () => {
  it("the backend gets web_search_20250305 with the client's domains, location and max_tool_calls as max_uses", async () => {
    const { up, p, openai } = await proxyOn("anthropic");
    // This SDK's types predate max_tool_calls; the API takes it.
    const body = { model: "searcher", input: "What shipped in example 2.0?", tools: [WEB_SEARCH], max_tool_calls: 2 };
    await openai.responses.create(body as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(up.requests[0]!.json!.tools).toEqual([
      {
        type: "web_search_20250305",
        name: "web_search",
        allowed_domains: ["example.com"],
        user_location: { type: "approximate", city: "Oslo", country: "NO", timezone: "Europe/Oslo" },
        max_uses: 2,
      },
    ]);
    // What Anthropic's tool has no place for is a structured warning, not a silent loss.
    expect(warningsOf(p)).toContainEqual({
      code: "field_dropped",
      path: "tools[0].search_context_size",
      message: expect.stringContaining("search_context_size"),
    });
  });

  it("JSON: the search is a web_search_call item with its query and sources, between the messages", async () => {
    const { openai } = await proxyOn("anthropic");
    const res = await openai.responses.create({ model: "searcher", input: "What shipped in example 2.0?", tools: [WEB_SEARCH] });
    expect(res.output.map((i) => i.type)).toEqual(["message", "web_search_call", "message"]);
    expect(res.output[1]).toEqual(EXPECTED_CALL);
    expect(res.output_text).toBe("I'll look that up.Version 2.0 shipped.");
    expect(res.status).toBe("completed");
  });

  it("stream: the SDK sees the web_search_call events, and its final response matches the JSON one", async () => {
    const { openai } = await proxyOn("anthropic");
    const stream = openai.responses.stream({ model: "searcher", input: "What shipped in example 2.0?", tools: [WEB_SEARCH] });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    const search = types.filter((t) => t.startsWith("response.web_search_call."));
    expect(search).toEqual(["response.web_search_call.in_progress", "response.web_search_call.searching", "response.web_search_call.completed"]);
    expect(types.at(-1)).toBe("response.completed");
    expect(final.output.map((i) => i.type)).toEqual(["message", "web_search_call", "message"]);
    expect(final.output[1]).toEqual(EXPECTED_CALL);
  });
});

describe("web_search on a chat backend", () => {
  it("is dropped with a tool_dropped warning; the answer still comes", async () => {
    const { up, p, openai } = await proxyOn("openai");
    const res = await openai.responses.create({ model: "searcher", input: "What shipped?", tools: [WEB_SEARCH] });
    expect(res.output_text).toBe("No search here.");
    expect(up.requests[0]!.json!.tools).toBeUndefined();
    expect(warningsOf(p)).toContainEqual({ code: "tool_dropped", path: "tools[0]", message: expect.stringContaining("'web_search'") });
  });
});
