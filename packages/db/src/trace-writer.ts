// Trace rows go to the database from a worker thread (worker/trace-writer-worker.mjs) with the
// drivers themselves: a trace is written once and never updated, and neither Prisma's query compiler
// nor the SQLite b-tree work should cost the request path anything. Rows keep the exact column
// formats Prisma reads back, for the columns the schema has.

import { Worker } from "node:worker_threads";
import type { Database } from "./database.js";
import { Prisma, type Trace } from "./generated/sqlite/client.js";

/** A trace row as the Trace model has it: the generated client's type, so no field list is kept here. */
export type TraceRow = Trace;

/** The Trace model's columns in schema order, from the generated client: the worker inserts these. */
const TRACE_COLUMNS = Object.values(Prisma.TraceScalarFieldEnum);

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

interface TraceWriterOptions {
  /** Told when the worker fails; its writes in flight fail, and the next write starts a new worker. */
  onError?(err: unknown): void;
}

export class TraceWriter {
  private worker!: Worker;
  private ready!: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private batch = 0;
  private failed = false;
  private closing = false;

  constructor(
    private readonly db: Database,
    private readonly opts: TraceWriterOptions = {},
  ) {
    this.start();
  }

  private start(): void {
    this.failed = false;
    const worker = new Worker(new URL("../worker/trace-writer-worker.mjs", import.meta.url), {
      workerData: { provider: this.db.provider, url: this.db.url, columns: TRACE_COLUMNS },
    });
    this.worker = worker;
    worker.unref();
    this.ready = new Promise((resolve, reject) => {
      worker.on("message", (msg: { type: string }) => msg.type === "ready" && resolve());
      worker.once("exit", () => reject(new Error("trace writer exited before it was ready")));
    });
    this.ready.catch(() => undefined);
    worker.on("message", (msg: { type: string; batch?: number; message?: string }) => {
      if (msg.batch === undefined) return;
      const p = this.pending.get(msg.batch);
      this.pending.delete(msg.batch);
      if (msg.type === "written") p?.resolve();
      else p?.reject(new Error(msg.message ?? "trace write failed"));
    });
    // A worker that throws or exits fails its writes in flight; it must never take the process down.
    worker.on("error", (err) => this.fail(worker, err));
    worker.once("exit", (code) => this.fail(worker, new Error(`trace writer exited with code ${code}`)));
  }

  private fail(worker: Worker, err: Error): void {
    if (worker !== this.worker || this.failed) return;
    this.failed = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (!this.closing) this.opts.onError?.(err);
  }

  async write(rows: TraceRow[]): Promise<void> {
    if (rows.length === 0) return;
    // Each row as an array of primitives, in the worker's column order: cloned without any key
    // names, and bound to the insert as it comes.
    return this.send((batch) => ({ type: "write", batch, rows: rows.map((r) => TRACE_COLUMNS.map((c) => r[c])) }));
  }

  /** Runs one statement on the worker's connection (`?` marks on SQLite, `$n` on PostgreSQL). */
  async execute(sql: string, values: unknown[]): Promise<void> {
    return this.send((batch) => ({ type: "exec", batch, sql, values }));
  }

  private async send(message: (batch: number) => Record<string, unknown>): Promise<void> {
    if (this.failed && !this.closing) this.start();
    await this.ready;
    if (this.failed) throw new Error("trace writer failed");
    const batch = ++this.batch;
    return new Promise((resolve, reject) => {
      this.pending.set(batch, { resolve, reject });
      this.worker.postMessage(message(batch));
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.failed) return;
    await this.ready.catch(() => undefined);
    const closed = new Promise<void>((resolve) => {
      this.worker.on("message", (msg: { type: string }) => msg.type === "closed" && resolve());
      this.worker.once("exit", () => resolve());
    });
    this.worker.postMessage({ type: "close" });
    await closed;
    await this.worker.terminate();
  }
}
