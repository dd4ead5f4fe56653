// Picks the backends for a model (the route, then its fallbacks in order) and calls them with retries:
// capped exponential backoff that honours Retry-After, on connect errors, timeouts, 408, 409, 429 and
// 5xx. Everything here happens before the first byte goes to the client; mid-stream failures are the
// stream relay's business and are never retried.

import { setTimeout as sleep } from "node:timers/promises";
import type { Cancel } from "./cancel.js";
import type { ModelRoute, ProxyConfig } from "./config/load-config.js";
import { Errors, ProxyError } from "./errors.js";
import type { Backend, UpstreamRequest, UpstreamResponse } from "./upstream/types.js";
import { UpstreamError } from "./upstream/types.js";

export interface AttemptRecord {
  backend: string;
  attempt: number;
  status?: number;
  error?: string;
  /** Why the proxy moved on: `retry`, `fallback`, or empty for the attempt that answered. */
  outcome: "answered" | "retry" | "fallback" | "gave_up";
  durationMs: number;
}

export type RouteResult =
  | { ok: true; backend: Backend; response: UpstreamResponse; attempts: AttemptRecord[] }
  | {
      ok: false;
      error: ProxyError;
      attempts: AttemptRecord[];
      /** The backend whose HTTP answer `error` is, when it is one (its body is then the upstream's own). */
      errorFrom?: Backend;
    };

const RETRYABLE_STATUS = new Set([408, 409, 429]);
const MAX_RETRY_AFTER_MS = 60_000;
const ERROR_BODY_LIMIT = 64 * 1024;

export function stripProviderPrefix(model: string): string {
  return model.startsWith("openai/") ? model.slice("openai/".length) : model;
}

/**
 * The route for a model, then its fallbacks in order (unknown or repeated names skipped). Raw
 * pass-through models are served on `/p1` only: the format endpoints do not know them.
 */
export function routesForModel(config: ProxyConfig, model: string): ModelRoute[] {
  const primary = config.models.get(model);
  if (!primary || primary.apiType === "passthrough") return [];
  const out = [primary];
  for (const name of config.fallbacks.get(model) ?? []) {
    const route = config.models.get(name);
    if (route && route.apiType !== "passthrough" && !out.includes(route)) out.push(route);
  }
  return out;
}

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status) || status >= 500;
}

/** Milliseconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: UpstreamResponse["headers"], now = Date.now()): number | undefined {
  const ms = first(headers["retry-after-ms"]);
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  const ra = first(headers["retry-after"]);
  if (ra === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.round(Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export interface CallOptions {
  backends: Backend[];
  /** Encodes the client's request for one backend; a ProxyError means this backend cannot serve it. */
  prepare(backend: Backend): Omit<UpstreamRequest, "cancel"> | ProxyError;
  cancel: Cancel;
  numRetries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  onAttempt?(record: AttemptRecord): void;
}

export async function callWithFailover(opts: CallOptions): Promise<RouteResult> {
  const attempts: AttemptRecord[] = [];
  let lastError: ProxyError | undefined;
  let errorFrom: Backend | undefined;
  const record = (r: AttemptRecord) => {
    attempts.push(r);
    opts.onAttempt?.(r);
  };

  for (let b = 0; b < opts.backends.length; b++) {
    const backend = opts.backends[b] as Backend;
    const prepared = opts.prepare(backend);
    if (prepared instanceof ProxyError) {
      lastError = prepared;
      errorFrom = undefined;
      record({ backend: backend.route.name, attempt: 0, error: prepared.message, outcome: "fallback", durationMs: 0 });
      continue;
    }
    const isLastBackend = b === opts.backends.length - 1;
    for (let attempt = 0; attempt <= opts.numRetries; attempt++) {
      if (opts.cancel.aborted) return { ok: false, error: stopped(opts.cancel), attempts };
      const started = performance.now();
      let waitMs: number | undefined;
      try {
        const response = await backend.send({ ...prepared, cancel: opts.cancel });
        const durationMs = performance.now() - started;
        if (response.status < 400 || !isRetryableStatus(response.status)) {
          record({ backend: backend.route.name, attempt, status: response.status, outcome: "answered", durationMs });
          return { ok: true, backend, response, attempts };
        }
        const body = await readLimited(response.body, ERROR_BODY_LIMIT);
        lastError = upstreamHttpError(response, body);
        errorFrom = backend;
        waitMs = retryAfterMs(response.headers);
        const canRetry = attempt < opts.numRetries && (waitMs === undefined || waitMs <= MAX_RETRY_AFTER_MS);
        record({
          backend: backend.route.name,
          attempt,
          status: response.status,
          outcome: canRetry ? "retry" : isLastBackend ? "gave_up" : "fallback",
          durationMs,
        });
        if (!canRetry) break;
      } catch (err) {
        const durationMs = performance.now() - started;
        const e = err instanceof UpstreamError ? err : new UpstreamError("connect", String(err), err);
        if (e.kind === "aborted" || opts.cancel.aborted) return { ok: false, error: stopped(opts.cancel), attempts };
        lastError = failedCallError(e, backend.route.name);
        errorFrom = undefined;
        // A request that cannot be sent is not retried; the next backend may still take it.
        const canRetry = attempt < opts.numRetries && e.kind !== "protocol";
        record({
          backend: backend.route.name,
          attempt,
          error: e.message,
          outcome: canRetry ? "retry" : isLastBackend ? "gave_up" : "fallback",
          durationMs,
        });
        if (!canRetry) break;
      }
      const backoff = Math.min(opts.retryMaxDelayMs, opts.retryBaseDelayMs * 2 ** attempt);
      const delay = waitMs ?? backoff * (0.8 + Math.random() * 0.4);
      try {
        await sleep(delay, undefined, { signal: opts.cancel.signal });
      } catch {
        return { ok: false, error: stopped(opts.cancel), attempts };
      }
    }
  }
  if (lastError && errorFrom) return { ok: false, error: lastError, attempts, errorFrom };
  return { ok: false, error: lastError ?? Errors.internal(), attempts };
}

/** The client's error for an upstream call that got no response. */
export function failedCallError(e: UpstreamError, backend: string): ProxyError {
  switch (e.kind) {
    case "timeout":
      return Errors.upstreamTimeout(backend);
    case "protocol":
      return Errors.upstreamRequestRefused(e.message);
    case "closed":
      return Errors.upstreamClosedUnanswered(backend);
    case "shutdown":
      return Errors.shuttingDown();
    default:
      return Errors.upstreamUnreachable(backend);
  }
}

/** Why a cancelled call stopped: the proxy shutting down says so; otherwise the client left. */
function stopped(cancel: Cancel): ProxyError {
  return cancel.reason instanceof ProxyError ? cancel.reason : clientGone();
}

function clientGone(): ProxyError {
  return Errors.clientGone();
}

export async function readLimited(body: UpstreamResponse["body"], limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      if (size < limit) parts.push(buf.subarray(0, limit - size));
      size += buf.length;
    }
  } catch {
    // A broken error body still leaves the status to report.
  }
  return Buffer.concat(parts);
}

/** The upstream's own `Retry-After` / `retry-after-ms`, passed to the client with the error they came with. */
export function retryHeaders(headers: UpstreamResponse["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  const after = first(headers["retry-after"]);
  const afterMs = first(headers["retry-after-ms"]);
  if (after !== undefined) out["retry-after"] = after;
  if (afterMs !== undefined) out["retry-after-ms"] = afterMs;
  return out;
}

/** Keeps the upstream's own error body; the message is pulled out for other wire formats. */
export function upstreamHttpError(response: UpstreamResponse, body: Buffer): ProxyError {
  let message = `upstream answered with status ${response.status}`;
  let type: string | undefined;
  let code: string | null = null;
  let param: string | null = null;
  try {
    const parsed = JSON.parse(body.toString("utf8")) as {
      error?: { message?: unknown; type?: unknown; code?: unknown; param?: unknown } | string;
      message?: unknown;
    };
    const err = parsed.error;
    if (typeof err === "object" && err !== null) {
      if (typeof err.message === "string") message = err.message;
      if (typeof err.type === "string") type = err.type;
      if (typeof err.code === "string") code = err.code;
      if (typeof err.param === "string") param = err.param;
    } else if (typeof err === "string") {
      message = err;
    } else if (typeof parsed.message === "string") {
      message = parsed.message;
    }
  } catch {
    const text = body.toString("utf8").trim();
    if (text) message = text.slice(0, 500);
  }
  const contentType = first(response.headers["content-type"]);
  return Errors.upstreamSaid(response.status, message, {
    ...(type ? { type } : {}),
    code,
    param,
    headers: retryHeaders(response.headers),
    upstreamBody: body,
    ...(contentType ? { upstreamContentType: contentType } : {}),
  });
}
