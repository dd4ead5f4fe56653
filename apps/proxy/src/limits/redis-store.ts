// Counters in Redis, shared by every replica: each operation is one Lua script (ioredis sends it by
// its SHA, loading it once), so a request's counters are read, checked and taken atomically in one
// round trip. A window is a key `yallmp:<kind>:<counter id>` holding an integer, expiring with its
// window: the layout the rate-limiter-flexible counters of earlier versions used, so an upgrade
// keeps counting the windows already running.

import type { Redis } from "ioredis";
import type { LimitRedis } from "./redis.js";
import type { Correction, CounterStore, Take, TakeResult, WindowState } from "./counter-store.js";

// KEYS: the takes, then any corrections gathered meanwhile (they ride along: one round trip, not
// two). ARGV[1] counts the takes; then per take: points, limit, window seconds, 1 to take or 0 to
// check, lease asked and lease cap; then per correction: points and window seconds, applied first
// whatever the take's answer. Nothing is taken unless every take fits; a lease is granted only as
// far as the window stays at or under its cap. The answer is {1, used, ttl, leased, …} or
// {0, index, used, ttl} for the first refusal.
const TAKE = `
local n = tonumber(ARGV[1])
for i = n + 1, #KEYS do
  local a = 1 + n * 6 + (i - n - 1) * 2
  local d = tonumber(ARGV[a + 1])
  if d > 0 then
    redis.call('set', KEYS[i], 0, 'EX', ARGV[a + 2], 'NX')
    redis.call('incrby', KEYS[i], d)
  elseif d < 0 and redis.call('exists', KEYS[i]) == 1 then
    redis.call('incrby', KEYS[i], d)
  end
end
local used, ttl, fresh = {}, {}, {}
for i = 1, n do
  local a = 1 + (i - 1) * 6
  local u = tonumber(redis.call('get', KEYS[i]) or '0')
  local t = redis.call('pttl', KEYS[i])
  fresh[i] = t < 0
  if fresh[i] then t = tonumber(ARGV[a + 3]) * 1000 end
  local points, limit = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  if (ARGV[a + 4] == '1' and u + points > limit) or (ARGV[a + 4] == '0' and u >= limit) then
    return {0, i - 1, u, t}
  end
  used[i], ttl[i] = u, t
end
local out = {1}
for i = 1, n do
  local a = 1 + (i - 1) * 6
  local leased = 0
  if ARGV[a + 4] == '1' then
    local points = tonumber(ARGV[a + 1])
    leased = math.min(tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6]) - used[i] - points)
    if leased < 0 then leased = 0 end
    used[i] = redis.call('incrby', KEYS[i], points + leased)
    if fresh[i] then redis.call('expire', KEYS[i], ARGV[a + 3]) end
  end
  out[#out + 1] = used[i]
  out[#out + 1] = ttl[i]
  out[#out + 1] = leased
end
return out
`;

// ARGV per key: points and window seconds. A give-back (negative) to a window that has ended is dropped.
const CORRECT = `
for i = 1, #KEYS do
  local d = tonumber(ARGV[2 * i - 1])
  if d > 0 then
    redis.call('set', KEYS[i], 0, 'EX', ARGV[2 * i], 'NX')
    redis.call('incrby', KEYS[i], d)
  elseif d < 0 and redis.call('exists', KEYS[i]) == 1 then
    redis.call('incrby', KEYS[i], d)
  end
end
return 1
`;

const READ = `
local u = redis.call('get', KEYS[1])
if not u then return false end
return {tonumber(u), redis.call('pttl', KEYS[1])}
`;

interface Scripts {
  yallmpTake(keys: number, ...args: Array<string | number>): Promise<number[]>;
  yallmpCorrect(keys: number, ...args: Array<string | number>): Promise<number>;
  yallmpRead(keys: number, key: string): Promise<[number, number] | null>;
}

/**
 * Corrections wait this long and go out together, those of one counter summed, with the next take
 * if one comes first: a request's answer never waits for them, and a crowd's corrections cost Redis
 * one script, not one each.
 */
const CORRECT_AFTER_MS = 5;

export class RedisStore implements CounterStore {
  private readonly direct: Redis & Scripts;
  private readonly batched: Redis & Scripts;
  /** Admissions waiting for Redis: with none, the next goes out at once on its own. */
  private taking = 0;
  /** Corrections gathered for the next write, by counter: give-backs and charges summed apart. */
  private readonly pending = new Map<string, { neg: number; pos: number; durationSec: number }>();
  /** The gathered corrections' promise and timer. */
  private batch: { done: Promise<void>; settle: (err?: unknown) => void; timer: NodeJS.Timeout } | undefined;
  /** Writes under way, with the counters each holds. */
  private readonly writing = new Set<{ keys: Set<string>; done: Promise<void> }>();
  private closed = false;

  constructor(redis: LimitRedis) {
    for (const client of [redis.direct, redis.batched]) {
      // Without numberOfKeys, each call names its key count first.
      client.defineCommand("yallmpTake", { lua: TAKE });
      client.defineCommand("yallmpCorrect", { lua: CORRECT });
      client.defineCommand("yallmpRead", { lua: READ });
    }
    this.direct = redis.direct as Redis & Scripts;
    this.batched = redis.batched as Redis & Scripts;
  }

  async take(takes: readonly Take[]): Promise<TakeResult> {
    const keys: string[] = takes.map((t) => t.key);
    const values: Array<string | number> = [takes.length];
    for (const t of takes) values.push(t.points, t.limit, t.durationSec, t.check ? 0 : 1, t.lease ?? 0, t.leaseCap ?? 0);
    // The corrections gathered so far go with this take rather than on their own a little later.
    const batch = this.batch;
    let riding: { keys: string[]; values: Array<string | number> } | undefined;
    if (batch) {
      this.batch = undefined;
      clearTimeout(batch.timer);
      riding = this.drain();
      keys.push(...riding.keys);
      values.push(...riding.values);
    }
    const client = this.taking === 0 ? this.direct : this.batched;
    this.taking++;
    let sent: Promise<number[]>;
    try {
      sent = client.yallmpTake(keys.length, ...keys, ...values);
    } catch (err) {
      sent = Promise.reject(err);
    }
    if (batch) this.track(batch, riding!.keys, sent);
    let r: number[];
    try {
      r = await sent;
    } finally {
      this.taking--;
    }
    if (r[0] === 0) return { ok: false, at: r[1]!, window: { used: r[2]!, resetMs: r[3]! } };
    const windows: WindowState[] = [];
    for (let i = 1; i < r.length; i += 3) windows.push({ used: r[i]!, resetMs: r[i + 1]!, leased: r[i + 2]! });
    return { ok: true, windows };
  }

  /** Settles when the corrections are written (with the others gathered meanwhile), or rejects as that write does. */
  correct(corrections: readonly Correction[]): Promise<void> {
    // After close the connections are gone: what comes that late is not counted.
    if (this.closed) return Promise.resolve();
    for (const c of corrections) {
      if (c.points === 0) continue;
      let held = this.pending.get(c.key);
      if (!held) this.pending.set(c.key, (held = { neg: 0, pos: 0, durationSec: c.durationSec }));
      if (c.points < 0) held.neg += c.points;
      else held.pos += c.points;
    }
    if (this.pending.size === 0) return Promise.resolve();
    if (!this.batch) {
      let settle!: (err?: unknown) => void;
      const done = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
      // Each caller handles the failure; this keeps one with no caller left from going unhandled.
      done.catch(() => undefined);
      this.batch = { done, settle, timer: setTimeout(() => void this.flush(), CORRECT_AFTER_MS) };
    }
    return this.batch.done;
  }

  /**
   * Writes the gathered corrections now and waits for every write under way; never rejects (a
   * failure goes to the callers of `correct`).
   */
  async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = undefined;
    if (batch) {
      clearTimeout(batch.timer);
      this.write(batch);
    }
    await Promise.all([...this.writing].map((w) => w.done));
  }

  /** Writes and shuts the store: later corrections are dropped. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  /** The gathered corrections as a script's keys and values, a counter's give-back first; none left gathered. */
  private drain(): { keys: string[]; values: Array<string | number> } {
    // The CORRECT script drops a give-back when its window has ended, as it would have alone, and
    // the charges then count in the window running.
    const keys: string[] = [];
    const values: Array<string | number> = [];
    for (const [key, c] of this.pending) {
      if (c.neg === 0) continue;
      keys.push(key);
      values.push(c.neg, c.durationSec);
    }
    for (const [key, c] of this.pending) {
      if (c.pos === 0) continue;
      keys.push(key);
      values.push(c.pos, c.durationSec);
    }
    this.pending.clear();
    return { keys, values };
  }

  private write(batch: NonNullable<RedisStore["batch"]>): void {
    const { keys, values } = this.drain();
    if (keys.length === 0) return batch.settle();
    let sent: Promise<number>;
    try {
      sent = this.batched.yallmpCorrect(keys.length, ...keys, ...values);
    } catch (err) {
      // A client that throws rather than rejects still settles its callers, and the timer's flush never rejects.
      sent = Promise.reject(err);
    }
    this.track(batch, keys, sent);
  }

  /** Settles the batch's callers as `sent` does, and holds its counters for reads meanwhile. */
  private track(batch: NonNullable<RedisStore["batch"]>, keys: string[], sent: Promise<unknown>): void {
    const entry = {
      keys: new Set(keys),
      done: sent.then(
        () => batch.settle(),
        (err: unknown) => batch.settle(err ?? new Error("correction failed")),
      ),
    };
    this.writing.add(entry);
    void entry.done.finally(() => this.writing.delete(entry));
  }

  async read(key: string): Promise<WindowState | null> {
    // This replica's own corrections first: what it reports includes every answer it has given.
    if (this.pending.has(key)) await this.flush();
    else for (const w of this.writing) if (w.keys.has(key)) await w.done;
    const r = await this.direct.yallmpRead(1, key);
    return r ? { used: r[0], resetMs: Math.max(0, r[1]) } : null;
  }
}
