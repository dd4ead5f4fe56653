// Crossing wire formats through the hub: encode the client's request for a backend of another
// format, then decode that backend's answer (JSON or SSE) and encode it in the client's format.
// Both formats are looked up in the codec registry; nothing here knows one format from another.

import {
  type AnswerOptions,
  type Codec,
  type DecodeRequestOptions,
  type LlmRequest,
  type LlmResponse,
  TranslateError,
  type Translated,
  applyResponseModules,
  type TranslationWarning,
  type WireFormat,
  codecs,
  parseUpstreamJson,
  withResponseModules,
} from "@yallmproxy/translate";
import { Errors, ProxyError } from "../errors.js";
import type { Backend } from "../upstream/types.js";
import { applyParameters } from "./apply-parameters.js";
import { limitResponseToolCalls, limitStreamToolCalls } from "./max-tool-calls.js";
import type { CrossFormatHandler } from "./proxy-request.js";
import { SSE_HEADERS, readAll } from "./relay.js";
import { relayTranslatedStream } from "./relay-translated.js";
import { translateContext } from "./translate-context.js";
import type { TokenUsage } from "./usage.js";
import { badJsonBody, bodyFailure, contentTypeOf, notAnEventStream, snippet, wrongContentType } from "./upstream-answer.js";

// Routes take the context from here with the rest of the translation settings.
export { translateContext };

/** A Responses client's own settings for the answer it gets (ids, echo, storing). */
interface ResponsesAnswer {
  id: string;
  previousResponseId: string | null;
  /** Called with the final Response before its terminal event (or JSON body) goes out. */
  onFinal?(response: Record<string, unknown>, backend: Backend): Promise<void>;
  /** Ids for the output items (`msg_`, `fc_`, `rs_`), e.g. tied to the response id. */
  newItemId?(prefix: string): string;
  /** Items the output starts with (the compaction the proxy ran before the model). */
  leadingItems?: Array<Record<string, unknown>>;
  /** Raw reasoning as a summary, as `reasoning_text` content, or both. */
  rawReasoning?: "summary" | "content" | "both";
}

export interface TranslationSettings {
  clientFormat: WireFormat;
  /** The decoded client request (decoded once, shared by every backend tried). */
  request: LlmRequest;
  /** The model name the client asked for, echoed in answers. */
  requestedModel: string;
  stream: boolean;
  /** Warnings of every translation step; the caller logs them. */
  warnings: TranslationWarning[];
  responses?: ResponsesAnswer;
  /** Interval of keep-alive frames while an upstream is silent (formats that have one). */
  pingIntervalMs?: number;
  /** A Messages stream's opening prompt-size estimate, when `request` holds stand-ins for its text. */
  inputTokens?: () => number;
}

function translateError(err: unknown): ProxyError {
  if (err instanceof TranslateError) {
    return Errors.untranslatable(err.status, err.message, err.param ?? null, err.code ?? "invalid_value");
  }
  throw err;
}

/**
 * The client's request decoded by its format's codec, once, on first call: a same-format backend
 * gets the body as sent, so a relayed or stood-in body is decoded only if another format must serve it.
 * Its warnings join `warnings`; a body the hub cannot represent comes back as the client's error.
 */
export function lazyDecoder(format: WireFormat, body: unknown, warnings: TranslationWarning[], opts?: DecodeRequestOptions): () => LlmRequest | ProxyError {
  let decoded: LlmRequest | undefined;
  return () => {
    if (decoded) return decoded;
    try {
      decoded = collect(codecs[format].decodeRequest(body, opts), warnings);
    } catch (err) {
      return translateError(err);
    }
    return decoded;
  };
}

function collect<T>(t: Translated<T>, warnings: TranslationWarning[]): T {
  warnings.push(...t.warnings);
  return t.value;
}

/** How the client's answer is encoded: its model, its request, and a Responses client's ids. */
function answerOptions(settings: TranslationSettings): AnswerOptions {
  const answer = settings.responses;
  const newItemId = answer?.newItemId;
  return {
    ctx: newItemId ? { ...translateContext, newId: (prefix) => newItemId(prefix) } : translateContext,
    request: settings.request,
    model: settings.requestedModel,
    ...(answer ? { id: answer.id, previousResponseId: answer.previousResponseId } : {}),
    ...(answer?.leadingItems ? { leadingItems: answer.leadingItems } : {}),
    ...(answer?.rawReasoning ? { rawReasoning: answer.rawReasoning } : {}),
    ...(settings.inputTokens ? { inputTokens: settings.inputTokens } : {}),
  };
}

export function createCrossFormatHandler(settings: TranslationSettings, backendFormat: WireFormat): CrossFormatHandler {
  const { request, warnings } = settings;
  const client = codecs[settings.clientFormat];
  const upstream = codecs[backendFormat];
  // Backends that do not enforce `max_tool_calls` themselves get it enforced by the proxy.
  const toolCallLimit = request.maxToolCalls !== undefined && !upstream.enforcesMaxToolCalls ? request.maxToolCalls : undefined;
  return {
    encode(backend) {
      const route = backend.route;
      try {
        const body = collect(
          upstream.encodeRequest(request, {
            model: route.upstreamModel,
            supportsReasoning: route.supportsReasoning,
            ...(route.thinking ? { thinking: route.thinking } : {}),
          }),
          warnings,
        );
        if (client.crossFormatWarnings) warnings.push(...client.crossFormatWarnings(request));
        applyParameters(body, route.parameters);
        return { path: upstream.path, body };
      } catch (err) {
        return translateError(err);
      }
    },
    respond: (args) =>
      settings.stream ? respondStream(settings, client, upstream, toolCallLimit, args) : respondJson(settings, client, upstream, toolCallLimit, args),
  };
}

type RespondArgs = Parameters<CrossFormatHandler["respond"]>[0];
type RespondResult = Awaited<ReturnType<CrossFormatHandler["respond"]>>;

/** A whole JSON answer: checked, decoded from the backend's format, encoded in the client's. */
async function respondJson(
  settings: TranslationSettings,
  client: Codec,
  upstream: Codec,
  toolCallLimit: number | undefined,
  args: RespondArgs,
): Promise<RespondResult> {
  const { backend, tap, reply } = args;
  const { warnings } = settings;
  const name = backend.route.name;
  const wrong = wrongContentType(contentTypeOf(args.upstream.headers), false);
  if (wrong) throw Errors.upstreamBadResponse(name, wrong);
  let raw: Buffer;
  try {
    raw = await readAll(args.upstream.body);
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
  const failure = upstream.reportedFailure(json);
  if (failure !== undefined) throw Errors.upstreamReportedError(name, failure);
  let decoded: LlmResponse;
  try {
    decoded = collect(upstream.decodeResponse(json, translateContext), warnings);
    const modules = backend.route.responseModules?.modules;
    if (modules) decoded = applyResponseModules(decoded, modules, translateContext, warnings);
    if (toolCallLimit !== undefined) decoded = limitResponseToolCalls(decoded, toolCallLimit, warnings);
  } catch (err) {
    const e = err instanceof TranslateError ? err : new TranslateError(String(err));
    throw Errors.upstreamBadResponse(name, `an answer of an unexpected shape (${e.message})`);
  }
  const body = collect(client.encodeResponse(decoded, answerOptions(settings)), warnings);
  if (settings.responses?.onFinal) await settings.responses.onFinal(body, backend);
  const text = JSON.stringify(body);
  tap?.client(text);
  reply.code(200).header("content-type", "application/json").send(text);
  const first = decoded.choices[0];
  const toolCalls = decoded.choices.reduce((n, c) => n + c.content.filter((p) => p.type === "tool_call").length, 0);
  return { usage: usageOfHub(decoded.usage), ...(first ? { finish: first.finishReason } : {}), toolCalls };
}

/** A stream: the backend's events decoded and re-encoded one by one, the final Response held for `onFinal`. */
async function respondStream(
  settings: TranslationSettings,
  client: Codec,
  upstream: Codec,
  toolCallLimit: number | undefined,
  args: RespondArgs,
): Promise<RespondResult> {
  const { backend, reply, signal, tap } = args;
  const wrong = wrongContentType(contentTypeOf(args.upstream.headers), true);
  if (wrong) throw await notAnEventStream(args.upstream, backend, wrong);
  reply.hijack();
  reply.raw.writeHead(200, { ...SSE_HEADERS, "x-request-id": String(args.request.id) });
  let final: Record<string, unknown> | undefined;
  let answered = false;
  const encoder = client.createStreamEncoder({
    ...answerOptions(settings),
    onComplete: (response) => {
      final = response;
    },
  });
  const modules = backend.route.responseModules?.modules;
  const decoded = upstream.createStreamDecoder(settings.warnings);
  const decoder = modules ? withResponseModules(decoded, modules, translateContext, settings.warnings) : decoded;
  const keepAlive = settings.pingIntervalMs && client.keepAliveFrame ? { intervalMs: settings.pingIntervalMs, frame: client.keepAliveFrame } : undefined;
  const result = await relayTranslatedStream({
    ...(tap ? { tap } : {}),
    body: args.upstream.body,
    decoder: toolCallLimit !== undefined ? limitStreamToolCalls(decoder, toolCallLimit, settings.warnings) : decoder,
    encoder,
    raw: reply.raw,
    signal,
    ...(keepAlive ? { ping: keepAlive } : {}),
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
  return {
    usage: usageOfHub(result.usage),
    ...(result.finish ? { finish: result.finish } : {}),
    toolCalls: result.toolCalls,
    ...(result.upstreamError ? { upstreamError: result.upstreamError } : {}),
    clientGone,
  };
}

function usageOfHub(usage: LlmResponse["usage"]): TokenUsage {
  if (!usage) return {};
  const out: TokenUsage = { promptTokens: usage.inputTokens, completionTokens: usage.outputTokens, totalTokens: usage.totalTokens };
  if (usage.cachedInputTokens !== undefined) out.cachedTokens = usage.cachedInputTokens;
  if (usage.cacheWriteTokens !== undefined) out.cacheWriteTokens = usage.cacheWriteTokens;
  if (usage.reasoningTokens !== undefined) out.reasoningTokens = usage.reasoningTokens;
  return out;
}
