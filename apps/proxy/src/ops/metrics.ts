// Prometheus metrics (prom-client), updated once per request when it finishes.

import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Trace } from "./trace.js";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: "yallmp_requests_total", help: "Requests by model, backend, client format and status", labelNames: ["model", "backend", "client_format", "status"], registers: [this.registry] });
  private readonly errors = new Counter({ name: "yallmp_request_errors_total", help: "Requests answered with status >= 400", labelNames: ["model", "backend", "client_format", "status"], registers: [this.registry] });
  private readonly duration = new Histogram({ name: "yallmp_request_duration_seconds", help: "Time from request received to last byte", labelNames: ["model", "backend", "client_format"], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly ttft = new Histogram({ name: "yallmp_time_to_first_token_seconds", help: "Time from request received to the first byte sent to the client", labelNames: ["model", "backend", "client_format"], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly tokens = new Counter({ name: "yallmp_tokens_total", help: "Tokens by model and type (prompt, completion)", labelNames: ["model", "type"], registers: [this.registry] });
  readonly retries = new Counter({ name: "yallmp_retries_total", help: "Retried upstream attempts by backend", labelNames: ["backend"], registers: [this.registry] });
  readonly fallbacks = new Counter({ name: "yallmp_fallbacks_total", help: "Moves from one backend to the next", labelNames: ["from", "to"], registers: [this.registry] });
  readonly streamsInFlight = new Gauge({ name: "yallmp_streams_in_flight", help: "Streaming responses being relayed now", registers: [this.registry] });
  readonly tracesDropped = new Counter({ name: "yallmp_traces_dropped_total", help: "Traces not stored because the writer could not keep up", registers: [this.registry] });

  /** Labelled children per label set: prom-client hashes labels on every call otherwise. */
  private readonly children = new Map<string, { requests: ReturnType<Counter["labels"]>; errors: ReturnType<Counter["labels"]>; duration: ReturnType<Histogram["labels"]>; ttft: ReturnType<Histogram["labels"]> }>();
  private readonly tokenChildren = new Map<string, { prompt: ReturnType<Counter["labels"]>; completion: ReturnType<Counter["labels"]> }>();

  observe(trace: Trace): void {
    const s = trace;
    const backend = s.backend ?? "none";
    const status = String(s.status ?? 0);
    const key = `${s.model}\u0000${backend}\u0000${s.clientFormat}\u0000${status}`;
    let c = this.children.get(key);
    if (!c) {
      const labels = { model: s.model, backend, client_format: s.clientFormat };
      c = {
        requests: this.requests.labels({ ...labels, status }),
        errors: this.errors.labels({ ...labels, status }),
        duration: this.duration.labels(labels),
        ttft: this.ttft.labels(labels),
      };
      if (this.children.size < 10_000) this.children.set(key, c);
    }
    c.requests.inc();
    if ((s.status ?? 0) >= 400) c.errors.inc();
    const duration = s.durationMs;
    if (duration !== null) c.duration.observe(duration / 1000);
    const ttft = s.ttftMs;
    if (ttft !== null) c.ttft.observe(ttft / 1000);
    if (s.promptTokens || s.completionTokens) {
      let t = this.tokenChildren.get(s.model);
      if (!t) {
        t = { prompt: this.tokens.labels({ model: s.model, type: "prompt" }), completion: this.tokens.labels({ model: s.model, type: "completion" }) };
        if (this.tokenChildren.size < 10_000) this.tokenChildren.set(s.model, t);
      }
      if (s.promptTokens) t.prompt.inc(s.promptTokens);
      if (s.completionTokens) t.completion.inc(s.completionTokens);
    }
  }
}
