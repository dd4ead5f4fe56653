// Whether the database answers, for `GET /health`. Probes are frequent, so one check serves every
// probe for a second, no answer waits on the database for more than a second, and a check that
// hangs is never stacked with another one.

export type DatabaseState = "ok" | "unreachable" | "none";

export interface DatabaseHealthOptions {
  /** How long a check's answer is reused. */
  maxAgeMs?: number;
  /** How long a probe waits for the check before saying `unreachable`. */
  timeoutMs?: number;
}

export class DatabaseHealth {
  private last: { at: number; state: DatabaseState } | undefined;
  private answer: Promise<DatabaseState> | undefined;
  /** A check still running (it may outlive its probe's timeout). */
  private checking = false;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly check: (() => Promise<unknown>) | undefined,
    opts: DatabaseHealthOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 1000;
  }

  state(): Promise<DatabaseState> {
    if (!this.check) return Promise.resolve("none");
    if (this.last && performance.now() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last.state);
    if (this.answer) return this.answer;
    // The last check hung past its timeout and is still running: the database has not answered yet.
    if (this.checking) return Promise.resolve("unreachable");
    this.answer = this.probe(this.check).finally(() => (this.answer = undefined));
    return this.answer;
  }

  private async probe(check: () => Promise<unknown>): Promise<DatabaseState> {
    this.checking = true;
    const done = Promise.resolve()
      .then(check)
      .then(
        () => "ok" as const,
        () => "unreachable" as const,
      )
      .finally(() => (this.checking = false));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"unreachable">((resolve) => {
      timer = setTimeout(() => resolve("unreachable"), this.timeoutMs);
    });
    const state = await Promise.race([done, timeout]);
    clearTimeout(timer);
    this.last = { at: performance.now(), state };
    return state;
  }
}
