// The operations plane as the request path sees it: start a trace, report progress, finish it.
// Everything here is cheap and synchronous; storage and fan-out happen elsewhere.

import type { Database } from "@yallmproxy/db";
import type { ProxyConfig } from "../config/load-config.js";
import { LiveFeed, type LiveMessage } from "./live-feed.js";
import { Metrics, UNKNOWN_MODEL } from "./metrics.js";
import { redactorFor } from "./redact.js";
import type { PgBus } from "./pg-bus.js";
import { type CaptureLevel, Trace } from "./trace.js";
import { TraceSink } from "./trace-sink.js";
import { UsageLedger } from "../usage/usage-ledger.js";
import type { Telemetry } from "./telemetry.js";

const PROGRESS_INTERVAL_MS = 250;

/** Work that runs outside any request; its errors are logged, counted and survived. */
export type BackgroundTask =
  | "trace_flush"
  | "trace_write"
  | "trace_writer"
  | "trace_cleanup"
  | "usage_fold"
  | "usage_write"
  | "usage_cleanup"
  | "rate_limit_store"
  | "response_cleanup"
  | "response_store"
  | "background_response"
  | "metrics_fold"
  | "live_feed"
  | "config_watch"
  | "config_sync"
  | "pg_bus"
  | "pg_pool"
  | "router_redis"
  | "otel_export"
  | "unhandled_rejection";

export type BackgroundErrorLog = (task: BackgroundTask, err: unknown) => void;

export class Ops {
  readonly live = new LiveFeed();
  /** Traces of requests still running, for the dashboard's first paint. */
  readonly running = new Map<string, Trace>();
  readonly metrics = new Metrics(() => this.running.size);
  readonly sink: TraceSink | undefined;
  /** Hourly usage roll-ups (docs: README, "Usage and limits"); absent without a database. */
  readonly ledger: UsageLedger | undefined;
  private readonly lastProgress = new WeakMap<Trace, number>();
  /** OpenTelemetry export (docs: README, "OpenTelemetry"); absent unless an OTLP endpoint is set. */
  telemetry: Telemetry | undefined;

  constructor(
    private config: ProxyConfig,
    db: Database | undefined,
    bus: PgBus | undefined,
    private readonly log: BackgroundErrorLog,
  ) {
    this.metrics.onFoldError = (err) => this.backgroundError("metrics_fold", err);
    this.live.onError = (err) => this.backgroundError("live_feed", err);
    if (db) {
      const t = config.traces;
      this.sink = new TraceSink(db, {
        queueSize: t.queueSize,
        batchSize: t.batchSize,
        flushIntervalMs: t.flushIntervalMs,
        retentionHours: t.retentionHours,
        onDropped: (n) => this.metrics.tracesDropped.inc(n),
        onError: (task, err) => this.backgroundError(task, err),
        redactor: () => redactorFor(this.config),
      });
      this.ledger = new UsageLedger(db, {
        config: () => this.config,
        onDropped: (n) => this.metrics.usageDropped.inc(n),
        onError: (task, err) => this.backgroundError(task, err),
        writer: this.sink.writer,
      });
    }
    if (bus) {
      this.live.onLocal = (msg) => bus.notify("yallmp_live", msg as unknown as Record<string, unknown>);
      bus.on("yallmp_live", (body) => this.live.deliver(body as unknown as LiveMessage));
    }
  }

  /** Logs and counts an error of a background task; never throws. */
  backgroundError(task: BackgroundTask, err: unknown): void {
    try {
      this.metrics.backgroundErrors.inc({ task });
      this.log(task, err);
    } catch {
      // Reporting must not fail the task that reports.
    }
  }

  setConfig(config: ProxyConfig): void {
    this.config = config;
  }

  captureFor(model: string): CaptureLevel {
    return this.config.models.get(model)?.traceCapture ?? this.config.traces.capture;
  }

  /** `capture` overrides the model's level (`/p1` requests count in metrics and usage but store no trace). */
  start(id: string, model: string, keyId: string | undefined, clientFormat: string, stream: boolean, capture = this.captureFor(model)): Trace {
    const t = this.config.traces;
    const trace = new Trace(id, model, keyId ?? null, clientFormat, stream, capture, { maxBodyBytes: t.maxBodyBytes, maxEvents: t.maxEvents });
    this.running.set(id, trace);
    if (stream) this.metrics.streamsInFlight.inc();
    if (this.live.wanted) this.live.publish({ type: "request.started", trace: trace.summary() });
    return trace;
  }

  progress(trace: Trace): void {
    if (this.live.size === 0) return;
    const now = performance.now();
    if (now - (this.lastProgress.get(trace) ?? 0) < PROGRESS_INTERVAL_MS) return;
    this.lastProgress.set(trace, now);
    this.live.publish({
      type: "request.progress",
      id: trace.id,
      model: trace.model,
      keyId: trace.keyId,
      chunks: trace.chunks,
      completionTokens: trace.completionTokens,
      elapsedMs: Math.round(trace.elapsed()),
    });
  }

  finish(trace: Trace): void {
    if (!this.running.delete(trace.id)) return;
    if (trace.stream) this.metrics.streamsInFlight.dec();
    this.metrics.observe(trace, this.config.models.has(trace.model) ? trace.model : UNKNOWN_MODEL);
    if (this.live.wanted) this.live.publish({ type: "request.finished", trace: trace.summary() });
    if (trace.capture !== "off") this.sink?.push(trace);
    if (this.config.usage.enabled) this.ledger?.push(trace);
    trace.otel?.end(trace);
  }

  async close(): Promise<void> {
    await this.telemetry?.close();
    await this.ledger?.close();
    await this.sink?.close();
  }
}
