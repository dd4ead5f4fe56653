// Background Responses runs: each runs to the end in this process whatever its client does, and can
// be cancelled. A run calls the pipeline itself, so nothing outside the proxy can pose as one.

interface Run {
  controller: AbortController;
  done: Promise<void>;
}

export class BackgroundRuns {
  private readonly running = new Map<string, Run>();
  /** Told when a run fails outside its request (a store write after the client was answered). */
  onError: ((err: unknown) => void) | undefined;

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
