// Rate limits and budgets per key, per (key, model) and per model: counters in Redis when REDIS_URL
// is set (rate-limiter-flexible's atomic scripts: no read-then-write race between replicas), else in
// this process. A request with no limit configured does no work here at all.

import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { KeyLimitStatus } from "@yallmproxy/api";
import type { RateLimitState, RateLimitWindow } from "@yallmproxy/translate";
import type { AppKey, ModelRoute, ProxyConfig } from "../config/load-config.js";
import type { RateLimit } from "../config/limits-config.js";
import { Errors, type ProxyError } from "../errors.js";
import { MemoryCounter } from "./memory-counter.js";

type Kind = "rpm" | "tpm" | "budget";

/** What a bucket counts in: rate-limiter-flexible's Redis limiter, or the in-process counter. */
export interface Counter {
  consume(id: string, points: number): Promise<RateLimiterRes>;
  penalty(id: string, points: number): Promise<RateLimiterRes>;
  reward(id: string, points: number): Promise<RateLimiterRes>;
  get(id: string): Promise<RateLimiterRes | null>;
}

/** One counter a request is checked against. */
export interface Bucket {
  kind: Kind;
  /** The counter's id: `key:<id>`, `key:<id>:model:<name>`, `model:<name>`. */
  id: string;
  limit: number;
  limiter: Counter;
}

/** What admission took, for the correction when the request ends. */
export interface LimitTicket {
  tokenBuckets: Bucket[];
  estimate: number;
  budget: Bucket | undefined;
}

/** Micro-dollars: Redis counters are integers. */
const MICRO_USD = 1_000_000;
const MINUTE = 60;

export interface RateLimitsDeps {
  redis: Redis | undefined;
  failOpen(): boolean;
  /** A store failure: the policy decided (`open` admitted, `closed` refused), or a correction after the answer was lost (undefined). */
  onStoreError(err: unknown, policy: "open" | "closed" | undefined): void;
  onRefused(kind: Kind): void;
}

export class RateLimits {
  private readonly limiters = new Map<string, Counter>();
  /** Each (key, model) pair's counters, made once per config (a reload brings new key and route objects). */
  private readonly plans = new WeakMap<object, WeakMap<ModelRoute, Bucket[] | undefined>>();
  private readonly noKey = {};

  constructor(private readonly deps: RateLimitsDeps) {}

  private limiter(kind: Kind, points: number, duration: number): Counter {
    const id = `${kind}:${points}:${duration}`;
    let l = this.limiters.get(id);
    if (!l) {
      // The prefix leaves the limit out, so a changed limit keeps counting the same window.
      const opts = { keyPrefix: `yallmp:${kind}`, points, duration };
      l = this.deps.redis ? new RateLimiterRedis({ ...opts, storeClient: this.deps.redis, rejectIfRedisNotReady: true }) : new MemoryCounter(points, duration);
      this.limiters.set(id, l);
    }
    return l;
  }

  private rateBuckets(id: string, rate: RateLimit | undefined, out: Bucket[]): void {
    if (!rate) return;
    if (rate.rpm !== undefined) out.push({ kind: "rpm", id, limit: rate.rpm, limiter: this.limiter("rpm", rate.rpm, MINUTE) });
    if (rate.tpm !== undefined) out.push({ kind: "tpm", id, limit: rate.tpm, limiter: this.limiter("tpm", rate.tpm, MINUTE) });
  }

  /** The counters a request of `key` for `route` meets; undefined (no allocation) when none. */
  plan(key: AppKey | undefined, route: ModelRoute): Bucket[] | undefined {
    if (!key?.limits && !route.limits) return undefined;
    let perKey = this.plans.get(key ?? this.noKey);
    if (!perKey) {
      perKey = new WeakMap();
      this.plans.set(key ?? this.noKey, perKey);
    }
    if (perKey.has(route)) return perKey.get(route);
    const made = this.makePlan(key, route);
    perKey.set(route, made);
    return made;
  }

  private makePlan(key: AppKey | undefined, route: ModelRoute): Bucket[] | undefined {
    const keyLimits = key?.limits;
    const out: Bucket[] = [];
    if (key && keyLimits) {
      this.rateBuckets(`key:${key.keyId}`, keyLimits, out);
      this.rateBuckets(`key:${key.keyId}:model:${route.name}`, keyLimits.models.get(route.name), out);
      const b = keyLimits.budget;
      if (b) out.push(this.budgetBucket(key.keyId, b.maxUsd, b.durationSeconds));
    }
    this.rateBuckets(`model:${route.name}`, route.limits, out);
    return out.length ? out : undefined;
  }

  private budgetBucket(keyId: string, maxUsd: number, durationSeconds: number): Bucket {
    const limit = Math.round(maxUsd * MICRO_USD);
    return { kind: "budget", id: `key:${keyId}`, limit, limiter: this.limiter("budget", limit, durationSeconds) };
  }

  /**
   * Takes a request's share of every counter (TPM with `estimate`), all or nothing, or answers the
   * refusal (a 429 with `Retry-After`); either way with the state of the tightest limits, for headers.
   */
  async admit(buckets: Bucket[], estimate: number): Promise<{ ticket: LimitTicket; state: RateLimitState } | { refusal: ProxyError; state: RateLimitState }> {
    const tokens = Math.max(1, estimate);
    const taken = await Promise.allSettled(
      buckets.map((b) => (b.kind === "budget" ? b.limiter.get(b.id) : b.limiter.consume(b.id, b.kind === "rpm" ? 1 : tokens))),
    );
    const state: RateLimitState = { nowMs: Date.now() };
    let refusal: { bucket: Bucket; res: RateLimiterRes } | undefined;
    let storeError: unknown;
    const granted: Bucket[] = [];
    taken.forEach((t, i) => {
      const bucket = buckets[i]!;
      if (t.status === "rejected") {
        if (t.reason instanceof RateLimiterRes) {
          // Counted before it was refused: given back, so a refusal does not use up the window.
          bucket.limiter.reward(bucket.id, bucket.kind === "rpm" ? 1 : tokens).catch(() => undefined);
          refusal ??= { bucket, res: t.reason };
        } else storeError ??= t.reason;
        return;
      }
      const res = t.value;
      if (bucket.kind === "budget") {
        if (res && res.consumedPoints >= bucket.limit) refusal ??= { bucket, res };
        return;
      }
      granted.push(bucket);
      if (res) noteWindow(state, bucket, res);
    });
    if (refusal || storeError !== undefined) {
      const closed = refusal !== undefined || !this.deps.failOpen();
      if (storeError !== undefined) this.deps.onStoreError(storeError, closed && !refusal ? "closed" : "open");
      if (closed) {
        for (const b of granted) b.limiter.reward(b.id, b.kind === "rpm" ? 1 : tokens).catch(() => undefined);
        return { refusal: refusal ? this.refusal(refusal.bucket, refusal.res, state) : Errors.rateLimitsUnavailable(), state };
      }
    }
    const ticket = { tokenBuckets: granted.filter((b) => b.kind === "tpm"), estimate: tokens, budget: buckets.find((b) => b.kind === "budget") };
    return { ticket, state };
  }

  private refusal(bucket: Bucket, res: RateLimiterRes, state: RateLimitState): ProxyError {
    this.deps.onRefused(bucket.kind);
    noteWindow(state, bucket, res);
    const retryAfter = String(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
    if (bucket.kind === "budget") return Errors.budgetExceeded(bucket.limit / MICRO_USD, retryAfter);
    return Errors.rateLimited(bucket.kind, bucket.limit, bucket.id, retryAfter);
  }

  /** Corrects TPM by the tokens really used and charges the budget; runs after the answer, never throws. */
  settle(ticket: LimitTicket, usedTokens: number, costUsd: number | undefined): void {
    const delta = usedTokens - ticket.estimate;
    for (const b of ticket.tokenBuckets) {
      if (delta === 0) break;
      const p = delta > 0 ? b.limiter.penalty(b.id, delta) : b.limiter.reward(b.id, -delta);
      p.catch((err: unknown) => this.deps.onStoreError(err, undefined));
    }
    const micros = costUsd === undefined ? 0 : Math.round(costUsd * MICRO_USD);
    if (ticket.budget && micros > 0) ticket.budget.limiter.penalty(ticket.budget.id, micros).catch((err: unknown) => this.deps.onStoreError(err, undefined));
  }

  /** What is left of each of a key's limits now (for the usage APIs); a store failure reads as unknown. */
  async status(key: AppKey, config: ProxyConfig): Promise<KeyLimitStatus> {
    const l = key.limits;
    const read = async (b: Bucket): Promise<LimitLeft | null> => {
      try {
        const res = await b.limiter.get(b.id);
        const used = res?.consumedPoints ?? 0;
        return { limit: b.limit, used, remaining: Math.max(0, b.limit - used), reset_ms: res ? res.msBeforeNext : null };
      } catch {
        return null;
      }
    };
    const out: KeyLimitStatus = { rpm: null, tpm: null, budget: null, model_limits: {} };
    if (!l) return out;
    const own: Bucket[] = [];
    this.rateBuckets(`key:${key.keyId}`, l, own);
    for (const b of own) out[b.kind === "rpm" ? "rpm" : "tpm"] = await read(b);
    if (l.budget) {
      const left = await read(this.budgetBucket(key.keyId, l.budget.maxUsd, l.budget.durationSeconds));
      out.budget = left && {
        max_usd: left.limit / MICRO_USD,
        spent_usd: left.used / MICRO_USD,
        remaining_usd: left.remaining / MICRO_USD,
        duration: l.budget.durationSeconds,
        reset_ms: left.reset_ms,
      };
    }
    for (const [model, rate] of l.models) {
      if (!config.models.has(model)) continue;
      const buckets: Bucket[] = [];
      this.rateBuckets(`key:${key.keyId}:model:${model}`, rate, buckets);
      const entry: { rpm: LimitLeft | null; tpm: LimitLeft | null } = { rpm: null, tpm: null };
      for (const b of buckets) entry[b.kind === "rpm" ? "rpm" : "tpm"] = await read(b);
      out.model_limits[model] = entry;
    }
    return out;
  }
}

type LimitLeft = NonNullable<KeyLimitStatus["rpm"]>;

/** Keeps the tightest window of each kind (the fewest left). */
function noteWindow(state: RateLimitState, bucket: Bucket, res: RateLimiterRes): void {
  if (bucket.kind === "budget") return;
  const w: RateLimitWindow = { limit: bucket.limit, remaining: Math.max(0, res.remainingPoints), resetMs: res.msBeforeNext };
  const field = bucket.kind === "rpm" ? "requests" : "tokens";
  const prior = state[field];
  if (!prior || w.remaining < prior.remaining) state[field] = w;
}
