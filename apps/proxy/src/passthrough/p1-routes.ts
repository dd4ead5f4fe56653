// `/p1/{model}/{path}`: raw pass-through to a model with `api_type: passthrough`. Any method and path
// under its `api_base`; the body streamed both ways, byte for byte; keys, model access and the
// key's concurrency enforced; the upstream key injected. The routes live in a scope of their own
// whose content-type parser hands the body stream on instead of reading it.

import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { errors as undiciErrors } from "undici";
import { codecs } from "@yallmproxy/translate";
import { mayUseModel } from "../auth.js";
import type { LimitTicket } from "../limits/rate-limits.js";
import { Cancel } from "../cancel.js";
import type { AppKey, ModelRoute } from "../config/load-config.js";
import { Errors, ProxyError } from "../errors.js";
import type { Trace } from "../ops/trace.js";
import type { ProxyRuntime } from "../runtime.js";
import { clientHeaders, passthroughPath, upstreamHeaders } from "./hop-by-hop.js";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const BODYLESS = new Set(["GET", "HEAD"]);

export async function p1Routes(app: FastifyInstance): Promise<void> {
  app.removeAllContentTypeParsers();
  // Not read here: the handler streams the request itself to the upstream.
  app.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
  // The handler reads the raw URL itself (passthroughPath); the schema only names the parameters.
  const params = Type.Object({ model: Type.String(), "*": Type.Optional(Type.String()) });
  const options = { config: { auth: true, clientFormat: "chat" as const }, exposeHeadRoute: false, schema: { params } };
  const handler = (request: FastifyRequest, reply: FastifyReply) => passThrough(app.runtime, request, reply);
  app.route({ method: METHODS, url: "/p1/:model", ...options, handler });
  app.route({ method: METHODS, url: "/p1/:model/*", ...options, handler });
}

/** The pass-through model a `/p1` URL names, if the caller may use it. */
function routeFor(runtime: ProxyRuntime, request: FastifyRequest, model: string): ModelRoute {
  const route = runtime.config.models.get(model);
  if (!route || route.apiType !== "passthrough") throw Errors.passthroughModelNotFound(model);
  if (!mayUseModel(runtime.config, request.caller ?? { keyId: undefined, key: undefined }, route)) throw Errors.modelNotAllowed(model);
  return route;
}

async function passThrough(runtime: ProxyRuntime, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const target = passthroughPath(request.raw.url ?? "");
  if ("refused" in target) throw Errors.invalidUrl(target.refused);
  const route = routeFor(runtime, request, target.model);
  const limit = runtime.config.server.bodyLimitBytes;
  const length = Number(request.headers["content-length"]);
  if (Number.isFinite(length) && length > limit) throw Errors.bodyTooLarge(limit);

  const caller = request.caller ?? { keyId: undefined, key: undefined };
  const ticket = await admitLimits(runtime, caller.key, route, reply);
  const cancel = new Cancel();
  const onClose = () => {
    if (!reply.raw.writableFinished) cancel.abort();
  };
  reply.raw.on("close", onClose);
  const acquired = runtime.limiter.acquire(caller.keyId, route.name, caller.key?.concurrency ?? runtime.config.appKeys.unauthenticated, cancel);
  const slot = typeof acquired === "function" ? acquired : await acquired;
  if (slot instanceof ProxyError) {
    reply.raw.removeListener("close", onClose);
    if (ticket) runtime.limits.settle(ticket, 0, undefined);
    throw slot;
  }
  // Not a wire format the trace store and dashboard know, and no bodies to show: metrics and usage only.
  const trace = runtime.ops.start(String(request.id), route.name, caller.keyId, "passthrough", false, "off");
  trace.backend = route.name;
  let status: number | undefined;
  try {
    await relay({ runtime, request, reply, route, path: target.path + target.query, cancel, trace, limit });
  } catch (err) {
    status = err instanceof ProxyError ? err.status : 500;
    trace.error = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    trace.finish(status ?? reply.raw.statusCode);
    runtime.ops.finish(trace);
    reply.raw.removeListener("close", onClose);
    slot();
    // A body is not read for tokens: only the request counts (rpm); its token share is given back.
    if (ticket) runtime.limits.settle(ticket, 0, undefined);
  }
}

/** The key's and the model's rate limits (`rpm_limit` counts; nothing here is tokens). */
async function admitLimits(runtime: ProxyRuntime, key: AppKey | undefined, route: ModelRoute, reply: FastifyReply): Promise<LimitTicket | undefined> {
  const plan = runtime.limits.plan(key, route);
  if (!plan) return undefined;
  const out = await runtime.limits.admit(plan, 1);
  const headers = codecs.chat.rateLimitHeaders(out.state);
  if ("refusal" in out) {
    Object.assign(out.refusal.headers, headers);
    throw out.refusal;
  }
  for (const name in headers) reply.raw.setHeader(name, headers[name]!);
  return out.ticket;
}

interface RelayArgs {
  runtime: ProxyRuntime;
  request: FastifyRequest;
  reply: FastifyReply;
  route: ModelRoute;
  path: string;
  cancel: Cancel;
  trace: Trace;
  limit: number;
}

async function relay({ runtime, request, reply, route, path, cancel, trace, limit }: RelayArgs): Promise<void> {
  const base = new URL(route.apiBase);
  const method = request.method;
  const body = BODYLESS.has(method) ? null : request.raw.pipe(bounded(limit));
  const headers = upstreamHeaders(request.headers, { appKeyHeader: runtime.config.appKeys.headerName, apiKey: route.apiKey, extra: route.headers });
  const url = base.origin + base.pathname.replace(/\/+$/, "") + path;
  trace.setUpstreamRequest(url, null);
  let upstream;
  try {
    upstream = await runtime.dispatcher.request({
      origin: base.origin,
      path: base.pathname.replace(/\/+$/, "") + path,
      method,
      headers,
      body,
      signal: cancel.signal,
      headersTimeout: route.timeoutMs,
      bodyTimeout: route.timeoutMs,
    });
  } catch (err) {
    throw failure(err, route.name, cancel);
  }
  trace.addAttempt({ backend: route.name, attempt: 0, status: upstream.statusCode, outcome: "answered", durationMs: trace.elapsed() });
  reply.hijack();
  reply.raw.writeHead(upstream.statusCode, { ...clientHeaders(upstream.headers), "x-request-id": String(request.id) });
  try {
    await pipeline(upstream.body, reply.raw);
  } catch (err) {
    // Headers are out: a body that breaks ends the client's connection, which is all that is left to say.
    trace.error = err instanceof Error ? err.message : String(err);
    reply.raw.destroy();
  }
}

/** Passes the request body on, failing it (413) once it outgrows the body limit. */
function bounded(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > limit) return cb(Errors.bodyTooLarge(limit));
      cb(null, chunk);
    },
  });
}

/** The client's error for an upstream call that got no answer. */
function failure(err: unknown, backend: string, cancel: Cancel): ProxyError {
  if (err instanceof ProxyError) return err;
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof ProxyError) return cause;
  if (cancel.aborted) return Errors.clientGone();
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) return Errors.upstreamTimeout(backend);
  return Errors.upstreamUnreachable(backend);
}
