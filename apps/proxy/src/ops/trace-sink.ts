// Writes finished traces to the database in batches, off the request path. The queue is bounded:
// when the database cannot keep up, traces are dropped and counted, never waited for.

import { type Database, type TraceRow, TraceStore, TraceWriter } from "@yallmproxy/db";
import type { BackgroundTask } from "./ops.js";
import type { Redactor } from "./redact.js";
import { Trace } from "./trace.js";

export interface TraceSinkOptions {
  queueSize: number;
  batchSize: number;
  flushIntervalMs: number;
  retentionHours: number;
  onDropped?(count: number): void;
  onError?(task: BackgroundTask, err: unknown): void;
  /** What to cut out of a trace's bodies, headers and events (the running config's secrets). */
  redactor?(): Redactor;
}

export class TraceSink {
  /** A `full` trace is kept whole until written (its text is built then); any other is its row already. */
  private queue: Array<Trace | TraceRow> = [];
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly cleanupTimer: NodeJS.Timeout;
  dropped = 0;
  written = 0;
  readonly writer: TraceWriter;
  private readonly traces: TraceStore;

  constructor(
    db: Database,
    private readonly opts: TraceSinkOptions,
  ) {
    this.writer = new TraceWriter(db, { onError: (err) => opts.onError?.("trace_writer", err) });
    this.traces = new TraceStore(db);
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs).unref();
    this.cleanupTimer = setInterval(() => void this.cleanup().catch((err: unknown) => opts.onError?.("trace_cleanup", err)), 10 * 60 * 1000).unref();
  }

  /** Queues a finished trace; never blocks. */
  push(trace: Trace): void {
    if (this.queue.length >= this.opts.queueSize) {
      this.dropped += 1;
      this.opts.onDropped?.(1);
      return;
    }
    if (trace.full) this.queue.push(trace);
    else {
      // Built at once: a row is a fraction of the trace, which then dies young.
      const row = this.rowOf(trace, this.opts.redactor?.());
      if (!row) return;
      this.queue.push(row);
    }
    if (this.queue.length >= this.opts.batchSize) void this.flush(false);
  }

  /**
   * Writes what is queued (`all`), or only full batches: traces that arrive while a batch is being
   * written wait for a full batch or the timer, since each commit costs as much as many rows.
   * Never rejects (a trace that cannot be written is dropped and counted).
   */
  async flush(all = true): Promise<void> {
    if (this.flushing) {
      if (!all) return this.flushing;
      await this.flushing;
      return this.flush(true);
    }
    if (this.queue.length === 0) return;
    this.flushing = (async () => {
      try {
        // What was queued when the flush began; later arrivals go in full batches only.
        let owed = all ? this.queue.length : 0;
        while (this.queue.length > 0 && (owed > 0 || this.queue.length >= this.opts.batchSize)) {
          const batch = this.queue.splice(0, this.opts.batchSize);
          owed -= batch.length;
          const redactor = this.opts.redactor?.();
          const rows: TraceRow[] = [];
          for (const item of batch) {
            const row = item instanceof Trace ? this.rowOf(item, redactor) : item;
            if (row) rows.push(row);
          }
          try {
            await this.writer.write(rows);
            this.written += rows.length;
          } catch (err) {
            this.dropped += rows.length;
            this.opts.onDropped?.(rows.length);
            this.opts.onError?.("trace_write", err);
          }
        }
      } catch (err) {
        this.opts.onError?.("trace_flush", err);
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  /** The trace's row, or undefined (dropped and counted) when it cannot be built. */
  private rowOf(trace: Trace, redactor: Redactor | undefined): TraceRow | undefined {
    try {
      return trace.row(redactor);
    } catch (err) {
      this.dropped += 1;
      this.opts.onDropped?.(1);
      this.opts.onError?.("trace_flush", err);
      return undefined;
    }
  }

  /** Deletes traces older than the retention, in bounded batches. */
  async cleanup(): Promise<number> {
    const cutoff = new Date(Date.now() - this.opts.retentionHours * 3600 * 1000);
    let removed = 0;
    for (let i = 0; i < 100; i++) {
      const count = await this.traces.deleteStartedBefore(cutoff, 500);
      if (count === 0) break;
      removed += count;
    }
    return removed;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.cleanupTimer);
    await this.flush();
    await this.writer.close();
  }
}
