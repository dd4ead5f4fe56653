// Cooldowns announced to the other replicas over the PostgreSQL bus, for deployments on PostgreSQL
// without Redis. Only what is announced while a replica listens reaches it, and affinity stays per
// replica: Redis shares both.

import type { PgBus } from "../ops/pg-bus.js";
import type { SharedRouterState } from "./balancer.js";
import type { CooledElsewhere } from "./redis-router-state.js";

export const ROUTER_CHANNEL = "yallmp_router";

export class BusRouterState implements SharedRouterState {
  constructor(
    private readonly bus: PgBus,
    onCooled: CooledElsewhere,
  ) {
    bus.on(ROUTER_CHANNEL, (body) => {
      const { id, until, trips } = body;
      if (typeof id === "string" && typeof until === "number" && typeof trips === "number") onCooled(id, until, trips);
    });
  }

  cooled(id: string, until: number, trips: number): void {
    this.bus.notify(ROUTER_CHANNEL, { id, until, trips });
  }

  affinityGet(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  affinitySet(): void {}

  load(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
