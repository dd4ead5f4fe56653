// Stop reasons of streams relayed unchanged: the finish chunk (chat's finish_reason, Anthropic's
// message_delta, Responses' terminal status) is followed by far more bytes (a usage-only chunk,
// padding comments, pings, [DONE]) than the relay's last chunks hold; the ledger must still record
// how each stream ended.

import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RecordedRequest, type RunningProxy, type Upstream, chatChunk, sleep, sseHead, startProxy, startUpstream } from "../lib/harness.js";
import { DONE, anthropicFrame, chatUsageChunk } from "../lib/scripted.js";

const ADMIN = "stop-admin-pw";

/** SSE comments: ignored by every client, big enough that the finish leaves the last chunks. */
const padding = (n: number) => Array.from({ length: n }, (_, i) => `: ${String(i).padEnd(32 * 1024, ".")}\n\n`);

async function writeSpaced(res: ServerResponse, frames: string[]): Promise<void> {
  for (const f of frames) {
    res.write(f);
    // Separate reads on the proxy side: the finish chunk must not share the last chunk.
    await sleep(5);
  }
  res.end();
}

async function chatAnswer(req: RecordedRequest, res: ServerResponse): Promise<void> {
  const model = String(req.json?.model);
  sseHead(res);
  await writeSpaced(res, [
    chatChunk({ role: "assistant", content: "" }, { model }),
    chatChunk({ content: "hi" }, { model }),
    chatChunk({}, { model, finish: "length" }),
    ...padding(6),
    chatUsageChunk({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }, model),
    ...padding(2),
    DONE,
  ]);
}

async function anthropicAnswer(req: RecordedRequest, res: ServerResponse): Promise<void> {
  const model = String(req.json?.model);
  sseHead(res);
  await writeSpaced(res, [
    anthropicFrame("message_start", {
      message: { id: "msg_s", type: "message", role: "assistant", model, content: [], stop_reason: null, usage: { input_tokens: 4, output_tokens: 1 } },
    }),
    anthropicFrame("content_block_start", { index: 0, content_block: { type: "tool_use", id: "toolu_1", name: "f", input: {} } }),
    anthropicFrame("content_block_stop", { index: 0 }),
    anthropicFrame("message_delta", { delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 3 } }),
    ...padding(6),
    anthropicFrame("ping"),
    anthropicFrame("ping"),
    anthropicFrame("message_stop"),
  ]);
}

async function responsesAnswer(req: RecordedRequest, res: ServerResponse): Promise<void> {
  const model = String(req.json?.model);
  // A long answer: the terminal event's status is far from its end, where the usage is.
  const text = "x".repeat(300 * 1024);
  const item = { id: "msg_s", type: "message", status: "incomplete", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] };
  const base = { id: "resp_s", object: "response", created_at: 1, model, error: null, tools: [], metadata: {} };
  const final = {
    ...base,
    status: "incomplete",
    incomplete_details: { reason: "max_output_tokens" },
    output: [item],
    usage: { input_tokens: 6, output_tokens: 9, total_tokens: 15 },
  };
  const events = [
    { type: "response.created", response: { ...base, status: "in_progress", incomplete_details: null, output: [], usage: null } },
    { type: "response.incomplete", response: final },
  ];
  const frames = events.map((e, i) => `event: ${e.type}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`);
  // The terminal event itself arrives in many pieces.
  const last = frames.pop()!;
  const pieces: string[] = [];
  for (let i = 0; i < last.length; i += 16 * 1024) pieces.push(last.slice(i, i + 16 * 1024));
  sseHead(res);
  await writeSpaced(res, [...frames, ...pieces]);
}

describe("stop reasons of relayed streams", () => {
  let up: Upstream;
  let p: RunningProxy;

  beforeAll(async () => {
    up = await startUpstream((req, res) => {
      const answer = req.url.endsWith("/messages") ? anthropicAnswer : req.url.endsWith("/responses") ? responsesAnswer : chatAnswer;
      void answer(req, res);
    });
    p = await startProxy(
      `
model_list:
  - model_name: chat-m
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-chat }
  - model_name: claude-m
    model_params: { api_type: anthropic, api_base: ${up.url}, api_key: sk-up, model: up-claude }
  - model_name: resp-m
    model_params: { api_type: openai-responses, api_base: ${up.url}, api_key: sk-up, model: up-resp }
proxy_settings:
  usage: { flush_interval_ms: 50 }
`,
      { YALLMP_ADMIN_PASSWORD: ADMIN },
    );
  }, 30_000);

  afterAll(async () => {
    await p?.close();
    await up?.close();
  });

  it("records the finish of chat, Messages and Responses streams whose finish came long before their end", async () => {
    const calls = [
      {
        path: "/v1/chat/completions",
        body: { model: "chat-m", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] },
      },
      { path: "/v1/messages", body: { model: "claude-m", stream: true, max_tokens: 16, messages: [{ role: "user", content: "hi" }] } },
      { path: "/v1/responses", body: { model: "resp-m", stream: true, store: false, input: "hi" } },
    ];
    for (const call of calls) {
      const res = await fetch(`${p.url}${call.path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
        body: JSON.stringify(call.body),
      });
      expect(res.status).toBe(200);
      expect((await res.text()).length).toBeGreaterThan(150_000);
    }
    let rows: Array<{ model: string; stop_reasons: Record<string, number>; output_tokens: number }> = [];
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${p.url}/admin/usage?group_by=model`, { headers: { authorization: `Bearer ${ADMIN}` } });
      rows = ((await res.json()) as { data: typeof rows }).data;
      if (rows.length === 3) break;
      await sleep(50);
    }
    const byModel = Object.fromEntries(rows.map((r) => [r.model, r]));
    expect(byModel["chat-m"]?.stop_reasons).toEqual({ length: 1 });
    expect(byModel["claude-m"]?.stop_reasons).toEqual({ tool_calls: 1 });
    expect(byModel["resp-m"]?.stop_reasons).toEqual({ length: 1 });
    // The usage, read from the last bytes, still counts.
    expect([byModel["chat-m"]?.output_tokens, byModel["claude-m"]?.output_tokens, byModel["resp-m"]?.output_tokens]).toEqual([2, 3, 9]);
  });
});
