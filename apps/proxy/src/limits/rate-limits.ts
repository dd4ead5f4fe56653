// Rate limits and budgets per key, per (key, model) and per model, counted in fixed windows: in
// Redis when REDIS_URL is set (one atomic script a request: no read-then-write race between
// replicas), else in this process. A request with no limit configured does no work here at all.
// With Redis, a request whose counters were last heard well clear of their limits takes its share
// while its upstream call starts (pipeline/proxy-request.ts), and a busy replica far from a limit
// admits from a lease it took in Redis before (limits/leases.ts): every point is counted there first.

import type { KeyLimitStatus } from "@yallmproxy/api";
import type { RateLimitState, RateLimitWindow } from "@yallmproxy/translate";
import type { AppKey, ModelRoute, ProxyConfig } from "../config/load-config.js";
import type { RateLimit } from "../config/limits-config.js";
import { Errors, type ProxyError } from "../errors.js";
import type { Correction, CounterStore, TakeResult, WindowState } from "./counter-store.js";
import { LEASE_MS, Leases, mayLease } from "./leases.js";
import { MemoryStore } from "./memory-store.js";
import { RedisStore } from "./redis-store.js";
import type { LimitRedis } from "./redis.js";

type Kind = "rpm" | "tpm" | "budget";

/** One counter a request is checked against. */
export interface Bucket {
  kind: Kind;
  /** The counter's id: `key:<id>`, `key:<id>:model:<name>`, `model:<name>`. */
  id: string;
  /** Its key in the store (the limit is not in it, so a changed limit keeps counting the same window). */
  key: string;
  limit: number;
  durationSec: number;
}

/** The counters a (key, model) pair meets, and those its correction touches, found once per config. */
export interface LimitPlan {
  buckets: Bucket[];
  /** The RPM and TPM counters (those a lease may hold). */
  rates: Bucket[];
  /** Whether every one of them is large enough to lease (else Redis decides each request). */
  leasable: boolean;
  tokenBuckets: Bucket[];
  budget: Bucket | undefined;
}

/** What admission took, for the correction when the request ends. */
export interface LimitTicket {
  tokenBuckets: Bucket[];
  estimate: number;
  budget: Bucket | undefined;
  /** When it was admitted (a lease corrects only requests of its own window). */
  at: number;
}

export type Admission = { ticket: LimitTicket; state: RateLimitState } | { refusal: ProxyError; state: RateLimitState };

/** Micro-dollars: Redis counters are integers. */
const MICRO_USD = 1_000_000;
const MINUTE = 60;

/** What this replica last heard of a counter in Redis, and what its takes still under way ask of it. */
interface Heard {
  left: number;
  heardAt: number;
  endsAt: number;
  pending: number;
}

/** A counter heard longer ago than this is not trusted to have room. */
const HEARD_FRESH_MS = 1000;
/** The share of a limit that must have been free, after the takes under way, for a take to overlap the call. */
const ROOM_SHARE = 0.5;
/** Counters remembered at most (a key and model pair each): past it the memory starts over. */
const HEARD_MAX = 10_000;

export interface RateLimitsDeps {
  redis: LimitRedis | undefined;
  failOpen(): boolean;
  /** Whether a busy replica may admit from leases (limits/leases.ts). */
  leases(): boolean;
  /** A store failure: the policy decided (`open` admitted, `closed` refused), or a correction after the answer was lost (undefined). */
  onStoreError(err: unknown, policy: "open" | "closed" | undefined): void;
  onRefused(kind: Kind): void;
}

export class RateLimits {
  private readonly store: CounterStore;
  /** Each (key, model) pair's counters, made once per config (a reload brings new key and route objects). */
  private readonly plans = new WeakMap<object, WeakMap<ModelRoute, LimitPlan | undefined>>();
  private readonly noKey = {};
  /** With Redis: each counter as last heard (in this process the store itself answers at once). */
  private readonly heard: Map<string, Heard> | undefined;
  private readonly leases: Leases | undefined;

  constructor(private readonly deps: RateLimitsDeps) {
    this.store = deps.redis ? new RedisStore(deps.redis) : new MemoryStore();
    this.heard = deps.redis ? new Map() : undefined;
    this.leases = deps.redis ? new Leases((back) => this.correct(back)) : undefined;
  }

  /** Gives back what leases hold and writes the corrections the store still gathers (at shutdown, before its connections close). */
  async close(): Promise<void> {
    this.leases?.close();
    await this.store.close?.();
  }

  private bucket(kind: Kind, id: string, limit: number, durationSec: number): Bucket {
    return { kind, id, key: `yallmp:${kind}:${id}`, limit, durationSec };
  }

  private rateBuckets(id: string, rate: RateLimit | undefined, out: Bucket[]): void {
    if (!rate) return;
    if (rate.rpm !== undefined) out.push(this.bucket("rpm", id, rate.rpm, MINUTE));
    if (rate.tpm !== undefined) out.push(this.bucket("tpm", id, rate.tpm, MINUTE));
  }

  /** The counters a request of `key` for `route` meets; undefined (no allocation) when none. */
  plan(key: AppKey | undefined, route: ModelRoute): LimitPlan | undefined {
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

  private makePlan(key: AppKey | undefined, route: ModelRoute): LimitPlan | undefined {
    const keyLimits = key?.limits;
    const out: Bucket[] = [];
    if (key && keyLimits) {
      this.rateBuckets(`key:${key.keyId}`, keyLimits, out);
      this.rateBuckets(`key:${key.keyId}:model:${route.name}`, keyLimits.models.get(route.name), out);
      const b = keyLimits.budget;
      if (b) out.push(this.budgetBucket(key.keyId, b.maxUsd, b.durationSeconds));
    }
    this.rateBuckets(`model:${route.name}`, route.limits, out);
    if (out.length === 0) return undefined;
    const rates = out.filter((b) => b.kind !== "budget");
    return {
      buckets: out,
      rates,
      leasable: rates.every((b) => mayLease(b.limit)),
      tokenBuckets: out.filter((b) => b.kind === "tpm"),
      budget: out.find((b) => b.kind === "budget"),
    };
  }

  private budgetBucket(keyId: string, maxUsd: number, durationSeconds: number): Bucket {
    return this.bucket("budget", `key:${keyId}`, Math.round(maxUsd * MICRO_USD), durationSeconds);
  }

  /**
   * Takes a request's share of every counter (TPM with `estimate`), all or nothing, or answers the
   * refusal (a 429 with `Retry-After`); either way with the state of the tightest limits, for
   * headers. In this process the answer is at once; with Redis, after its one round trip.
   */
  admit(plan: LimitPlan, estimate: number): Admission | Promise<Admission> {
    const tokens = Math.max(1, estimate);
    const { buckets } = plan;
    const leases = this.leases && plan.leasable && this.deps.leases() ? this.leases : undefined;
    if (leases) {
      const local = this.fromLeases(leases, plan, tokens);
      if (local) return local;
    }
    const asks = leases && buckets.map((b) => (b.kind === "budget" ? undefined : leases.ask(b, tokens)));
    const sentAt = Date.now();
    let taken: TakeResult | Promise<TakeResult>;
    try {
      taken = this.store.take(
        buckets.map((b, i) => ({
          key: b.key,
          points: pointsOf(b, tokens),
          limit: b.limit,
          durationSec: b.durationSec,
          check: b.kind === "budget",
          ...asks?.[i],
        })),
      );
    } catch (err) {
      if (asks) this.leased(plan, asks, undefined, sentAt);
      return this.storeFailed(plan, tokens, err);
    }
    if (!(taken instanceof Promise)) return this.decide(plan, tokens, taken);
    const heard = this.heard && this.underWay(plan, tokens);
    return taken.then(
      (r) => {
        if (heard) this.hear(plan, tokens, heard, r);
        if (asks) this.leased(plan, asks, r, sentAt);
        return this.decide(plan, tokens, r);
      },
      (err: unknown) => {
        if (heard) for (let i = 0; i < heard.length; i++) heard[i]!.pending -= pointsOf(buckets[i]!, tokens);
        if (asks) this.leased(plan, asks, undefined, sentAt);
        return this.storeFailed(plan, tokens, err);
      },
    );
  }

  /**
   * Admits from this replica's leases when they hold the request's share of every rate and its
   * budget was heard well clear of its maximum within a lease's time; undefined when Redis decides.
   */
  private fromLeases(leases: Leases, plan: LimitPlan, tokens: number): Admission | undefined {
    leases.meet(plan.rates);
    const { budget } = plan;
    const now = Date.now();
    if (budget) {
      const h = this.heard!.get(budget.key);
      if (!h || now - h.heardAt > LEASE_MS || now >= h.endsAt || h.left < budget.limit * ROOM_SHARE) return undefined;
    }
    const windows = leases.spend(plan.rates, tokens);
    if (!windows) return undefined;
    const state: RateLimitState = { nowMs: now };
    for (let i = 0; i < windows.length; i++) noteWindow(state, plan.rates[i]!, windows[i]!);
    return { ticket: { tokenBuckets: plan.tokenBuckets, estimate: tokens, budget, at: state.nowMs }, state };
  }

  /** Hands the leases what Redis granted (nothing when it failed); each window then counts what was admitted, not what is leased. */
  private leased(plan: LimitPlan, asks: ReadonlyArray<{ lease: number } | undefined>, r: TakeResult | undefined, sentAt: number): void {
    const leases = this.leases!;
    const { buckets } = plan;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      if (b.kind === "budget") continue;
      const w = r === undefined ? undefined : r.ok ? r.windows[i] : r.at === i ? r.window : undefined;
      leases.granted(b, asks[i]?.lease ?? 0, w, sentAt);
      if (w && r!.ok) w.used -= leases.unspent(b.key);
    }
  }

  /**
   * Whether a take may run while the request's upstream call starts (the answer waits for it, and a
   * refusal cancels the call before the client hears anything): with Redis only, when every counter
   * was heard under a second ago, in the window still running, with at least half of its limit
   * free after this replica's takes under way and this one. Near a limit every take is waited for,
   * so a refused request is seldom sent upstream at all.
   */
  mayOverlap(plan: LimitPlan, estimate: number): boolean {
    if (!this.heard) return false;
    const now = Date.now();
    const tokens = Math.max(1, estimate);
    for (const b of plan.buckets) {
      const h = this.heard.get(b.key);
      if (!h || now - h.heardAt > HEARD_FRESH_MS || now >= h.endsAt) return false;
      if (h.left - h.pending - pointsOf(b, tokens) < b.limit * ROOM_SHARE) return false;
    }
    return true;
  }

  /** Counts a take as under way against each of its counters. */
  private underWay(plan: LimitPlan, tokens: number): Heard[] {
    const heard = this.heard!;
    if (heard.size > HEARD_MAX) heard.clear();
    return plan.buckets.map((b) => {
      let h = heard.get(b.key);
      if (!h) heard.set(b.key, (h = { left: 0, heardAt: 0, endsAt: 0, pending: 0 }));
      h.pending += pointsOf(b, tokens);
      return h;
    });
  }

  /** Notes what Redis answered of each counter; the take is no longer under way. */
  private hear(plan: LimitPlan, tokens: number, heard: Heard[], r: TakeResult): void {
    const now = Date.now();
    const { buckets } = plan;
    for (let i = 0; i < heard.length; i++) {
      const h = heard[i]!;
      h.pending -= pointsOf(buckets[i]!, tokens);
      const w = r.ok ? r.windows[i] : r.at === i ? r.window : undefined;
      if (!w) continue;
      h.left = buckets[i]!.limit - w.used;
      h.heardAt = now;
      h.endsAt = now + w.resetMs;
    }
  }

  private decide(plan: LimitPlan, tokens: number, r: TakeResult): Admission {
    const { buckets } = plan;
    const state: RateLimitState = { nowMs: Date.now() };
    if (!r.ok) {
      const bucket = buckets[r.at]!;
      this.deps.onRefused(bucket.kind);
      noteWindow(state, bucket, r.window);
      const retryAfter = String(Math.max(1, Math.ceil(r.window.resetMs / 1000)));
      const refusal =
        bucket.kind === "budget"
          ? Errors.budgetExceeded(bucket.limit / MICRO_USD, retryAfter)
          : Errors.rateLimited(bucket.kind, bucket.limit, bucket.id, retryAfter);
      return { refusal, state };
    }
    for (let i = 0; i < r.windows.length; i++) noteWindow(state, buckets[i]!, r.windows[i]!);
    return { ticket: { tokenBuckets: plan.tokenBuckets, estimate: tokens, budget: plan.budget, at: state.nowMs }, state };
  }

  /** The store did not answer: admitted uncounted (`fail_open`), or refused with 503. */
  private storeFailed(plan: LimitPlan, tokens: number, err: unknown): Admission {
    const state: RateLimitState = { nowMs: Date.now() };
    if (!this.deps.failOpen()) {
      this.deps.onStoreError(err, "closed");
      return { refusal: Errors.rateLimitsUnavailable(), state };
    }
    this.deps.onStoreError(err, "open");
    // Nothing was taken, so there is no token estimate to correct; the cost is still charged.
    return { ticket: { tokenBuckets: [], estimate: tokens, budget: plan.budget, at: state.nowMs }, state };
  }

  /** Corrects TPM by the tokens really used and charges the budget; runs after the answer, never throws. */
  settle(ticket: LimitTicket, usedTokens: number, costUsd: number | undefined): void {
    const corrections: Correction[] = [];
    const delta = usedTokens - ticket.estimate;
    const leases = this.leases;
    for (const b of ticket.tokenBuckets) {
      const rest = leases ? leases.absorb(b, ticket.estimate, usedTokens, ticket.at) : delta;
      if (rest !== 0) corrections.push({ key: b.key, points: rest, durationSec: b.durationSec });
    }
    const micros = costUsd === undefined ? 0 : Math.round(costUsd * MICRO_USD);
    if (ticket.budget && micros > 0) {
      corrections.push({ key: ticket.budget.key, points: micros, durationSec: ticket.budget.durationSec });
      // What this replica spends counts against the budget as it last heard it, until it hears again.
      const h = this.heard?.get(ticket.budget.key);
      if (h) h.left -= micros;
    }
    this.correct(corrections);
  }

  private correct(corrections: Correction[]): void {
    if (corrections.length === 0) return;
    try {
      const done = this.store.correct(corrections);
      if (done instanceof Promise) done.catch((err: unknown) => this.deps.onStoreError(err, undefined));
    } catch (err) {
      this.deps.onStoreError(err, undefined);
    }
  }

  /** What is left of each of a key's limits now (for the usage APIs); a store failure reads as unknown. */
  async status(key: AppKey, config: ProxyConfig): Promise<KeyLimitStatus> {
    const l = key.limits;
    const read = async (b: Bucket): Promise<LimitLeft | null> => {
      try {
        const w = await this.store.read(b.key);
        // What this replica holds leased is counted in the store but not yet admitted.
        const used = Math.max(0, (w?.used ?? 0) - (this.leases?.unspent(b.key) ?? 0));
        return { limit: b.limit, used, remaining: Math.max(0, b.limit - used), reset_ms: w ? w.resetMs : null };
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

/** What a take asks of a counter: a request, the token estimate, or nothing (a budget is only read). */
function pointsOf(b: Bucket, tokens: number): number {
  return b.kind === "rpm" ? 1 : b.kind === "budget" ? 0 : tokens;
}

/** Keeps the tightest window of each kind (the fewest left). */
function noteWindow(state: RateLimitState, bucket: Bucket, w: WindowState): void {
  if (bucket.kind === "budget") return;
  const window: RateLimitWindow = { limit: bucket.limit, remaining: Math.max(0, bucket.limit - w.used), resetMs: w.resetMs };
  const field = bucket.kind === "rpm" ? "requests" : "tokens";
  const prior = state[field];
  if (!prior || window.remaining < prior.remaining) state[field] = window;
}
