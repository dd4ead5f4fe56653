// The two counter stores against one contract: in this process (a settable clock) and in a real
// Redis on 127.0.0.1:6379 (keys under a prefix of this run, removed afterwards).

import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CounterStore, Take } from "./counter-store.js";
import { MemoryStore } from "./memory-store.js";
import { RedisStore } from "./redis-store.js";

const take = (key: string, points: number, limit: number, durationSec = 60, check = false): Take => ({ key, points, limit, durationSec, check });

function contract(name: string, make: () => { store: CounterStore; key: (k: string) => string; pass: (ms: number) => Promise<void> }) {
  describe(name, () => {
    it("takes every counter or none: a refusal names the first that would go over and counts nothing", async () => {
      const { store, key } = make();
      const [a, b] = [key("a"), key("b")];
      expect(await store.take([take(a, 1, 2), take(b, 1, 1)])).toMatchObject({ ok: true, windows: [{ used: 1 }, { used: 1 }] });
      expect(await store.take([take(a, 1, 2), take(b, 1, 1)])).toMatchObject({ ok: false, at: 1, window: { used: 1 } });
      // The refused request took nothing from `a`, which still has room for one.
      expect(await store.read(a)).toMatchObject({ used: 1 });
      expect(await store.take([take(a, 1, 2)])).toMatchObject({ ok: true, windows: [{ used: 2 }] });
      expect(await store.take([take(a, 1, 2)])).toMatchObject({ ok: false, at: 0, window: { used: 2 } });
    });

    it("refuses a take larger than what is left, and admits one that fits exactly", async () => {
      const { store, key } = make();
      const t = key("tokens");
      expect(await store.take([take(t, 700, 1000)])).toMatchObject({ ok: true });
      expect(await store.take([take(t, 301, 1000)])).toMatchObject({ ok: false, window: { used: 700 } });
      expect(await store.take([take(t, 300, 1000)])).toMatchObject({ ok: true, windows: [{ used: 1000 }] });
    });

    it("checks a budget without counting, and refuses once corrections reach its limit", async () => {
      const { store, key } = make();
      const budget = key("budget");
      expect(await store.take([take(budget, 1, 100, 3600, true)])).toMatchObject({ ok: true, windows: [{ used: 0 }] });
      expect(await store.read(budget)).toBeNull();
      await store.correct([{ key: budget, points: 60, durationSec: 3600 }]);
      expect(await store.take([take(budget, 1, 100, 3600, true)])).toMatchObject({ ok: true, windows: [{ used: 60 }] });
      await store.correct([{ key: budget, points: 40, durationSec: 3600 }]);
      const refused = await store.take([take(budget, 1, 100, 3600, true)]);
      expect(refused).toMatchObject({ ok: false, at: 0, window: { used: 100 } });
      if (!refused.ok) expect(refused.window.resetMs).toBeGreaterThan(3_590_000);
    });

    it("drops a give-back to a window that has not begun, and applies one to a window counting", async () => {
      const { store, key } = make();
      const t = key("tpm");
      await store.correct([{ key: t, points: -50, durationSec: 60 }]);
      expect(await store.read(t)).toBeNull();
      await store.take([take(t, 100, 1000)]);
      await store.correct([{ key: t, points: -30, durationSec: 60 }]);
      expect(await store.read(t)).toMatchObject({ used: 70 });
    });

    it("starts a new window when the old one ends", async () => {
      const { store, key, pass } = make();
      const r = key("rpm");
      const first = await store.take([take(r, 1, 1, 1)]);
      expect(first.ok).toBe(true);
      if (first.ok) expect(first.windows[0]!.resetMs).toBeLessThanOrEqual(1000);
      expect((await store.take([take(r, 1, 1, 1)])).ok).toBe(false);
      await pass(1100);
      expect(await store.read(r)).toBeNull();
      expect(await store.take([take(r, 1, 1, 1)])).toMatchObject({ ok: true, windows: [{ used: 1 }] });
    });
  });
}

let clock = 1_000_000;
contract("in-process counters", () => ({
  store: new MemoryStore(() => clock),
  key: (k) => `${k}:${randomUUID()}`,
  pass: async (ms) => {
    clock += ms;
  },
}));

const prefix = `yallmp-test:${randomUUID()}:`;
let redis: Redis;
let batched: Redis;
beforeAll(async () => {
  redis = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  batched = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, maxRetriesPerRequest: 1, enableAutoPipelining: true });
  await Promise.all([redis.connect(), batched.connect()]);
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  batched.disconnect();
});

contract("Redis counters", () => ({
  store: new RedisStore({ direct: redis, batched }),
  key: (k) => `${prefix}${k}:${randomUUID()}`,
  pass: (ms) => new Promise((r) => setTimeout(r, ms)),
}));

describe("Redis counters under a crowd", () => {
  it("admits exactly the limit of 60 takes sent together (the first alone, the rest batched)", async () => {
    const store = new RedisStore({ direct: redis, batched });
    const key = `${prefix}crowd:${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 60 }, () => store.take([take(key, 1, 25)])));
    expect(results.filter((r) => r.ok)).toHaveLength(25);
    expect(await store.read(key)).toMatchObject({ used: 25 });
  });
});

describe("Redis leases", () => {
  it("grants a lease beyond the take only as far as the window stays at its cap, and never for a check", async () => {
    const store = new RedisStore({ direct: redis, batched });
    const key = `${prefix}lease:${randomUUID()}`;
    const budget = `${prefix}lease-budget:${randomUUID()}`;
    const leased = (points: number, lease: number) => ({ ...take(key, points, 100), lease, leaseCap: 15 });
    expect(await store.take([leased(1, 10), { ...take(budget, 0, 100, 60, true), lease: 5, leaseCap: 50 }])).toMatchObject({
      ok: true,
      windows: [
        { used: 11, leased: 10 },
        { used: 0, leased: 0 },
      ],
    });
    expect(await store.take([leased(1, 10)])).toMatchObject({ ok: true, windows: [{ used: 15, leased: 3 }] });
    expect(await store.take([leased(1, 10)])).toMatchObject({ ok: true, windows: [{ used: 16, leased: 0 }] });
    // A take that does not fit is refused whatever it asks.
    expect(await store.take([leased(85, 10)])).toMatchObject({ ok: false, at: 0, window: { used: 16 } });
  });
});

describe("Redis counters and earlier versions", () => {
  it("keeps counting a window an earlier version (rate-limiter-flexible) began under the same key", async () => {
    const store = new RedisStore({ direct: redis, batched });
    const key = `${prefix}legacy:${randomUUID()}`;
    await redis.set(key, "9", "EX", 60);
    expect(await store.take([take(key, 1, 10)])).toMatchObject({ ok: true, windows: [{ used: 10 }] });
    expect((await store.take([take(key, 1, 10)])).ok).toBe(false);
    expect(await redis.pttl(key)).toBeGreaterThan(50_000);
  });
});

describe("Redis corrections", () => {
  /** The scripts Redis ran that name `key`, seen through MONITOR (other tests' commands name other keys). */
  async function watch(key: string): Promise<{ writes: () => Promise<number> }> {
    const monitor = await redis.monitor();
    let writes = 0;
    const marker = randomUUID();
    let seen: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (seen = resolve));
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (/^eval/i.test(args[0] ?? "") && args.includes(key)) writes++;
      if (args[0]?.toLowerCase() === "echo" && args[1] === marker) seen();
    });
    return {
      // MONITOR reports commands in the order Redis ran them: once a later ECHO shows, every earlier command has.
      writes: async () => {
        await redis.echo(marker);
        await reached;
        monitor.disconnect();
        return writes;
      },
    };
  }

  it("gathers the corrections of answers ending together into one write, a counter's summed", async () => {
    const store = new RedisStore({ direct: redis, batched });
    const [t, b] = [`${prefix}gather-tpm:${randomUUID()}`, `${prefix}gather-budget:${randomUUID()}`];
    await store.take([take(t, 100, 10_000)]);
    // The script is loaded first, so the write under watch is one EVALSHA, not a refused one and an EVAL.
    await store.correct([{ key: `${prefix}warm:${randomUUID()}`, points: 1, durationSec: 60 }]);
    const { writes } = await watch(b);
    const done = Array.from({ length: 20 }, (_, i) =>
      store.correct([
        { key: t, points: i % 2 ? 5 : -3, durationSec: 60 },
        { key: b, points: 7, durationSec: 3600 },
      ]),
    );
    await Promise.all(done);
    expect(await writes()).toBe(1);
    expect(await store.read(t)).toMatchObject({ used: 100 + 10 * 5 - 10 * 3 });
    expect(await store.read(b)).toMatchObject({ used: 140 });
  });

  it("sends the corrections gathered with the next take, in its one script, applied before it is checked", async () => {
    const store = new RedisStore({ direct: redis, batched });
    const [t, r] = [`${prefix}ride-tpm:${randomUUID()}`, `${prefix}ride-rpm:${randomUUID()}`];
    await store.take([take(t, 900, 1000), take(r, 1, 10)]);
    await store.correct([{ key: `${prefix}warm:${randomUUID()}`, points: 1, durationSec: 60 }]);
    const { writes } = await watch(t);
    // The answer used 300 tokens of its 900: once the rest is given back, the next request's 500 fit.
    const corrected = store.correct([{ key: t, points: -600, durationSec: 60 }]);
    const next = await store.take([take(t, 500, 1000), take(r, 1, 10)]);
    await corrected;
    expect(next).toMatchObject({ ok: true, windows: [{ used: 800 }, { used: 2 }] });
    expect(await writes()).toBe(1);
    // Nothing was left for the timer to write.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await store.read(t)).toMatchObject({ used: 800 });
  });

  it("hands a failed take to the callers of the corrections riding with it", async () => {
    const store = new RedisStore({ direct: redis, batched });
    const [t, bad] = [`${prefix}ride-fail:${randomUUID()}`, `${prefix}ride-bad:${randomUUID()}`];
    // A counter holding what is not a number makes the script fail as a whole.
    await redis.set(bad, "not a number", "EX", 60);
    const corrected = store.correct([{ key: t, points: 5, durationSec: 60 }]);
    await expect(store.take([take(bad, 1, 10)])).rejects.toThrow();
    await expect(corrected).rejects.toThrow();
  });

  it("reads a counter with this replica's own corrections in it, and writes the rest at close", async () => {
    const store = new RedisStore({ direct: redis, batched });
    const t = `${prefix}own:${randomUUID()}`;
    const other = `${prefix}own-other:${randomUUID()}`;
    await store.take([take(t, 100, 10_000)]);
    void store.correct([{ key: t, points: -40, durationSec: 60 }]);
    // Read at once, before the gathering delay has passed.
    expect(await store.read(t)).toMatchObject({ used: 60 });
    void store.correct([{ key: other, points: 9, durationSec: 60 }]);
    await store.flush();
    expect(await redis.get(other)).toBe("9");
  });

  it("waits at close for a write the timer already began, and drops what comes after", async () => {
    const store = new RedisStore({ direct: redis, batched });
    const t = `${prefix}closing:${randomUUID()}`;
    const done = store.correct([{ key: t, points: 9, durationSec: 60 }]);
    // Let the gathering timer fire and send its write, then close at once.
    await new Promise((r) => setTimeout(r, 8));
    await store.close();
    await done;
    expect(await redis.get(t)).toBe("9");
    await store.correct([{ key: t, points: 5, durationSec: 60 }]);
    await new Promise((r) => setTimeout(r, 20));
    expect(await redis.get(t)).toBe("9");
  });

  it("gives reads made together, and reads during a write, this replica's own corrections", async () => {
    const store = new RedisStore({ direct: redis, batched });
    const t = `${prefix}together:${randomUUID()}`;
    await store.take([take(t, 100, 10_000)]);
    void store.correct([{ key: t, points: -40, durationSec: 60 }]);
    const both = await Promise.all([store.read(t), store.read(t)]);
    expect(both).toMatchObject([{ used: 60 }, { used: 60 }]);
    void store.correct([{ key: t, points: -10, durationSec: 60 }]);
    await new Promise((r) => setTimeout(r, 6));
    expect(await store.read(t)).toMatchObject({ used: 50 });
  });

  it("drops a give-back gathered for a window that has ended, and still counts the charges beside it", async () => {
    const store = new RedisStore({ direct: redis, batched });
    const t = `${prefix}ended:${randomUUID()}`;
    // Neither correction's window is counting: the give-back belongs to an ended one.
    void store.correct([{ key: t, points: 50, durationSec: 60 }]);
    void store.correct([{ key: t, points: -90, durationSec: 60 }]);
    await store.flush();
    expect(await redis.get(t)).toBe("50");
  });

  it("settles its callers when the client throws instead of rejecting, and writes the next batch", async () => {
    const client = batched.duplicate();
    const store = new RedisStore({ direct: redis, batched: client });
    const scripts = client as unknown as { yallmpCorrect: (...a: unknown[]) => Promise<number> };
    const real = scripts.yallmpCorrect;
    scripts.yallmpCorrect = () => {
      throw new Error("client broke");
    };
    const t = `${prefix}throws:${randomUUID()}`;
    await expect(store.correct([{ key: t, points: 3, durationSec: 60 }])).rejects.toThrow("client broke");
    scripts.yallmpCorrect = real;
    await store.correct([{ key: t, points: 4, durationSec: 60 }]);
    expect(await redis.get(t)).toBe("4");
    client.disconnect();
  });

  it("hands a failed write to every caller whose correction it held", async () => {
    const client = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    client.on("error", () => undefined);
    const store = new RedisStore({ direct: redis, batched: client });
    // Never connected: the write is refused at once.
    const results = await Promise.allSettled([1, 2].map((n) => store.correct([{ key: `${prefix}fail:${n}`, points: n, durationSec: 60 }])));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    client.disconnect();
  });
});
