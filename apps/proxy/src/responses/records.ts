// Stored responses as records: the body a Responses request carries, the items it is kept with, the
// queued record of a background run, and the one hook that stores a final Response, whichever
// backend (native or translated) answered.

import type { FastifyBaseLogger } from "fastify";
import type { ResponseStore, StoredResponse } from "@yallmproxy/db";
import type { TranslationWarning } from "@yallmproxy/translate";
import type { Caller } from "../auth.js";
import type { Metrics } from "../ops/metrics.js";
import type { FinalHook } from "../pipeline/proxy-request.js";
import { translateContext } from "../pipeline/translation.js";

/** A `/v1/responses` body as its route schema admits it (`model` required, the rest as sent). */
export interface ResponsesBody extends Record<string, unknown> {
  model: string;
  input?: string | unknown[];
  stream?: boolean | null;
  store?: boolean | null;
  background?: boolean | null;
  previous_response_id?: string | null;
}

/** Id prefixes of stored input items that came without an id, by type (OpenAI's own prefixes). */
const ID_PREFIX: Record<string, string> = {
  function_call_output: "fco_",
  custom_tool_call: "ctc_",
  custom_tool_call_output: "ctco_",
  tool_search_call: "tsc_",
  tool_search_output: "tso_",
};

/**
 * `input` as a list of items (a string becomes one user message), each with an id. The ids share
 * one random stem and differ by a counter: one random draw per request, not one per item.
 */
export function normalizeInput(input: unknown): Array<Record<string, unknown>> {
  if (typeof input === "string") {
    return [{ type: "message", role: "user", content: [{ type: "input_text", text: input }], id: translateContext.newId("msg_") }];
  }
  if (!Array.isArray(input)) return [];
  const stem = translateContext.newId("").slice(0, 16);
  const out = new Array<Record<string, unknown>>(input.length);
  for (let i = 0; i < input.length; i++) {
    // Object.assign, not a spread: V8 makes a spread copy with no room for the fields added
    // below, and adding them costs ten times the copy.
    const item: Record<string, unknown> = Object.assign({}, input[i]);
    if (item.type === undefined && typeof item.role === "string") item.type = "message";
    if (item.type === "message" && typeof item.content === "string") {
      item.content = [{ type: item.role === "assistant" ? "output_text" : "input_text", text: item.content }];
    }
    if (typeof item.id !== "string" && item.type !== "item_reference") item.id = `${ID_PREFIX[String(item.type)] ?? "msg_"}${stem}${i.toString(16)}`;
    out[i] = item;
  }
  return out;
}

/** The request fields a record keeps: all but `input`, which is kept as items. */
function requestFields(body: ResponsesBody): Record<string, unknown> {
  const { input: _input, ...fields } = body;
  return fields;
}

function previousOf(body: ResponsesBody): string | null {
  return typeof body.previous_response_id === "string" ? body.previous_response_id : null;
}

/** Echoed tools carry `description` (null when the client gave none), as the Response object requires. */
function echoTools(tools: unknown): unknown[] {
  if (!Array.isArray(tools)) return [];
  return tools.map((t) => (isRecord(t) && (t.type === "function" || t.type === "custom") && t.description === undefined ? { ...t, description: null } : t));
}

const orNull = (v: unknown): unknown => v ?? null;

/** The Response a background request is answered with at once, before its run starts: every field the spec requires. */
function queuedResponse(id: string, body: ResponsesBody, createdAt: number): Record<string, unknown> {
  return {
    id,
    object: "response",
    created_at: createdAt,
    completed_at: null,
    status: "queued",
    background: true,
    error: null,
    incomplete_details: null,
    instructions: orNull(body.instructions),
    max_output_tokens: orNull(body.max_output_tokens),
    max_tool_calls: orNull(body.max_tool_calls),
    model: body.model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: orNull(body.previous_response_id),
    prompt_cache_key: orNull(body.prompt_cache_key),
    reasoning: body.reasoning ?? { effort: null, summary: null },
    safety_identifier: orNull(body.safety_identifier),
    service_tier: body.service_tier ?? "default",
    store: true,
    temperature: body.temperature ?? 1,
    presence_penalty: body.presence_penalty ?? 0,
    frequency_penalty: body.frequency_penalty ?? 0,
    text: body.text ?? { format: { type: "text" } },
    tool_choice: body.tool_choice ?? "auto",
    tools: echoTools(body.tools),
    top_logprobs: body.top_logprobs ?? 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? "disabled",
    usage: null,
    user: orNull(body.user),
    metadata: body.metadata ?? {},
  };
}

/** The record of a background run that has not started yet. */
export function queuedRecord(id: string, body: ResponsesBody, caller: Caller, ttlSeconds: number, now = Date.now()): StoredResponse {
  return {
    id,
    ownerKeyId: caller.keyId,
    model: body.model,
    backend: "",
    status: "queued",
    request: requestFields(body),
    inputItems: normalizeInput(body.input),
    outputItems: [],
    response: queuedResponse(id, body, Math.floor(now / 1000)),
    usage: null,
    previousResponseId: previousOf(body),
    createdAt: now,
    expiresAt: now + ttlSeconds * 1000,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function itemsOf(v: unknown): Array<Record<string, unknown>> {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

export interface RecorderOptions {
  store: ResponseStore;
  ttlSeconds: number;
  log: FastifyBaseLogger;
  requestId: string;
  metrics: Metrics;
  body: ResponsesBody;
  caller: Caller;
  /** The proxy's id for this response (a translated answer carries it; a native one its own). */
  id: string;
  /** The background run this answer belongs to: stored under its id, and never over a cancellation. */
  run: boolean;
  inputItems: Array<Record<string, unknown>>;
  /** Where a store that failed is noted for the request's log and trace. */
  warnings: TranslationWarning[];
}

/** The one hook that stores a final Response, and the id it was stored under (once heard). */
export function responseRecorder(o: RecorderOptions): { onFinal: FinalHook; heardId: () => string | undefined } {
  let heard: string | undefined;
  const put = async (response: Record<string, unknown>, backend: string, responseId: string) => {
    if (o.run && (await o.store.get(o.id))?.status === "cancelled") return;
    const now = Date.now();
    const stored = await o.store.put({
      id: responseId,
      ownerKeyId: o.caller.keyId,
      model: o.body.model,
      backend,
      status: String(response.status ?? "completed"),
      request: requestFields(o.body),
      inputItems: o.inputItems,
      outputItems: itemsOf(response.output),
      response: o.run ? { ...response, id: o.id, background: true } : response,
      usage: isRecord(response.usage) ? response.usage : null,
      previousResponseId: previousOf(o.body),
      createdAt: now,
      expiresAt: now + o.ttlSeconds * 1000,
    });
    if (!stored) {
      // An upstream id another key's response is stored under: that one is kept, this answer
      // reaches its client unstored (its GET and previous_response_id answer 404).
      o.log.warn({ responseId }, "response id already stored for another key; this answer was not stored");
      o.warnings.push({ code: "not_stored", path: "id", message: `not stored: response id '${responseId}' is already stored for another key` });
    }
  };
  const onFinal: FinalHook = async (response, backend) => {
    // Pass-through answers keep the upstream's id; translated ones (and background runs) the proxy's.
    const responseId = o.run || typeof response.id !== "string" ? o.id : response.id;
    heard = responseId;
    try {
      await put(response, backend.route.name, responseId);
    } catch (err) {
      // The upstream did the work: the client still gets its answer, unstored (its GET and
      // previous_response_id answer 404 or 400 as for any unknown id).
      o.metrics.responseStoreErrors.inc();
      o.log.error({ reqId: o.requestId, responseId, err }, "response store write failed; this answer was not stored");
      o.warnings.push({
        code: "not_stored",
        path: "id",
        message: `not stored: the response store failed (${String(err instanceof Error ? err.message : err).slice(0, 200)})`,
      });
    }
  };
  return { onFinal, heardId: () => heard };
}
