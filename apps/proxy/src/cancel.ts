// Cancellation of one client call: the client left, its background run was cancelled, or the proxy
// is shutting down (the only case with a `reason`: the error the client is still owed). Making an
// AbortController and listening to it costs microseconds, a sizeable part of a pass-through request;
// this costs next to nothing, and makes a real AbortSignal only for the APIs that need one.

export class Cancel {
  private isAborted = false;
  private listeners: Array<() => void> | undefined;
  private controller: AbortController | undefined;
  private abortReason: unknown;

  get aborted(): boolean {
    return this.isAborted;
  }

  /** What the call was cancelled for, when not because the client left. */
  get reason(): unknown {
    return this.abortReason;
  }

  abort(reason?: unknown): void {
    if (this.isAborted) return;
    this.isAborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const fn of listeners) fn();
  }

  /** Runs `fn` once on abort (never, if already aborted: check `aborted` first). */
  onAbort(fn: () => void): void {
    if (this.isAborted) return;
    (this.listeners ??= []).push(fn);
  }

  offAbort(fn: () => void): void {
    const listeners = this.listeners;
    if (!listeners) return;
    const i = listeners.indexOf(fn);
    if (i >= 0) listeners.splice(i, 1);
  }

  /** A standard AbortSignal that follows this cancellation, made on first use. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.isAborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }
}
