// Claude Code's 2026 protocol through the proxy, with `@anthropic-ai/sdk` and raw HTTP: `anthropic-beta`
// edited per backend (`model_params.anthropic_betas`), the 2026 content blocks passed byte for byte to
// and from an Anthropic upstream (relayed and parsed), adaptive thinking and effort on chat and
// Responses upstreams, the newer stop reasons, an Anthropic upstream's error wording kept, and the
// session id in the request log and the trace.

import Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";
import { anthropicFrame, chatCompletionOf, chatStreamFrames, writeSse } from "../lib/scripted.js";

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

async function proxy(yaml: string): Promise<RunningProxy> {
  const p = await startProxy(yaml);
  cleanup.push(p.close);
  return p;
}

const CLAUDE_CODE_BETAS =
  "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,mid-conversation-tool-changes-2026-07-01,thinking-token-count-2026-05-13,advanced-tool-use-2025-11-20,effort-2025-11-24";
const SESSION = "e7f15a05-5fb4-4fd2-8ef3-8f00290bfabd";

/** A Claude Code-shaped history holding the 2026 blocks, in a body as Claude Code sends it. */
function claudeCodeBody(stream: boolean): Record<string, unknown> {
  return {
    model: "claude-opus-4-8",
    max_tokens: 64000,
    thinking: { type: "adaptive", display: "omitted" },
    output_config: { effort: "max" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    metadata: { user_id: JSON.stringify({ device_id: "d", account_uuid: "", session_id: SESSION }) },
    stream,
    system: [{ type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } }],
    tools: [{ name: "Bash", description: "Run a command", input_schema: { type: "object", properties: { command: { type: "string" } } } }],
    messages: [
      { role: "user", content: [{ type: "compaction", content: "Summary: the user asked for the weather in Paris.", encrypted_content: "enc_1" }] },
      {
        role: "assistant",
        content: [
          { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "paris weather" } },
          {
            type: "web_search_tool_result",
            tool_use_id: "srvtoolu_1",
            content: [{ type: "web_search_result", url: "https://w.example", title: "W", encrypted_content: "e1" }],
          },
          { type: "server_tool_use", id: "srvtoolu_2", name: "web_fetch", input: { url: "https://w.example" } },
          {
            type: "web_fetch_tool_result",
            tool_use_id: "srvtoolu_2",
            content: {
              type: "web_fetch_result",
              url: "https://w.example",
              content: { type: "document", source: { type: "text", media_type: "text/plain", data: "sunny" } },
            },
          },
          {
            type: "code_execution_tool_result",
            tool_use_id: "srvtoolu_3",
            content: { type: "code_execution_result", stdout: "2", stderr: "", return_code: 0, content: [] },
          },
          {
            type: "text",
            text: "It is sunny.",
            citations: [{ type: "web_search_result_location", url: "https://w.example", title: "W", encrypted_index: "i1", cited_text: "sunny" }],
          },
        ],
      },
      {
        role: "user",
        content: [
          { type: "container_upload", file_id: "file_1" },
          { type: "search_result", source: "kb://1", title: "KB", content: [{ type: "text", text: "note" }] },
          { type: "text", text: "And tomorrow?" },
        ],
      },
    ],
  };
}

/** An Anthropic stream with the 2026 blocks and their deltas, ending in `stopReason`. */
function anthropicStream(stopReason: string): string[] {
  return [
    anthropicFrame("message_start", {
      message: {
        id: "msg_up",
        type: "message",
        role: "assistant",
        model: "claude-opus-4-8",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 30, output_tokens: 1 },
      },
    }),
    anthropicFrame("content_block_start", { index: 0, content_block: { type: "compaction", content: null, encrypted_content: null } }),
    anthropicFrame("content_block_delta", { index: 0, delta: { type: "compaction_delta", content: "Summary so far.", encrypted_content: "enc_2" } }),
    anthropicFrame("content_block_stop", { index: 0 }),
    anthropicFrame("content_block_start", { index: 1, content_block: { type: "server_tool_use", id: "srvtoolu_9", name: "web_search", input: {} } }),
    anthropicFrame("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: '{"query":"paris tomorrow"}' } }),
    anthropicFrame("content_block_stop", { index: 1 }),
    anthropicFrame("content_block_start", {
      index: 2,
      content_block: {
        type: "web_search_tool_result",
        tool_use_id: "srvtoolu_9",
        content: [{ type: "web_search_result", url: "https://w.example/2", title: "W2", encrypted_content: "e2" }],
      },
    }),
    anthropicFrame("content_block_stop", { index: 2 }),
    anthropicFrame("content_block_start", { index: 3, content_block: { type: "text", text: "" } }),
    anthropicFrame("content_block_delta", {
      index: 3,
      delta: {
        type: "citations_delta",
        citation: { type: "web_search_result_location", url: "https://w.example/2", title: "W2", encrypted_index: "i2", cited_text: "rain" },
      },
    }),
    anthropicFrame("content_block_delta", { index: 3, delta: { type: "text_delta", text: "Rain tomorrow." } }),
    anthropicFrame("content_block_stop", { index: 3 }),
    anthropicFrame("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 20 } }),
    anthropicFrame("message_stop"),
  ];
}

function anthropicProxy(up: Upstream, extra = ""): Promise<RunningProxy> {
  return proxy(`
model_list:
  - model_name: claude-opus-4-8
    model_params:
      api_type: anthropic
      api_base: ${up.url}
      api_key: sk-up
      anthropic_betas: { drop: [interleaved-thinking-2025-05-14, "context-management-*"], add: [gateway-2026-01-01] }
${extra}
router_settings: { num_retries: 1, retry_base_delay_ms: 1, retry_max_delay_ms: 2 }
`);
}

function post(p: RunningProxy, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${p.url}/v1/messages?beta=true`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": "test-key",
      "anthropic-version": "2023-06-01",
      "anthropic-beta": CLAUDE_CODE_BETAS,
      "x-claude-code-session-id": SESSION,
      ...headers,
    },
    body,
  });
}

const EDITED_BETAS =
  "claude-code-20250219,mid-conversation-tool-changes-2026-07-01,thinking-token-count-2026-05-13,advanced-tool-use-2025-11-20,effort-2025-11-24,gateway-2026-01-01";

describe("an Anthropic upstream: betas edited, 2026 blocks untouched", () => {
  it("relayed: the body and the answer stream pass byte for byte; the betas are dropped and added", async () => {
    const frames = anthropicStream("pause_turn");
    const up = await upstream((_req, res) => writeSse(res, frames, 1));
    const p = await anthropicProxy(up);
    const sent = JSON.stringify(claudeCodeBody(true));
    const res = await post(p, sent);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(frames.join(""));
    const seen = up.requests[0]!;
    expect(seen.url).toBe("/v1/messages");
    expect(seen.body).toBe(sent);
    expect(seen.headers["anthropic-beta"]).toBe(EDITED_BETAS);
    expect(seen.headers["anthropic-version"]).toBe("2023-06-01");
    expect(seen.headers["x-api-key"]).toBe("sk-up");
    const line = p.logs().find((l) => l.msg === "request");
    expect(line).toMatchObject({ session: SESSION, status: 200, backend: "claude-opus-4-8" });
  });

  it("parsed (the route sets a parameter): every 2026 block reaches the upstream as the client sent it", async () => {
    const frames = anthropicStream("end_turn");
    const up = await upstream((_req, res) => writeSse(res, frames, 1));
    const p = await anthropicProxy(up, "      parameters: { temperature: 0.5 }");
    const body = claudeCodeBody(true);
    const res = await post(p, JSON.stringify(body));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(frames.join(""));
    const seen = up.requests[0]!;
    expect(seen.json).toEqual({ ...body, temperature: 0.5 });
    expect(seen.headers["anthropic-beta"]).toBe(EDITED_BETAS);
  });

  it("the Anthropic SDK's beta client reads the relayed 2026 stream to the end", async () => {
    const up = await upstream((_req, res) => writeSse(res, anthropicStream("pause_turn"), 1));
    const p = await anthropicProxy(up);
    const c = new Anthropic({ baseURL: p.url, apiKey: "test-key", maxRetries: 0 });
    const message = await c.beta.messages
      .stream({
        model: "claude-opus-4-8",
        max_tokens: 1024,
        betas: ["interleaved-thinking-2025-05-14", "compact-2026-01-12"],
        messages: [{ role: "user", content: "Weather?" }],
      })
      .finalMessage();
    expect(message.stop_reason).toBe("pause_turn");
    expect(message.content.map((b) => b.type)).toEqual(["compaction", "server_tool_use", "web_search_tool_result", "text"]);
    const text = message.content[3];
    expect(text?.type === "text" ? text.citations?.[0] : undefined).toMatchObject({ cited_text: "rain" });
    expect(up.requests[0]!.headers["anthropic-beta"]).toBe("compact-2026-01-12,gateway-2026-01-01");
  });
});

describe("an Anthropic upstream's errors keep their wording", () => {
  const tooLong = {
    type: "error",
    error: { type: "invalid_request_error", message: "prompt is too long: 212345 tokens > 200000 maximum" },
    request_id: "req_011",
  };
  const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" }, request_id: "req_012" };

  it.each([
    ["a 400 (answered at once)", 400, tooLong, 1],
    ["a 529 (after the retries ran out)", 529, overloaded, 2],
  ])("%s reaches the client byte for byte, JSON and stream alike", async (_name, status, errorBody, calls) => {
    const raw = JSON.stringify(errorBody);
    const up = await upstream((_req, res) => {
      res.writeHead(status, { "content-type": "application/json", "request-id": "req_x" });
      res.end(raw);
    });
    const p = await anthropicProxy(up);
    for (const stream of [false, true]) {
      const res = await post(p, JSON.stringify({ ...claudeCodeBody(stream) }));
      expect(res.status).toBe(status);
      expect(await res.text()).toBe(raw);
    }
    expect(up.requests).toHaveLength(2 * calls);
    const c = new Anthropic({ baseURL: p.url, apiKey: "test-key", maxRetries: 0 });
    const err = await c.messages.create({ model: "claude-opus-4-8", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String((err as InstanceType<typeof Anthropic.APIError>).message)).toContain(errorBody.error.message);
  });
});

describe("adaptive thinking, effort and the 2026 blocks on OpenAI-format upstreams", () => {
  it("chat: effort max → reasoning_effort xhigh; the history's blocks translated or dropped; pause-free answer streams", async () => {
    const up = await upstream(async (req, res) => {
      if (req.json?.stream === true) await writeSse(res, chatStreamFrames({ text: ["Rain ", "tomorrow."] }));
      else sendJson(res, 200, chatCompletionOf({ text: ["Rain tomorrow."] }));
    });
    const p = await proxy(`
model_list:
  - model_name: claude-opus-4-8
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-model, supports_reasoning: true }
router_settings: { num_retries: 0 }
`);
    for (const stream of [false, true]) {
      const res = await post(p, JSON.stringify(claudeCodeBody(stream)));
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain("Rain");
      if (stream) expect(text).toContain('"stop_reason":"end_turn"');
    }
    const sent = up.requests[0]!.json!;
    expect(sent.reasoning_effort).toBe("xhigh");
    expect(up.requests[0]!.headers["anthropic-beta"]).toBeUndefined();
    const messages = sent.messages as Array<{ role: string; content: unknown }>;
    expect(JSON.stringify(messages)).toContain("Summary: the user asked for the weather in Paris.");
    expect(JSON.stringify(messages)).not.toContain("srvtoolu_1");
    const assistant = messages.find((m) => m.role === "assistant");
    expect(assistant?.content).toBe("It is sunny.");
  });

  it("Responses: effort → reasoning.effort; an Anthropic SDK client gets the answer", async () => {
    const up = await upstream((req, res) =>
      sendJson(res, 200, {
        id: "resp_up",
        object: "response",
        created_at: 1700000000,
        status: "completed",
        model: "gpt-up",
        output: [
          {
            id: "msg_up",
            type: "message",
            status: "completed",
            role: "assistant",
            content: [{ type: "output_text", text: "Rain tomorrow.", annotations: [] }],
          },
        ],
        usage: { input_tokens: 30, output_tokens: 4, total_tokens: 34 },
      }),
    );
    const p = await proxy(`
model_list:
  - model_name: claude-opus-4-8
    model_params: { api_type: openai-responses, api_base: ${up.url}, api_key: sk-up, model: gpt-up }
router_settings: { num_retries: 0 }
`);
    const res = await post(p, JSON.stringify(claudeCodeBody(false)));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ type: "message", stop_reason: "end_turn", content: [{ type: "text", text: "Rain tomorrow." }] });
    expect(up.requests[0]!.json!.reasoning).toEqual({ effort: "xhigh" });
    const c = new Anthropic({ baseURL: p.url, apiKey: "test-key", maxRetries: 0 });
    const message = await c.messages.create({
      model: "claude-opus-4-8",
      max_tokens: 1024,
      thinking: { type: "adaptive" },
      output_config: { effort: "medium" },
      messages: [{ role: "user", content: "Weather?" }],
    });
    expect(message.content).toEqual([{ type: "text", text: "Rain tomorrow." }]);
    expect(up.requests[1]!.json!.reasoning).toEqual({ effort: "medium" });
  });
});
