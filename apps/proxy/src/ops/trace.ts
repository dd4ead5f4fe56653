// What the proxy records about one request for the operator: a summary always (live feed, metrics,
// lists), and at capture level `full` the bodies and every raw and translated stream event. The hot
// path only pushes references; text is built when the trace is written, off the request path.

import type { TraceRow } from "@yallmproxy/db";
import type { TranslationWarning } from "@yallmproxy/translate";
import type { RequestSpan } from "./telemetry.js";
import { type Redactor, nameRedactor, redactHeaders, redactUrl, redactValue, scrubText, secretValues } from "./redact.js";

export type CaptureLevel = "off" | "metadata" | "full";

export interface TraceAttempt {
  backend: string;
  attempt: number;
  status?: number;
  error?: string;
  outcome: string;
  durationMs: number;
  /** Why the router picked this deployment (its conversation's, the strategy's, a retry). */
  reason?: string;
  /** The cooldown this failure started. */
  cooled?: string;
  skipped?: Array<{ deployment: string; why: string }>;
}

/** What lists and the live feed show: the stored row's fields, with the start as ISO text and the state. */
export type TraceSummary = Omit<TraceRow, "startedAt" | "captureLevel" | "detail"> & {
  startedAt: string;
  state: "running" | "finished";
};

export interface TraceLimits {
  maxBodyBytes: number;
  maxEvents: number;
}

interface TimedChunk {
  t: number;
  data: Buffer | string;
}

export class Trace {
  readonly id: string;
  readonly startedAtMs = Date.now();
  private readonly t0 = performance.now();
  backend: string | null = null;
  backendFormat: string | null = null;
  status: number | null = null;
  state: "running" | "finished" = "running";
  error: string | null = null;
  promptTokens: number | null = null;
  completionTokens: number | null = null;
  /** For the usage ledger: the rest of the usage, how the answer ended, the tool calls it made. */
  cachedTokens = 0;
  cacheWriteTokens = 0;
  reasoningTokens = 0;
  finishReason: string | null = null;
  toolCalls = 0;
  readonly attempts: TraceAttempt[] = [];
  /** The client's session id (`x-claude-code-session-id`), when it sent one. */
  sessionId: string | null = null;
  /** Structured (`{ code, path, message }`) so the dashboard can group them by code. */
  warningList: TranslationWarning[] = [];
  private firstByteMs: number | null = null;
  private firstTokenMs: number | null = null;
  private connectedMs: number | null = null;
  private doneMs: number | null = null;
  private clientRequest: unknown;
  private clientHeaders: Record<string, unknown> | undefined;
  private upstreamRequest: { url: string; body: unknown } | undefined;
  private readonly upstreamEvents: TimedChunk[] = [];
  private readonly clientEvents: TimedChunk[] = [];
  private upstreamBytes = 0;
  private clientBytes = 0;
  private truncatedUpstream = false;
  private truncatedClient = false;
  /** Chunks relayed so far (for throttled progress events). */
  chunks = 0;
  /** The first upstream chunk, where OpenTelemetry reads the response's id and model. */
  firstUpstreamChunk: Buffer | string | undefined;
  /** This request's OpenTelemetry span, when telemetry is on. */
  otel: RequestSpan | undefined;

  constructor(
    id: string,
    readonly model: string,
    readonly keyId: string | null,
    readonly clientFormat: string,
    readonly stream: boolean,
    readonly capture: CaptureLevel,
    private readonly limits: TraceLimits,
  ) {
    this.id = id;
  }

  get full(): boolean {
    return this.capture === "full";
  }

  elapsed(): number {
    return performance.now() - this.t0;
  }

  setClientRequest(body: unknown, headers: Record<string, unknown>): void {
    if (!this.full) return;
    this.clientRequest = body;
    this.clientHeaders = headers;
  }

  setUpstreamRequest(url: string, body: unknown): void {
    if (this.connectedMs === null) this.connectedMs = this.elapsed();
    if (this.full) this.upstreamRequest = { url, body };
  }

  addAttempt(a: TraceAttempt): void {
    this.attempts.push(a);
  }

  upstreamChunk(data: Buffer | string): void {
    this.chunks += 1;
    if (this.firstByteMs === null) {
      this.firstByteMs = this.elapsed();
      this.firstUpstreamChunk = data;
    }
    if (!this.full) return;
    if (this.upstreamEvents.length >= this.limits.maxEvents || this.upstreamBytes > this.limits.maxBodyBytes * 16) {
      this.truncatedUpstream = true;
      return;
    }
    this.upstreamBytes += data.length;
    this.upstreamEvents.push({ t: this.elapsed(), data });
  }

  clientChunk(data: Buffer | string): void {
    if (this.firstTokenMs === null) this.firstTokenMs = this.elapsed();
    if (!this.full) return;
    if (this.clientEvents.length >= this.limits.maxEvents || this.clientBytes > this.limits.maxBodyBytes * 16) {
      this.truncatedClient = true;
      return;
    }
    this.clientBytes += data.length;
    this.clientEvents.push({ t: this.elapsed(), data });
  }

  /** Time to the first byte sent to the client, in ms. */
  get ttftMs(): number | null {
    return this.firstTokenMs;
  }

  /** Time from the request to its end, in ms; null while it runs. */
  get durationMs(): number | null {
    return this.doneMs;
  }

  private finished: TraceSummary | undefined;

  finish(status: number, error?: string | null): void {
    if (this.state === "finished") return;
    this.state = "finished";
    this.status = status;
    if (error) this.error = error;
    this.doneMs = this.elapsed();
  }

  /** The summary; once finished it is built a single time and shared. */
  summary(): TraceSummary {
    if (this.finished) return this.finished;
    const s = this.buildSummary();
    if (this.state === "finished") this.finished = s;
    return s;
  }

  private buildSummary(): TraceSummary {
    return {
      id: this.id,
      startedAt: new Date(this.startedAtMs).toISOString(),
      model: this.model,
      keyId: this.keyId,
      clientFormat: this.clientFormat,
      backend: this.backend,
      backendFormat: this.backendFormat,
      stream: this.stream,
      status: this.status,
      state: this.state,
      attempts: this.attempts.length,
      ttftMs: round(this.firstTokenMs),
      durationMs: round(this.doneMs ?? (this.state === "running" ? this.elapsed() : null)),
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      error: this.error,
      warnings: this.warningList.length,
      finishReason: this.finishReason,
      toolCalls: this.toolCalls,
    };
  }

  /**
   * The stored row: the summary's fields and the detail as JSON text (built when the trace is
   * written), redacted as `detail()` is.
   */
  row(redactor: Redactor = nameRedactor): TraceRow {
    return {
      id: this.id,
      startedAt: new Date(this.startedAtMs),
      model: this.model,
      keyId: this.keyId,
      clientFormat: this.clientFormat,
      backend: this.backend,
      backendFormat: this.backendFormat,
      stream: this.stream,
      status: this.status,
      attempts: this.attempts.length,
      ttftMs: round(this.firstTokenMs),
      durationMs: round(this.doneMs ?? (this.state === "running" ? this.elapsed() : null)),
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      error: this.error && redactor.values.length > 0 ? scrubText(this.error, redactor.values) : this.error,
      warnings: this.warningList.length,
      finishReason: this.finishReason,
      toolCalls: this.toolCalls,
      captureLevel: this.capture,
      detail: this.full ? JSON.stringify(this.detail(redactor)) : this.metadataDetailJson(redactor),
    };
  }

  /**
   * `detail()` as JSON text for a trace without bodies or events, written out directly: every
   * request at the default capture level gets one, and building the object graph only to
   * serialize it cost more than the rest of the row.
   */
  private metadataDetailJson(redactor: Redactor): string {
    // Attempts hold no credential fields; only an attempt's error is text a known secret could appear in.
    const attempts =
      redactor.values.length > 0 && this.attempts.some((a) => a.error !== undefined) ? redactValue(this.attempts, redactor.values).value : this.attempts;
    return (
      `{"attempts":${JSON.stringify(attempts)},"sessionId":${JSON.stringify(this.sessionId)},"timings":{"receivedAt":"${new Date(this.startedAtMs).toISOString()}",` +
      `"upstreamConnectedMs":${round(this.connectedMs)},"firstByteMs":${round(this.firstByteMs)},"firstTokenMs":${round(this.firstTokenMs)},"doneMs":${round(this.doneMs)}},` +
      `"clientRequest":null,"upstreamRequest":null,"upstreamEvents":[],"clientEvents":[],"warningList":${JSON.stringify(this.warningList)},` +
      `"captureLevel":"${this.capture}","truncated":{"clientRequest":false,"upstreamRequest":false,"upstreamEvents":false,"clientEvents":false}}`
    );
  }

  /**
   * Everything beyond the summary, as plain JSON (built when the trace is written), with every
   * credential the redactor knows and every credential header this request carried cut out.
   */
  detail(redactor: Redactor = nameRedactor): Record<string, unknown> {
    const limit = this.limits.maxBodyBytes;
    const headers = this.full ? redactHeaders(this.clientHeaders ?? {}, redactor) : undefined;
    const values = secretValues(redactor, headers?.values ?? []);
    const client = capJson(this.clientRequest, limit, values);
    const upstream = this.upstreamRequest ? capJson(this.upstreamRequest.body, limit, values) : undefined;
    const toEvent = (c: TimedChunk): { t: number; data: string } => ({
      t: Math.round(c.t * 100) / 100,
      data: scrubText(typeof c.data === "string" ? c.data : c.data.toString("utf8"), values),
    });
    return {
      attempts: redactValue(this.attempts, values).value,
      sessionId: this.sessionId,
      timings: {
        receivedAt: new Date(this.startedAtMs).toISOString(),
        upstreamConnectedMs: round(this.connectedMs),
        firstByteMs: round(this.firstByteMs),
        firstTokenMs: round(this.firstTokenMs),
        doneMs: round(this.doneMs),
      },
      clientRequest: headers ? { headers: headers.headers, body: client.value } : null,
      upstreamRequest: this.upstreamRequest ? { url: redactUrl(this.upstreamRequest.url), body: upstream?.value } : null,
      upstreamEvents: this.upstreamEvents.map(toEvent),
      clientEvents: this.clientEvents.map(toEvent),
      warningList: this.warningList,
      captureLevel: this.capture,
      truncated: {
        clientRequest: client.truncated,
        upstreamRequest: upstream?.truncated ?? false,
        upstreamEvents: this.truncatedUpstream,
        clientEvents: this.truncatedClient,
      },
    };
  }
}

function round(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 100) / 100;
}

/**
 * The redacted value itself when its JSON fits the limit, else its JSON text cut there (marked
 * truncated). A body nested past the capture depth is cut there and marked truncated too.
 */
function capJson(value: unknown, limit: number, values: readonly string[]): { value: unknown; truncated: boolean } {
  if (value === undefined) return { value: null, truncated: false };
  const redacted = redactValue(value, values);
  const text = JSON.stringify(redacted.value) ?? "null";
  if (text.length <= limit) return { value: redacted.value, truncated: redacted.cut };
  return { value: `${text.slice(0, limit)}…[truncated ${text.length - limit} characters]`, truncated: true };
}
