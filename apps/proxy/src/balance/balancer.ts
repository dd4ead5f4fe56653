// The router's memory of its deployments across config reloads, and one pool per model group that
// picks a deployment for a request: the conversation's own while it is eligible, else by the
// group's strategy.

import type { ModelGroup, ModelRoute, ProxyConfig, RouterSettings, RoutingStrategy } from "../config/load-config.js";
import type { Backend } from "../upstream/types.js";
import { AffinityMap } from "./affinity.js";
import { type CoolReason, DeploymentState, type HealthSettings } from "./deployment-state.js";
import { type Exclude, type Random, eligible, pickDeployment } from "./pick.js";

export type { Exclude } from "./pick.js";

/** Why a deployment was picked, for the trace. */
export type PickReason = "affinity" | "affinity_moved" | "retry" | RoutingStrategy;

export type Permit = ((route: ModelRoute) => boolean) | undefined;

/** What replicas share (Redis when `REDIS_URL` is set): cooldowns and which deployment a conversation is on. */
export interface SharedRouterState {
  cooled(id: string, until: number, trips: number): void;
  affinityGet(key: string): Promise<string | undefined>;
  affinitySet(key: string, id: string, ttlMs: number): void;
  /** Reads the cooldowns in force for these deployments. */
  load(ids: string[]): Promise<void>;
  close(): Promise<void>;
}

/** A deployment a pick passed over, and why. */
export interface Skipped {
  deployment: string;
  why: "cooling" | "over_caps" | "not_allowed";
}

/** When the soonest deployment of a group opens again, and whether rate limits (not failures) closed them. */
export interface Closed {
  at: number;
  rateLimited: boolean;
}

export class GroupPool {
  /** Why the last pick chose what it chose (read right after the pick). */
  reason: PickReason = "weighted";
  /** Some deployment has its own access list: picks then look at the caller. */
  readonly restricted: boolean;

  constructor(
    readonly group: ModelGroup,
    readonly states: DeploymentState[],
    private readonly balancer: Balancer,
  ) {
    this.restricted = states.some((s) => s.route.allowedKeys !== "all");
  }

  get name(): string {
    return this.group.name;
  }

  /** A deployment `x` leaves in, preferring `preferred`; undefined when none is eligible. */
  pick(x: Exclude, now: number, preferred?: string): DeploymentState | undefined {
    if (preferred !== undefined) {
      for (let i = 0; i < this.states.length; i++) {
        const s = this.states[i] as DeploymentState;
        if (s.id !== preferred) continue;
        if (eligible(s, x, now)) {
          this.reason = "affinity";
          return s;
        }
        this.reason = "affinity_moved";
        return pickDeployment(this.group.strategy, this.states, x, now, this.balancer.random);
      }
    }
    this.reason = this.group.strategy;
    return pickDeployment(this.group.strategy, this.states, x, now, this.balancer.random);
  }

  /** The deployments a pick now passes over (those this request tried aside), or undefined when none. */
  skipped(now: number, permit: Permit, tried: readonly DeploymentState[] | undefined): Skipped[] | undefined {
    let out: Skipped[] | undefined;
    for (const s of this.states) {
      if (tried?.includes(s)) continue;
      const why = permit && !permit(s.route) ? "not_allowed" : s.cooling(now) ? "cooling" : s.overCaps(now) ? "over_caps" : undefined;
      if (why) (out ??= []).push({ deployment: s.id, why });
    }
    return out;
  }

  /** When the group opens again for a caller, once no deployment could be picked. */
  closed(now: number, permit: Permit): Closed | undefined {
    let out: Closed | undefined;
    for (const s of this.states) {
      if (permit && !permit(s.route)) continue;
      let at: number;
      let rateLimited: boolean;
      if (s.cooling(now)) {
        at = s.coolUntil > now ? s.coolUntil : now + 1000;
        rateLimited = s.coolReason === "retry_after";
      } else if (s.overCaps(now)) {
        const parallelFull = s.route.maxParallelRequests !== undefined && s.inFlight >= s.route.maxParallelRequests;
        at = parallelFull ? now + 1000 : (Math.floor(now / 60_000) + 1) * 60_000;
        rateLimited = true;
      } else continue;
      if (!out || at < out.at) out = { at, rateLimited };
    }
    return out;
  }

  /** A deployment's failure: it may cool down, which the other replicas hear. */
  failed(s: DeploymentState, now: number, retryAfterMs: number | undefined): CoolReason | undefined {
    const ms = s.failed(now, this.balancer.health, retryAfterMs);
    if (ms === undefined) return undefined;
    this.balancer.shared?.cooled(s.id, s.coolUntil, s.trips);
    return s.coolReason;
  }
}

export class Balancer {
  private states = new Map<string, DeploymentState>();
  health: HealthSettings;
  affinity: AffinityMap;
  private affinitySettings: RouterSettings["affinity"];
  shared: SharedRouterState | undefined;

  constructor(
    settings: RouterSettings,
    readonly random: Random = Math.random,
  ) {
    this.health = settings;
    this.affinitySettings = settings.affinity;
    this.affinity = new AffinityMap(settings.affinity.maxEntries, settings.affinity.ttlMs);
  }

  /** The pools of a new config: a deployment keeps what is known about it while its id stays. */
  sync(config: ProxyConfig, backends: Map<string, Backend>): Map<string, GroupPool> {
    const r = config.router;
    this.health = r;
    if (r.affinity.maxEntries !== this.affinitySettings.maxEntries || r.affinity.ttlMs !== this.affinitySettings.ttlMs) {
      this.affinity = new AffinityMap(r.affinity.maxEntries, r.affinity.ttlMs);
    }
    this.affinitySettings = r.affinity;
    const states = new Map<string, DeploymentState>();
    const pools = new Map<string, GroupPool>();
    for (const group of config.groups.values()) {
      const list: DeploymentState[] = [];
      for (const route of group.deployments) {
        const backend = backends.get(route.id);
        if (!backend) continue;
        let s = this.states.get(route.id);
        if (s && s.route.apiBase === route.apiBase) {
          s.route = route;
          s.backend = backend;
        } else s = new DeploymentState(route, backend);
        // A group's only deployment is never cooled: there is nowhere else to send its requests.
        s.guarded = group.deployments.length > 1;
        states.set(route.id, s);
        list.push(s);
      }
      pools.set(group.name, new GroupPool(group, list, this));
    }
    this.states = states;
    return pools;
  }

  state(id: string): DeploymentState | undefined {
    return this.states.get(id);
  }

  allStates(): IterableIterator<DeploymentState> {
    return this.states.values();
  }

  /** The deployment a conversation is on: this replica's memory first, then the shared store. */
  async affinityOf(key: string, now: number): Promise<string | undefined> {
    const local = this.affinity.get(key, now);
    if (local !== undefined || !this.shared) return local;
    const shared = await this.shared.affinityGet(key);
    if (shared !== undefined) this.affinity.set(key, shared, now);
    return shared;
  }

  remember(key: string, id: string, now: number): void {
    const before = this.affinity.get(key, now);
    this.affinity.set(key, id, now);
    if (before !== id) this.shared?.affinitySet(key, id, this.affinitySettings.ttlMs);
  }
}
