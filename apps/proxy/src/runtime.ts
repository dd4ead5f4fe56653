// The proxy's live state: the config in force and the backends built from it. A reload swaps both in
// one assignment, so a request in flight keeps the config and backends it started with.

import { Agent } from "undici";
import type { ModelRoute, ProxyConfig } from "./config/load-config.js";
import { BackgroundRuns } from "./background.js";
import { ConcurrencyLimiter } from "./concurrency.js";
import { HttpBackend } from "./upstream/http-backend.js";
import { MockBackend } from "./upstream/mock-backend.js";
import type { Backend } from "./upstream/types.js";
import { type Database, DatabaseResponseStore, MemoryResponseStore, type ResponseStore, openDatabase } from "@yallmproxy/db";

export interface Generation {
  config: ProxyConfig;
  backends: Map<string, Backend>;
}

export class ProxyRuntime {
  private current: Generation;
  readonly limiter = new ConcurrencyLimiter();
  readonly background = new BackgroundRuns();
  readonly dispatcher: Agent;
  readonly responses: ResponseStore;
  readonly database: Database | undefined;
  private readonly sweeper: NodeJS.Timeout | undefined;

  /** Opens the database (when response state persists there) and builds the runtime on it. */
  static async create(config: ProxyConfig): Promise<ProxyRuntime> {
    if (config.responseState.persistence === "memory") return new ProxyRuntime(config);
    const database = await openDatabase(config.databaseUrl);
    return new ProxyRuntime(config, database);
  }

  constructor(config: ProxyConfig, database?: Database) {
    this.dispatcher = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connections: 512,
      connect: { timeout: 10_000 },
    });
    this.current = this.build(config);
    const cleanupMs = config.responseState.cleanupIntervalSeconds * 1000;
    this.database = database;
    if (database) {
      const store = new DatabaseResponseStore(database, { maxMemoryEntries: config.responseState.maxMemoryEntries });
      this.responses = store;
      this.sweeper = setInterval(() => void store.cleanupExpired().catch(() => undefined), cleanupMs).unref();
    } else {
      const memory = new MemoryResponseStore(config.responseState.maxMemoryEntries);
      this.responses = memory;
      this.sweeper = setInterval(() => memory.sweep(), cleanupMs).unref();
    }
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
  }

  private build(config: ProxyConfig): Generation {
    const backends = new Map<string, Backend>();
    for (const route of config.models.values()) backends.set(route.name, this.backendFor(route));
    return { config, backends };
  }

  private backendFor(route: ModelRoute): Backend {
    return route.apiType === "mock" ? new MockBackend(route) : new HttpBackend(route, this.dispatcher);
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.background.close();
    await this.responses.close();
    await this.database?.close();
    await this.dispatcher.close();
  }
}
