import { describe, expect, it } from "vitest";
import { parseConfigText } from "../config/load-config.js";
import type { Backend } from "../upstream/types.js";
import { Balancer } from "./balancer.js";
import type { DeploymentState } from "./deployment-state.js";
import { deploymentGroups } from "./deployment-view.js";

/** Two deployments of `m` (a on a URL with a credential and a path, b plain) and a lone `solo`. */
function balancer() {
  const yaml = `model_list:
  - { model_name: m, model_info: { id: a }, model_params: { api_base: "https://user:pw@a.test:8443/v1", weight: 3 } }
  - { model_name: m, model_info: { id: b }, model_params: { api_base: "http://b.test/v1" } }
  - { model_name: solo, model_params: { api_base: "http://s.test/v1" } }
router_settings: { allowed_fails: 0, cooldown_seconds: 10 }
`;
  const { config } = parseConfigText(yaml, "/t/c.yaml", {}, {});
  const backends = new Map([...config.groups.values()].flatMap((g) => g.deployments).map((d) => [d.id, { route: d, format: "chat" } as unknown as Backend]));
  return new Balancer(config.router).sync(config, backends);
}

/** 10 s into a minute. */
const T = 30_000_000 * 60_000 + 10_000;

describe("deploymentGroups", () => {
  it("names each deployment's health, host only, and share of the last minute", () => {
    const pools = balancer();
    const [a, b] = pools.get("m")!.states as [DeploymentState, DeploymentState];
    for (let i = 0; i < 3; i++) {
      a.started(T);
      a.answered(T, 40);
      a.finished(T, 10);
    }
    b.started(T);
    pools.get("m")!.failed(b, T, undefined);
    a.started(T);
    const [m, solo] = deploymentGroups(pools.values(), T + 1000);
    expect(m!.deployments.map((d) => [d.id, d.host, d.state, d.inFlight, d.requests, d.failures, d.share, d.latencyMs])).toEqual([
      ["a", "a.test:8443", "healthy", 1, 4, 0, 0.8, 40],
      ["b", "b.test", "cooling", 0, 1, 1, 0.2, null],
    ]);
    expect(m!.deployments[1]).toMatchObject({ coolReason: "failures", cooldownUntil: new Date(T + 10_000).toISOString() });
    expect(solo!.deployments[0]).toMatchObject({ id: "solo", state: "healthy", share: null });
    // The cooldown over, b is half-open until its probe answers.
    expect(deploymentGroups(pools.values(), T + 10_001)[0]!.deployments[1]).toMatchObject({ state: "half_open", cooldownUntil: null, coolReason: "failures" });
  });

  it("counts the minute before in a sliding window: half of it 30 s into this one, none after a quiet minute", () => {
    const pools = balancer();
    const [a, b] = pools.get("m")!.states;
    a!.started(T); // minute k, 10 s in
    b!.started(T + 80_000); // minute k+1, 30 s in
    const at = (now: number) => deploymentGroups(pools.values(), now)[0]!.deployments.map((d) => d.share);
    // a: 1 × (1 − 30/60) = 0.5 against b's 1.
    expect(at(T + 80_000)).toEqual([0.333, 0.667]);
    expect(at(T + 200_000)).toEqual([null, null]);
  });
});
