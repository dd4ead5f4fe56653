// Compaction on backends that cannot compact themselves (chat, Anthropic): the route's own model
// summarizes the history through the pipeline, the summary is stored owner-scoped in the response
// store, and the client gets a `compaction` item whose `encrypted_content` names that record. When
// a later input holds the item, the upstream gets the summary as a user message in its place.
//
// The content is a reference, not the summary sealed under a key: the record expires and is deleted
// with the response store, is found only by the key that made it, and needs no key management.

import type { StoredResponse } from "@yallmproxy/db";
import { Errors, ProxyError } from "../errors.js";
import { type ClientRequest, DetachedReply, detachedRequest } from "../pipeline/client.js";
import { translateContext } from "../pipeline/translation.js";
import { countText } from "../routes/count-tokens.js";
import type { ProxyRuntime } from "../runtime.js";
import { CONTENT_PREFIX, SUMMARY_PREFIX, isRecord, summaryMessage, textOf } from "./compaction-items.js";
import { type ResponsesBody, normalizeInput } from "./records.js";

/** The system prompt of the summarization call. */
const SUMMARY_INSTRUCTIONS =
  "You compact conversations. Another model will continue this conversation from your summary alone, without the messages it replaces.";

/** The user message the summarization call ends with. */
const SUMMARY_REQUEST = [
  "Summarize the conversation so far so that it can be continued from the summary alone.",
  "Keep: the user's goals, instructions and constraints; what has been done, including tool calls and their results;",
  "the files, commands, names and values involved; decisions made and why; the current state; what remains to do.",
  "Be concise, but leave out nothing needed to continue. Answer with the summary only.",
].join(" ");

/** The user messages of `input`, as items, in order: the part of a history compaction keeps. */
function userMessages(input: unknown[]): unknown[] {
  return input.filter((i) => isUserMessage(i) && isRecord(i) && !isSummary(i));
}

/** A summary put in place of an earlier compaction: compacted again, not kept as a user message. */
function isSummary(item: Record<string, unknown>): boolean {
  const c = item.content;
  const first: unknown = Array.isArray(c) ? c[0] : undefined;
  return isRecord(first) && typeof first.text === "string" && first.text.startsWith(SUMMARY_PREFIX);
}

export interface Compacted {
  /** The `response.compaction` object the client gets. */
  response: Record<string, unknown>;
  /** The user messages kept and the compaction item, as `output` holds them. */
  output: unknown[];
  item: Record<string, unknown>;
  kept: unknown[];
  summary: string;
}

/** Runs one Responses body through the pipeline as the caller; the reply's status and body. */
export type Summarize = (request: ClientRequest, reply: DetachedReply, body: ResponsesBody) => Promise<unknown>;

/**
 * How a compaction item reads back: `endpoint` (from `/responses/compact`, whose output keeps the
 * user messages before the item) becomes the summary; `window` (run on create) becomes the user
 * messages it kept and the summary, and what came before it in the input is dropped.
 */
export type CompactionKind = "endpoint" | "window";

/**
 * Compacts `input` (already expanded: no compaction item or `previous_response_id` left) with the
 * route's model, stores the summary for `caller`, and returns the compacted history.
 */
export async function compactHistory(
  runtime: ProxyRuntime,
  request: ClientRequest,
  body: { model: string; tools?: unknown },
  input: unknown[],
  o: { kind: CompactionKind; summarize: Summarize },
): Promise<Compacted> {
  const caller = request.caller ?? { keyId: undefined, key: undefined };
  const reply = new DetachedReply();
  const tools = Array.isArray(body.tools) && body.tools.length > 0 ? body.tools : undefined;
  const summarize: ResponsesBody = {
    model: body.model,
    instructions: SUMMARY_INSTRUCTIONS,
    input: [...input, { type: "message", role: "user", content: [{ type: "input_text", text: SUMMARY_REQUEST }] }],
    // Tools stay declared (a history with tool calls needs them on Anthropic), and unused.
    ...(tools ? { tools, tool_choice: "none" } : {}),
    store: false,
    stream: false,
  };
  await o.summarize(detachedRequest(request.id, caller, request), reply, summarize);
  const answer = parsed(reply.body);
  if (reply.status >= 400) throw relayedError(reply.status, answer);
  const summary = isRecord(answer) ? textOf(answer.output) : undefined;
  if (summary === undefined) throw Errors.compactionFailed(502, "The model answered the compaction request without a summary.");

  const id = translateContext.newId("cmp_");
  const item = { id, type: "compaction", encrypted_content: CONTENT_PREFIX + id };
  // As output items: each with an id, a status and its content as parts (the spec's Message).
  const kept = normalizeInput(userMessages(input)).map((m) => ({ ...m, status: "completed" }));
  const output = [...kept, item];
  const now = Date.now();
  // The compaction object always has usage; a backend that reported none gets it counted here.
  const usage = isRecord(answer) && isRecord(answer.usage) ? answer.usage : await countedUsage(summarize, summary);
  const response = { id, object: "response.compaction", created_at: Math.floor(now / 1000), output, usage };
  const record: StoredResponse = {
    id,
    ownerKeyId: caller.keyId,
    model: body.model,
    backend: isRecord(answer) && typeof answer.model === "string" ? answer.model : "",
    status: "completed",
    request: { model: body.model, compaction: o.kind },
    inputItems: o.kind === "window" ? kept : [],
    outputItems: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: summary }] }],
    response,
    usage: isRecord(response.usage) ? response.usage : null,
    previousResponseId: null,
    createdAt: now,
    expiresAt: now + runtime.config.responseState.ttlSeconds * 1000,
  };
  if (!(await runtime.responses.put(record))) throw Errors.compactionFailed(500, "The compaction could not be stored.");
  return { response, output, item, kept, summary };
}

/** The threshold of a `context_management` compaction entry; undefined when there is none. */
export function compactThreshold(contextManagement: unknown): number | undefined {
  if (!Array.isArray(contextManagement)) return undefined;
  for (const entry of contextManagement) {
    if (isRecord(entry) && entry.type === "compaction" && typeof entry.compact_threshold === "number") return entry.compact_threshold;
  }
  return undefined;
}

/**
 * `context_management` compaction on create: when `input` is estimated (4 characters a token) past
 * `threshold`, all before its last user message is compacted; the model gets the kept user
 * messages, the summary and that last turn, and the answer starts with the compaction item.
 */
export async function compactWindow(
  runtime: ProxyRuntime,
  request: ClientRequest,
  body: { model: string; tools?: unknown },
  input: unknown[],
  o: { threshold: number; summarize: Summarize },
): Promise<{ input: unknown[]; item: Record<string, unknown> } | undefined> {
  if (Math.ceil(JSON.stringify(input).length / 4) <= o.threshold) return undefined;
  let lastUser = input.length - 1;
  while (lastUser >= 0 && !isUserMessage(input[lastUser])) lastUser--;
  if (lastUser <= 0) return undefined;
  const compacted = await compactHistory(runtime, request, body, input.slice(0, lastUser), { kind: "window", summarize: o.summarize });
  return { input: [...compacted.kept, summaryMessage(compacted.summary), ...input.slice(lastUser)], item: compacted.item };
}

/** Usage of the summarization call counted with the o200k tokenizer: its texts in, the summary out. */
async function countedUsage(body: ResponsesBody, summary: string): Promise<Record<string, unknown>> {
  const texts: string[] = [];
  collectTexts(body.instructions, texts, 0);
  collectTexts(body.input, texts, 0);
  const input = await countText(texts.join("\n"));
  const output = await countText(summary);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

/** The model-read strings of items: message text, call arguments and outputs (depth-bounded). */
function collectTexts(value: unknown, out: string[], depth: number): void {
  if (depth > 64) return;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectTexts(v, out, depth + 1);
  else if (isRecord(value)) {
    for (const key of ["text", "content", "arguments", "output"]) collectTexts(value[key], out, depth + 1);
  }
}

function isUserMessage(i: unknown): boolean {
  return isRecord(i) && (i.type === "message" || i.type === undefined) && i.role === "user";
}

function parsed(body: string | Buffer | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body.toString());
  } catch {
    return undefined;
  }
}

/** The summarization call's own error, kept as the client's answer. */
function relayedError(status: number, answer: unknown): ProxyError {
  const e = isRecord(answer) && isRecord(answer.error) ? answer.error : {};
  const message = typeof e.message === "string" ? e.message : `The compaction request failed with status ${status}.`;
  return Errors.upstreamSaid(status, message, {
    ...(typeof e.type === "string" ? { type: e.type } : {}),
    ...(typeof e.code === "string" ? { code: e.code } : {}),
  });
}
