// Crossing wire formats through the hub: encode the client's request for a backend of another
// format, then decode that backend's answer (JSON or SSE) and encode it in the client's format.

import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { FastifyReply } from "fastify";
import { createParser } from "eventsource-parser";
import {
  type LlmRequest,
  type LlmResponse,
  type StreamDecoder,
  type StreamEncoder,
  type StreamEvent,
  type TranslateContext,
  TranslateError,
  type Translated,
  type TranslationWarning,
  createChatStreamDecoder,
  createChatStreamEncoder,
  createMessagesStreamDecoder,
  createMessagesStreamEncoder,
  createResponsesStreamDecoder,
  createResponsesStreamEncoder,
  decodeChatResponse,
  decodeMessagesResponse,
  decodeResponsesResponse,
  encodeChatRequest,
  encodeChatResponse,
  encodeMessagesPing,
  encodeMessagesRequest,
  encodeMessagesResponse,
  encodeResponsesRequest,
  encodeResponsesResponse,
  messagesOnlyFieldWarnings,
  parseUpstreamJson,
} from "@yallmproxy/translate";
import { type ClientFormat, Errors, ProxyError } from "../errors.js";
import { type Backend, type BackendFormat, UpstreamError } from "../upstream/types.js";
import { applyParameters } from "./apply-parameters.js";
import { limitResponseToolCalls, limitStreamToolCalls } from "./max-tool-calls.js";
import type { CrossFormatHandler } from "./proxy-request.js";
import { type RelayTap, SSE_HEADERS, type TokenUsage, readAll, streamErrorCode, writeWithBackpressure } from "./relay.js";
import { badJsonBody, bodyFailure, contentTypeOf, notAnEventStream, reportedFailure, snippet, wrongContentType } from "./upstream-answer.js";

export const translateContext: TranslateContext = {
  now: () => Math.floor(Date.now() / 1000),
  // randomUUID draws from a cached entropy pool: far cheaper than a randomBytes call per id.
  newId: (prefix) => `${prefix}${randomUUID().replaceAll("-", "").slice(0, 24)}`,
};

/** A Responses client's own settings for the answer it gets (ids, echo, storing). */
export interface ResponsesAnswer {
  id: string;
  previousResponseId: string | null;
  /** Called with the final Response before its terminal event (or JSON body) goes out. */
  onFinal?(response: Record<string, unknown>, backend: Backend): Promise<void>;
  /** Ids for the output items (`msg_`, `fc_`, `rs_`), e.g. tied to the response id. */
  newItemId?(prefix: string): string;
}

/** The context a Responses client's answer is encoded with (its own item ids, when set). */
function responsesContext(settings: TranslationSettings): TranslateContext {
  const newItemId = settings.responses?.newItemId;
  return newItemId ? { ...translateContext, newId: (prefix) => newItemId(prefix) } : translateContext;
}

export interface TranslationSettings {
  clientFormat: ClientFormat;
  /** The decoded client request (decoded once, shared by every backend tried). */
  request: LlmRequest;
  /** The model name the client asked for, echoed in answers. */
  requestedModel: string;
  stream: boolean;
  /** Chat clients: `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Warnings of every translation step; the caller logs them. */
  warnings: TranslationWarning[];
  responses?: ResponsesAnswer;
  /** Headers forwarded to Anthropic backends (`anthropic-version`, `anthropic-beta`). */
  anthropicHeaders?: Record<string, string>;
  /** Interval of `event: ping` frames while an upstream is silent (Anthropic clients). */
  pingIntervalMs?: number;
}

const BACKEND_PATH: Record<BackendFormat, string> = { chat: "/chat/completions", responses: "/responses", messages: "/messages" };

export function translateError(err: unknown): ProxyError {
  if (err instanceof TranslateError) {
    return new ProxyError(err.status, err.message, { param: err.param ?? null, code: err.code ?? "invalid_value" });
  }
  throw err;
}

function collect<T>(t: Translated<T>, warnings: TranslationWarning[]): T {
  warnings.push(...t.warnings);
  return t.value;
}

export function createCrossFormatHandler(settings: TranslationSettings, backendFormat: BackendFormat): CrossFormatHandler {
  const { request, warnings } = settings;
  // Only a Responses backend enforces `max_tool_calls` itself; for the others the proxy does.
  const limitsToolCalls = request.maxToolCalls !== undefined && backendFormat !== "responses";
  return {
    encode(backend) {
      const route = backend.route;
      try {
        let body: Record<string, unknown>;
        let headers: Record<string, string> | undefined;
        switch (backendFormat) {
          case "chat":
            body = collect(encodeChatRequest(request, { model: route.upstreamModel, supportsReasoning: route.supportsReasoning }), warnings);
            if (route.thinking && body.thinking === undefined && !request.responseFormat) body.thinking = route.thinking;
            break;
          case "responses":
            body = collect(encodeResponsesRequest(request, { model: route.upstreamModel }), warnings);
            break;
          case "messages":
            body = collect(encodeMessagesRequest(request, { model: route.upstreamModel }), warnings);
            headers = settings.anthropicHeaders;
            break;
        }
        if (settings.clientFormat === "messages" && backendFormat !== "messages") warnings.push(...messagesOnlyFieldWarnings(request));
        applyParameters(body, route.parameters);
        return { path: BACKEND_PATH[backendFormat], body, ...(headers ? { headers } : {}) };
      } catch (err) {
        return translateError(err);
      }
    },

    async respond({ backend, upstream, reply, request: fastifyRequest, signal, tap }) {
      if (!settings.stream) {
        const name = backend.route.name;
        const wrong = wrongContentType(contentTypeOf(upstream.headers), false);
        if (wrong) throw Errors.upstreamBadResponse(name, wrong);
        let raw: Buffer;
        try {
          raw = await readAll(upstream.body);
        } catch (err) {
          throw bodyFailure(err, name);
        }
        tap?.upstream(raw);
        const bad = badJsonBody(raw);
        if (bad) throw Errors.upstreamBadResponse(name, bad);
        let json: unknown;
        try {
          json = parseUpstreamJson(raw.toString("utf8"));
        } catch {
          throw Errors.upstreamBadResponse(name, `a body that is not JSON (${snippet(raw)})`);
        }
        const failure = reportedFailure(backendFormat, json);
        if (failure !== undefined) throw Errors.upstreamReportedError(name, failure);
        let decoded: LlmResponse;
        try {
          decoded = collect(decodeBackendResponse(backendFormat, json), warnings);
          if (limitsToolCalls) decoded = limitResponseToolCalls(decoded, request.maxToolCalls!, warnings);
        } catch (err) {
          const e = err instanceof TranslateError ? err : new TranslateError(String(err));
          throw Errors.upstreamBadResponse(backend.route.name, `an answer of an unexpected shape (${e.message})`);
        }
        const body = encodeClientResponse(settings, decoded);
        if (settings.responses?.onFinal) await settings.responses.onFinal(body, backend);
        const text = JSON.stringify(body);
        tap?.client(text);
        reply.code(200).header("content-type", "application/json").send(text);
        return { usage: usageOfHub(decoded.usage) };
      }

      const wrong = wrongContentType(contentTypeOf(upstream.headers), true);
      if (wrong) throw await notAnEventStream(upstream, backend, wrong);
      reply.hijack();
      reply.raw.writeHead(200, { ...SSE_HEADERS, "x-request-id": String(fastifyRequest.id) });
      let final: Record<string, unknown> | undefined;
      let answered = false;
      const encoder = createClientStreamEncoder(settings, (response) => {
        final = response;
      });
      const result = await relayTranslatedStream({
        ...(tap ? { tap } : {}),
        body: upstream.body,
        decoder: limitsToolCalls ? limitStreamToolCalls(createBackendStreamDecoder(backendFormat), request.maxToolCalls!, warnings) : createBackendStreamDecoder(backendFormat),
        encoder,
        raw: reply.raw,
        signal,
        ...(settings.pingIntervalMs ? { ping: { intervalMs: settings.pingIntervalMs, frame: encodeMessagesPing() } } : {}),
        holdsFinal: () => final !== undefined,
        beforeWrite: async () => {
          if (!final) return;
          const response = final;
          final = undefined;
          if (settings.responses?.onFinal) await settings.responses.onFinal(response, backend);
          // The terminal event goes out now (unless the client already left): a client that hangs
          // up once it has it (Codex does) got its whole answer, even if the upstream is not done.
          answered = !reply.raw.destroyed && !signal.aborted;
        },
      });
      if (!result.clientGone) reply.raw.end();
      const clientGone = result.clientGone && !answered;
      return { usage: usageOfHub(result.usage), ...(result.upstreamError ? { upstreamError: result.upstreamError } : {}), clientGone };
    },
  };
}

function decodeBackendResponse(format: BackendFormat, json: unknown): Translated<LlmResponse> {
  switch (format) {
    case "chat":
      return decodeChatResponse(json);
    case "responses":
      return decodeResponsesResponse(json);
    case "messages":
      return decodeMessagesResponse(json, translateContext);
  }
}

function encodeClientResponse(settings: TranslationSettings, response: LlmResponse): Record<string, unknown> {
  const { warnings } = settings;
  switch (settings.clientFormat) {
    case "chat":
      return collect(encodeChatResponse(response, translateContext, { model: settings.requestedModel }), warnings);
    case "responses":
      return collect(
        encodeResponsesResponse({
          response,
          request: settings.request,
          ctx: responsesContext(settings),
          model: settings.requestedModel,
          ...(settings.responses ? { id: settings.responses.id, previousResponseId: settings.responses.previousResponseId } : {}),
        }),
        warnings,
      );
    case "messages":
      return collect(encodeMessagesResponse({ ...response, model: settings.requestedModel }, translateContext), warnings);
  }
}

function createBackendStreamDecoder(format: BackendFormat): StreamDecoder {
  switch (format) {
    case "chat":
      return createChatStreamDecoder();
    case "responses":
      return createResponsesStreamDecoder();
    case "messages":
      return createMessagesStreamDecoder();
  }
}

function createClientStreamEncoder(settings: TranslationSettings, onFinal: (response: Record<string, unknown>) => void): StreamEncoder {
  switch (settings.clientFormat) {
    case "chat":
      return createChatStreamEncoder(translateContext, { model: settings.requestedModel, includeUsage: settings.includeUsage });
    case "responses":
      return createResponsesStreamEncoder({
        ctx: responsesContext(settings),
        request: settings.request,
        model: settings.requestedModel,
        ...(settings.responses ? { id: settings.responses.id, previousResponseId: settings.responses.previousResponseId } : {}),
        onComplete: onFinal,
      });
    case "messages":
      return createMessagesStreamEncoder({ ctx: translateContext, model: settings.requestedModel, inputTokens: estimateInputTokens(settings.request) });
  }
}

/** A cheap prompt-size estimate (characters / 4) for `message_start`; the exact count follows in `message_delta`. */
function estimateInputTokens(request: LlmRequest): number {
  let chars = 0;
  for (const m of request.messages) {
    for (const part of m.content) {
      if (part.type === "text") chars += part.text.length;
      else if (part.type === "tool_call") chars += part.arguments.length;
      else if (part.type === "reasoning") chars += part.text.length;
    }
  }
  for (const t of request.tools ?? []) chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.parameters).length;
  return Math.ceil(chars / 4);
}

function usageOfHub(usage: LlmResponse["usage"]): TokenUsage {
  if (!usage) return {};
  return { promptTokens: usage.inputTokens, completionTokens: usage.outputTokens, totalTokens: usage.totalTokens };
}

interface TranslatedRelayResult {
  usage: LlmResponse["usage"];
  upstreamError?: string;
  clientGone: boolean;
}

/**
 * Upstream SSE → hub events → client SSE, written with backpressure. An upstream that breaks or
 * ends early becomes the client format's own error/terminal events (the encoder's `end()`).
 */
export async function relayTranslatedStream(args: {
  body: Readable;
  decoder: StreamDecoder;
  encoder: StreamEncoder;
  raw: FastifyReply["raw"];
  signal: AbortSignal;
  ping?: { intervalMs: number; frame: string };
  beforeWrite?: () => Promise<void>;
  /** Whether a terminal event is waiting for `beforeWrite` (only it is held back). */
  holdsFinal?: () => boolean;
  tap?: RelayTap;
}): Promise<TranslatedRelayResult> {
  const { decoder, encoder, raw, signal } = args;
  let usage: LlmResponse["usage"];
  let pending = "";
  let ended = false;
  // Where the held terminal event starts in `pending`: what comes before it is written at once.
  let heldFrom: number | undefined;
  const append = (text: string, before: number, wasHolding: boolean) => {
    pending += text;
    if (!wasHolding && args.holdsFinal?.()) heldFrom ??= before;
  };
  const onEvents = (events: StreamEvent[]) => {
    for (const ev of events) {
      if (ev.type === "usage") usage = ev.usage;
      else if (ev.type === "end") ended = true;
      const before = pending.length;
      const wasHolding = args.holdsFinal?.() ?? false;
      append(encoder.push(ev), before, wasHolding);
    }
  };
  const parser = createParser({ onEvent: (e) => onEvents(decoder.push({ ...(e.event ? { event: e.event } : {}), data: e.data })) });
  const utf8 = new TextDecoder();
  let lastWrite = Date.now();
  let wroteAny = false;
  const write = (out: string): Promise<boolean> => {
    args.tap?.client(out);
    lastWrite = Date.now();
    wroteAny = true;
    return writeWithBackpressure(raw, out, signal);
  };
  const flush = async (): Promise<boolean> => {
    if (!pending) return true;
    if (heldFrom !== undefined && heldFrom > 0) {
      const head = pending.slice(0, heldFrom);
      pending = pending.slice(heldFrom);
      heldFrom = 0;
      if (!(await write(head))) return false;
      // Node sends a write on the next tick; let it go out before the store write runs.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (args.beforeWrite) await args.beforeWrite();
    heldFrom = undefined;
    const out = pending;
    pending = "";
    return write(out);
  };
  const pinger = args.ping
    ? setInterval(() => {
        if (Date.now() - lastWrite >= args.ping!.intervalMs && !raw.destroyed) {
          // A stream opens with its start event (Anthropic: `message_start`), never with a ping.
          const opening = wroteAny ? "" : encoder.push({ type: "start", id: "", model: "", created: 0 });
          raw.write(opening + args.ping!.frame);
          lastWrite = Date.now();
          wroteAny = true;
        }
      }, Math.max(50, Math.floor(args.ping.intervalMs / 2)))
    : undefined;
  let upstreamError: string | undefined;
  try {
    for await (const chunk of args.body) {
      args.tap?.upstream(chunk as Buffer);
      parser.feed(utf8.decode(chunk as Buffer, { stream: true }));
      if (!(await flush())) {
        args.body.destroy();
        return { usage, clientGone: true };
      }
    }
    parser.feed(utf8.decode());
    if (!ended) onEvents(decoder.end());
  } catch (err) {
    if (signal.aborted || raw.destroyed) return { usage, clientGone: true };
    upstreamError = err instanceof UpstreamError ? err.message : `upstream stream broke: ${(err as Error).message}`;
    const code = streamErrorCode(err);
    onEvents([{ type: "error", error: code ? { type: "server_error", code, status: 503, message: upstreamError } : { type: "server_error", message: upstreamError } }]);
  } finally {
    if (pinger) clearInterval(pinger);
  }
  const beforeEnd = pending.length;
  append(encoder.end(), beforeEnd, args.holdsFinal?.() ?? false);
  const ok = await flush();
  return { usage, clientGone: !ok, ...(upstreamError ? { upstreamError } : {}) };
}
