// Scripting helpers for real-client tests: chat-completions and Anthropic SSE streams as upstreams
// send them, and a small SSE parser to read what the proxy sent a client, frame by frame.

import type { ServerResponse } from "node:http";
import { chatChunk, sleep, sseHead } from "./harness.js";

/** One parsed SSE frame (`event:` name if any, joined `data:` lines, and the data as JSON when it is). */
export interface SseFrameSeen {
  event: string | undefined;
  data: string;
  json: any;
}

/** Splits SSE text into frames (comment-only frames are skipped). */
export function parseSse(text: string): SseFrameSeen[] {
  const out: SseFrameSeen[] = [];
  for (const block of text.replace(/\r\n/g, "\n").split("\n\n")) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (event === undefined && data.length === 0) continue;
    const joined = data.join("\n");
    let json: unknown;
    try {
      json = JSON.parse(joined);
    } catch {
      json = undefined;
    }
    out.push({ event, data: joined, json });
  }
  return out;
}

/** Writes an SSE head, then each frame with a small pause (so they arrive as separate chunks), then ends. */
export async function writeSse(res: ServerResponse, frames: string[], delayMs = 2): Promise<void> {
  sseHead(res);
  for (const f of frames) {
    res.write(f);
    if (delayMs > 0) await sleep(delayMs);
  }
  res.end();
}

/** The include_usage chunk: empty choices, usage only. */
export function chatUsageChunk(usage: Record<string, unknown>, model = "up-model"): string {
  return `data: ${JSON.stringify({ id: "chatcmpl-up", object: "chat.completion.chunk", created: 1700000000, model, choices: [], usage })}\n\n`;
}

export const DONE = "data: [DONE]\n\n";

export interface ScriptedAnswer {
  reasoning?: string[];
  text?: string[];
  /** Tool calls, each with its arguments split into the fragments the upstream streams. */
  toolCalls?: Array<{ id: string; name: string; argumentFragments: string[] }>;
  finish?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number; [k: string]: unknown };
  model?: string;
}

/** A realistic chat-completions SSE stream: role chunk, reasoning, text, fragmented tool calls, finish, usage, [DONE]. */
export function chatStreamFrames(a: ScriptedAnswer): string[] {
  const model = a.model ?? "up-model";
  const o = { model };
  const frames = [chatChunk({ role: "assistant", content: "" }, o)];
  for (const r of a.reasoning ?? []) frames.push(chatChunk({ reasoning_content: r }, o));
  for (const t of a.text ?? []) frames.push(chatChunk({ content: t }, o));
  (a.toolCalls ?? []).forEach((call, index) => {
    frames.push(chatChunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }, o));
    for (const frag of call.argumentFragments) frames.push(chatChunk({ tool_calls: [{ index, function: { arguments: frag } }] }, o));
  });
  frames.push(chatChunk({}, { ...o, finish: a.finish ?? (a.toolCalls?.length ? "tool_calls" : "stop") }));
  frames.push(chatUsageChunk(a.usage ?? { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }, model));
  frames.push(DONE);
  return frames;
}

/** The same answer as one non-streaming chat completion. */
export function chatCompletionOf(a: ScriptedAnswer): Record<string, unknown> {
  const message: Record<string, unknown> = { role: "assistant", content: a.text?.length ? a.text.join("") : null, refusal: null };
  if (a.reasoning?.length) message.reasoning_content = a.reasoning.join("");
  if (a.toolCalls?.length) {
    message.tool_calls = a.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.argumentFragments.join("") } }));
  }
  return {
    id: "chatcmpl-up",
    object: "chat.completion",
    created: 1700000000,
    model: a.model ?? "up-model",
    choices: [{ index: 0, message, logprobs: null, finish_reason: a.finish ?? (a.toolCalls?.length ? "tool_calls" : "stop") }],
    usage: a.usage ?? { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

/** One Anthropic SSE frame: `event: <type>` plus the JSON data with that `type`. */
export function anthropicFrame(type: string, data: Record<string, unknown> = {}): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** The same answer as an Anthropic Messages SSE stream: thinking, text, tool_use blocks with fragmented input, stop. */
export function anthropicStreamFrames(a: ScriptedAnswer): string[] {
  const usage = a.usage ?? { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  const frames = [
    anthropicFrame("message_start", {
      message: {
        id: "msg_up",
        type: "message",
        role: "assistant",
        model: a.model ?? "up-model",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.prompt_tokens, output_tokens: 1 },
      },
    }),
  ];
  let index = 0;
  const block = (start: Record<string, unknown>, deltas: Array<Record<string, unknown>>) => {
    frames.push(anthropicFrame("content_block_start", { index, content_block: start }));
    for (const delta of deltas) frames.push(anthropicFrame("content_block_delta", { index, delta }));
    frames.push(anthropicFrame("content_block_stop", { index }));
    index++;
  };
  if (a.reasoning?.length)
    block({ type: "thinking", thinking: "", signature: "" }, [
      ...a.reasoning.map((thinking) => ({ type: "thinking_delta", thinking })),
      { type: "signature_delta", signature: "sig_up" },
    ]);
  if (a.text?.length)
    block(
      { type: "text", text: "" },
      a.text.map((text) => ({ type: "text_delta", text })),
    );
  for (const c of a.toolCalls ?? [])
    block(
      { type: "tool_use", id: c.id, name: c.name, input: {} },
      c.argumentFragments.map((partial_json) => ({ type: "input_json_delta", partial_json })),
    );
  const stop = a.toolCalls?.length ? "tool_use" : "end_turn";
  frames.push(anthropicFrame("message_delta", { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.completion_tokens } }));
  frames.push(anthropicFrame("message_stop"));
  return frames;
}

/** The same answer as a native Responses SSE stream (response `n` of a conversation): message, then function calls. */
function responsesStreamFrames(a: ScriptedAnswer, n = 0): string[] {
  const usage = a.usage ?? { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  const base = { id: `resp_up${n}`, object: "response", created_at: 1765552659, model: a.model ?? "up-model", error: null, incomplete_details: null };
  const rest = { instructions: null, tools: [], parallel_tool_calls: true, tool_choice: "auto", metadata: {} };
  const events: Array<Record<string, unknown>> = [
    { type: "response.created", response: { ...base, ...rest, status: "in_progress", output: [], usage: null } },
    { type: "response.in_progress", response: { ...base, ...rest, status: "in_progress", output: [], usage: null } },
  ];
  const output: Array<Record<string, unknown>> = [];
  if (a.text?.length) {
    const part = { type: "output_text", text: a.text.join(""), annotations: [], logprobs: [] };
    const msg = { id: `msg_up${n}`, type: "message", status: "completed", role: "assistant", content: [part] };
    const at = { item_id: msg.id, output_index: output.length, content_index: 0 };
    events.push({ type: "response.output_item.added", output_index: output.length, item: { ...msg, status: "in_progress", content: [] } });
    events.push({ type: "response.content_part.added", ...at, part: { ...part, text: "" } });
    for (const delta of a.text) events.push({ type: "response.output_text.delta", ...at, delta, logprobs: [] });
    events.push({ type: "response.output_text.done", ...at, text: part.text, logprobs: [] });
    events.push({ type: "response.content_part.done", ...at, part });
    events.push({ type: "response.output_item.done", output_index: output.length, item: msg });
    output.push(msg);
  }
  for (const c of a.toolCalls ?? []) {
    const args = c.argumentFragments.join("");
    const fc = { id: `fc_${c.id}`, type: "function_call", status: "completed", arguments: args, call_id: c.id, name: c.name };
    const at = { item_id: fc.id, output_index: output.length };
    events.push({ type: "response.output_item.added", output_index: output.length, item: { ...fc, status: "in_progress", arguments: "" } });
    for (const delta of c.argumentFragments) events.push({ type: "response.function_call_arguments.delta", ...at, delta });
    events.push({ type: "response.function_call_arguments.done", ...at, arguments: args });
    events.push({ type: "response.output_item.done", output_index: output.length, item: fc });
    output.push(fc);
  }
  const u = {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.total_tokens,
  };
  events.push({ type: "response.completed", response: { ...base, ...rest, status: "completed", output, usage: u } });
  return events.map((e, i) => `event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`);
}

/** The backend kinds an answer can be scripted for, with the path the proxy calls on each. */
export type BackendFormat = "openai" | "openai-responses" | "anthropic";
export const BACKEND_PATH: Record<BackendFormat, string> = { openai: "/v1/chat/completions", "openai-responses": "/v1/responses", anthropic: "/v1/messages" };

/** The answer as a stream in the backend's own format. */
export function streamFramesFor(format: BackendFormat, a: ScriptedAnswer, n = 0): string[] {
  if (format === "openai") return chatStreamFrames(a);
  if (format === "anthropic") return anthropicStreamFrames(a);
  return responsesStreamFrames(a, n);
}
