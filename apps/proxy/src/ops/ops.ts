// The operations plane as the request path sees it: start a trace, report progress, finish it.
// Everything here is cheap and synchronous; storage and fan-out happen elsewhere.

import type { Database } from "@yallmproxy/db";
import type { ProxyConfig } from "../config/load-config.js";
import { LiveFeed, type LiveMessage } from "./live-feed.js";
import { Metrics } from "./metrics.js";
import { redactorFor } from "./redact.js";
import type { PgBus } from "./pg-bus.js";
import { type CaptureLevel, Trace } from "./trace.js";
import { TraceSink } from "./trace-sink.js";

const PROGRESS_INTERVAL_MS = 250;

export class Ops {
  readonly live = new LiveFeed();
  readonly metrics = new Metrics();
  readonly sink: TraceSink | undefined;
  private readonly lastProgress = new WeakMap<Trace, number>();
  /** Traces of requests still running, for the dashboard's first paint. */
  readonly running = new Map<string, Trace>();

  constructor(
    private config: ProxyConfig,
    db: Database | undefined,
    bus: PgBus | undefined,
    onError: (err: unknown) => void,
  ) {
    if (db) {
      const t = config.traces;
      this.sink = new TraceSink(db, {
        queueSize: t.queueSize,
        batchSize: t.batchSize,
        flushIntervalMs: t.flushIntervalMs,
        retentionHours: t.retentionHours,
        onDropped: (n) => this.metrics.tracesDropped.inc(n),
        onError,
        redactor: () => redactorFor(this.config),
      });
    }
    if (bus) {
      this.live.onLocal = (msg) => bus.notify("yallmp_live", msg as unknown as Record<string, unknown>);
      bus.on("yallmp_live", (body) => this.live.deliver(body as unknown as LiveMessage));
    }
  }

  setConfig(config: ProxyConfig): void {
    this.config = config;
  }

  captureFor(model: string): CaptureLevel {
    return this.config.models.get(model)?.traceCapture ?? this.config.traces.capture;
  }

  start(id: string, model: string, keyId: string | undefined, clientFormat: string, stream: boolean): Trace {
    const t = this.config.traces;
    const trace = new Trace(id, model, keyId ?? null, clientFormat, stream, this.captureFor(model), { maxBodyBytes: t.maxBodyBytes, maxEvents: t.maxEvents });
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
    this.live.publish({ type: "request.progress", id: trace.id, model: trace.model, keyId: trace.keyId, chunks: trace.chunks, completionTokens: trace.completionTokens, elapsedMs: Math.round(trace.elapsed()) });
  }

  finish(trace: Trace): void {
    if (!this.running.delete(trace.id)) return;
    if (trace.stream) this.metrics.streamsInFlight.dec();
    this.metrics.observe(trace);
    if (this.live.wanted) this.live.publish({ type: "request.finished", trace: trace.summary() });
    if (trace.capture !== "off") this.sink?.push(trace);
  }

  async close(): Promise<void> {
    await this.sink?.close();
  }
}
