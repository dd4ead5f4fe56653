// The usage ledger: every finished request is queued (a reference, no work on the request path),
// and a timer folds the queue into hourly roll-ups per (key, model, backend, finish reason), prices
// them and adds them to the database in one statement. The queue is bounded: when the database
// cannot keep up, requests are dropped and counted, never waited for.

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

export class UsageLedger {
  private queue: Trace[] = [];
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

  /** Queues a finished request; never blocks. */
  push(trace: Trace): void {
    if (this.queue.length >= this.opts.config().usage.queueSize) {
      this.opts.onDropped(1);
      return;
    }
    this.queue.push(trace);
  }

  /** Adds what is queued to the ledger; never rejects (a batch that cannot be written is dropped and counted). */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.queue.length === 0) return;
    this.flushing = (async () => {
      try {
        while (this.queue.length > 0) {
          const batch = this.queue;
          this.queue = [];
          try {
            await this.store.add(this.fold(batch));
          } catch (err) {
            this.opts.onDropped(batch.length);
            this.opts.onError("usage_write", err);
          }
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  /** Requests summed per hour, key, model, backend and finish reason. */
  private fold(batch: readonly Trace[]): UsageDelta[] {
    const config = this.opts.config();
    const rows = new Map<string, UsageDelta>();
    for (const t of batch) {
      const hour = Math.floor(t.startedAtMs / HOUR_MS);
      const failed = (t.status ?? 500) >= 400;
      const keyId = t.keyId ?? "";
      const backend = t.backend ?? "";
      const finishReason = failed ? "" : (t.finishReason ?? "");
      const id = `${hour}\u0000${keyId}\u0000${t.model}\u0000${backend}\u0000${finishReason}`;
      let row = rows.get(id);
      if (!row) {
        row = { hour, keyId, model: t.model, backend, finishReason, ...zeroCounters() };
        rows.set(id, row);
      }
      const cost = t.promptTokens !== null || t.completionTokens !== null ? costOfTrace(t, config) : 0;
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
    return [...rows.values()];
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
