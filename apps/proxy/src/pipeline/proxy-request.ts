// One client request from routing to the last byte: access check, concurrency slot, failover call,
// then the answer relayed as-is (same wire format) or translated through the hub (different format).

import type { FastifyReply, FastifyRequest } from "fastify";
import { mayUseModel } from "../auth.js";
import { Cancel } from "../cancel.js";
import type { Caller } from "../auth.js";
import { type ClientFormat, Errors, ProxyError, errorBodyFor } from "../errors.js";
import { callWithFailover, readLimited, routesForModel, stripProviderPrefix, upstreamHttpError } from "../router.js";
import type { ProxyRuntime } from "../runtime.js";
import type { Backend, UpstreamResponse } from "../upstream/types.js";
import type { InFlight } from "../shutdown.js";
import { parseUpstreamJson } from "@yallmproxy/translate";
import { passthroughBody, passthroughRaw } from "./apply-parameters.js";
import { materializeRelayed, relayedBytes, relaysUnparsed } from "./relay-intake.js";
import { materializeSkeleton, restoreSkeleton } from "./skeleton-intake.js";
import type { Trace } from "../ops/trace.js";
import { type RelayTap, SSE_HEADERS, directFrom, readAll, relayDirect, relayJson } from "./relay.js";
import { relayResponsesCapturing } from "./relay-responses.js";
import { type TokenUsage, usageFromChatTail, usageFromJsonTail, usageOf } from "./usage.js";
import { badJsonBody, bodyFailure, checkJsonAnswer, contentTypeOf, notAnEventStream, snippet, wrongContentType } from "./upstream-answer.js";

/** Pass-through JSON bodies up to this size are held until they end (beyond it, relayed as they come). */
const JSON_HOLD_BYTES = 4 * 1024 * 1024;

interface ClientCall {
  format: ClientFormat;
  /** The endpoint path without `/v1`, as a same-format upstream gets it. */
  path: string;
  body: Record<string, unknown>;
  /** `body` as the client sent it, when the route passes that body on unchanged. */
  rawBody?: Buffer;
  stream: boolean;
  /** Headers to forward to same-format upstreams (e.g. `anthropic-beta`). */
  forwardHeaders?: Record<string, string>;
  /** Aborts the call from outside (a background run being cancelled). */
  signal?: AbortSignal;
  /**
   * Responses pass-through: gets the upstream's final Response before its terminal event (or JSON
   * body) reaches the client, so the proxy can store it.
   */
  captureResponse?: (response: Record<string, unknown>, backend: Backend) => Promise<void>;
}

/** How a request crosses from the client's wire format to a backend's and back. */
export interface CrossFormatHandler {
  /** The upstream request for a backend of another format, or why it cannot serve this request. */
  encode(backend: Backend): { path: string; body: Record<string, unknown>; rawBody?: Buffer; headers?: Record<string, string> } | ProxyError;
  /** Answers the client from a successful upstream response of another format. */
  respond(args: {
    backend: Backend;
    upstream: UpstreamResponse;
    request: FastifyRequest;
    reply: FastifyReply;
    signal: AbortSignal;
    tap?: RelayTap;
  }): Promise<{ usage?: TokenUsage; upstreamError?: string; clientGone?: boolean }>;
}

export interface ProxyCallOptions {
  runtime: ProxyRuntime;
  request: FastifyRequest;
  reply: FastifyReply;
  call: ClientCall;
  /** Translation warnings, logged with the request. */
  warnings?: import("@yallmproxy/translate").TranslationWarning[];
  /** Builds the cross-format handler for this call; absent when only same-format backends can serve it. */
  crossFormat?: (backendFormat: Backend["format"]) => CrossFormatHandler | ProxyError;
}

export async function proxyRequest(opts: ProxyCallOptions): Promise<void> {
  const { runtime, request, call } = opts;
  const caller = (request as FastifyRequest & { caller?: Caller }).caller ?? { keyId: undefined, key: undefined };
  const requested = typeof call.body.model === "string" ? call.body.model : "";
  const model = stripProviderPrefix(requested);
  const ops = runtime.ops;
  const trace = ops.start(String(request.id), model, caller.keyId, call.format, call.stream);
  trace.setClientRequest(call.body, request.headers);
  const log: Record<string, unknown> = { reqId: request.id, model, client: call.format, stream: call.stream, key: caller.keyId };
  try {
    await proxyRequestTraced(opts, trace, log, caller, model, requested);
  } catch (err) {
    log.status ??= err instanceof ProxyError ? err.status : 500;
    trace.error = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    trace.promptTokens = (log.promptTokens as number | undefined) ?? null;
    trace.completionTokens = (log.completionTokens as number | undefined) ?? null;
    if (opts.warnings?.length) trace.warningList = opts.warnings;
    if (log.upstreamError && !trace.error) trace.error = String(log.upstreamError);
    trace.finish((log.status as number | undefined) ?? opts.reply.raw.statusCode);
    ops.finish(trace);
  }
}

async function proxyRequestTraced(
  opts: ProxyCallOptions,
  trace: Trace,
  log: Record<string, unknown>,
  caller: Caller,
  model: string,
  requested: string,
): Promise<void> {
  const { runtime, request, reply, call } = opts;
  const started = performance.now();
  const { config, backends } = runtime.generation;
  const tap: RelayTap = {
    upstream: (chunk) => {
      trace.upstreamChunk(chunk);
      runtime.ops.progress(trace);
    },
    client: (data) => trace.clientChunk(data),
  };
  const routes = routesForModel(config, model);
  const primary = routes[0];
  if (!primary) throw Errors.modelNotFound(requested);
  if (!mayUseModel(config, caller, primary)) throw Errors.modelNotAllowed(model);
  const allowed = routes.filter((r) => mayUseModel(config, caller, r));

  const cancel = new Cancel();
  const flight: InFlight = { cancel, answered: undefined };
  runtime.inFlight.add(flight);
  const onClose = () => {
    if (!reply.raw.writableFinished) cancel.abort();
  };
  reply.raw.on("close", onClose);
  const onExternalAbort = () => cancel.abort();
  if (call.signal?.aborted) cancel.abort();
  else call.signal?.addEventListener("abort", onExternalAbort, { once: true });

  const concurrency = caller.key?.concurrency ?? config.appKeys.unauthenticated;
  const acquired = runtime.limiter.acquire(caller.keyId, model, concurrency, cancel);
  const slot = typeof acquired === "function" ? acquired : await acquired;
  if (slot instanceof ProxyError) {
    runtime.inFlight.delete(flight);
    reply.raw.removeListener("close", onClose);
    call.signal?.removeEventListener("abort", onExternalAbort);
    if (cancel.reason instanceof ProxyError) throw cancel.reason;
    if (slot.status === 499) return closeGone(reply, slot);
    throw slot;
  }

  const cross = new Map<string, CrossFormatHandler | ProxyError>();
  const handlerFor = (backend: Backend): CrossFormatHandler | ProxyError => {
    let h = cross.get(backend.format);
    if (!h) {
      h = opts.crossFormat
        ? opts.crossFormat(backend.format)
        : new ProxyError(400, `The backend of \`${backend.route.name}\` speaks ${backend.format}, which ${call.format} requests cannot be translated to.`, { code: "unsupported_backend_format" });
      cross.set(backend.format, h);
    }
    return h;
  };

  const prepared = new Map<Backend, { path: string; body: Record<string, unknown> }>();
  try {
    const result = await callWithFailover({
      backends: allowed.map((r) => backends.get(r.name) as Backend),
      prepare: (backend) => {
        let out: ReturnType<CrossFormatHandler["encode"]>;
        // A body relayed unparsed is parsed after all for a backend that needs it (after a config reload).
        if (request.relay && !(backend.format === call.format && relaysUnparsed(backend.route, backend.format))) {
          const failed = materializeRelayed(request, call.body);
          if (failed) return failed;
        }
        if (request.skeleton && backend.format === call.format) {
          const failed = materializeSkeleton(request, call.body);
          if (failed) return failed;
        }
        if (request.relay) {
          const rawBody = relayedBytes(request.relay, call.body.model, backend.route.upstreamModel);
          out = { path: call.path, body: { ...call.body, model: backend.route.upstreamModel }, rawBody, ...(call.forwardHeaders ? { headers: call.forwardHeaders } : {}) };
        } else if (backend.format === call.format) {
          const isChat = backend.format === "chat";
          const raw = call.rawBody && passthroughRaw(call.rawBody, call.body, backend.route, isChat);
          // With the bytes relayed, the parsed body only names what was sent (traces, the mock backend).
          const body = raw ? { ...call.body, model: backend.route.upstreamModel } : passthroughBody(call.body, backend.route, isChat);
          out = { path: call.path, body, ...(raw ? { rawBody: raw } : {}), ...(call.forwardHeaders ? { headers: call.forwardHeaders } : {}) };
        } else {
          const h = handlerFor(backend);
          out = h instanceof ProxyError ? h : h.encode(backend);
          if (request.skeleton && !(out instanceof ProxyError)) out = restoreSkeleton(request.skeleton, out, backend);
        }
        if (out instanceof ProxyError) return out;
        prepared.set(backend, out);
        return { path: out.path, body: out.body, stream: call.stream, ...(out.rawBody ? { rawBody: out.rawBody } : {}), ...(out.headers ? { headers: out.headers } : {}) };
      },
      onAttempt: (a) => {
        trace.addAttempt(a);
        if (a.outcome === "retry") runtime.ops.metrics.retries.inc({ backend: a.backend });
      },
      cancel,
      numRetries: config.router.numRetries,
      retryBaseDelayMs: config.router.retryBaseDelayMs,
      retryMaxDelayMs: config.router.retryMaxDelayMs,
    });
    log.attempts = result.attempts.length;
    if (result.attempts.length > 1) log.failover = result.attempts.map((a) => `${a.backend}#${a.attempt}:${a.status ?? a.error}:${a.outcome}`);

    if (!result.ok) {
      if (result.error.status === 499) {
        log.status = 499;
        return closeGone(reply, result.error);
      }
      throw result.error;
    }
    const { backend, response } = result;
    flight.answered = response;
    log.backend = backend.route.name;
    trace.backend = backend.route.name;
    trace.backendFormat = backend.format;
    const sent = prepared.get(backend);
    if (sent) trace.setUpstreamRequest(backend.route.apiBase + sent.path, sent.body);
    const firstBackend = result.attempts[0]?.backend;
    if (firstBackend && firstBackend !== backend.route.name) runtime.ops.metrics.fallbacks.inc({ from: firstBackend, to: backend.route.name });
    const sameFormat = backend.format === call.format;

    if (response.status >= 400) {
      const body = await readLimited(response.body, 1024 * 1024);
      tap.upstream(body);
      const err = upstreamHttpError(response, body);
      log.status = err.status;
      if (sameFormat) {
        for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
        reply.code(response.status).header("content-type", err.upstreamContentType ?? "application/json").send(body);
      } else {
        throw new ProxyError(err.status, err.message, { type: err.type, code: err.code, param: err.param, headers: err.headers });
      }
      return;
    }

    if (!sameFormat) {
      const h = handlerFor(backend) as CrossFormatHandler;
      const out = await h.respond({ backend, upstream: response, request, reply, signal: cancel.signal, tap });
      log.status = out.clientGone ? 499 : reply.raw.statusCode;
      if (out.usage) Object.assign(log, out.usage);
      if (out.upstreamError) log.upstreamError = out.upstreamError;
      return;
    }

    if (call.stream) {
      const wrong = wrongContentType(contentTypeOf(response.headers), true);
      if (wrong) throw await notAnEventStream(response, backend, wrong);
      reply.hijack();
      reply.raw.writeHead(200, { ...SSE_HEADERS, "x-request-id": String(request.id) });
      const capture = call.captureResponse;
      const relayed = capture
        ? await relayResponsesCapturing(response.body, reply.raw, cancel.signal, (final) => capture(final, backend), tap)
        : await relayDirect(response.direct ?? directFrom(response.body), reply.raw, call.format, cancel, tap);
      if (relayed.firstChunkAt) log.ttfbMs = round(relayed.firstChunkAt - started);
      if (relayed.upstreamError) log.upstreamError = relayed.upstreamError;
      log.status = relayed.clientGone ? 499 : 200;
      if (!relayed.clientGone) reply.raw.end();
      const usage = usageFromChatTail(relayed.tail);
      if (usage) Object.assign(log, usage);
      return;
    }

    const type = contentTypeOf(response.headers) ?? "application/json";
    const wrong = wrongContentType(type, false);
    if (wrong) throw Errors.upstreamBadResponse(backend.route.name, wrong);
    log.status = response.status;
    if (!call.captureResponse) {
      // Held until it ends (up to JSON_HOLD_BYTES), so a body that breaks or is not JSON still gets
      // an error status; checked by its first and last bytes, never parsed; usage read from the tail.
      const head = (length?: number) => {
        reply.hijack();
        reply.raw.writeHead(response.status, { "content-type": type, "x-request-id": String(request.id), ...(length !== undefined ? { "content-length": length } : {}) });
      };
      const relayed = await relayJson(response.direct ?? directFrom(response.body), reply.raw, cancel, tap, JSON_HOLD_BYTES, head);
      if (relayed.clientGone) {
        log.status = 499;
        return closeGone(reply, new ProxyError(499, "client closed the request", { code: "client_closed_request" }));
      }
      if (relayed.failure) throw bodyFailure(relayed.failure, backend.route.name);
      if (relayed.held) {
        const bad = checkJsonAnswer(backend.format, backend.route.name, relayed.held);
        if (bad) throw bad;
        head(relayed.held.length);
        tap.client(relayed.held);
        reply.raw.end(relayed.held);
      } else if (!reply.raw.destroyed) reply.raw.end();
      if (relayed.upstreamError) log.upstreamError = relayed.upstreamError;
      const usage = usageFromJsonTail(relayed.held ?? relayed.tail ?? Buffer.alloc(0));
      if (usage) Object.assign(log, usage);
      return;
    }
    let body: Buffer;
    try {
      body = await readAll(response.body);
    } catch (err) {
      throw bodyFailure(err, backend.route.name);
    }
    tap.upstream(body);
    const bad = badJsonBody(body);
    if (bad) throw Errors.upstreamBadResponse(backend.route.name, bad);
    let parsed: Record<string, unknown>;
    try {
      parsed = parseUpstreamJson(body.toString("utf8")) as Record<string, unknown>;
    } catch {
      throw Errors.upstreamBadResponse(backend.route.name, `a body that is not JSON (${snippet(body)})`);
    }
    const usage = usageOf(parsed);
    if (usage) Object.assign(log, usage);
    try {
      await call.captureResponse(parsed, backend);
    } catch (err) {
      // A Response that cannot be stored is still the client's answer.
      if (err instanceof ProxyError) throw err;
    }
    tap.client(body);
    reply.code(response.status).header("content-type", type).send(body);
  } catch (err) {
    if (err instanceof ProxyError) log.status = err.status;
    throw err;
  } finally {
    // An upstream body nobody finished reading (an error on the way) must not hold its connection.
    flight.answered?.direct?.abort();
    runtime.inFlight.delete(flight);
    slot();
    reply.raw.removeListener("close", onClose);
    call.signal?.removeEventListener("abort", onExternalAbort);
    log.latencyMs = round(performance.now() - started);
    if (opts.warnings?.length) log.warnings = opts.warnings;
    request.requestLogged = true;
    request.log.info(log, "request");
  }
}

/** Ends a request whose client left (or whose run was cancelled) so nothing waits on it. */
function closeGone(reply: FastifyReply, err: ProxyError): void {
  if (!reply.sent && !reply.raw.headersSent) reply.code(499).header("content-type", "application/json").send(JSON.stringify(errorBodyFor("chat", err)));
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Renders a ProxyError in the client's wire format. */
export function sendProxyError(reply: FastifyReply, format: ClientFormat, err: ProxyError): void {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  reply.code(err.status).header("content-type", "application/json").send(JSON.stringify(errorBodyFor(format, err)));
}
