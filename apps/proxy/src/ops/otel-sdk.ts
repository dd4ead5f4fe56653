// The OpenTelemetry SDK behind ops/telemetry.ts, loaded only when an OTLP endpoint is configured:
// OTLP/HTTP JSON exporters for traces (batched) and metrics (periodic), and export failures
// counted and logged at most once a minute, never thrown.

import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import type { TelemetrySettings } from "../config/telemetry-config.js";
import { GenAiTelemetry } from "./otel-spans.js";
import type { Telemetry, TelemetryFailures } from "./telemetry.js";

const ERROR_LOG_INTERVAL_MS = 60_000;
const CLOSE_TIMEOUT_MS = 5000;
const SCOPE = "yallmproxy";

export function startTelemetry(settings: TelemetrySettings, report: TelemetryFailures): Telemetry {
  const failures = new ThrottledFailures(report);
  const resource = resourceFromAttributes({ ...settings.resourceAttributes, "service.name": settings.serviceName });
  const t = settings.traces;
  const tracerProvider = t
    ? new BasicTracerProvider({
        resource,
        sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
        spanProcessors: [
          new BatchSpanProcessor(new ReportingSpanExporter(new OTLPTraceExporter({ url: t.url, headers: t.headers, timeoutMillis: t.timeoutMs }), failures), {
            scheduledDelayMillis: t.scheduleDelayMs,
            exportTimeoutMillis: t.exportTimeoutMs,
            maxQueueSize: t.maxQueueSize,
            maxExportBatchSize: Math.min(t.maxExportBatchSize, t.maxQueueSize),
          }),
        ],
      })
    : undefined;
  const m = settings.metrics;
  const meterProvider = m
    ? new MeterProvider({
        resource,
        readers: [
          new PeriodicExportingMetricReader({
            exporter: new ReportingMetricExporter(new OTLPMetricExporter({ url: m.url, headers: m.headers, timeoutMillis: m.timeoutMs }), failures),
            exportIntervalMillis: m.intervalMs,
            // The reader refuses a timeout longer than its interval.
            exportTimeoutMillis: Math.min(m.exportTimeoutMs, m.intervalMs),
          }),
        ],
      })
    : undefined;
  const genAi = new GenAiTelemetry(tracerProvider?.getTracer(SCOPE), meterProvider?.getMeter(SCOPE));
  return {
    request: (trace, headers, operation) => genAi.request(trace, headers, operation),
    close: async () => {
      const done = Promise.allSettled([tracerProvider?.shutdown(), meterProvider?.shutdown()]);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS).unref()));
      await Promise.race([done, late]);
      clearTimeout(timer);
    },
  };
}

/** Export failures, reported as one line a minute with how many there were. */
class ThrottledFailures {
  private count = 0;
  private lastLogAt = -Infinity;

  constructor(private readonly report: TelemetryFailures) {}

  note(signal: string, result: ExportResult): void {
    if (result.code === ExportResultCode.SUCCESS) return;
    this.count += 1;
    try {
      this.report.count();
    } catch {
      // Counting must not break exporting.
    }
    const now = performance.now();
    if (now - this.lastLogAt < ERROR_LOG_INTERVAL_MS) return;
    this.lastLogAt = now;
    const reason = result.error?.message ?? "export failed";
    const err = new Error(`OTLP ${signal} export failed (${this.count} failed export(s) since the last report): ${reason}`);
    this.count = 0;
    try {
      this.report.log(err);
    } catch {
      // Reporting must not break exporting.
    }
  }
}

class ReportingSpanExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly failures: ThrottledFailures,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      this.failures.note("traces", result);
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

class ReportingMetricExporter implements PushMetricExporter {
  readonly selectAggregationTemporality: PushMetricExporter["selectAggregationTemporality"];
  readonly selectAggregation: PushMetricExporter["selectAggregation"];

  constructor(
    private readonly inner: PushMetricExporter,
    private readonly failures: ThrottledFailures,
  ) {
    this.selectAggregationTemporality = inner.selectAggregationTemporality?.bind(inner);
    this.selectAggregation = inner.selectAggregation?.bind(inner);
  }

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.inner.export(metrics, (result) => {
      this.failures.note("metrics", result);
      done(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
