// `/v1/responses`: OpenAI Responses clients on any backend, with `previous_response_id` chains
// rebuilt from the proxy's own store, and the stored-response API (get, delete, input items).

import { Type } from "@sinclair/typebox";
import { AnyObject, IdParams, InputItemList, InputItemsQuery, Nullable, ResponseAnswer, ResponseDeleted, StringEnum, Types } from "@yallmproxy/api";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type LlmRequest, decodeResponsesRequest, type ResponsesInputItem, type TranslationWarning } from "@yallmproxy/translate";
import type { Caller } from "../auth.js";
import type { ModelRoute } from "../config/load-config.js";
import { Errors, ProxyError } from "../errors.js";
import { typed } from "../http/schema.js";
import { proxyRequest } from "../pipeline/proxy-request.js";
import { type ResponsesAnswer, createCrossFormatHandler, translateContext, translateError } from "../pipeline/translation.js";
import { routesForModel, stripProviderPrefix } from "../router.js";
import type { ResponseStore, StoredResponse } from "@yallmproxy/db";
import { type Backend, formatOfApiType } from "../upstream/types.js";
import { itemIdsFor, resolveItemReferences } from "./response-items.js";
import { BACKGROUND_HEADER, startBackground } from "./responses-background.js";

const MAX_CHAIN_DEPTH = 10_000;

export const responsesBodySchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Optional(Types<string | unknown[]>(["string", "array"])),
  instructions: Type.Optional(Nullable(Type.String())),
  stream: Type.Optional(Nullable(Type.Boolean())),
  store: Type.Optional(Nullable(Type.Boolean())),
  background: Type.Optional(Nullable(Type.Boolean())),
  previous_response_id: Type.Optional(Nullable(Type.String())),
  tools: Type.Optional(Type.Array(AnyObject)),
  tool_choice: Type.Optional(Types<string | Record<string, unknown>>(["string", "object"])),
  parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
  max_output_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  max_tool_calls: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
  top_p: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
  top_logprobs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 20 }))),
  reasoning: Type.Optional(Nullable(AnyObject)),
  text: Type.Optional(Nullable(AnyObject)),
  metadata: Type.Optional(Nullable(AnyObject)),
  include: Type.Optional(Nullable(Type.Array(Type.String()))),
  truncation: Type.Optional(Nullable(StringEnum(["auto", "disabled"]))),
  user: Type.Optional(Type.String()),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
});

export function callerOf(request: FastifyRequest): Caller {
  return request.caller ?? { keyId: undefined, key: undefined };
}

/** A stored response the caller may see: another key's response is reported as not found. */
export async function ownedResponse(store: ResponseStore, id: string, caller: Caller): Promise<StoredResponse | "not_found" | "not_owner"> {
  const found = await store.get(id);
  if (!found) return "not_found";
  if (found.ownerKeyId !== caller.keyId) return "not_owner";
  return found;
}

function previousNotFound(id: string): ProxyError {
  return new ProxyError(400, `Previous response with id '${id}' not found.`, { param: "previous_response_id", code: "previous_response_not_found" });
}

function responseNotFound(id: string): ProxyError {
  return new ProxyError(404, `Response with id '${id}' not found.`, { code: "not_found" });
}

/** The chain ending at `id`, oldest first. */
export async function loadChain(store: ResponseStore, id: string, caller: Caller): Promise<StoredResponse[] | undefined> {
  const chain: StoredResponse[] = [];
  let next: string | null = id;
  while (next) {
    const found = await ownedResponse(store, next, caller);
    if (found === "not_owner") throw responseNotFound(next);
    if (found === "not_found") {
      if (chain.length === 0) return undefined;
      // An older link expired: the chain is broken, so the whole history is gone.
      throw previousNotFound(id);
    }
    chain.unshift(found);
    next = found.previousResponseId;
    if (chain.length > MAX_CHAIN_DEPTH) throw new ProxyError(400, "previous_response_id chain is too deep.", { param: "previous_response_id" });
  }
  return chain;
}

/** History items of a chain under a model's history policy. */
export function historyItems(chain: StoredResponse[], policy: ModelRoute["history"]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const r of chain) {
    for (const item of [...r.inputItems, ...r.outputItems]) {
      if (item.type === "reasoning" && !policy.includeReasoning) continue;
      if (item.type === "message" && !policy.includeRefusals && Array.isArray(item.content)) {
        const content = (item.content as Array<{ type?: unknown }>).filter((p) => p.type !== "refusal");
        if (content.length === 0) continue;
        out.push({ ...item, content });
        continue;
      }
      out.push(item);
    }
  }
  return out;
}

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
    if (typeof item.id !== "string" && item.type !== "item_reference") item.id = `${item.type === "function_call_output" ? "fco_" : "msg_"}${stem}${i.toString(16)}`;
    out[i] = item;
  }
  return out;
}

export async function responsesRoutes(app: FastifyInstance): Promise<void> {
  const config = { auth: true, clientFormat: "responses" as const };

  app.post("/v1/responses", { schema: { body: responsesBodySchema }, config }, async (request, reply) => {
    const runtime = app.runtime;
    if (!runtime.config.endpoints.responses) throw Errors.endpointDisabled("/v1/responses");
    const body = request.body as Record<string, unknown>;
    // Every item costs work on the event loop (copy, store, decode, encode): bounded before any.
    const maxItems = runtime.config.responseState.maxInputItems;
    if (Array.isArray(body.input) && body.input.length > maxItems) throw Errors.tooManyInputItems(body.input.length, maxItems);
    const caller = callerOf(request);
    const requestedModel = body.model as string;
    const routes = routesForModel(runtime.config, stripProviderPrefix(requestedModel));
    const primary = routes[0];
    if (!primary) throw Errors.modelNotFound(requestedModel);
    const store = body.store !== false;
    const stream = body.stream === true;
    const internal = runtime.background.claim(request.headers[BACKGROUND_HEADER]);

    if (body.background === true && !internal) {
      if (!store) throw Errors.invalidField("background", "Background responses require store to be true.");
      if (stream) throw Errors.invalidField("stream", "Streaming background responses is not supported by this proxy; poll GET /v1/responses/{id} instead.");
      return startBackground(app, request, reply, body, caller);
    }

    const previousResponseId = typeof body.previous_response_id === "string" ? body.previous_response_id : null;
    // Kept only to be stored: an agent resending its history with `store: false` pays nothing here.
    const inputItems = store ? normalizeInput(body.input) : [];
    let upstreamBody: Record<string, unknown> = internal ? { ...body, background: false } : body;
    let history: Array<Record<string, unknown>> = [];
    if (previousResponseId) {
      const chain = await loadChain(runtime.responses, previousResponseId, caller);
      if (chain) {
        history = historyItems(chain, primary.history);
        const { previous_response_id: _drop, ...rest } = upstreamBody;
        const own = typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : Array.isArray(body.input) ? body.input : [];
        upstreamBody = { ...rest, input: [...history, ...own] };
      } else if (formatOfApiType(primary.apiType) !== "responses" || runtime.config.responseState.capturePassthrough) {
        // Only a native Responses backend that stores responses itself can know an id the proxy does not.
        throw previousNotFound(previousResponseId);
      }
    }

    const itemsById = new Map<string, ResponsesInputItem>();
    for (const item of history) if (typeof item.id === "string") itemsById.set(item.id, item as ResponsesInputItem);
    await resolveItemReferences(runtime.responses, upstreamBody.input, itemsById, caller);
    const warnings: TranslationWarning[] = [];
    // Decoded only when a backend of another format has to serve it: a native Responses backend
    // gets the body as sent (its own `item_reference` ids included).
    let decoded: LlmRequest | undefined;

    const id = internal?.id ?? translateContext.newId("resp_");
    const storeResponse = async (response: Record<string, unknown>, backend: Backend) => {
      // Pass-through answers keep the upstream's id; translated ones carry the proxy's.
      const responseId = typeof response.id === "string" ? response.id : id;
      try {
        await putResponse(response, backend, responseId);
      } catch (err) {
        // The upstream did the work: the client still gets its answer, unstored (its GET and
        // previous_response_id answer 404 or 400 as for any unknown id).
        runtime.ops.metrics.responseStoreErrors.inc();
        request.log.error({ reqId: request.id, responseId, err }, "response store write failed; this answer was not stored");
        warnings.push({ code: "not_stored", path: "id", message: `not stored: the response store failed (${String((err as Error)?.message ?? err).slice(0, 200)})` });
      }
    };
    const putResponse = async (response: Record<string, unknown>, backend: Backend, responseId: string) => {
      if (internal && (await runtime.responses.get(id))?.status === "cancelled") return;
      const now = Date.now();
      const { input: _input, ...requestFields } = body;
      const stored = await runtime.responses.put({
        id: internal ? id : responseId,
        ownerKeyId: caller.keyId,
        model: requestedModel,
        backend: backend.route.name,
        status: String(response.status ?? "completed"),
        request: requestFields,
        inputItems,
        outputItems: Array.isArray(response.output) ? (response.output as Array<Record<string, unknown>>) : [],
        response: internal ? { ...response, id, background: true } : response,
        usage: (response.usage as Record<string, unknown> | null) ?? null,
        previousResponseId,
        createdAt: now,
        expiresAt: now + runtime.config.responseState.ttlSeconds * 1000,
      });
      if (!stored) {
        // An upstream id another key's response is stored under: that one is kept, this answer
        // reaches its client unstored (its GET and previous_response_id answer 404).
        request.log.warn({ responseId }, "response id already stored for another key; this answer was not stored");
        warnings.push({ code: "not_stored", path: "id", message: `not stored: response id '${responseId}' is already stored for another key` });
      }
    };
    const newItemId = itemIdsFor(id);
    const answer: ResponsesAnswer = { id, previousResponseId, ...(newItemId ? { newItemId } : {}), ...(store ? { onFinal: storeResponse } : {}) };
    const capture = store && runtime.config.responseState.capturePassthrough;

    await proxyRequest({
      runtime,
      request,
      reply,
      call: {
        format: "responses",
        path: "/responses",
        body: upstreamBody,
        stream,
        ...(capture ? { captureResponse: storeResponse } : {}),
        ...(internal ? { signal: internal.signal } : {}),
      },
      warnings,
      crossFormat: (backendFormat) => {
        try {
          if (!decoded) {
            const d = decodeResponsesRequest(upstreamBody, { resolveItem: (itemId) => itemsById.get(itemId) });
            warnings.push(...d.warnings);
            decoded = d.value;
          }
        } catch (err) {
          return translateError(err);
        }
        return createCrossFormatHandler({ clientFormat: "responses", request: decoded, requestedModel, stream, warnings, responses: answer }, backendFormat);
      },
    });
    return reply;
  });

  const api = typed(app);
  api.post("/v1/responses/:id/cancel", { config, schema: { params: IdParams, response: { 200: ResponseAnswer } } }, async (request) => {
    const found = await ownedResponse(app.runtime.responses, request.params.id, callerOf(request));
    if (typeof found === "string") throw responseNotFound(request.params.id);
    if (found.response.background !== true) throw Errors.invalidField("response_id", "Only background responses can be cancelled.");
    if (found.status !== "queued" && found.status !== "in_progress") return found.response;
    const cancelled = { ...found, status: "cancelled", response: { ...found.response, status: "cancelled" } };
    await app.runtime.responses.put(cancelled);
    await app.runtime.background.cancel(found.id);
    return cancelled.response;
  });

  api.get("/v1/responses/:id", { config, schema: { params: IdParams, response: { 200: ResponseAnswer } } }, async (request) => {
    const found = await ownedResponse(app.runtime.responses, request.params.id, callerOf(request));
    if (typeof found === "string") throw responseNotFound(request.params.id);
    return found.response;
  });

  api.delete("/v1/responses/:id", { config, schema: { params: IdParams, response: { 200: ResponseDeleted } } }, async (request) => {
    const found = await ownedResponse(app.runtime.responses, request.params.id, callerOf(request));
    if (typeof found === "string") throw responseNotFound(request.params.id);
    await app.runtime.responses.delete(request.params.id);
    return { id: request.params.id, object: "response" as const, deleted: true as const };
  });

  api.get(
    "/v1/responses/:id/input_items",
    { config, schema: { params: IdParams, querystring: InputItemsQuery, response: { 200: InputItemList } } },
    async (request) => {
      const found = await ownedResponse(app.runtime.responses, request.params.id, callerOf(request));
      if (typeof found === "string") throw responseNotFound(request.params.id);
      const limit = request.query.limit === undefined ? 20 : Number(request.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw Errors.invalidField("limit", "limit must be an integer from 1 to 100.");
      const order = request.query.order ?? "desc";
      if (order !== "asc" && order !== "desc") throw Errors.invalidField("order", "order must be 'asc' or 'desc'.");
      const items = order === "desc" ? [...found.inputItems].reverse() : found.inputItems;
      let start = 0;
      if (request.query.after) {
        start = items.findIndex((i) => i.id === request.query.after) + 1;
        if (start === 0) throw Errors.invalidField("after", `No input item with id '${request.query.after}'.`);
      }
      const data = items.slice(start, start + limit);
      return {
        object: "list" as const,
        data,
        first_id: (data[0]?.id as string | undefined) ?? null,
        last_id: (data[data.length - 1]?.id as string | undefined) ?? null,
        has_more: start + limit < items.length,
      };
    },
  );
}
