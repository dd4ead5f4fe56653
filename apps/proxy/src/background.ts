// Background Responses runs: each runs to the end in this process whatever its client does, and can
// be cancelled. The internal request that carries a run is marked with a per-process secret, so no
// client can pose as one.

import { randomBytes, timingSafeEqual } from "node:crypto";

export const BACKGROUND_HEADER = "x-yallmproxy-background";

interface Run {
  controller: AbortController;
  done: Promise<void>;
}

export class BackgroundRuns {
  private readonly secret = randomBytes(24).toString("hex");
  private readonly running = new Map<string, Run>();
  /** Told when a run fails outside its request (a store write after the client was answered). */
  onError: ((err: unknown) => void) | undefined;

  /** The header value that marks the internal request of run `id`. */
  headerFor(id: string): string {
    return `${this.secret}:${id}`;
  }

  /** The run an internal request belongs to, or undefined for any ordinary request. */
  claim(value: unknown): { id: string; signal: AbortSignal } | undefined {
    if (typeof value !== "string") return undefined;
    const at = value.indexOf(":");
    if (at < 0) return undefined;
    const given = Buffer.from(value.slice(0, at));
    const expected = Buffer.from(this.secret);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const id = value.slice(at + 1);
    const run = this.running.get(id);
    return run ? { id, signal: run.controller.signal } : undefined;
  }

  start(id: string, work: (signal: AbortSignal) => Promise<void>): void {
    const controller = new AbortController();
    const run: Run = { controller, done: Promise.resolve() };
    this.running.set(id, run);
    run.done = work(controller.signal)
      .catch((err: unknown) => this.onError?.(err))
      .finally(() => this.running.delete(id));
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  async cancel(id: string): Promise<void> {
    const run = this.running.get(id);
    if (!run) return;
    run.controller.abort();
    await run.done;
  }

  async close(): Promise<void> {
    const runs = [...this.running.values()];
    for (const r of runs) r.controller.abort();
    await Promise.all(runs.map((r) => r.done));
  }
}
