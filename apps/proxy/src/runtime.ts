// The proxy's live state: the config in force and the backends built from it. A reload swaps both in
// one assignment, so a request in flight keeps the config and backends it started with.

import { Agent } from "undici";
import type { ModelRoute, ProxyConfig } from "./config/load-config.js";
import { type BackgroundErrorLog, Ops } from "./ops/ops.js";
import type { PgBus } from "./ops/pg-bus.js";
import { type Telemetry, loadTelemetry } from "./ops/telemetry.js";
import { ConcurrencyLimiter } from "./concurrency.js";
import { RateLimits } from "./limits/rate-limits.js";
import type { LimitRedis } from "./limits/redis.js";
import { Balancer, type GroupPool } from "./balance/balancer.js";
import { BusRouterState, ROUTER_CHANNEL } from "./balance/bus-router-state.js";
import { registerDeploymentMetrics } from "./balance/deployment-metrics.js";
import { InFlightRequests, OpenSockets } from "./shutdown.js";
import { BackgroundRuns } from "./responses/runs.js";
import { HttpBackend } from "./upstream/http-backend.js";
import { MockBackend } from "./upstream/mock-backend.js";
import { GigaChatBackend } from "./upstream/gigachat/gigachat-backend.js";
import { GigaChatClients } from "./upstream/gigachat/gigachat-clients.js";
import type { Backend } from "./upstream/types.js";
import { type Database, DatabaseResponseStore, MemoryResponseStore, type ResponseStore, openDatabase } from "@yallmproxy/db";

/** Bus channel of stored responses changed or deleted on one replica, for the others' caches. */
const RESPONSES_CHANNEL = "yallmp_responses";
const DISPATCHER_OPTIONS = { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 512, connect: { timeout: 10_000 } };

export interface Generation {
  config: ProxyConfig;
  /** By deployment id. */
  backends: Map<string, Backend>;
  /** By model name: the group's deployments and how to pick one. */
  pools: Map<string, GroupPool>;
}

export class ProxyRuntime {
  private current: Generation;
  readonly limiter = new ConcurrencyLimiter();
  readonly balancer: Balancer;
  readonly background = new BackgroundRuns();
  /** Client requests in flight, for a graceful shutdown. */
  readonly inFlight = new InFlightRequests();
  /** Responses WebSockets open now, drained on shutdown. */
  readonly sockets = new OpenSockets();
  readonly dispatcher: Agent;
  readonly responses: ResponseStore;
  readonly database: Database | undefined;
  private readonly sweeper: NodeJS.Timeout | undefined;

  readonly ops: Ops;
  readonly bus: PgBus | undefined;
  readonly limits: RateLimits;
  private readonly redis: LimitRedis | undefined;
  private lastStoreLog = 0;

  /** Opens the database (and, on PostgreSQL, the replica bus) and builds the runtime on them. */
  static async create(config: ProxyConfig, onError: BackgroundErrorLog = () => {}): Promise<ProxyRuntime> {
    const database = await openDatabase(config.databaseUrl);
    let runtime: ProxyRuntime | undefined;
    const report: BackgroundErrorLog = (task, err) => (runtime ? runtime.ops.backgroundError(task, err) : onError(task, err));
    let bus: PgBus | undefined;
    if (database.pgPool) {
      // An idle pooled connection that breaks (a database restart) is reported, not thrown.
      database.pgPool.on("error", (err) => report("pg_pool", err));
      // pg and ioredis are loaded only for the deployments that use them.
      const { PgBus } = await import("./ops/pg-bus.js");
      bus = new PgBus(config.databaseUrl, database.pgPool, (err) => report("pg_bus", err));
      await bus.start(["yallmp_live", "yallmp_config", RESPONSES_CHANNEL, ROUTER_CHANNEL]);
    }
    const url = config.rateLimits.redisUrl;
    const redis = url
      ? await (await import("./limits/redis.js")).openRedis(url, config.rateLimits.redisTimeoutMs, (err) => runtime?.rateLimitStoreFailed(err, undefined))
      : undefined;
    runtime = new ProxyRuntime(config, { database, bus, onError, ...(redis ? { redis } : {}) });
    if (url) {
      try {
        await runtime.shareRouterState(url);
      } catch (err) {
        await runtime.close();
        throw err;
      }
    }
    runtime.ops.telemetry = await startTelemetryFor(runtime, config, onError);
    return runtime;
  }

  constructor(config: ProxyConfig, deps: { database?: Database; bus?: PgBus; onError?: BackgroundErrorLog; redis?: LimitRedis } = {}) {
    const { database, bus } = deps;
    this.bus = bus;
    this.ops = new Ops(config, database, bus, deps.onError ?? (() => {}));
    this.redis = deps.redis;
    this.limits = new RateLimits({
      redis: deps.redis,
      failOpen: () => this.config.rateLimits.failOpen,
      leases: () => this.config.rateLimits.leases,
      onStoreError: (err, policy) => this.rateLimitStoreFailed(err, policy),
      onRefused: (kind) => this.ops.metrics.rateLimitRefusals.inc({ limit: kind }),
    });
    this.background.onError = (err) => this.ops.backgroundError("background_response", err);
    this.dispatcher = new Agent(DISPATCHER_OPTIONS);
    this.balancer = new Balancer(config.router);
    registerDeploymentMetrics(this.ops.metrics.registry, () => this.balancer.allStates());
    // Redis, when configured, replaces this in create().
    if (bus) this.balancer.shared = new BusRouterState(bus, this.cooledElsewhere);
    this.current = this.build(config);
    const cleanupMs = config.responseState.cleanupIntervalSeconds * 1000;
    this.database = database;
    const { maxMemoryEntries, maxMemoryBytes } = config.responseState;
    if (database && config.responseState.persistence === "database") {
      const store = new DatabaseResponseStore(database, {
        maxMemoryEntries,
        maxMemoryBytes,
        // Sent before a DELETE answers, so no other replica serves its copy for longer than the hop.
        // An id too long for a notification drops every copy instead.
        ...(bus
          ? {
              onChange: (id: string) =>
                bus
                  .publish(RESPONSES_CHANNEL, id.length <= 1000 ? { id } : { all: true })
                  .catch((err: unknown) => this.ops.backgroundError("response_store", err)),
            }
          : {}),
      });
      bus?.on(RESPONSES_CHANNEL, (body) => {
        if (typeof body.id === "string") store.evict(body.id);
        else if (body.all === true) store.evictAll();
      });
      bus?.onReconnect(() => store.evictAll());
      this.responses = store;
      this.sweeper = setInterval(
        () => void store.cleanupExpired().catch((err: unknown) => this.ops.backgroundError("response_cleanup", err)),
        cleanupMs,
      ).unref();
    } else {
      const memory = new MemoryResponseStore(maxMemoryEntries, Date.now, maxMemoryBytes);
      this.responses = memory;
      this.sweeper = setInterval(() => {
        try {
          memory.sweep();
        } catch (err) {
          this.ops.backgroundError("response_cleanup", err);
        }
      }, cleanupMs).unref();
    }
  }

  /** Redis failed a limit check (`policy` decided it) or its connection: counted, and logged at most every 5 s. */
  rateLimitStoreFailed(err: unknown, policy: "open" | "closed" | undefined): void {
    if (policy) this.ops.metrics.rateLimitStoreErrors.inc({ policy });
    const now = Date.now();
    if (now - this.lastStoreLog < 5000) return;
    this.lastStoreLog = now;
    const detail = err instanceof Error ? err.message : String(err);
    const rule = this.config.rateLimits.failOpen ? "admitted uncounted (fail_open: true)" : "refused with 503 (fail_open: false)";
    this.ops.backgroundError("rate_limit_store", new Error(`Redis for rate limits is unreachable (${detail}); requests are ${rule}`));
  }

  /** Cooldowns and affinity shared with the other replicas through Redis. */
  private async shareRouterState(url: string): Promise<void> {
    const { RedisRouterState } = await import("./balance/redis-router-state.js");
    const shared = new RedisRouterState(url, this.cooledElsewhere, (err) => this.ops.backgroundError("router_redis", err));
    this.balancer.shared = shared;
    await shared.start(this.deploymentIds());
  }

  private readonly cooledElsewhere = (id: string, until: number, trips: number): void => this.balancer.state(id)?.cooledElsewhere(until, trips);

  private deploymentIds(): string[] {
    return [...this.balancer.allStates()].map((s) => s.id);
  }

  get generation(): Generation {
    return this.current;
  }

  get config(): ProxyConfig {
    return this.current.config;
  }

  /** Applies a new config atomically; requests in flight finish on the old one. */
  apply(config: ProxyConfig): void {
    this.current = this.build(config);
    this.balancer.shared?.load(this.deploymentIds()).catch((err: unknown) => this.ops.backgroundError("router_redis", err));
    this.ops.setConfig(config);
  }

  private build(config: ProxyConfig): Generation {
    const backends = new Map<string, Backend>();
    for (const group of config.groups.values()) for (const route of group.deployments) backends.set(route.id, this.backendFor(route));
    return { config, backends, pools: this.balancer.sync(config, backends) };
  }

  private backendFor(route: ModelRoute): Backend {
    if (route.apiType === "mock") return new MockBackend(route);
    if (route.apiType === "gigachat") return new GigaChatBackend(route, this.gigachat);
    return new HttpBackend(route, route.http2 ? this.http2Dispatcher() : this.dispatcher);
  }

  /** GigaChat's TLS pools and tokens, kept across config reloads. */
  readonly gigachat = new GigaChatClients();
  private h2?: Agent;
  /** A pool that offers HTTP/2 by ALPN, made when a model first asks for it (`http2: true`). */
  private http2Dispatcher(): Agent {
    this.h2 ??= new Agent({ ...DISPATCHER_OPTIONS, allowH2: true });
    return this.h2;
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.background.close();
    await this.ops.close();
    await this.balancer.shared?.close();
    await this.bus?.close();
    await this.responses.close();
    await this.database?.close();
    await this.limits.close();
    this.redis?.direct.disconnect();
    this.redis?.batched.disconnect();
    await this.dispatcher.close();
    await this.h2?.close();
    await this.gigachat.close();
  }
}

/** OpenTelemetry export: every failure counted, logged (by the loader's throttle) at most once a minute. */
function startTelemetryFor(runtime: ProxyRuntime, config: ProxyConfig, onError: BackgroundErrorLog): Promise<Telemetry> | undefined {
  const settings = config.telemetry;
  if (!settings) return undefined;
  return loadTelemetry(settings, {
    count: () => runtime.ops.metrics.backgroundErrors.inc({ task: "otel_export" }),
    log: (err) => onError("otel_export", err),
  });
}
