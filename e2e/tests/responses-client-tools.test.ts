// Codex's own tools through the proxy with the `openai` SDK, on loopback Chat and Anthropic
// upstreams: the `custom` apply_patch tool (streamed input, JSON, history), a client `tool_search`
// whose found namespace tools become callable, hosted tools dropped with a warning, every Response
// object complete as the Open Responses spec has it, and `POST /v1/responses/input_tokens`.

import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";
import { type ScriptedAnswer, anthropicFrame, chatCompletionOf, chatStreamFrames, parseSse, writeSse } from "../lib/scripted.js";

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function upstream(handler: Parameters<typeof startUpstream>[0]): Promise<Upstream> {
  const u = await startUpstream(handler);
  cleanup.push(u.close);
  return u;
}

async function proxyOn(up: Upstream, apiType: "openai" | "anthropic" | "openai-responses"): Promise<RunningProxy> {
  const p = await startProxy(`
model_list:
  - model_name: coder
    model_params: { api_type: ${apiType}, api_base: ${up.url}, api_key: sk-up, model: up-model }
router_settings: { num_retries: 0 }
`);
  cleanup.push(p.close);
  return p;
}

const client = (p: RunningProxy) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "test-key", maxRetries: 0 });

/** Fields the Open Responses spec requires of every Response object (nullable ones as null). */
const REQUIRED = [
  "id",
  "object",
  "created_at",
  "completed_at",
  "status",
  "incomplete_details",
  "model",
  "previous_response_id",
  "instructions",
  "output",
  "error",
  "tools",
  "tool_choice",
  "truncation",
  "parallel_tool_calls",
  "text",
  "top_p",
  "presence_penalty",
  "frequency_penalty",
  "top_logprobs",
  "temperature",
  "reasoning",
  "user",
  "usage",
  "max_output_tokens",
  "max_tool_calls",
  "store",
  "background",
  "service_tier",
  "metadata",
  "safety_identifier",
  "prompt_cache_key",
];
const missing = (r: Record<string, unknown>) => REQUIRED.filter((k) => r[k] === undefined);

const GRAMMAR = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\nend_patch: "*** End Patch" LF?';
const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+print("hi")\n*** End Patch\n';
const applyPatch = {
  type: "custom" as const,
  name: "apply_patch",
  description: "Edit files with a patch.",
  format: { type: "grammar" as const, syntax: "lark" as const, definition: GRAMMAR },
};
const shell = {
  type: "function" as const,
  name: "shell",
  description: null,
  parameters: { type: "object", properties: { cmd: { type: "string" } } },
  strict: false,
};

/** The patch as a Chat tool call whose arguments arrive in small pieces. */
function patchCall(id: string): ScriptedAnswer {
  const args = JSON.stringify({ input: PATCH });
  const argumentFragments: string[] = [];
  for (let i = 0; i < args.length; i += 9) argumentFragments.push(args.slice(i, i + 9));
  return { toolCalls: [{ id, name: "apply_patch", argumentFragments }], usage: { prompt_tokens: 30, completion_tokens: 20, total_tokens: 50 } };
}

function chatAnswers(answers: ScriptedAnswer[]): Parameters<typeof startUpstream>[0] {
  return async (req, res, index) => {
    const a = answers[Math.min(index, answers.length - 1)]!;
    if (req.json?.stream === true) await writeSse(res, chatStreamFrames(a));
    else sendJson(res, 200, chatCompletionOf(a));
  };
}

describe("custom tools (Codex's apply_patch) on a Chat backend", () => {
  it("streams as custom_tool_call input deltas, and the output goes back as a tool message", async () => {
    const up = await upstream(chatAnswers([patchCall("call_p1"), { text: ["Created hello.txt."] }]));
    const p = await proxyOn(up, "openai");
    const openai = client(p);

    const stream = openai.responses.stream({ model: "coder", input: "create hello.txt", tools: [shell, applyPatch, { type: "web_search" }] });
    const seen: string[] = [];
    let streamedInput = "";
    const snapshots: Record<string, unknown>[] = [];
    for await (const event of stream) {
      seen.push(event.type);
      if (event.type === "response.custom_tool_call_input.delta") streamedInput += event.delta;
      if ("response" in event) snapshots.push(event.response as unknown as Record<string, unknown>);
    }
    const first = await stream.finalResponse();
    expect(seen.filter((t) => t.startsWith("response.function_call"))).toEqual([]);
    expect(seen).toContain("response.custom_tool_call_input.done");
    expect(streamedInput).toBe(PATCH);
    expect(first.output).toEqual([
      { id: expect.any(String) as string, type: "custom_tool_call", status: "completed", call_id: "call_p1", name: "apply_patch", input: PATCH },
    ]);
    // created, in_progress and completed all carry the whole object.
    expect(snapshots.map((s) => s["status"])).toEqual(["in_progress", "in_progress", "completed"]);
    for (const s of snapshots) expect(missing(s)).toEqual([]);
    expect(snapshots[0]!["completed_at"]).toBeNull();
    expect(typeof snapshots[2]!["completed_at"]).toBe("number");
    expect((first as unknown as { tools: unknown[] }).tools).toEqual([shell, applyPatch]);

    // What the backend was asked: apply_patch as a function with one string parameter, grammar in its description.
    const sentTools = up.requests[0]!.json!.tools as { function: { name: string; description: string; parameters: unknown } }[];
    expect(sentTools.map((t) => t.function.name)).toEqual(["shell", "apply_patch"]);
    expect(sentTools[1]!.function.description).toContain(GRAMMAR);
    expect(sentTools[1]!.function.parameters).toMatchObject({ properties: { input: { type: "string" } }, required: ["input"] });
    const warned = p.logs().flatMap((l) => (l["warnings"] ?? []) as { code: string; path: string }[]);
    expect(warned).toContainEqual(expect.objectContaining({ code: "tool_dropped", path: "tools[2]" }));

    const second = await openai.responses.create({
      model: "coder",
      previous_response_id: first.id,
      input: [{ type: "custom_tool_call_output", call_id: "call_p1", output: "Done! Added hello.txt" }],
      tools: [shell, applyPatch],
    });
    expect(second.output_text).toBe("Created hello.txt.");
    expect(missing(second as unknown as Record<string, unknown>)).toEqual([]);
    const history = up.requests[1]!.json!.messages as Record<string, unknown>[];
    expect(history.map((m) => m["role"])).toEqual(["user", "assistant", "tool"]);
    const call = (history[1]!["tool_calls"] as { id: string; function: { name: string; arguments: string } }[])[0]!;
    expect([call.id, call.function.name, JSON.parse(call.function.arguments)]).toEqual(["call_p1", "apply_patch", { input: PATCH }]);
    expect(history[2]).toMatchObject({ role: "tool", tool_call_id: "call_p1", content: "Done! Added hello.txt" });
  });

  it("a JSON answer carries the custom_tool_call item, and the stored Response keeps it", async () => {
    const up = await upstream(chatAnswers([patchCall("call_j")]));
    const p = await proxyOn(up, "openai");
    const r = await client(p).responses.create({ model: "coder", input: "edit", tools: [applyPatch] });
    expect(r.output).toMatchObject([{ type: "custom_tool_call", call_id: "call_j", input: PATCH }]);
    const got = await client(p).responses.retrieve(r.id);
    expect(got.output).toEqual(r.output);
    expect(missing(got as unknown as Record<string, unknown>)).toEqual([]);
  });

  it("a background request's queued Response is complete too, tools' descriptions included", async () => {
    const up = await upstream(chatAnswers([{ text: ["later"] }]));
    const p = await proxyOn(up, "openai");
    const fn = { type: "function" as const, name: "f", parameters: { type: "object" }, strict: false };
    const queued = (await client(p).responses.create({ model: "coder", input: "x", background: true, tools: [fn] } as never)) as unknown as Record<
      string,
      unknown
    >;
    expect(queued["status"]).toBe("queued");
    expect(missing(queued)).toEqual([]);
    expect(queued["tools"]).toEqual([{ ...fn, description: null }]);
  });
});

describe("tool_search with client execution and namespace tools on a Chat backend", () => {
  it("the search call comes back as tool_search_call; the tools it found become callable and map back to their namespace", async () => {
    const up = await upstream(
      chatAnswers([
        { toolCalls: [{ id: "call_s", name: "tool_search", argumentFragments: ['{"query":', '"linear issues"}'] }] },
        { toolCalls: [{ id: "call_l", name: "mcp__linear__list_issues", argumentFragments: ['{"team":"core"}'] }] },
      ]),
    );
    const p = await proxyOn(up, "openai");
    const openai = client(p);
    const toolSearch = {
      type: "tool_search",
      execution: "client",
      description: "Find MCP tools.",
      parameters: { type: "object", properties: { query: { type: "string" } } },
    };
    const body = { model: "coder", store: false, tools: [toolSearch] } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming;

    const first = await openai.responses.create({ ...body, input: "what is open in linear?" });
    const search = first.output[0] as unknown as Record<string, unknown>;
    expect(search).toMatchObject({ type: "tool_search_call", call_id: "call_s", execution: "client", arguments: { query: "linear issues" } });

    const found = [
      {
        type: "namespace",
        name: "mcp__linear__",
        description: "Linear",
        tools: [
          { type: "function", name: "list_issues", description: "Lists issues.", parameters: { type: "object", properties: { team: { type: "string" } } } },
        ],
      },
    ];
    const stream = openai.responses.stream({
      ...body,
      input: [
        { type: "message", role: "user", content: "what is open in linear?" },
        search,
        { type: "tool_search_output", call_id: "call_s", execution: "client", status: "completed", tools: found },
      ],
    } as unknown as OpenAI.Responses.ResponseCreateParamsStreaming);
    const second = await stream.finalResponse();
    expect(second.output[0]).toMatchObject({
      type: "function_call",
      call_id: "call_l",
      name: "list_issues",
      namespace: "mcp__linear__",
      arguments: '{"team":"core"}',
    });

    const sent = up.requests[1]!.json!;
    expect((sent.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual(["tool_search", "mcp__linear__list_issues"]);
    const messages = sent.messages as Record<string, unknown>[];
    expect(messages.map((m) => m["role"])).toEqual(["user", "assistant", "tool"]);
    expect(JSON.parse(String(messages[2]!["content"]))).toEqual(found);
  });
});

describe("custom tools on an Anthropic backend", () => {
  function anthropicToolUse(): string[] {
    const args = JSON.stringify({ input: PATCH });
    return [
      anthropicFrame("message_start", {
        message: {
          id: "msg_up",
          type: "message",
          role: "assistant",
          model: "up-model",
          content: [],
          stop_reason: null,
          usage: { input_tokens: 20, output_tokens: 1 },
        },
      }),
      anthropicFrame("content_block_start", { index: 0, content_block: { type: "tool_use", id: "toolu_p", name: "apply_patch", input: {} } }),
      anthropicFrame("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: args.slice(0, 25) } }),
      anthropicFrame("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: args.slice(25) } }),
      anthropicFrame("content_block_stop", { index: 0 }),
      anthropicFrame("message_delta", { delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 30 } }),
      anthropicFrame("message_stop"),
    ];
  }

  it("the tool_use comes back as a streamed custom_tool_call, and the next turn replays tool_use / tool_result", async () => {
    const up = await upstream(async (req, res, index) => {
      if (index === 0) return writeSse(res, anthropicToolUse());
      sendJson(res, 200, {
        id: "msg_2",
        type: "message",
        role: "assistant",
        model: "up-model",
        content: [{ type: "text", text: "Patched." }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 40, output_tokens: 3 },
      });
    });
    const p = await proxyOn(up, "anthropic");
    const openai = client(p);
    const stream = openai.responses.stream({ model: "coder", input: "create hello.txt", tools: [applyPatch], store: false });
    let streamedInput = "";
    for await (const event of stream) if (event.type === "response.custom_tool_call_input.delta") streamedInput += event.delta;
    const first = await stream.finalResponse();
    expect(streamedInput).toBe(PATCH);
    expect(first.output).toMatchObject([{ type: "custom_tool_call", call_id: "toolu_p", name: "apply_patch", input: PATCH }]);
    const sentTool = (up.requests[0]!.json!.tools as { name: string; description: string; input_schema: unknown }[])[0]!;
    expect(sentTool.name).toBe("apply_patch");
    expect(sentTool.description).toContain(GRAMMAR);

    const second = await openai.responses.create({
      model: "coder",
      store: false,
      tools: [applyPatch],
      input: [
        { type: "message", role: "user", content: "create hello.txt" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Patching.", annotations: [] }], phase: "commentary" },
        { type: "custom_tool_call", call_id: "toolu_p", name: "apply_patch", input: PATCH },
        { type: "custom_tool_call_output", call_id: "toolu_p", output: "Success." },
      ] as OpenAI.Responses.ResponseInput,
    });
    expect(second.output_text).toBe("Patched.");
    const messages = up.requests[1]!.json!.messages as { role: string; content: Record<string, unknown>[] }[];
    expect(messages[1]!.content).toEqual([
      { type: "text", text: "Patching." },
      { type: "tool_use", id: "toolu_p", name: "apply_patch", input: { input: PATCH } },
    ]);
    expect(messages[2]!.content[0]).toMatchObject({ type: "tool_result", tool_use_id: "toolu_p" });
    const warned = p.logs().flatMap((l) => (l["warnings"] ?? []) as { code: string; message: string }[]);
    expect(warned.some((w) => w.message.includes("phase"))).toBe(true);
  });
});

describe("POST /v1/responses/input_tokens", () => {
  it("is counted locally on a Chat backend, the stored chain included", async () => {
    const up = await upstream(chatAnswers([{ text: ["A long answer about tokens and their counting."] }]));
    const p = await proxyOn(up, "openai");
    const openai = client(p);
    const first = await openai.responses.create({ model: "coder", input: "Tell me about tokens." });
    const count = async (body: Record<string, unknown>) => {
      const res = await fetch(`${p.url}/v1/responses/input_tokens`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const alone = await count({ model: "coder", input: "And more?" });
    expect(alone.status).toBe(200);
    expect(alone.json).toEqual({ object: "response.input_tokens", input_tokens: expect.any(Number) as number });
    const chained = await count({ model: "coder", input: "And more?", previous_response_id: first.id, tools: [applyPatch] });
    expect(chained.json["input_tokens"]).toBeGreaterThan(Number(alone.json["input_tokens"]) + 10);
    expect(up.requests).toHaveLength(1);

    const unknown = await count({ model: "nope", input: "x" });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { type: expect.any(String) as string } });
    const bad = await count({ model: "coder", input: [{ type: "bogus" }] });
    expect(bad.status).toBe(400);
  });

  it("is forwarded to a Responses backend with the route's model", async () => {
    const up = await upstream((req, res) => {
      if (req.url === "/v1/responses/input_tokens") sendJson(res, 200, { object: "response.input_tokens", input_tokens: 73 });
      else sendJson(res, 404, { error: { message: "no", type: "invalid_request_error" } });
    });
    const p = await proxyOn(up, "openai-responses");
    const res = await fetch(`${p.url}/v1/responses/input_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "coder", input: "hi", tools: [applyPatch] }),
    });
    expect(await res.json()).toEqual({ object: "response.input_tokens", input_tokens: 73 });
    expect(up.requests[0]!.json).toEqual({ model: "up-model", input: "hi", tools: [applyPatch] });
  });
});

describe("Responses-only fields on a Chat backend", () => {
  it("prompt_cache_key and text.verbosity are sent; client_metadata is dropped with a warning", async () => {
    const up = await upstream(chatAnswers([{ text: ["ok"] }]));
    const p = await proxyOn(up, "openai");
    const raw = await fetch(`${p.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "coder",
        input: "hi",
        prompt_cache_key: "conv-1",
        text: { verbosity: "low" },
        client_metadata: { session: "s" },
        stream: true,
      }),
    });
    const frames = parseSse(await raw.text());
    expect(frames.at(-1)?.event).toBe("response.completed");
    expect(up.requests[0]!.json).toMatchObject({ prompt_cache_key: "conv-1", verbosity: "low" });
    expect(up.requests[0]!.json!["client_metadata"]).toBeUndefined();
    const warned = p.logs().flatMap((l) => (l["warnings"] ?? []) as { code: string; path: string }[]);
    expect(warned).toContainEqual(expect.objectContaining({ code: "field_dropped", path: "client_metadata" }));
  });
});
