// Calls a model's deployments, then its fallbacks', with retries on connect errors, timeouts, 408,
// 409, 429 and 5xx: first on another deployment of the group, then with capped exponential backoff
// that honours Retry-After. Everything here happens before the first byte goes to the client; mid-stream failures are the
// stream relay's business and are never retried.

import { setTimeout as sleep } from "node:timers/promises";
import type { Cancel } from "./cancel.js";
import type { ModelRoute } from "./config/load-config.js";
import { Errors, ProxyError } from "./errors.js";
import type { Closed, Exclude, GroupPool, PickReason, Skipped } from "./balance/balancer.js";
import type { CoolReason, DeploymentState } from "./balance/deployment-state.js";
import type { AttemptSpan } from "./ops/telemetry.js";
import type { Backend, UpstreamRequest, UpstreamResponse } from "./upstream/types.js";
import { UpstreamError } from "./upstream/types.js";

export interface AttemptRecord {
  /** The deployment tried. */
  backend: string;
  attempt: number;
  status?: number;
  error?: string;
  /** Why the proxy moved on: `retry`, `fallback`, or empty for the attempt that answered. */
  outcome: "answered" | "retry" | "fallback" | "gave_up";
  durationMs: number;
  /** Why this deployment was picked: its conversation's, the group's strategy, or a retry. */
  reason?: PickReason;
  /** The cooldown this failure started. */
  cooled?: CoolReason;
  /** Deployments of the group passed over for this attempt, and why (only when some were). */
  skipped?: Skipped[];
}

export type RouteResult =
  | { ok: true; backend: Backend; state: DeploymentState; response: UpstreamResponse; attempts: AttemptRecord[] }
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
  /** The model's group, then its fallbacks'. */
  pools: GroupPool[];
  /** Which deployments the caller may use, when some have their own access list. */
  permit?: (route: ModelRoute) => boolean;
  /** The deployment this conversation's last turn went to. */
  affinity?: string | undefined;
  /** Encodes the client's request for one backend; a ProxyError means this backend cannot serve it. */
  prepare(backend: Backend): Omit<UpstreamRequest, "cancel"> | ProxyError;
  cancel: Cancel;
  numRetries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  onAttempt?(record: AttemptRecord): void;
  /** Opens an attempt's span (when telemetry is on); its headers go upstream with the attempt. */
  startAttempt?(backend: Backend, attempt: number): AttemptSpan;
  now?: () => number;
  /** Looks into a 2xx answer before it is taken; an error makes it a failed attempt (retried, failed over). */
  checkAnswer?(response: UpstreamResponse): Promise<{ response: UpstreamResponse } | { error: string }>;
}

/**
 * Each group in turn: a deployment not tried yet while one is eligible (no wait), then up to
 * `numRetries` retries after a back-off on any eligible one, then the next group (the fallbacks).
 */
export async function callWithFailover(opts: CallOptions): Promise<RouteResult> {
  const run = new FailoverRun(opts);
  for (let p = 0; p < opts.pools.length; p++) {
    const out = await run.group(opts.pools[p] as GroupPool, p === opts.pools.length - 1);
    if (out) return out;
  }
  if (run.lastError && run.errorFrom) return { ok: false, error: run.lastError, attempts: run.attempts, errorFrom: run.errorFrom };
  return { ok: false, error: run.lastError ?? run.closedError() ?? Errors.internal(), attempts: run.attempts };
}

class FailoverRun {
  readonly attempts: AttemptRecord[] = [];
  lastError: ProxyError | undefined;
  /** The backend whose HTTP answer `lastError` is, when it is one. */
  errorFrom: Backend | undefined;
  private closed: (Closed & { model: string }) | undefined;
  private pending: AttemptRecord | undefined;
  /** The span of the pending attempt, ended when its outcome is known. */
  private pendingSpan: AttemptSpan | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: CallOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The answer, a stop (the client left), or undefined to go on to the next group. */
  async group(pool: GroupPool, isLastGroup: boolean): Promise<RouteResult | undefined> {
    const { opts } = this;
    // The deployments this request tried in this group: made on the first failure only.
    let tried: DeploymentState[] | undefined;
    const x: Exclude = { tried, permit: opts.permit };
    let retries = 0;
    let last: { state: DeploymentState; waitMs: number | undefined; again: boolean } | undefined;
    for (;;) {
      if (opts.cancel.aborted) return this.stop();
      let state = pool.pick(x, this.now(), last ? undefined : opts.affinity);
      let reason: PickReason = pool.reason;
      if (!state && last?.again && retries < opts.numRetries) {
        state = pool.pick({ tried: undefined, permit: opts.permit }, this.now());
        reason = "retry";
        if (state) {
          const waitMs = state === last.state ? last.waitMs : undefined;
          if (waitMs !== undefined && waitMs > MAX_RETRY_AFTER_MS) state = undefined;
          else if (!(await this.backOff(waitMs, retries++))) return this.stop();
        }
      }
      if (!state) {
        if (!last) this.noteClosed(pool);
        this.settle(isLastGroup ? "gave_up" : "fallback");
        return undefined;
      }
      this.settle("retry");
      const skipped = pool.skipped(this.now(), opts.permit, x.tried);
      if (!tried) x.tried = tried = [];
      tried.push(state);
      const out = await this.attempt(pool, state, retries, skipped ? { reason, skipped } : { reason });
      if (out.result) return out.result;
      last = { state, waitMs: out.waitMs, again: out.again === true };
    }
  }

  private async attempt(
    pool: GroupPool,
    state: DeploymentState,
    attempt: number,
    why: Pick<AttemptRecord, "reason" | "skipped">,
  ): Promise<{ result?: RouteResult; waitMs?: number | undefined; again?: boolean }> {
    const { opts } = this;
    const backend = state.backend;
    const prepared = opts.prepare(backend);
    if (prepared instanceof ProxyError) {
      this.lastError = prepared;
      this.errorFrom = undefined;
      this.pending = { backend: state.id, attempt: 0, error: prepared.message, outcome: "fallback", durationMs: 0, ...why };
      return { again: false };
    }
    const started = performance.now();
    state.started(this.now());
    const span = opts.startAttempt?.(backend, attempt);
    this.pendingSpan = span;
    try {
      let response = await backend.send(
        span ? { ...prepared, headers: { ...prepared.headers, ...span.headers }, cancel: opts.cancel } : { ...prepared, cancel: opts.cancel },
      );
      if (opts.checkAnswer && response.status < 300) response = await checked(opts.checkAnswer, response);
      const durationMs = performance.now() - started;
      if (response.status < 400 || !isRetryableStatus(response.status)) {
        state.answered(this.now(), durationMs);
        this.pendingSpan = undefined;
        const answered: AttemptRecord = { backend: state.id, attempt, status: response.status, outcome: "answered", durationMs, ...why };
        span?.end(answered);
        this.record(answered);
        return { result: { ok: true, backend, state, response, attempts: this.attempts } };
      }
      const body = await readLimited(response.body, ERROR_BODY_LIMIT);
      this.lastError = upstreamHttpError(response, body);
      this.errorFrom = backend;
      const waitMs = retryAfterMs(response.headers);
      const cooled = countsAgainstHealth(response.status) ? pool.failed(state, this.now(), waitMs) : settled(state, this.now(), durationMs);
      this.pending = { backend: state.id, attempt, status: response.status, outcome: "retry", durationMs, ...why, ...(cooled ? { cooled } : {}) };
      return { waitMs, again: true };
    } catch (err) {
      const durationMs = performance.now() - started;
      const e = err instanceof UpstreamError ? err : new UpstreamError("connect", String(err), err);
      if (e.kind === "aborted" || e.kind === "protocol" || opts.cancel.aborted) state.abandoned();
      if (e.kind === "aborted" || opts.cancel.aborted) return { result: this.stop() };
      const cooled = e.kind === "protocol" ? undefined : pool.failed(state, this.now(), undefined);
      this.lastError = failedCallError(e, state.id);
      this.errorFrom = undefined;
      this.pending = { backend: state.id, attempt, error: e.message, outcome: "retry", durationMs, ...why, ...(cooled ? { cooled } : {}) };
      // A request that cannot be sent is not retried; another deployment may still take it.
      return { again: e.kind !== "protocol" };
    }
  }

  private async backOff(waitMs: number | undefined, retry: number): Promise<boolean> {
    const backoff = Math.min(this.opts.retryMaxDelayMs, this.opts.retryBaseDelayMs * 2 ** retry);
    const delay = waitMs ?? backoff * (0.8 + Math.random() * 0.4);
    try {
      await sleep(delay, undefined, { signal: this.opts.cancel.signal });
      return true;
    } catch {
      return false;
    }
  }

  private noteClosed(pool: GroupPool): void {
    const closed = pool.closed(this.now(), this.opts.permit);
    if (closed && (!this.closed || closed.at < this.closed.at)) this.closed = { ...closed, model: pool.name };
  }

  /** Every deployment cooling down or over its caps: when to come back. */
  closedError(): ProxyError | undefined {
    if (!this.closed) return undefined;
    const seconds = Math.max(1, Math.ceil((this.closed.at - this.now()) / 1000));
    return Errors.noDeploymentOpen(this.closed.model, seconds, this.closed.rateLimited);
  }

  /** The failed attempt before this point gets its outcome. */
  private settle(outcome: AttemptRecord["outcome"]): void {
    if (!this.pending) return;
    const settled: AttemptRecord = { ...this.pending, outcome: this.pending.outcome === "fallback" && outcome === "retry" ? "fallback" : outcome };
    this.pendingSpan?.end(settled);
    this.pendingSpan = undefined;
    this.record(settled);
    this.pending = undefined;
  }

  private record(r: AttemptRecord): void {
    this.attempts.push(r);
    this.opts.onAttempt?.(r);
  }

  private stop(): RouteResult {
    this.pendingSpan?.end({ ...(this.pending ?? { backend: "", attempt: 0, durationMs: 0 }), outcome: "gave_up", error: "client left" });
    this.pendingSpan = undefined;
    this.pending = undefined;
    return { ok: false, error: stopped(this.opts.cancel), attempts: this.attempts };
  }
}

/** A 409 is retried but says nothing about the deployment's health; 408, 429 and 5xx do. */
function countsAgainstHealth(status: number): boolean {
  return status !== 409;
}

/** An attempt that ended without being the deployment's failure: it answered, and is done. */
function settled(state: DeploymentState, now: number, durationMs: number): undefined {
  state.answered(now, durationMs);
  state.finished(now, 0);
  return undefined;
}

/** The answer `check` lets through; an UpstreamError (`reported`) when it reports a failure. */
async function checked(check: NonNullable<CallOptions["checkAnswer"]>, response: UpstreamResponse): Promise<UpstreamResponse> {
  const out = await check(response);
  if ("error" in out) throw new UpstreamError("reported", out.error);
  return out.response;
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
    case "reported":
      return Errors.upstreamReportedError(backend, e.message);
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
