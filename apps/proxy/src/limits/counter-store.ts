// Where the limits' fixed windows are counted: this process, or Redis shared by every replica. A
// request's counters are taken all or none in one step (one Redis round trip, one script: no other
// replica sees a half-taken request, and a refused one is never counted and given back).

/** One window as it stands after an operation. */
export interface WindowState {
  /** Points counted in the current window (a missing window counts 0). */
  used: number;
  /** Milliseconds until the window ends (its whole length when it has not begun). */
  resetMs: number;
  /** Of the take's `lease`, what was granted (counted in `used`). */
  leased?: number;
}

/** A counter a request meets: `points` taken from it, or (`check`) only read against its limit. */
export interface Take {
  key: string;
  points: number;
  limit: number;
  durationSec: number;
  /** Read only: refused when the window has already reached its limit (budgets, charged afterwards). */
  check: boolean;
  /**
   * Points asked beyond `points`, to spend in this replica later (a lease): granted as far as the
   * window stays at or under `leaseCap` with them, else not at all. Only Redis grants leases.
   */
  lease?: number;
  leaseCap?: number;
}

/** Every take granted (`windows` in order), or the first that would go over and nothing taken. */
export type TakeResult = { ok: true; windows: WindowState[] } | { ok: false; at: number; window: WindowState };

/** A correction after the answer: `points` added (or, negative, given back) to a window. */
export interface Correction {
  key: string;
  points: number;
  durationSec: number;
}

export interface CounterStore {
  take(takes: readonly Take[]): TakeResult | Promise<TakeResult>;
  /** Applies corrections; a negative one to a window that has ended is dropped (it belongs to that window). */
  correct(corrections: readonly Correction[]): void | Promise<void>;
  /** The window counting now, or null when none has begun. */
  read(key: string): WindowState | null | Promise<WindowState | null>;
  /** Writes the corrections still gathered and takes no more (at shutdown). */
  close?(): Promise<void>;
}
