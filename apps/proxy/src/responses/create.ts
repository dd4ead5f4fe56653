// Making one Response: the request checked, its `previous_response_id` chain and `item_reference`s
// rebuilt from the store, then the pipeline called once; the answer, native or translated, is stored
// by the one `onFinal` hook on its way to the client.

import { type ResponsesInputItem, type TranslationWarning, codecs } from "@yallmproxy/translate";
import type { Caller } from "../auth.js";
import type { ModelRoute } from "../config/load-config.js";
import { Errors, ProxyError } from "../errors.js";
import { type ClientReply, type ClientRequest, DetachedReply } from "../pipeline/client.js";
import { type CrossFormatHandler, type FinalHook, proxyRequest } from "../pipeline/proxy-request.js";
import { createCrossFormatHandler, lazyDecoder, translateContext } from "../pipeline/translation.js";
import { routesForModel, stripProviderPrefix } from "../model-chain.js";
import type { ProxyRuntime } from "../runtime.js";
import { type BackendFormat, formatOfApiType } from "../upstream/types.js";
import { chainToContinue, historyItems, outputWithoutCall } from "./chain.js";
import type { ChainTurn } from "./socket-chain.js";
import { expandCompactions } from "./compaction-items.js";
import { type Summarize, compactThreshold, compactWindow } from "./compaction.js";
import { answerCompactionTurn, endsWithTrigger } from "./compaction-turn.js";
import { itemIdsFor, resolveItemReferences } from "./items.js";
import { type ResponsesBody, normalizeInput, responseRecorder } from "./records.js";

export interface ResponseCall {
  runtime: ProxyRuntime;
  /** The client's request, or a run's own (pipeline/client.ts); its `caller` is who the response belongs to. */
  request: ClientRequest;
  reply: ClientReply;
  body: ResponsesBody;
  /** The background run this call carries out. */
  run?: { id: string; signal: AbortSignal };
  /** The turns `previous_response_id` ends, from a WebSocket's own chain (not looked up in the store). */
  socketTurns?: ChainTurn[];
}

export function callerOf(request: ClientRequest): Caller {
  return request.caller ?? { keyId: undefined, key: undefined };
}

/** The model route a Responses request is served by, once the endpoint and the input's size allow it. */
export function checkResponsesRequest(runtime: ProxyRuntime, body: ResponsesBody): ModelRoute {
  if (!runtime.config.endpoints.responses) throw Errors.endpointDisabled("/v1/responses");
  // Every item costs work on the event loop (copy, store, decode, encode): bounded before any.
  const maxItems = runtime.config.responseState.maxInputItems;
  if (Array.isArray(body.input) && body.input.length > maxItems) throw Errors.tooManyInputItems(body.input.length, maxItems);
  const primary = routesForModel(runtime.config, stripProviderPrefix(body.model))[0];
  if (!primary) throw Errors.modelNotFound(body.model);
  return primary;
}

/** Runs one Response through the pipeline; returns the id it was stored under, once stored. */
export async function createResponse(c: ResponseCall): Promise<string | undefined> {
  const { runtime, request, reply, body, run, socketTurns } = c;
  const primary = checkResponsesRequest(runtime, body);
  const caller = callerOf(request);
  const store = body.store !== false;
  const stream = body.stream === true;
  const history = await withHistory(runtime, body, primary, caller, run !== undefined, socketTurns);
  const { itemsById } = history;
  const warnings: TranslationWarning[] = [];
  const id = run?.id ?? translateContext.newId("resp_");
  // Kept only to be stored: an agent resending its history with `store: false` pays nothing here.
  const recorder = store
    ? responseRecorder({
        store: runtime.responses,
        ttlSeconds: runtime.config.responseState.ttlSeconds,
        log: request.log,
        requestId: request.id,
        metrics: runtime.ops.metrics,
        body,
        caller,
        id,
        run: run !== undefined,
        inputItems: normalizeInput(body.input),
        warnings,
      })
    : undefined;
  const onFinal = recorder ? { onFinal: recorder.onFinal } : {};
  if (formatOfApiType(primary.apiType) !== "responses" && endsWithTrigger(history.upstreamBody.input)) {
    const input = history.upstreamBody.input;
    await answerCompactionTurn({
      runtime,
      request,
      reply,
      body,
      primary,
      upstreamBody: history.upstreamBody,
      input,
      id,
      summarize: summarizer(runtime),
      ...onFinal,
    });
    return recorder?.heardId();
  }
  const compacted = await windowCompaction(c, primary, history.upstreamBody);
  const upstreamBody = compacted ? { ...history.upstreamBody, input: compacted.input } : history.upstreamBody;
  // A run inside the proxy has no client to relay to: its native answer is heard (and stored) too.
  const hearsNative = recorder && (runtime.config.responseState.capturePassthrough || reply instanceof DetachedReply);
  await proxyRequest({
    runtime,
    request,
    reply,
    call: {
      format: "responses",
      path: codecs.responses.path,
      body: upstreamBody,
      stream,
      ...(hearsNative ? { onFinal: recorder.onFinal } : {}),
      ...(run ? { signal: run.signal } : {}),
    },
    warnings,
    crossFormat: translatedFor({
      upstreamBody,
      itemsById,
      warnings,
      id,
      body,
      stream,
      rawReasoning: runtime.config.responseState.rawReasoning,
      ...(recorder ? { onFinal: recorder.onFinal } : {}),
      ...(compacted ? { leadingItems: [compacted.item] } : {}),
    }),
    ...(recorder ? { answeredId: recorder.heardId } : {}),
    ...(typeof body.previous_response_id === "string" ? { previousResponseId: body.previous_response_id } : {}),
  });
  return recorder?.heardId();
}

/** The summarization call of a compaction: one more Response through the pipeline. */
export function summarizer(runtime: ProxyRuntime): Summarize {
  return async (request, reply, body) => createResponse({ runtime, request, reply, body });
}

/** `context_management` compaction, run by the proxy for a backend that cannot compact itself. */
async function windowCompaction(c: ResponseCall, primary: ModelRoute, upstreamBody: Record<string, unknown>) {
  if (formatOfApiType(primary.apiType) === "responses" || !Array.isArray(upstreamBody.input)) return undefined;
  const threshold = compactThreshold(c.body.context_management);
  if (threshold === undefined) return undefined;
  return compactWindow(c.runtime, c.request, c.body, upstreamBody.input, { threshold, summarize: summarizer(c.runtime) });
}

/**
 * The body a backend gets: a known `previous_response_id` replaced by the chain's history, the
 * proxy's compaction items by their summaries, and the items `input` refers to (`item_reference`)
 * looked up in the store.
 */
export async function withHistory(
  runtime: ProxyRuntime,
  body: ResponsesBody,
  primary: ModelRoute,
  caller: Caller,
  isRun: boolean,
  socketTurns?: ChainTurn[],
): Promise<{ upstreamBody: Record<string, unknown>; itemsById: Map<string, ResponsesInputItem> }> {
  let upstreamBody: Record<string, unknown> = isRun ? { ...body, background: false } : body;
  let history: Array<Record<string, unknown>> = [];
  const previousResponseId = typeof body.previous_response_id === "string" ? body.previous_response_id : null;
  if (previousResponseId) {
    const chain = socketTurns ?? (await chainToContinue(runtime.responses, previousResponseId, caller));
    if (chain) {
      history = historyItems(chain, primary.history);
      const { previous_response_id: _drop, ...rest } = upstreamBody;
      const own = typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : Array.isArray(body.input) ? body.input : [];
      // The whole conversation is known here: a tool output must answer a call in it, as OpenAI checks.
      const orphan = outputWithoutCall(history, own);
      if (orphan !== undefined) throw Errors.toolOutputWithoutCall(orphan);
      upstreamBody = { ...rest, input: [...history, ...own] };
    } else if (formatOfApiType(primary.apiType) !== "responses" || runtime.config.responseState.capturePassthrough) {
      // Only a native Responses backend that stores responses itself can know an id the proxy does not.
      throw Errors.previousResponseNotFound(previousResponseId);
    }
  }
  // The proxy's own compaction items become their summaries, for every backend.
  const input = await expandCompactions(runtime, upstreamBody.input, caller, formatOfApiType(primary.apiType) === "responses");
  if (input !== upstreamBody.input) upstreamBody = { ...upstreamBody, input };
  const itemsById = new Map<string, ResponsesInputItem>();
  // Stored items were decoded from a Responses request or answer: they are Responses items.
  for (const item of history) if (typeof item.id === "string") itemsById.set(item.id, item as ResponsesInputItem);
  await resolveItemReferences(runtime.responses, upstreamBody.input, itemsById, caller);
  return { upstreamBody, itemsById };
}

/**
 * The cross-format handler factory: the request is decoded once, when a backend of another format
 * is first tried (a native Responses backend gets the body as sent, its `item_reference`s included).
 */
function translatedFor(o: {
  upstreamBody: Record<string, unknown>;
  itemsById: Map<string, ResponsesInputItem>;
  warnings: TranslationWarning[];
  id: string;
  body: ResponsesBody;
  stream: boolean;
  onFinal?: FinalHook;
  leadingItems?: Array<Record<string, unknown>>;
  rawReasoning: "summary" | "content" | "both";
}): (backendFormat: BackendFormat) => CrossFormatHandler | ProxyError {
  const decode = lazyDecoder("responses", o.upstreamBody, o.warnings, { resolveItem: (itemId) => o.itemsById.get(itemId) });
  const newItemId = itemIdsFor(o.id);
  const previousResponseId = typeof o.body.previous_response_id === "string" ? o.body.previous_response_id : null;
  const answer = {
    id: o.id,
    previousResponseId,
    rawReasoning: o.rawReasoning,
    ...(newItemId ? { newItemId } : {}),
    ...(o.onFinal ? { onFinal: o.onFinal } : {}),
    ...(o.leadingItems ? { leadingItems: o.leadingItems } : {}),
  };
  return (backendFormat) => {
    const decoded = decode();
    if (decoded instanceof ProxyError) return decoded;
    return createCrossFormatHandler(
      { clientFormat: "responses", request: decoded, requestedModel: o.body.model, stream: o.stream, warnings: o.warnings, responses: answer },
      backendFormat,
    );
  };
}
