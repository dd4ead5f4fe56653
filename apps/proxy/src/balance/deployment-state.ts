// What the router knows about one deployment: requests in flight, a peak-EWMA of its latency, this
// minute's requests and tokens, and its health (failures, cooldown with exponential back-off, and the
// one probe a cooled deployment gets once its cooldown ends). Plain numbers, so a pick allocates nothing.

import type { ModelRoute } from "../config/load-config.js";
import type { Backend } from "../upstream/types.js";

/** How fast old latency samples fade (ms): a sample this old weighs 1/e. */
const LATENCY_DECAY_MS = 10_000;
const MINUTE_MS = 60_000;

export interface HealthSettings {
  allowedFails: number;
  cooldownMs: number;
  maxCooldownMs: number;
}

/** Why a deployment left the rotation, for the trace and the group's error. */
export type CoolReason = "failures" | "retry_after" | "probe_failed" | "shared";

export class DeploymentState {
  inFlight = 0;
  /** Peak-EWMA of the time to response headers, ms; 0 before the first sample. */
  latencyMs = 0;
  private sampledAt = 0;
  private minute = 0;
  requestsThisMinute = 0;
  /** The minute before's requests, for the share of traffic over about the last minute. */
  private requestsMinuteBefore = 0;
  tokensThisMinute = 0;
  /** Since the proxy started, for the admin API's deployments view. */
  requests = 0;
  failures = 0;
  private fails = 0;
  private failWindowStart = 0;
  /** Epoch ms until which the deployment is out of the rotation. */
  coolUntil = 0;
  /** Cooldowns in a row without a success in between: the back-off's exponent. */
  trips = 0;
  coolReason: CoolReason | undefined;
  /** A cooled deployment's one trial request is on its way. */
  probing = false;
  /** Counted for /metrics. */
  cooldowns = 0;
  /** Whether failures can take this deployment out (not when it is its group's only one). */
  guarded = true;

  constructor(
    public route: ModelRoute,
    public backend: Backend,
  ) {}

  get id(): string {
    return this.route.id;
  }

  /** Out of the rotation: cooling down, or cooled and its probe already on its way. */
  cooling(now: number): boolean {
    return this.guarded && (this.coolUntil > now || (this.trips > 0 && this.probing));
  }

  /** Over its requests-a-minute, tokens-a-minute or parallel-requests cap. */
  overCaps(now: number): boolean {
    const r = this.route;
    if (r.maxParallelRequests !== undefined && this.inFlight >= r.maxParallelRequests) return true;
    // A model of one deployment has its rpm and tpm limits enforced for the model (rate limits).
    if (!this.guarded || (r.rpmLimit === undefined && r.tpmLimit === undefined)) return false;
    this.roll(now);
    return (r.rpmLimit !== undefined && this.requestsThisMinute >= r.rpmLimit) || (r.tpmLimit !== undefined && this.tokensThisMinute >= r.tpmLimit);
  }

  /** This minute's tokens, for the `usage` strategy. */
  tokens(now: number): number {
    this.roll(now);
    return this.tokensThisMinute;
  }

  /** A request goes out to this deployment; a cooled one that reopened is now on probation. */
  started(now: number): void {
    this.roll(now);
    this.inFlight++;
    this.requestsThisMinute++;
    this.requests++;
    if (this.trips > 0 && this.coolUntil <= now) this.probing = true;
  }

  /** The deployment answered (headers in `latencyMs`): a probe's success puts it back. */
  answered(now: number, latencyMs: number): void {
    this.sample(now, latencyMs);
    if (this.probing || this.trips > 0) {
      this.trips = 0;
      this.coolReason = undefined;
    }
    this.probing = false;
  }

  /** The request is over (its body sent): no longer in flight, its tokens counted. */
  finished(now: number, tokens: number): void {
    if (this.inFlight > 0) this.inFlight--;
    this.roll(now);
    this.tokensThisMinute += tokens;
  }

  /** The request stopped on this side (the client left): neither a success nor the deployment's fault. */
  abandoned(): void {
    if (this.inFlight > 0) this.inFlight--;
    this.probing = false;
  }

  /**
   * A failure (connect error, timeout, 5xx, 429). The upstream's own Retry-After sets the cooldown;
   * otherwise more than `allowedFails` in a minute, or a failed probe, starts one that doubles each time.
   * Returns the cooldown started, if any (ms).
   */
  failed(now: number, health: HealthSettings, retryAfterMs: number | undefined): number | undefined {
    if (this.inFlight > 0) this.inFlight--;
    this.failures++;
    if (!this.guarded) return undefined;
    const wasProbe = this.probing;
    this.probing = false;
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      return this.cool(now, Math.min(retryAfterMs, health.maxCooldownMs), "retry_after");
    }
    if (now - this.failWindowStart >= MINUTE_MS) {
      this.failWindowStart = now;
      this.fails = 0;
    }
    this.fails++;
    if (!wasProbe && this.fails <= health.allowedFails) return undefined;
    const ms = Math.min(health.maxCooldownMs, health.cooldownMs * 2 ** this.trips);
    return this.cool(now, ms, wasProbe ? "probe_failed" : "failures");
  }

  /** A cooldown another replica started (shared through Redis). */
  cooledElsewhere(until: number, trips: number): void {
    if (until <= this.coolUntil) return;
    this.coolUntil = until;
    this.trips = Math.max(this.trips, trips);
    this.coolReason = "shared";
  }

  private cool(now: number, ms: number, reason: CoolReason): number {
    this.coolUntil = now + ms;
    this.trips++;
    this.fails = 0;
    this.coolReason = reason;
    this.cooldowns++;
    return ms;
  }

  /** Requests over about the last minute: this minute's, and the part of the minute before still in a sliding 60 s window. */
  recentRequests(now: number): number {
    this.roll(now);
    return this.requestsThisMinute + this.requestsMinuteBefore * (1 - (now % MINUTE_MS) / MINUTE_MS);
  }

  private sample(now: number, ms: number): void {
    if (this.latencyMs === 0 || ms > this.latencyMs) this.latencyMs = ms;
    else {
      const w = Math.exp(-(now - this.sampledAt) / LATENCY_DECAY_MS);
      this.latencyMs = this.latencyMs * w + ms * (1 - w);
    }
    this.sampledAt = now;
  }

  private roll(now: number): void {
    const minute = Math.floor(now / MINUTE_MS);
    if (minute === this.minute) return;
    this.requestsMinuteBefore = minute === this.minute + 1 ? this.requestsThisMinute : 0;
    this.minute = minute;
    this.requestsThisMinute = 0;
    this.tokensThisMinute = 0;
  }
}
