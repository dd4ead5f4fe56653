// Prometheus metrics (prom-client): each finished request is noted, and the notes are folded into
// prom-client in batches and before every scrape.

import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Trace } from "./trace.js";

/** The `model` label of requests for a model the config does not have: one series for all of them. */
export const UNKNOWN_MODEL = "unknown";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "yallmp_requests_total",
    help: "Requests by model, backend, client format and status",
    labelNames: ["model", "backend", "client_format", "status"],
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: "yallmp_request_errors_total",
    help: "Requests answered with status >= 400",
    labelNames: ["model", "backend", "client_format", "status"],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: "yallmp_request_duration_seconds",
    help: "Time from request received to last byte",
    labelNames: ["model", "backend", "client_format"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly ttft = new Histogram({
    name: "yallmp_time_to_first_token_seconds",
    help: "Time from request received to the first byte sent to the client",
    labelNames: ["model", "backend", "client_format"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: "yallmp_tokens_total",
    help: "Tokens by model and type (prompt, completion)",
    labelNames: ["model", "type"],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: "yallmp_retries_total",
    help: "Retried upstream attempts by backend",
    labelNames: ["backend"],
    registers: [this.registry],
  });
  readonly responseStoreErrors = new Counter({
    name: "yallmp_response_store_errors_total",
    help: "Responses answered but not stored because the response store failed",
    registers: [this.registry],
  });
  readonly fallbacks = new Counter({
    name: "yallmp_fallbacks_total",
    help: "Moves from one backend to the next",
    labelNames: ["from", "to"],
    registers: [this.registry],
  });
  readonly streamsInFlight = new Gauge({ name: "yallmp_streams_in_flight", help: "Streaming responses being relayed now", registers: [this.registry] });
  readonly webSocketsOpen = new Gauge({ name: "yallmp_responses_websockets_open", help: "Responses WebSockets open now", registers: [this.registry] });
  /** Read at scrape time from the running traces: nothing to count per request. */
  private readonly requestsInFlight: Gauge;
  readonly tracesDropped = new Counter({
    name: "yallmp_traces_dropped_total",
    help: "Traces not stored because the writer could not keep up",
    registers: [this.registry],
  });
  readonly usageDropped = new Counter({
    name: "yallmp_usage_dropped_total",
    help: "Requests not added to the usage ledger because its queue was full or the database failed",
    registers: [this.registry],
  });
  readonly rateLimitRefusals = new Counter({
    name: "yallmp_rate_limit_refusals_total",
    help: "Requests refused by a rate limit or budget, by limit (rpm, tpm, budget)",
    labelNames: ["limit"],
    registers: [this.registry],
  });
  readonly rateLimitStoreErrors = new Counter({
    name: "yallmp_rate_limit_store_errors_total",
    help: "Rate-limit checks the counter store (Redis) could not answer in time; the fail_open policy decided them",
    labelNames: ["policy"],
    registers: [this.registry],
  });
  readonly backgroundErrors = new Counter({
    name: "yallmp_background_errors_total",
    help: "Errors of background tasks (logged and survived), by task",
    labelNames: ["task"],
    registers: [this.registry],
  });
  /** Told about an error of the fold, which runs on the request path and before scrapes. */
  onFoldError: ((err: unknown) => void) | undefined;

  constructor(running: () => number = () => 0) {
    this.requestsInFlight = new Gauge({
      name: "yallmp_requests_in_flight",
      help: "Requests being served now (streaming or not)",
      registers: [this.registry],
      collect() {
        this.set(running());
      },
    });
  }

  /** Labelled children per label set: prom-client validates and hashes the labels on every call. */
  private readonly children = new Map<string, Children>();
  /** Requests not yet folded into prom-client, per label set; folded in batches and before a scrape. */
  private pending = new Map<string, Pending>();
  private pendingCount = 0;

  /** Notes a finished request; `model` is a configured model name or UNKNOWN_MODEL, never the client's string. */
  observe(trace: Trace, model: string): void {
    const backend = trace.backend ?? "none";
    const status = trace.status ?? 0;
    const key = `${model}\u0000${backend}\u0000${trace.clientFormat}\u0000${status}`;
    let p = this.pending.get(key);
    if (!p) {
      p = { model, backend, clientFormat: trace.clientFormat, status, requests: 0, durations: [], ttfts: [], promptTokens: 0, completionTokens: 0 };
      this.pending.set(key, p);
    }
    p.requests += 1;
    if (trace.durationMs !== null) p.durations.push(trace.durationMs / 1000);
    if (trace.ttftMs !== null) p.ttfts.push(trace.ttftMs / 1000);
    if (trace.promptTokens) p.promptTokens += trace.promptTokens;
    if (trace.completionTokens) p.completionTokens += trace.completionTokens;
    if (++this.pendingCount >= FOLD_EVERY) this.fold();
  }

  /** The exposition text, with every finished request in it. */
  async text(): Promise<string> {
    this.fold();
    return this.registry.metrics();
  }

  private fold(): void {
    const pending = this.pending;
    this.pending = new Map();
    this.pendingCount = 0;
    try {
      this.foldInto(pending);
    } catch (err) {
      this.onFoldError?.(err);
    }
  }

  private foldInto(pending: Map<string, Pending>): void {
    for (const [key, p] of pending) {
      const c = this.childrenFor(key, p);
      c.requests.inc(p.requests);
      if (p.status >= 400) c.errors.inc(p.requests);
      for (const d of p.durations) c.duration.observe(d);
      for (const t of p.ttfts) c.ttft.observe(t);
      if (p.promptTokens) c.prompt.inc(p.promptTokens);
      if (p.completionTokens) c.completion.inc(p.completionTokens);
    }
  }

  private childrenFor(key: string, p: Pending): Children {
    let c = this.children.get(key);
    if (c) return c;
    const labels = { model: p.model, backend: p.backend, client_format: p.clientFormat };
    const status = String(p.status);
    c = {
      requests: this.requests.labels({ ...labels, status }),
      errors: this.errors.labels({ ...labels, status }),
      duration: this.duration.labels(labels),
      ttft: this.ttft.labels(labels),
      prompt: this.tokens.labels({ model: p.model, type: "prompt" }),
      completion: this.tokens.labels({ model: p.model, type: "completion" }),
    };
    if (this.children.size < 10_000) this.children.set(key, c);
    return c;
  }
}

/** Requests per fold: prom-client's per-call cost is paid in one warm loop instead of per request. */
const FOLD_EVERY = 256;

interface Children {
  requests: ReturnType<Counter["labels"]>;
  errors: ReturnType<Counter["labels"]>;
  duration: ReturnType<Histogram["labels"]>;
  ttft: ReturnType<Histogram["labels"]>;
  prompt: ReturnType<Counter["labels"]>;
  completion: ReturnType<Counter["labels"]>;
}

interface Pending {
  model: string;
  backend: string;
  clientFormat: string;
  status: number;
  requests: number;
  durations: number[];
  ttfts: number[];
  promptTokens: number;
  completionTokens: number;
}
