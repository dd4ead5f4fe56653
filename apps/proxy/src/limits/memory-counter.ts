// In-process fixed-window counters with the interface of rate-limiter-flexible's limiters. Its own
// memory store frees each window with a timer of the window's length, and Node cuts a timer past
// 24.8 days to 1 ms: a `budget_duration: 30d` was forgotten a millisecond after each charge. Here a
// window ends by its time, checked when read, and ended windows are swept out now and then as
// counting goes on (no timer: a limiter a config reload left behind holds nothing alive).

import { RateLimiterRes } from "rate-limiter-flexible";

interface Window {
  value: number;
  endsAt: number;
}

const SWEEP_MS = 60_000;

export class MemoryCounter {
  private readonly windows = new Map<string, Window>();
  private sweptAt = Date.now();

  constructor(
    readonly points: number,
    private readonly durationSec: number,
  ) {}

  private add(id: string, points: number): RateLimiterRes {
    const now = Date.now();
    if (now - this.sweptAt > SWEEP_MS) this.sweep(now);
    let w = this.windows.get(id);
    const first = !w || w.endsAt <= now;
    if (!w || first) {
      w = { value: 0, endsAt: now + this.durationSec * 1000 };
      this.windows.set(id, w);
    }
    w.value += points;
    return new RateLimiterRes(Math.max(0, this.points - w.value), w.endsAt - now, w.value, first);
  }

  /** Counts `points`, refused (with the window's state) when that goes over the limit; counted either way. */
  consume(id: string, points = 1): Promise<RateLimiterRes> {
    const res = this.add(id, points);
    return res.consumedPoints > this.points ? Promise.reject(res) : Promise.resolve(res);
  }

  penalty(id: string, points = 1): Promise<RateLimiterRes> {
    return Promise.resolve(this.add(id, points));
  }

  reward(id: string, points = 1): Promise<RateLimiterRes> {
    return Promise.resolve(this.add(id, -points));
  }

  get(id: string): Promise<RateLimiterRes | null> {
    const w = this.windows.get(id);
    const now = Date.now();
    if (!w || w.endsAt <= now) return Promise.resolve(null);
    return Promise.resolve(new RateLimiterRes(Math.max(0, this.points - w.value), w.endsAt - now, w.value, false));
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [id, w] of this.windows) if (w.endsAt <= now) this.windows.delete(id);
  }
}
