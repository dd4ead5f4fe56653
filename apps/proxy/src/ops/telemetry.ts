// OpenTelemetry as the request path sees it: a span per request and one per upstream attempt.
// The SDK lives in otel-sdk.ts and is imported only when an OTLP endpoint is configured, so a
// proxy without one loads none of it and its requests carry no span (one undefined check).

import type { TelemetrySettings } from "../config/telemetry-config.js";
import type { AttemptRecord } from "../router.js";
import type { Backend } from "../upstream/types.js";
import type { Trace } from "./trace.js";

/** The span of one upstream attempt; `headers` go with the attempt (its `traceparent`). */
export interface AttemptSpan {
  readonly headers: Record<string, string>;
  /** Ends a failed attempt; the one that answered stays open until the request ends. */
  end(record: AttemptRecord): void;
}

/** The span of one client request, ended when its trace is finished. */
export interface RequestSpan {
  attempt(backend: Backend, attempt: number): AttemptSpan;
  end(trace: Trace): void;
}

export interface Telemetry {
  /** A request's span, continuing the client's W3C trace context when it sent one. */
  /** `operation`: the GenAI operation name (`chat`, `embeddings`, `rerank`). */
  request(trace: Trace, headers: Record<string, string | string[] | undefined>, operation?: string): RequestSpan;
  /** Flushes what is queued (bounded in time) and stops exporting. */
  close(): Promise<void>;
}

/** Where export failures go: each one counted, one log line a minute. */
export interface TelemetryFailures {
  count(): void;
  log(err: Error): void;
}

/** Starts the exporters for `settings`, loading the SDK on first use. */
export async function loadTelemetry(settings: TelemetrySettings, failures: TelemetryFailures): Promise<Telemetry> {
  const { startTelemetry } = await import("./otel-sdk.js");
  return startTelemetry(settings, failures);
}
