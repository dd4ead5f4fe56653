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
