// The per-(key, model) concurrency queue: slots, the order waiters get them in, queue timeouts and
// clients that leave while they wait.

import { describe, expect, it } from "vitest";
import { Cancel } from "./cancel.js";
import { ConcurrencyLimiter, type Release } from "./concurrency.js";
import type { ConcurrencySettings } from "./config/load-config.js";
import { ProxyError } from "./errors.js";

const limit = (concurrencyLimit: number, priority = 0, queueTimeoutMs?: number): ConcurrencySettings => ({ concurrencyLimit, priority, queueTimeoutMs });

/** A slot granted at once (not a promise). */
function granted(r: Release | Promise<Release | ProxyError>): Release {
  if (typeof r !== "function") throw new Error("expected a free slot");
  return r;
}

/** Records when each waiter gets its slot. */
function track(name: string, p: Release | Promise<Release | ProxyError>, log: string[]): Promise<Release | ProxyError> {
  return Promise.resolve(p).then((r) => {
    log.push(r instanceof ProxyError ? `${name}:${r.status}` : name);
    return r;
  });
}

const tick = () => new Promise((r) => setImmediate(r));

describe("ConcurrencyLimiter", () => {
  it("grants up to the limit at once, then queues", async () => {
    const q = new ConcurrencyLimiter();
    const a = granted(q.acquire("k", "m", limit(2), new Cancel()));
    granted(q.acquire("k", "m", limit(2), new Cancel()));
    const third = q.acquire("k", "m", limit(2), new Cancel());
    expect(third).toBeInstanceOf(Promise);
    expect(q.stats()).toEqual({ "k::m": { active: 2, queued: 1 } });
    a();
    const r = await third;
    expect(typeof r).toBe("function");
    expect(q.stats()).toEqual({ "k::m": { active: 2, queued: 0 } });
  });

  it("keeps keys and models apart, and the unauthenticated caller in its own scope", () => {
    const q = new ConcurrencyLimiter();
    granted(q.acquire("k1", "m", limit(1), new Cancel()));
    granted(q.acquire("k2", "m", limit(1), new Cancel()));
    granted(q.acquire("k1", "other", limit(1), new Cancel()));
    granted(q.acquire(undefined, "m", limit(1), new Cancel()));
    expect(Object.keys(q.stats()).sort()).toEqual(["__unauthenticated__::m", "k1::m", "k1::other", "k2::m"]);
  });

  it("has no limit at 0 and keeps no state for it", () => {
    const q = new ConcurrencyLimiter();
    for (let i = 0; i < 50; i++) granted(q.acquire("k", "m", limit(0), new Cancel()));
    expect(q.stats()).toEqual({});
  });

  it("serves lower priority numbers first, then arrival order", async () => {
    const q = new ConcurrencyLimiter();
    const first = granted(q.acquire("k", "m", limit(1), new Cancel()));
    const log: string[] = [];
    const releases = new Map<string, Release>();
    for (const [name, priority] of [
      ["late-5", 5],
      ["early-1", 1],
      ["next-5", 5],
      ["later-1", 1],
    ] as const) {
      void track(name, q.acquire("k", "m", limit(1, priority), new Cancel()), log).then((r) => releases.set(name, r as Release));
    }
    let release = first;
    for (let i = 0; i < 4; i++) {
      release();
      await tick();
      // Each release hands the slot to exactly one waiter.
      expect(log).toHaveLength(i + 1);
      release = releases.get(log[i]!)!;
    }
    expect(log).toEqual(["early-1", "later-1", "late-5", "next-5"]);
  });

  it("hands a released slot straight to the next waiter, never over the limit", async () => {
    const q = new ConcurrencyLimiter();
    const a = granted(q.acquire("k", "m", limit(1), new Cancel()));
    const waiting = q.acquire("k", "m", limit(1), new Cancel());
    a();
    // A newcomer arriving as the slot is handed on must queue, not take it.
    expect(q.acquire("k", "m", limit(1), new Cancel())).toBeInstanceOf(Promise);
    const b = (await waiting) as Release;
    expect(q.stats()["k::m"]).toEqual({ active: 1, queued: 1 });
    // Releasing twice frees one slot only.
    b();
    b();
    await tick();
    expect(q.stats()["k::m"]).toEqual({ active: 1, queued: 0 });
  });

  it("answers 429 when the queue wait runs out, and forgets the waiter", async () => {
    const q = new ConcurrencyLimiter();
    const a = granted(q.acquire("k", "m", limit(1, 0, 50), new Cancel()));
    const started = performance.now();
    const r = await q.acquire("k", "m", limit(1, 0, 50), new Cancel());
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(r).toBeInstanceOf(ProxyError);
    expect((r as ProxyError).status).toBe(429);
    expect((r as ProxyError).code).toBe("concurrency_queue_timeout");
    expect(q.stats()["k::m"]).toEqual({ active: 1, queued: 0 });
    a();
    expect(q.stats()).toEqual({});
  });

  it("answers 499 for a client that leaves while waiting; the slot goes to the next one", async () => {
    const q = new ConcurrencyLimiter();
    const a = granted(q.acquire("k", "m", limit(1), new Cancel()));
    const leaver = new Cancel();
    const log: string[] = [];
    const gone = track("gone", q.acquire("k", "m", limit(1), leaver), log);
    const next = track("next", q.acquire("k", "m", limit(1), new Cancel()), log);
    leaver.abort();
    expect(((await gone) as ProxyError).status).toBe(499);
    expect(q.stats()["k::m"]).toEqual({ active: 1, queued: 1 });
    a();
    expect(typeof (await next)).toBe("function");
    expect(log).toEqual(["gone:499", "next"]);
  });

  it("applies a lowered limit to the next request", async () => {
    const q = new ConcurrencyLimiter();
    const a = granted(q.acquire("k", "m", limit(3), new Cancel()));
    const b = granted(q.acquire("k", "m", limit(3), new Cancel()));
    expect(q.acquire("k", "m", limit(2), new Cancel())).toBeInstanceOf(Promise);
    a();
    b();
    await tick();
    expect(q.stats()["k::m"]).toEqual({ active: 1, queued: 0 });
  });
});
