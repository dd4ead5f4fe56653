// The usage ledger: every finished request is added at once to pending hourly roll-ups per (key,
// model, backend, finish reason), priced, and a timer adds those to the database in one statement.
// Folding at once keeps no trace alive until the timer (held that long, traces outlived the young
// generation and made every collection dearer). The roll-ups are bounded: when the database cannot
// keep up, requests that would open a new row are dropped and counted, never waited for.

import { type Database, type StatementWriter, type UsageDelta, UsageStore } from "@yallmproxy/db";
import type { ProxyConfig } from "../config/load-config.js";
import type { BackgroundTask } from "../ops/ops.js";
import type { Trace } from "../ops/trace.js";
import { costOf } from "./pricing.js";

const HOUR_MS = 3600 * 1000;
const CLEANUP_INTERVAL_MS = HOUR_MS;

export interface UsageLedgerOptions {
  config(): ProxyConfig;
  onDropped(count: number): void;
  onError(task: BackgroundTask, err: unknown): void;
  /** Where the roll-up statements run (the trace writer's thread); default: Prisma on this thread. */
  writer?: StatementWriter;
}

/** The cost of a finished request under the running config, or undefined when its model is unpriced. */
function costOfTrace(trace: Trace, config: ProxyConfig): number | undefined {
  const route = trace.backend ? config.models.get(trace.backend) : undefined;
  if (!route) return undefined;
  return costOf(
    {
      inputTokens: trace.promptTokens ?? 0,
      outputTokens: trace.completionTokens ?? 0,
      cachedTokens: trace.cachedTokens,
      cacheWriteTokens: trace.cacheWriteTokens,
    },
    route.upstreamModel,
    route.apiBase,
    route.pricing,
  );
}

/** The pending roll-ups by their (hour, key, model, backend, finish reason). */
type Pending = Map<string, UsageDelta>;

export class UsageLedger {
  private pending: Pending = new Map();
  private pendingRequests = 0;
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly cleanupTimer: NodeJS.Timeout;
  private readonly store: UsageStore;

  constructor(
    db: Database,
    private readonly opts: UsageLedgerOptions,
  ) {
    this.store = new UsageStore(db, opts.writer);
    this.timer = setInterval(() => void this.flush(), opts.config().usage.flushIntervalMs).unref();
    this.cleanupTimer = setInterval(() => void this.cleanup().catch((err: unknown) => opts.onError("usage_cleanup", err)), CLEANUP_INTERVAL_MS).unref();
  }

  /** Adds a finished request to its pending roll-up; never blocks, never throws (it runs as a request ends). */
  push(t: Trace): void {
    try {
      this.fold(t);
    } catch (err) {
      this.opts.onDropped(1);
      this.opts.onError("usage_fold", err);
    }
  }

  private fold(t: Trace): void {
    const hour = Math.floor(t.startedAtMs / HOUR_MS);
    const failed = (t.status ?? 500) >= 400;
    const keyId = t.keyId ?? "";
    const backend = t.backend ?? "";
    const finishReason = failed ? "" : (t.finishReason ?? "");
    const id = `${hour}\u0000${keyId}\u0000${t.model}\u0000${backend}\u0000${finishReason}`;
    let row = this.pending.get(id);
    if (!row) {
      if (this.pending.size >= this.opts.config().usage.queueSize) {
        this.opts.onDropped(1);
        return;
      }
      row = { hour, keyId, model: t.model, backend, finishReason, ...zeroCounters() };
      this.pending.set(id, row);
    }
    const cost = t.promptTokens !== null || t.completionTokens !== null ? costOfTrace(t, this.opts.config()) : 0;
    this.pendingRequests += 1;
    row.requests += 1;
    row.errors += failed ? 1 : 0;
    row.inputTokens += t.promptTokens ?? 0;
    row.outputTokens += t.completionTokens ?? 0;
    row.cachedTokens += t.cachedTokens;
    row.cacheWriteTokens += t.cacheWriteTokens;
    row.reasoningTokens += t.reasoningTokens;
    if (cost === undefined) row.unpricedRequests += 1;
    else row.costUsd += cost;
    row.toolCalls += t.toolCalls;
    row.latencyMsSum += t.durationMs ?? 0;
    if (t.ttftMs !== null) {
      row.ttftMsSum += t.ttftMs;
      row.ttftCount += 1;
    }
  }

  /** Adds what is pending to the ledger; never rejects (roll-ups that cannot be written are dropped and counted). */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.size === 0) return;
    this.flushing = (async () => {
      try {
        while (this.pending.size > 0) {
          const rows = [...this.pending.values()];
          const requests = this.pendingRequests;
          this.pending = new Map();
          this.pendingRequests = 0;
          try {
            await this.store.add(rows);
          } catch (err) {
            this.opts.onDropped(requests);
            this.opts.onError("usage_write", err);
          }
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  /** Deletes the roll-ups past `proxy_settings.usage.retention_days`. */
  async cleanup(): Promise<number> {
    const days = this.opts.config().usage.retentionDays;
    return this.store.deleteBefore(Math.floor((Date.now() - days * 24 * HOUR_MS) / HOUR_MS));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.cleanupTimer);
    await this.flush();
  }
}

function zeroCounters(): Omit<UsageDelta, "hour" | "keyId" | "model" | "backend" | "finishReason"> {
  return {
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    unpricedRequests: 0,
    toolCalls: 0,
    latencyMsSum: 0,
    ttftMsSum: 0,
    ttftCount: 0,
  };
}
