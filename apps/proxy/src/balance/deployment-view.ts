// Every group's deployments as the admin API shows them: health, load, latency and share of
// traffic, read from the router's memory (this replica's; cooldowns shared through Redis or the bus
// are folded into it).

import type { DeploymentGroup, DeploymentHealth, DeploymentStatus } from "@yallmproxy/api";
import type { GroupPool } from "./balancer.js";
import type { DeploymentState } from "./deployment-state.js";

function hostOf(apiBase: string): string {
  try {
    return new URL(apiBase).host;
  } catch {
    return "";
  }
}

function healthOf(s: DeploymentState, now: number): DeploymentHealth {
  if (!s.guarded) return "healthy";
  if (s.coolUntil > now) return "cooling";
  return s.trips > 0 ? "half_open" : "healthy";
}

function statusOf(s: DeploymentState, now: number, share: number | null): DeploymentStatus {
  const state = healthOf(s, now);
  return {
    id: s.id,
    apiType: s.route.apiType,
    host: hostOf(s.route.apiBase),
    upstreamModel: s.route.upstreamModel,
    weight: s.route.weight,
    state,
    coolReason: state === "healthy" ? null : (s.coolReason ?? null),
    cooldownUntil: state === "cooling" ? new Date(s.coolUntil).toISOString() : null,
    inFlight: s.inFlight,
    latencyMs: s.latencyMs > 0 ? Math.round(s.latencyMs * 10) / 10 : null,
    requests: s.requests,
    failures: s.failures,
    cooldowns: s.cooldowns,
    share,
  };
}

export function deploymentGroups(pools: Iterable<GroupPool>, now: number): DeploymentGroup[] {
  const out: DeploymentGroup[] = [];
  for (const pool of pools) {
    const recent = pool.states.map((s) => s.recentRequests(now));
    const total = recent.reduce((a, b) => a + b, 0);
    out.push({
      model: pool.name,
      strategy: pool.group.strategy,
      deployments: pool.states.map((s, i) => statusOf(s, now, total > 0 ? Math.round(((recent[i] ?? 0) / total) * 1000) / 1000 : null)),
    });
  }
  return out;
}
