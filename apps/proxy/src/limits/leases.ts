// With Redis, a busy replica far from a limit takes a few requests' worth of a counter in one round
// trip (a lease) and admits the next requests from it in this process. Every point admitted here was
// first counted in Redis, so no replica ever lets more through than the limit. A lease is granted
// only while the window stays under half its limit with it, is at most a thousandth of the limit,
// and what is left of it goes back after LEASE_MS: near a limit every request is decided by Redis.

import type { Correction, WindowState } from "./counter-store.js";

/** A lease is spent within this long; the rest goes back at the next sweep (at most LEASE_MS / 2 later). */
export const LEASE_MS = 200;
/** Requests' worth a lease holds at most. */
const LEASE_REQUESTS = 64;
/** A lease is at most this share of its limit (limits under 1,000 are never leased). */
const LEASE_SHARE = 0.001;
/** The share of a limit that leases may take the window up to. */
const LEASE_CAP_SHARE = 0.5;
/** Left-overs are not given back this close to the window's end: the give-back could land in the next. */
const END_GUARD_MS = 1000;
/**
 * A window's bounds as this process knows them may be off by the round trip's time: nothing is spent
 * this close to its end, and admissions this close to its start are corrected by Redis.
 */
const WINDOW_SLACK_MS = 50;
/** A window heard ending this much later (or earlier) than the one a lease was taken in is another window. */
const NEW_WINDOW_MS = 1000;
/** Counters remembered at most: past it every lease is given back and the memory starts over. */
const LEASES_MAX = 10_000;

interface Lease {
  /** Points counted in Redis and not yet admitted here. */
  units: number;
  /** The limit less the window's count when last granted (the lease included). */
  left: number;
  limit: number;
  durationSec: number;
  /** When the window ends, by this process's clock. */
  endsAt: number;
  /** When the units left go back. */
  until: number;
  /** Requests met in this period and the one before, to size the next lease. */
  met: number;
  metBefore: number;
  periodAt: number;
  /** Points asked by takes in Redis under way. */
  asked: number;
  /** Tokens a request of this counter really used, on average lately (0: not known). */
  perRequest: number;
}

/** A counter a lease may hold points of: an RPM window (a point a request) or a TPM one (its tokens). */
export interface Leasable {
  kind: string;
  key: string;
  limit: number;
  durationSec: number;
}

const pointsOf = (c: Leasable, tokens: number) => (c.kind === "rpm" ? 1 : tokens);

/** Whether a counter's limit is large enough to lease at all. */
export function mayLease(limit: number): boolean {
  return Math.floor(limit * LEASE_SHARE) >= 1;
}

export class Leases {
  private readonly held = new Map<string, Lease>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly giveBack: (corrections: Correction[]) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a request met by each counter (the demand the next lease is sized by). */
  meet(counters: readonly Leasable[]): void {
    const now = this.now();
    for (const c of counters) {
      const l = this.lease(c, now);
      if (now - l.periodAt >= LEASE_MS) {
        l.metBefore = now - l.periodAt < 2 * LEASE_MS ? l.met : 0;
        l.met = 0;
        l.periodAt = now;
      }
      l.met++;
    }
  }

  /**
   * Admits from the leases held when every counter has the points, spending them; the windows as
   * this replica knows them (for headers), or undefined with nothing spent.
   */
  spend(counters: readonly Leasable[], tokens: number): WindowState[] | undefined {
    const now = this.now();
    for (const c of counters) {
      const l = this.held.get(c.key);
      // A limit changed by a reload since the lease was granted: Redis decides against the new one.
      if (!l || l.units < pointsOf(c, tokens) || now >= l.until || now >= l.endsAt - WINDOW_SLACK_MS || l.limit !== c.limit) return undefined;
    }
    return counters.map((c) => {
      const l = this.held.get(c.key)!;
      l.units -= pointsOf(c, tokens);
      return { used: l.limit - l.left - l.units, resetMs: l.endsAt - now };
    });
  }

  /**
   * Points to ask beyond a take's own: none unless this replica is busy with the counter (it met
   * other requests in this period or the last), and never so many that what it holds and asks
   * passes a thousandth of the limit.
   */
  ask(c: Leasable, tokens: number): { lease: number; leaseCap: number } | undefined {
    const l = this.held.get(c.key);
    if (!l) return undefined;
    const points = pointsOf(c, tokens);
    const requests = Math.min(LEASE_REQUESTS, Math.max(l.metBefore, l.met - 1));
    // A TPM lease is sized by the tokens requests really use, when more than their estimate.
    const lease = Math.min(Math.floor(c.limit * LEASE_SHARE) - l.units - l.asked, requests * Math.max(points, Math.ceil(l.perRequest)));
    if (lease < points) return undefined;
    l.asked += lease;
    return { lease, leaseCap: Math.floor(c.limit * LEASE_CAP_SHARE) };
  }

  /**
   * What Redis answered a take sent at `sentAt` that asked `asked` points (0: it did not): the points
   * granted are this replica's to spend. The window's end is reckoned from when the take was sent,
   * so this process never thinks a window runs longer than it does.
   */
  granted(c: Leasable, asked: number, w: WindowState | undefined, sentAt: number): void {
    const l = this.held.get(c.key);
    if (!l) return;
    l.asked = Math.max(0, l.asked - asked);
    if (!w || this.closed) return;
    const now = this.now();
    const endsAt = sentAt + w.resetMs;
    // Units of a window that has ended (or that Redis no longer has) count nothing now, and are not
    // given back: they would lower the new window.
    if (now >= l.endsAt || Math.abs(endsAt - l.endsAt) > NEW_WINDOW_MS) l.units = 0;
    // Units leased under another limit go back: a reload's new limit is not spent from them.
    else if (l.limit !== c.limit && l.units > 0) this.release(c.key, l, now);
    l.endsAt = endsAt;
    l.limit = c.limit;
    l.durationSec = c.durationSec;
    l.left = c.limit - w.used;
    if (w.leased && w.leased > 0) {
      l.units += w.leased;
      l.until = now + LEASE_MS;
      this.timer ??= setInterval(() => this.sweep(), LEASE_MS / 2).unref();
    } else if (l.units > 0 && w.used >= c.limit * LEASE_CAP_SHARE) {
      // Past half the limit every request goes to Redis: what is held goes back now, not later.
      this.release(c.key, l, now);
    }
  }

  /**
   * Corrects a request's TPM share from its estimate to the tokens it `used` from the lease, as
   * Redis would have: extra tokens spent from it, tokens unused added to it (they are counted in
   * Redis already) up to what a lease may hold. Only when the request was admitted in the lease's
   * window, which is not about to end, and the lease covers it. Answers what Redis must still
   * correct (0: nothing).
   */
  absorb(c: Leasable, estimate: number, used: number, admittedAt: number): number {
    const delta = used - estimate;
    const l = this.held.get(c.key);
    if (!l || this.closed) return delta;
    l.perRequest = l.perRequest === 0 ? used : 0.9 * l.perRequest + 0.1 * used;
    const now = this.now();
    if (now >= l.until || now >= l.endsAt - END_GUARD_MS || admittedAt < l.endsAt - c.durationSec * 1000 + WINDOW_SLACK_MS) return delta;
    if (delta > 0) {
      if (delta > l.units) return delta;
      l.units -= delta;
      return 0;
    }
    const kept = Math.min(-delta, Math.max(0, Math.floor(c.limit * LEASE_SHARE) - l.units));
    l.units += kept;
    return delta + kept;
  }

  /** Points of `key` counted in Redis and not yet admitted here. */
  unspent(key: string): number {
    const l = this.held.get(key);
    return l && this.now() < l.endsAt ? l.units : 0;
  }

  /** Gives back every lease and takes no more (at shutdown). */
  close(): void {
    this.closed = true;
    this.sweep(true);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private lease(c: Leasable, now: number): Lease {
    let l = this.held.get(c.key);
    if (l) return l;
    if (this.held.size >= LEASES_MAX) this.sweep(true, true);
    l = { units: 0, left: 0, limit: c.limit, durationSec: c.durationSec, endsAt: 0, until: 0, met: 0, metBefore: 0, periodAt: now, asked: 0, perRequest: 0 };
    this.held.set(c.key, l);
    return l;
  }

  /** Gives back the leases past their time (all with `all`), and forgets idle counters. */
  private sweep(all = false, forget = false): void {
    const now = this.now();
    const back: Correction[] = [];
    for (const [key, l] of this.held) {
      if (l.units > 0 && (all || now >= l.until)) this.release(key, l, now, back);
      // A counter with a take under way is kept: its answer finds its lease.
      if (l.asked === 0 && (forget || (l.units === 0 && now - l.periodAt > 60_000))) this.held.delete(key);
    }
    if (this.held.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    if (back.length > 0) this.giveBack(back);
  }

  /** Gives a lease's units back (into `back`, or at once), unless its window is about to end. */
  private release(key: string, l: Lease, now: number, back?: Correction[]): void {
    if (now < l.endsAt - END_GUARD_MS) {
      const c = { key, points: -l.units, durationSec: l.durationSec };
      if (back) back.push(c);
      else this.giveBack([c]);
    }
    l.units = 0;
  }
}
