// Test helper: chat backend output (stream chunks or a whole message) run through the chat decoder
// and a set of response modules, summed up as a client would see it.

import { createChatStreamDecoder } from "../../chat/stream-decoder.js";
import { decodeChatResponse } from "../../chat/decode-response.js";
import type { LlmResponse, StreamEvent, TranslationWarning } from "../../ir.js";
import type { ResponseModule } from "../../modules/module.js";
import { type TemplateReader, responseModulesOf } from "../../modules/module-config.js";
import { applyResponseModules, withResponseModules } from "../../modules/response-modules.js";
import { createTestContext } from "./test-context.js";

type Json = Record<string, unknown>;

const noTemplates: TemplateReader = (path) => ({ error: `no such file ${path}` });

export function templates(files: Record<string, string>): TemplateReader {
  return (path) => (path in files ? { text: files[path]! } : { error: `no such file ${path}` });
}

/** The modules of a per-model section `{response: [...names], <name>: {...}}`. */
export function modulesOf(section: Json, read: TemplateReader = noTemplates): ResponseModule[] {
  const setup = responseModulesOf(section, true, read);
  if (!setup) throw new Error("no modules");
  if (setup.problems.length > 0) throw new Error(setup.problems.join("; "));
  return setup.modules;
}

export const parseTags = (cfg: Json, read?: TemplateReader) => modulesOf({ response: ["parse_tags"], parse_tags: cfg }, read);

export interface Seen {
  reasoning: string;
  content: string;
  calls: { index: number; id: string; name: string; args: string }[];
  finishes: string[];
  events: StreamEvent[];
  warnings: TranslationWarning[];
}

function summarize(events: StreamEvent[], warnings: TranslationWarning[]): Seen {
  const seen: Seen = { reasoning: "", content: "", calls: [], finishes: [], events, warnings };
  for (const ev of events) {
    if (ev.type === "reasoning_delta") seen.reasoning += ev.delta;
    else if (ev.type === "text_delta") seen.content += ev.delta;
    else if (ev.type === "tool_call_start") seen.calls.push({ index: ev.index, id: ev.id, name: ev.name, args: "" });
    else if (ev.type === "tool_call_delta") {
      const call = seen.calls.find((c) => c.index === ev.index);
      if (call) call.args += ev.argumentsDelta;
    } else if (ev.type === "finish") seen.finishes.push(ev.reason);
  }
  return seen;
}

const chunk = (delta: Json, finish: string | null = null, index = 0) =>
  JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index, delta, finish_reason: finish }] });

/** Content pieces streamed as chat chunks (then `stop` and `[DONE]`), or raw chunk payloads. */
export function streamThrough(modules: ResponseModule[], pieces: (string | Json)[], finish = "stop"): Seen {
  const warnings: TranslationWarning[] = [];
  const decoder = withResponseModules(createChatStreamDecoder(), modules, createTestContext(), warnings);
  const datas = [
    chunk({ role: "assistant", content: "" }),
    ...pieces.map((p) => (typeof p === "string" ? chunk({ content: p }) : JSON.stringify(p))),
    chunk({}, finish),
    "[DONE]",
  ];
  const events = [...datas.flatMap((data) => decoder.push({ data })), ...decoder.end()];
  return summarize(events, warnings);
}

/** Raw SSE `data:` payloads through the chat decoder and the modules. */
export function framesThrough(modules: ResponseModule[], datas: string[]): Seen {
  const warnings: TranslationWarning[] = [];
  const decoder = withResponseModules(createChatStreamDecoder(), modules, createTestContext(), warnings);
  const events = [...datas.flatMap((data) => decoder.push({ data })), ...decoder.end()];
  return summarize(events, warnings);
}

export interface SeenResponse {
  response: LlmResponse;
  reasoning: string | undefined;
  content: string | undefined;
  calls: { name: string; args: unknown }[];
  finish: string;
  warnings: TranslationWarning[];
}

/** A whole chat message through the chat decoder and the modules. */
export function responseThrough(modules: ResponseModule[], message: Json, finish = "stop"): SeenResponse {
  const ctx = createTestContext();
  const warnings: TranslationWarning[] = [];
  const body = {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
  };
  const decoded = decodeChatResponse(body).value;
  const response = applyResponseModules(decoded, modules, ctx, warnings);
  const parts = response.choices[0]!.content;
  const texts = (type: "text" | "reasoning") => {
    const t = parts.flatMap((p) => (p.type === type ? [p.text] : []));
    return t.length > 0 ? t.join("") : undefined;
  };
  return {
    response,
    reasoning: texts("reasoning"),
    content: texts("text"),
    calls: parts.flatMap((p) => (p.type === "tool_call" ? [{ name: p.name, args: JSON.parse(p.arguments) as unknown }] : [])),
    finish: response.choices[0]!.finishReason,
    warnings,
  };
}
