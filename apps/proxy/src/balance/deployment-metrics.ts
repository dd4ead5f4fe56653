// Per-deployment gauges on /metrics, read from the router's memory at scrape time: nothing is
// counted on the request path for them.

import { Gauge, type Registry } from "prom-client";
import type { DeploymentState } from "./deployment-state.js";

const LABELS = ["model", "deployment"] as const;

export function registerDeploymentMetrics(registry: Registry, states: () => Iterable<DeploymentState>, now: () => number = Date.now): void {
  const gauge = (name: string, help: string, value: (s: DeploymentState, at: number) => number) =>
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      collect() {
        // Reset first: a deployment a reload removed leaves no series behind.
        this.reset();
        const at = now();
        for (const s of states()) this.set({ model: s.route.name, deployment: s.id }, value(s, at));
      },
    });
  gauge("yallmp_deployment_in_flight", "Requests in flight per deployment", (s) => s.inFlight);
  gauge("yallmp_deployment_latency_seconds", "Peak-EWMA of the time to response headers per deployment (0 before the first answer)", (s) => s.latencyMs / 1000);
  gauge("yallmp_deployment_cooling", "1 while a deployment is cooling down (or its probe is on its way)", (s, at) => (s.cooling(at) ? 1 : 0));
  gauge("yallmp_deployment_cooldowns", "Cooldowns this deployment has started since the proxy started", (s) => s.cooldowns);
  gauge("yallmp_deployment_tokens_this_minute", "Tokens this minute per deployment (the usage strategy's measure)", (s, at) => s.tokens(at));
}
