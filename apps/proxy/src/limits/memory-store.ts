// Counters in this process (one replica), synchronous: a request with limits costs a few map reads.
// A window ends by its time, checked when read, and ended windows are swept out now and then as
// counting goes on. No timers: Node cuts a timer past 24.8 days to 1 ms, which once made a
// `budget_duration: 30d` forget each charge at once.

import type { Correction, CounterStore, Take, TakeResult, WindowState } from "./counter-store.js";

interface Window {
  used: number;
  endsAt: number;
}

const SWEEP_MS = 60_000;

export class MemoryStore implements CounterStore {
  private readonly windows = new Map<string, Window>();
  private sweptAt = Date.now();

  constructor(private readonly now: () => number = Date.now) {}

  /** The window counting now, or undefined when it has ended or never began. */
  private current(key: string, now: number): Window | undefined {
    const w = this.windows.get(key);
    return w && w.endsAt > now ? w : undefined;
  }

  private open(key: string, durationSec: number, now: number): Window {
    let w = this.current(key, now);
    if (!w) {
      w = { used: 0, endsAt: now + durationSec * 1000 };
      this.windows.set(key, w);
    }
    return w;
  }

  take(takes: readonly Take[]): TakeResult {
    const now = this.now();
    if (now - this.sweptAt > SWEEP_MS) this.sweep(now);
    for (let i = 0; i < takes.length; i++) {
      const t = takes[i]!;
      const w = this.current(t.key, now);
      const used = w?.used ?? 0;
      if (t.check ? used >= t.limit : used + t.points > t.limit) {
        return { ok: false, at: i, window: { used, resetMs: w ? w.endsAt - now : t.durationSec * 1000 } };
      }
    }
    const windows: WindowState[] = [];
    for (const t of takes) {
      if (t.check) {
        windows.push(this.read(t.key) ?? { used: 0, resetMs: t.durationSec * 1000 });
        continue;
      }
      const w = this.open(t.key, t.durationSec, now);
      w.used += t.points;
      windows.push({ used: w.used, resetMs: w.endsAt - now });
    }
    return { ok: true, windows };
  }

  correct(corrections: readonly Correction[]): void {
    const now = this.now();
    for (const c of corrections) {
      if (c.points === 0) continue;
      const w = c.points < 0 ? this.current(c.key, now) : this.open(c.key, c.durationSec, now);
      if (w) w.used += c.points;
    }
  }

  read(key: string): WindowState | null {
    const now = this.now();
    const w = this.current(key, now);
    return w ? { used: w.used, resetMs: w.endsAt - now } : null;
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, w] of this.windows) if (w.endsAt <= now) this.windows.delete(key);
  }
}
