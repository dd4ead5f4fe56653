// Trace rows go to the database from a worker thread (worker/trace-writer-worker.mjs) with the
// drivers themselves: a trace is written once and never updated, and neither Prisma's query compiler
// nor the SQLite b-tree work should cost the request path anything. Rows keep the exact column
// formats Prisma reads back.

import { Worker } from "node:worker_threads";
import type { Database } from "./database.js";

export interface TraceRow {
  id: string;
  /** Unix milliseconds. */
  startedAt: number;
  model: string;
  keyId: string | null;
  clientFormat: string;
  backend: string | null;
  backendFormat: string | null;
  stream: boolean;
  status: number | null;
  attempts: number;
  ttftMs: number | null;
  durationMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  error: string | null;
  warnings: number;
  captureLevel: string;
  /** Everything beyond the summary; the writer stores it as JSON text. */
  detail: Record<string, unknown>;
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

export class TraceWriter {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private batch = 0;

  constructor(db: Database) {
    this.worker = new Worker(new URL("../worker/trace-writer-worker.mjs", import.meta.url), {
      workerData: { provider: db.provider, url: db.url },
    });
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (msg: { type: string }) => {
        if (msg.type === "ready") {
          this.worker.off("error", reject);
          resolve();
        }
      };
      this.worker.on("message", onMessage);
      this.worker.once("error", reject);
    });
    this.worker.on("message", (msg: { type: string; batch?: number; message?: string }) => {
      if (msg.batch === undefined) return;
      const p = this.pending.get(msg.batch);
      this.pending.delete(msg.batch);
      if (msg.type === "written") p?.resolve();
      else p?.reject(new Error(msg.message ?? "trace write failed"));
    });
  }

  async write(rows: TraceRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.ready;
    const batch = ++this.batch;
    return new Promise((resolve, reject) => {
      this.pending.set(batch, { resolve, reject });
      // One string per batch: a native stringify and a copy, cheaper than cloning every row object.
      this.worker.postMessage({ type: "write", batch, json: JSON.stringify(rows) });
    });
  }

  async close(): Promise<void> {
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
