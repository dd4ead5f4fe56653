// Cooldowns and conversation affinity shared by replicas through Redis (when `REDIS_URL` is set).
// Picks never wait on Redis: a cooldown is written with its expiry and published, and every replica
// folds it into its own memory; an affinity a replica does not know is looked up once, briefly.
// Everything lives under its own key prefix.

import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { SharedRouterState } from "./balancer.js";

const PREFIX = "yallmp:router:";
const COOL_CHANNEL = `${PREFIX}cooled`;
/** How long a request waits for a shared affinity before it is routed without one. */
const LOOKUP_TIMEOUT_MS = 50;
const ERROR_EVERY_MS = 10_000;

export interface CooledElsewhere {
  (id: string, until: number, trips: number): void;
}

export class RedisRouterState implements SharedRouterState {
  private readonly client: Redis;
  private readonly sub: Redis;
  /** This replica, so it does not fold in its own announcements. */
  private readonly self = randomUUID();

  private readonly onError: (err: unknown) => void;
  private lastErrorAt = 0;

  constructor(
    url: string,
    private readonly onCooled: CooledElsewhere,
    report: (err: unknown) => void,
  ) {
    // While Redis is away every request's lookup fails at once: one report in ERROR_EVERY_MS is enough.
    this.onError = (err) => {
      const now = Date.now();
      if (now - this.lastErrorAt < ERROR_EVERY_MS) return;
      this.lastErrorAt = now;
      report(err);
    };
    const options = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 };
    this.client = new Redis(url, options);
    this.sub = new Redis(url, { ...options, enableOfflineQueue: true });
    this.client.on("error", this.onError);
    this.sub.on("error", this.onError);
    this.sub.on("message", (_channel: string, text: string) => this.heard(text));
  }

  /** Connects and reads the cooldowns already in force for `ids`. */
  async start(ids: string[]): Promise<void> {
    try {
      await Promise.all([this.client.connect(), this.sub.connect()]);
    } catch (err) {
      // The address only: a password in the URL stays out of the message.
      const { host, port } = this.client.options;
      throw new Error(`REDIS_URL: cannot connect to Redis at ${host ?? "?"}:${port ?? "?"} (${err instanceof Error ? err.message : String(err)})`, {
        cause: err,
      });
    }
    await this.sub.subscribe(COOL_CHANNEL);
    await this.load(ids);
  }

  /** Cooldowns in force for these deployments (after a reload names new ones). */
  async load(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const values = await this.client.mget(ids.map((id) => `${PREFIX}cool:${id}`));
    values.forEach((v, i) => {
      const parsed = v ? parseCooldown(v) : undefined;
      if (parsed) this.onCooled(ids[i] as string, parsed.until, parsed.trips);
    });
  }

  cooled(id: string, until: number, trips: number): void {
    const ms = until - Date.now();
    if (ms <= 0) return;
    const value = `${until}:${trips}`;
    this.client
      .multi()
      .set(`${PREFIX}cool:${id}`, value, "PX", ms)
      .publish(COOL_CHANNEL, JSON.stringify({ id, until, trips, from: this.self }))
      .exec()
      .catch(this.onError);
  }

  async affinityGet(key: string): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), LOOKUP_TIMEOUT_MS)));
    try {
      const found = await Promise.race([this.client.get(`${PREFIX}aff:${key}`), timeout]);
      return typeof found === "string" ? found : undefined;
    } catch (err) {
      this.onError(err);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  affinitySet(key: string, id: string, ttlMs: number): void {
    this.client.set(`${PREFIX}aff:${key}`, id, "PX", ttlMs).catch(this.onError);
  }

  async close(): Promise<void> {
    this.client.disconnect();
    this.sub.disconnect();
  }

  private heard(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof msg !== "object" || msg === null) return;
    const { id, until, trips, from } = msg as Record<string, unknown>;
    if (from === this.self || typeof id !== "string" || typeof until !== "number" || typeof trips !== "number") return;
    this.onCooled(id, until, trips);
  }
}

function parseCooldown(v: string): { until: number; trips: number } | undefined {
  const m = /^(\d+):(\d+)$/.exec(v);
  return m ? { until: Number(m[1]), trips: Number(m[2]) } : undefined;
}
