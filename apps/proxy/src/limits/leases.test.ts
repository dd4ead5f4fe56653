// Leases on their own (a settable clock), then two replicas' RateLimits sharing a real Redis on
// 127.0.0.1:6379 (counters of keys named for this run, removed afterwards).

import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppKey, ModelRoute } from "../config/load-config.js";
import type { Correction } from "./counter-store.js";
import { LEASE_MS, Leases } from "./leases.js";
import { type Admission, RateLimits } from "./rate-limits.js";
import { openRedis, type LimitRedis } from "./redis.js";

const rpm = (limit: number, key = `rpm:${randomUUID()}`) => ({ kind: "rpm", key, limit, durationSec: 60 });

function leases() {
  let now = 1_000_000;
  const back: Correction[] = [];
  const l = new Leases(
    (c) => back.push(...c),
    () => now,
  );
  return { l, back, pass: (ms: number) => (now += ms), at: () => now };
}

describe("leases", () => {
  it("asks nothing for a lone request, nor of a limit under 1,000", () => {
    const { l } = leases();
    const roomy = rpm(1_000_000);
    l.meet([roomy]);
    expect(l.ask(roomy, 1)).toBeUndefined();
    const small = rpm(999);
    for (let i = 0; i < 10; i++) l.meet([small]);
    expect(l.ask(small, 1)).toBeUndefined();
  });

  it("sizes a lease by the requests met, within a thousandth of the limit counting what it holds and asks", () => {
    const { l, at } = leases();
    const c = rpm(20_000);
    for (let i = 0; i < 10; i++) l.meet([c]);
    expect(l.ask(c, 1)).toEqual({ lease: 9, leaseCap: 10_000 });
    // The next asks only for what the thousandth leaves beside the 9 asked.
    for (let i = 0; i < 20; i++) l.meet([c]);
    expect(l.ask(c, 1)).toEqual({ lease: 11, leaseCap: 10_000 });
    expect(l.ask(c, 1)).toBeUndefined();
    l.granted(c, 9, { used: 10, resetMs: 50_000, leased: 9 }, at());
    l.granted(c, 11, { used: 22, resetMs: 50_000, leased: 11 }, at());
    expect(l.unspent(c.key)).toBe(20);
    // TPM leases are in tokens: 64 requests' worth at most.
    const t = { kind: "tpm", key: `tpm:${randomUUID()}`, limit: 1e12, durationSec: 60 };
    for (let i = 0; i < 200; i++) l.meet([t]);
    expect(l.ask(t, 30)?.lease).toBe(64 * 30);
  });

  it("spends every counter's share or none, and reports the window less what it still holds", () => {
    const { l, at } = leases();
    const a = rpm(1_000_000);
    const b = { kind: "tpm", key: `tpm:${randomUUID()}`, limit: 1e9, durationSec: 60 };
    for (let i = 0; i < 5; i++) l.meet([a, b]);
    l.granted(a, l.ask(a, 100)!.lease, { used: 5, resetMs: 30_000, leased: 4 }, at());
    l.granted(b, l.ask(b, 100)!.lease, { used: 500, resetMs: 30_000, leased: 200 }, at());
    expect(l.spend([a, b], 100)).toEqual([
      { used: 2, resetMs: 30_000 },
      { used: 400, resetMs: 30_000 },
    ]);
    expect(l.spend([a, b], 100)).toHaveLength(2);
    // b is spent: a keeps its two.
    expect(l.spend([a, b], 100)).toBeUndefined();
    expect(l.unspent(a.key)).toBe(2);
    // A reload lowered the limit: what is held is not spent against the new one.
    expect(l.spend([{ ...a, limit: 500 }], 100)).toBeUndefined();
  });

  it("gives back what is left after LEASE_MS, keeps it when the window is about to end, and gives back all on close", () => {
    const { l, back, pass, at } = leases();
    const a = rpm(1_000_000);
    const b = rpm(1_000_000);
    for (let i = 0; i < 5; i++) l.meet([a, b]);
    l.granted(a, l.ask(a, 1)!.lease, { used: 5, resetMs: 30_000, leased: 4 }, at());
    l.granted(b, l.ask(b, 1)!.lease, { used: 5, resetMs: 500, leased: 4 }, at());
    pass(LEASE_MS);
    expect(l.spend([a], 1)).toBeUndefined();
    l.close();
    // b's window ends within a second: a give-back could land in the next one.
    expect(back).toEqual([{ key: a.key, points: -4, durationSec: 60 }]);
    expect(l.unspent(a.key) + l.unspent(b.key)).toBe(0);
  });

  it("corrects a TPM share from the lease when it covers it and the request was admitted in its window", () => {
    const { l, pass, at } = leases();
    const t = { kind: "tpm", key: `tpm:${randomUUID()}`, limit: 1e9, durationSec: 60 };
    for (let i = 0; i < 5; i++) l.meet([t]);
    // A window that began 10 s ago.
    l.granted(t, l.ask(t, 100)!.lease, { used: 500, resetMs: 50_000, leased: 400 }, at());
    const admitted = 1_000_000;
    expect(l.absorb(t, 100, 130, admitted)).toBe(0);
    expect(l.absorb(t, 100, 50, admitted)).toBe(0);
    expect(l.unspent(t.key)).toBe(420);
    // More than it holds, or a request of the window before: Redis corrects.
    expect(l.absorb(t, 100, 521, admitted)).toBe(421);
    expect(l.absorb(t, 100, 95, admitted - 11_000)).toBe(-5);
    // The next lease is sized by what requests used, not by their estimate.
    for (let i = 0; i < 10; i++) l.meet([t]);
    const asked = l.ask(t, 10)!.lease;
    expect(asked).toBeGreaterThan(9 * 100);
    l.granted(t, asked, { used: 1000, resetMs: 50_000 }, at());
    // Tokens unused are kept up to a thousandth of the limit; Redis gets the rest back.
    expect(l.absorb(t, 1_000_000, 0, admitted)).toBe(-1_000_000 + (1_000_000 - 420));
    expect(l.unspent(t.key)).toBe(1_000_000);
    pass(LEASE_MS);
    expect(l.absorb(t, 100, 95, admitted)).toBe(-5);
    expect(l.unspent(t.key)).toBe(1_000_000);
  });

  it("gives back at once when Redis counts past half the limit", () => {
    const { l, back, at } = leases();
    const a = rpm(10_000);
    for (let i = 0; i < 5; i++) l.meet([a]);
    l.granted(a, l.ask(a, 1)!.lease, { used: 1000, resetMs: 30_000, leased: 4 }, at());
    l.granted(a, 0, { used: 5001, resetMs: 30_000 }, at());
    expect(back).toEqual([{ key: a.key, points: -4, durationSec: 60 }]);
    expect(l.spend([a], 1)).toBeUndefined();
  });

  it("reckons the window's end from when the take was sent, and spends nothing in its last 50 ms", () => {
    const { l, pass, at } = leases();
    const a = rpm(1_000_000);
    for (let i = 0; i < 5; i++) l.meet([a]);
    const sent = at();
    const lease = l.ask(a, 1)!.lease;
    pass(30);
    // Sent 30 ms ago with 150 ms left: the window ends 120 ms from now, not 150.
    l.granted(a, lease, { used: 5, resetMs: 150, leased: 4 }, sent);
    expect(l.spend([a], 1)).toEqual([{ used: 2, resetMs: 120 }]);
    pass(71);
    expect(l.spend([a], 1)).toBeUndefined();
  });

  it("drops, without giving back, what it held of a window Redis has moved past", () => {
    const { l, back, pass, at } = leases();
    const a = rpm(1_000_000);
    for (let i = 0; i < 5; i++) l.meet([a]);
    l.granted(a, l.ask(a, 1)!.lease, { used: 5, resetMs: 30_000, leased: 4 }, at());
    pass(10);
    // The key was gone (a Redis restart, say): this window ends a minute from now.
    l.granted(a, 0, { used: 1, resetMs: 60_000 }, at());
    expect(l.unspent(a.key)).toBe(0);
    l.close();
    expect(back).toEqual([]);
  });

  it("gives back what it holds when a reload changed the limit", () => {
    const { l, back, at } = leases();
    const a = rpm(1_000_000);
    for (let i = 0; i < 5; i++) l.meet([a]);
    l.granted(a, l.ask(a, 1)!.lease, { used: 5, resetMs: 30_000, leased: 4 }, at());
    const lowered = { ...a, limit: 10_000 };
    l.granted(lowered, 0, { used: 6, resetMs: 30_000 }, at());
    expect(back).toEqual([{ key: a.key, points: -4, durationSec: 60 }]);
    expect(l.spend([lowered], 1)).toBeUndefined();
  });

  it("keeps the counters with a take under way when its memory starts over, and takes nothing after close", () => {
    const { l, back, at } = leases();
    const a = rpm(1_000_000);
    for (let i = 0; i < 5; i++) l.meet([a]);
    const lease = l.ask(a, 1)!.lease;
    for (let i = 0; i < 10_000; i++) l.meet([rpm(1_000_000, `other:${i}`)]);
    l.granted(a, lease, { used: 5, resetMs: 30_000, leased: 4 }, at());
    expect(l.unspent(a.key)).toBe(4);
    // What was asked is no longer under way: the next ask may take the whole thousandth.
    for (let i = 0; i < 100; i++) l.meet([a]);
    expect(l.ask(a, 1)!.lease).toBe(64);
    l.close();
    expect(back).toEqual([{ key: a.key, points: -4, durationSec: 60 }]);
    l.granted(a, 64, { used: 100, resetMs: 30_000, leased: 64 }, at());
    expect(l.unspent(a.key)).toBe(0);
  });
});

describe("two replicas leasing from one Redis", () => {
  let redis: Redis;
  const opened: LimitRedis[] = [];
  const made: RateLimits[] = [];
  beforeAll(() => {
    redis = new Redis({ host: "127.0.0.1", port: 6379 });
  });
  afterAll(async () => {
    for (const m of made) await m.close();
    for (const o of opened) for (const c of [o.direct, o.batched]) c.disconnect();
    const keys = await redis.keys("yallmp:*:key:lease-test-*");
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  async function replica(leasing = true): Promise<RateLimits> {
    const r = await openRedis("redis://127.0.0.1:6379", 5000, () => undefined);
    opened.push(r);
    const limits = new RateLimits({ redis: r, failOpen: () => false, leases: () => leasing, onStoreError: () => undefined, onRefused: () => undefined });
    made.push(limits);
    return limits;
  }

  function keyWith(rpmLimit: number): AppKey {
    return {
      keyId: `lease-test-${randomUUID()}`,
      secret: "",
      name: undefined,
      enabled: true,
      concurrency: undefined,
      limits: { rpm: rpmLimit, tpm: undefined, budget: undefined, models: new Map(), queueSize: 0 },
    } as unknown as AppKey;
  }
  const route = { name: "m", limits: undefined } as unknown as ModelRoute;

  /** `n` admissions spread over the replicas in waves of `wave`: how many were granted, and how many without waiting for Redis. */
  async function burst(replicas: RateLimits[], key: AppKey, n: number, wave: number) {
    let granted = 0;
    let local = 0;
    for (let sent = 0; sent < n; sent += wave) {
      const answers: Array<Admission | Promise<Admission>> = [];
      for (let i = 0; i < wave; i++) {
        const limits = replicas[i % replicas.length]!;
        const out = limits.admit(limits.plan(key, route)!, 10);
        if (!(out instanceof Promise)) local++;
        answers.push(out);
      }
      for (const a of await Promise.all(answers)) if ("ticket" in a) granted++;
    }
    return { granted, local };
  }

  it("admits most of a busy replica's requests from leases when far from the limit", async () => {
    const replicas = [await replica(), await replica()];
    const key = keyWith(1_000_000);
    const { granted, local } = await burst(replicas, key, 19_200, 64);
    expect(granted).toBe(19_200);
    expect(local).toBeGreaterThan(0.9 * 19_200);
  });

  it("never admits more than the limit together, and gives back what it held unspent", async () => {
    const replicas = [await replica(), await replica()];
    const key = keyWith(20_000);
    const { granted, local } = await burst(replicas, key, 24_000, 200);
    expect(granted).toBeLessThanOrEqual(20_000);
    // Early refusals are bounded by what the replicas held unspent: a thousandth of the limit each.
    expect(granted).toBeGreaterThanOrEqual(20_000 - 2 * 20);
    expect(local).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, LEASE_MS * 2));
    // What was held and not admitted went back: the counter is what was admitted.
    expect(Number(await redis.get(`yallmp:rpm:key:${key.keyId}`))).toBe(granted);
    const status = await replicas[0]!.status(key, { models: new Map() } as never);
    expect(status.rpm).toMatchObject({ limit: 20_000, used: granted });
  });

  it("with leases off, admits exactly the limit and asks Redis for every request", async () => {
    const strict = [await replica(false), await replica(false)];
    const key = keyWith(2_000);
    const { granted, local } = await burst(strict, key, 2_600, 100);
    expect(granted).toBe(2_000);
    expect(local).toBe(0);
  });

  it("leaves a limit under 1,000 to Redis alone", async () => {
    const replicas = [await replica(), await replica()];
    const key = keyWith(900);
    const { granted, local } = await burst(replicas, key, 1_200, 100);
    expect(granted).toBe(900);
    expect(local).toBe(0);
  });
});
