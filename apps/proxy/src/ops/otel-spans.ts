// Spans and metrics in the OpenTelemetry GenAI semantic conventions: a SERVER span per client
// request, a CLIENT span per upstream attempt under it (retries and fallbacks each get one), the
// `gen_ai.client.*` histograms per attempt and the `gen_ai.server.*` ones per request.

import {
  type Attributes,
  type Context,
  type Histogram,
  type Meter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace as otelTrace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { ModelRoute } from "../config/load-config.js";
import type { AttemptRecord } from "../router.js";
import type { Backend } from "../upstream/types.js";
import type { AttemptSpan, RequestSpan } from "./telemetry.js";
import type { Trace } from "./trace.js";

/** Chat, Responses and Messages all generate a chat-like answer; embeddings and rerank name their own. */
const CHAT = "chat";

/** `gen_ai.provider.name` of each `api_type`. */
const PROVIDER_OF_API_TYPE: Readonly<Record<ModelRoute["apiType"], string>> = {
  openai: "openai",
  "openai-responses": "openai",
  anthropic: "anthropic",
  mock: "yallmproxy.mock",
  passthrough: "yallmproxy.passthrough",
  gigachat: "gigachat",
};

// The bucket boundaries the GenAI metric conventions recommend.
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** How far into the first upstream chunk the response id and model are looked for. */
const HEAD_SCAN_CHARS = 8192;

interface Instruments {
  tokenUsage: Histogram;
  clientDuration: Histogram;
  serverDuration: Histogram;
  serverTtft: Histogram;
}

export class GenAiTelemetry {
  private readonly propagator = new W3CTraceContextPropagator();
  private readonly instruments: Instruments | undefined;
  private readonly servers = new WeakMap<ModelRoute, Attributes>();

  constructor(
    private readonly tracer: Tracer | undefined,
    meter: Meter | undefined,
  ) {
    this.instruments = meter && {
      tokenUsage: meter.createHistogram("gen_ai.client.token.usage", {
        unit: "{token}",
        description: "Tokens used per upstream answer",
        advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
      }),
      clientDuration: meter.createHistogram("gen_ai.client.operation.duration", {
        unit: "s",
        description: "Duration of each upstream attempt",
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }),
      serverDuration: meter.createHistogram("gen_ai.server.request.duration", {
        unit: "s",
        description: "Duration of each client request",
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }),
      serverTtft: meter.createHistogram("gen_ai.server.time_to_first_token", {
        unit: "s",
        description: "Time to the first byte of the answer",
        advice: { explicitBucketBoundaries: TTFT_BUCKETS },
      }),
    };
  }

  request(trace: Trace, headers: Record<string, string | string[] | undefined>, operation = CHAT): RequestSpan {
    const parent = this.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    const span = this.tracer?.startSpan(
      `${operation} ${trace.model}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          "gen_ai.operation.name": operation,
          "gen_ai.request.model": trace.model,
          "yallmproxy.request_id": trace.id,
          "yallmproxy.client_format": trace.clientFormat,
          "yallmproxy.stream": trace.stream,
          ...(trace.keyId ? { "yallmproxy.key_id": trace.keyId } : {}),
        },
      },
      parent,
    );
    return new GenAiRequestSpan(this, span, span ? otelTrace.setSpan(parent, span) : parent, trace.id, operation);
  }

  /** `server.address` and `server.port` of a route's upstream, worked out once per route. */
  serverOf(route: ModelRoute): Attributes {
    let attrs = this.servers.get(route);
    if (!attrs) {
      const url = new URL(route.apiBase);
      const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
      attrs = { "server.address": url.hostname, "server.port": port };
      this.servers.set(route, attrs);
    }
    return attrs;
  }

  startAttempt(
    parent: Context,
    backend: Backend,
    attempt: number,
    requestId: string,
    operation: string,
  ): { span: Span | undefined; headers: Record<string, string> } {
    const route = backend.route;
    const span = this.tracer?.startSpan(
      `${operation} ${route.upstreamModel}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          ...providerAttributes(route),
          "gen_ai.operation.name": operation,
          "gen_ai.request.model": route.upstreamModel,
          ...this.serverOf(route),
          "yallmproxy.backend": route.name,
          "yallmproxy.attempt": attempt,
          "yallmproxy.request_id": requestId,
        },
      },
      parent,
    );
    const headers: Record<string, string> = {};
    if (span) this.propagator.inject(otelTrace.setSpan(parent, span), headers, defaultTextMapSetter);
    return { span, headers };
  }

  recordAttempt(backend: Backend, operation: string, durationMs: number, extra: Attributes): void {
    this.instruments?.clientDuration.record(durationMs / 1000, { ...this.attemptMetricAttributes(backend, operation), ...extra });
  }

  recordRequest(trace: Trace, operation: string, answered: Backend | undefined, response: Attributes): void {
    const ins = this.instruments;
    if (!ins) return;
    const failed = (trace.status ?? 0) >= 400;
    const base: Attributes = {
      "gen_ai.operation.name": operation,
      "gen_ai.request.model": trace.model,
      ...(failed ? { "error.type": String(trace.status) } : {}),
    };
    if (trace.durationMs !== null) ins.serverDuration.record(trace.durationMs / 1000, base);
    if (trace.ttftMs !== null && !failed) ins.serverTtft.record(trace.ttftMs / 1000, base);
    if (!answered) return;
    const attrs = { ...this.attemptMetricAttributes(answered, operation), ...pick(response, "gen_ai.response.model") };
    if (trace.promptTokens !== null) ins.tokenUsage.record(trace.promptTokens, { ...attrs, "gen_ai.token.type": "input" });
    if (trace.completionTokens !== null) ins.tokenUsage.record(trace.completionTokens, { ...attrs, "gen_ai.token.type": "output" });
  }

  private attemptMetricAttributes(backend: Backend, operation: string): Attributes {
    return {
      ...providerAttributes(backend.route),
      "gen_ai.operation.name": operation,
      "gen_ai.request.model": backend.route.upstreamModel,
      ...this.serverOf(backend.route),
    };
  }
}

class GenAiRequestSpan implements RequestSpan {
  private answered: { backend: Backend; span: Span | undefined; startedAt: number } | undefined;

  constructor(
    private readonly telemetry: GenAiTelemetry,
    private readonly span: Span | undefined,
    private readonly context: Context,
    private readonly requestId: string,
    private readonly operation: string,
  ) {}

  attempt(backend: Backend, attempt: number): AttemptSpan {
    const { span, headers } = this.telemetry.startAttempt(this.context, backend, attempt, this.requestId, this.operation);
    const startedAt = performance.now();
    return {
      headers,
      end: (record: AttemptRecord) => {
        if (record.status !== undefined) span?.setAttribute("http.response.status_code", record.status);
        span?.setAttribute("yallmproxy.attempt.outcome", record.outcome);
        if (record.outcome === "answered" && (record.status ?? 0) < 400) {
          this.answered = { backend, span, startedAt };
          return;
        }
        const errorType = record.status !== undefined ? String(record.status) : "_OTHER";
        span?.setAttribute("error.type", errorType);
        span?.setStatus({ code: SpanStatusCode.ERROR, ...(record.error ? { message: record.error } : {}) });
        span?.end();
        this.telemetry.recordAttempt(backend, this.operation, record.durationMs, { "error.type": errorType });
      },
    };
  }

  end(trace: Trace): void {
    const response = responseAttributes(trace);
    const failed = (trace.status ?? 0) >= 400;
    const answered = this.answered;
    if (answered) {
      answered.span?.setAttributes(response);
      if (failed) answered.span?.setStatus({ code: SpanStatusCode.ERROR });
      answered.span?.end();
      this.telemetry.recordAttempt(answered.backend, this.operation, performance.now() - answered.startedAt, {
        ...pick(response, "gen_ai.response.model"),
        ...(failed ? { "error.type": String(trace.status) } : {}),
      });
    }
    this.telemetry.recordRequest(trace, this.operation, answered?.backend, response);
    const span = this.span;
    if (!span) return;
    span.setAttributes(response);
    if (answered) span.setAttributes(providerAttributes(answered.backend.route));
    if (trace.backend) span.setAttribute("yallmproxy.backend", trace.backend);
    span.setAttribute("yallmproxy.attempts", trace.attempts.length);
    if (trace.status !== null) span.setAttribute("http.response.status_code", trace.status);
    if (failed) {
      span.setAttribute("error.type", String(trace.status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
}

function providerAttributes(route: ModelRoute): Attributes {
  const provider = PROVIDER_OF_API_TYPE[route.apiType];
  // `gen_ai.system` is the older name of `gen_ai.provider.name`; both are set for older backends.
  return { "gen_ai.provider.name": provider, "gen_ai.system": provider };
}

/** The GenAI response attributes of a finished request. */
function responseAttributes(trace: Trace): Attributes {
  const out: Attributes = {};
  const head = trace.firstUpstreamChunk;
  if (head !== undefined) {
    const text = typeof head === "string" ? head.slice(0, HEAD_SCAN_CHARS) : head.toString("utf8", 0, Math.min(head.length, HEAD_SCAN_CHARS));
    const id = /"id"\s*:\s*"([^"\\]{1,256})"/.exec(text)?.[1];
    const model = /"model"\s*:\s*"([^"\\]{1,256})"/.exec(text)?.[1];
    if (id) out["gen_ai.response.id"] = id;
    if (model) out["gen_ai.response.model"] = model;
  }
  if (trace.promptTokens !== null) out["gen_ai.usage.input_tokens"] = trace.promptTokens;
  if (trace.completionTokens !== null) out["gen_ai.usage.output_tokens"] = trace.completionTokens;
  if (trace.cachedTokens > 0) out["gen_ai.usage.cache_read.input_tokens"] = trace.cachedTokens;
  if (trace.cacheWriteTokens > 0) out["gen_ai.usage.cache_creation.input_tokens"] = trace.cacheWriteTokens;
  if (trace.reasoningTokens > 0) out["gen_ai.usage.reasoning.output_tokens"] = trace.reasoningTokens;
  if (trace.finishReason) out["gen_ai.response.finish_reasons"] = [trace.finishReason];
  if (trace.ttftMs !== null) out["gen_ai.response.time_to_first_chunk"] = trace.ttftMs / 1000;
  return out;
}

function pick(attrs: Attributes, key: string): Attributes {
  return attrs[key] === undefined ? {} : { [key]: attrs[key] };
}
