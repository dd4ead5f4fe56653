// The response store's writes, run on a worker thread (worker/response-writer-worker.mjs) with the
// drivers themselves, so neither SQLite's synchronous insert and fsync nor Prisma's query work holds
// the event loop. Each call resolves once the worker has committed. A worker that dies fails the
// calls it held and is started again by the next call.

import { Worker } from "node:worker_threads";
import type { Database } from "./database.js";

/** A stored response as the database holds it: JSON columns already serialized. */
export interface ResponseRow {
  id: string;
  ownerKeyId: string | null;
  model: string;
  backend: string;
  status: string;
  request: string;
  inputItems: string;
  outputItems: string;
  response: string;
  usage: string | null;
  previousResponseId: string | null;
  /** Unix milliseconds. */
  createdAt: number;
  expiresAt: number;
}

/** What a put did: a new row, a row replaced, or the id held by another owner's live row. */
export type PutOutcome = "inserted" | "updated" | "taken";

type Request =
  { type: "put"; row: ResponseRow; now: number } | { type: "delete"; id: string } | { type: "expire"; now: number; batch: number; maxBatches: number };

interface Reply {
  type?: string;
  seq?: number;
  ok?: boolean;
  result?: unknown;
  message?: string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export class ResponseWriter {
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private closed = false;
  private idle: Array<() => void> = [];

  constructor(private readonly db: Pick<Database, "provider" | "url">) {}

  /** Stores `row`, replacing the same owner's row or one expired at `now`. */
  put(row: ResponseRow, now: number): Promise<PutOutcome> {
    return this.call({ type: "put", row, now }) as Promise<PutOutcome>;
  }

  delete(id: string): Promise<boolean> {
    return this.call({ type: "delete", id }) as Promise<boolean>;
  }

  /** Deletes rows expired at `now`, in batches; returns how many. */
  expire(now: number, batch: number, maxBatches: number): Promise<number> {
    return this.call({ type: "expire", now, batch, maxBatches }) as Promise<number>;
  }

  private async call(request: Request): Promise<unknown> {
    if (this.closed) throw new Error("the response store is closed");
    const worker = await this.start();
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      if (this.worker !== worker) return reject(new Error("the response store's writer stopped"));
      // Held while a write is in flight (a script awaiting it must not exit), let go when idle.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(seq, { resolve, reject });
      worker.postMessage({ ...request, seq });
    });
  }

  private start(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(new URL("../worker/response-writer-worker.mjs", import.meta.url), {
        workerData: { provider: this.db.provider, url: this.db.url },
      });
      this.worker = worker;
      let up = false;
      worker.on("message", (msg: Reply) => {
        if (msg.type === "ready") {
          up = true;
          if (this.pending.size === 0) worker.unref();
          resolve(worker);
          return;
        }
        if (msg.seq === undefined) return;
        const p = this.pending.get(msg.seq);
        if (!p) return;
        this.pending.delete(msg.seq);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new Error(msg.message ?? "response store write failed"));
        if (this.pending.size === 0) {
          worker.unref();
          this.settled();
        }
      });
      const fail = (err: Error) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.ready = undefined;
        if (!up) reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        this.settled();
      };
      // An error thrown in the worker arrives cloned; one of a driver's own classes as a bare object.
      worker.on("error", (err: unknown) =>
        fail(err instanceof Error ? err : new Error(`the response store's writer stopped (${String((err as { code?: unknown } | null)?.code ?? err)})`)),
      );
      worker.on("exit", (code) => fail(new Error(`the response store's writer stopped (exit code ${code})`)));
    });
    return this.ready;
  }

  private settled(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }

  /** Waits for the writes in flight, then stops the worker. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    if (this.pending.size > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    const stopped = new Promise<void>((resolve) => {
      worker.on("message", (msg: Reply) => msg.type === "closed" && resolve());
      worker.once("exit", () => resolve());
    });
    worker.ref();
    worker.postMessage({ type: "close" });
    await stopped;
    this.worker = undefined;
    await worker.terminate();
  }
}
