import { describe, expect, it } from "vitest";
import { parseConfigText } from "../config/load-config.js";
import type { Backend } from "../upstream/types.js";
import { AffinityMap } from "./affinity.js";
import { affinityKeyOf } from "./affinity-key.js";
import { Balancer, type GroupPool } from "./balancer.js";

/** A group `m` of `n` deployments (model_params extras per index) and its pool; picks use `random`. */
function poolOf(n: number, opts: { strategy?: string; extra?: (i: number) => string; random?: () => number } = {}): GroupPool {
  const entries = Array.from(
    { length: n },
    (_, i) => `  - model_name: m\n    model_info: { id: d${i} }\n    model_params: { api_base: "http://10.0.0.${i}/v1"${opts.extra?.(i) ?? ""} }\n`,
  ).join("");
  const yaml = `model_list:\n${entries}router_settings: { routing_strategy: ${opts.strategy ?? "weighted"}, allowed_fails: 1, cooldown_seconds: 1 }\n`;
  const { config } = parseConfigText(yaml, "/t/c.yaml", {}, {});
  // Picks never touch the backend: an object that names its route is enough here.
  const backends = new Map(config.groups.get("m")!.deployments.map((d) => [d.id, { route: d, format: "chat" } as unknown as Backend]));
  return new Balancer(config.router, opts.random ?? Math.random).sync(config, backends).get("m")!;
}

const T = 1_800_000_000_000;
const open = { tried: undefined, permit: undefined };
const pickId = (pool: GroupPool, now = T) => pool.pick(open, now)?.id;

describe("strategies", () => {
  it("weighted: a random number walks the weights in config order", () => {
    let r = 0;
    const pool = poolOf(3, { extra: (i) => `, weight: ${i + 1}`, random: () => r });
    const at = (x: number) => ((r = x), pickId(pool));
    expect([at(0), at(0.16), at(0.17), at(0.49), at(0.5), at(0.99)]).toEqual(["d0", "d0", "d1", "d1", "d2", "d2"]);
  });

  it("weighted: weight 0 only when nothing else is eligible", () => {
    const pool = poolOf(2, { extra: (i) => `, weight: ${i}` });
    for (let k = 0; k < 20; k++) expect(pickId(pool)).toBe("d1");
    expect(pool.pick({ tried: [pool.states[1]!], permit: undefined }, T)?.id).toBe("d0");
  });

  it("least-busy: the fewest in flight", () => {
    const pool = poolOf(3, { strategy: "least-busy" });
    pool.states[0]!.started(T);
    pool.states[2]!.started(T);
    expect(pickId(pool)).toBe("d1");
    pool.states[1]!.started(T);
    pool.states[1]!.started(T);
    expect(["d0", "d2"]).toContain(pickId(pool));
  });

  it("latency: of two at random, the lower peak-EWMA times in-flight", () => {
    const seq = [0, 0];
    let k = 0;
    const pool = poolOf(3, { strategy: "latency", random: () => seq[k++ % seq.length]! });
    // First pick of d0 and d1 (random 0, 0 → the first and the second eligible).
    pool.states[0]!.answered(T, 50);
    pool.states[1]!.answered(T, 5);
    expect(pickId(pool)).toBe("d1");
    // A peak is taken at once: d1 now looks slow.
    pool.states[1]!.answered(T + 1, 500);
    expect(pickId(pool)).toBe("d0");
  });

  it("usage: the fewest tokens this minute, counted afresh each minute", () => {
    const pool = poolOf(2, { strategy: "usage" });
    pool.states[0]!.finished(T, 100);
    expect(pickId(pool)).toBe("d1");
    pool.states[1]!.finished(T, 300);
    expect(pickId(pool)).toBe("d0");
    expect(pool.states[1]!.tokens(T + 60_000)).toBe(0);
  });

  it("steps around a deployment over its rpm, tpm or parallel cap", () => {
    const pool = poolOf(3, { extra: (i) => [", rpm_limit: 1", ", tpm_limit: 10", ", max_parallel_requests: 1"][i]! });
    pool.states[0]!.started(T);
    pool.states[0]!.finished(T, 0);
    pool.states[1]!.finished(T, 10);
    pool.states[2]!.started(T);
    expect(pickId(pool)).toBeUndefined();
    expect(pool.closed(T, undefined)).toEqual({ at: T + 1000, rateLimited: true });
    expect(pool.skipped(T, undefined, undefined)?.map((s) => s.why)).toEqual(["over_caps", "over_caps", "over_caps"]);
    // A new minute opens the rpm and tpm caps.
    expect(pool.pick(open, T + 60_000)).toBeDefined();
  });

  it("prefers the conversation's deployment while it is eligible", () => {
    const pool = poolOf(3);
    for (let k = 0; k < 10; k++) expect(pool.pick(open, T, "d2")?.id).toBe("d2");
    expect(pool.reason).toBe("affinity");
    pool.states[2]!.started(T);
    pool.failed(pool.states[2]!, T, 5000);
    expect(pool.pick(open, T, "d2")?.id).not.toBe("d2");
    expect(pool.reason).toBe("affinity_moved");
  });

  it("moves a conversation off its deployment while that one is over its caps, and back after", () => {
    const pool = poolOf(2, { extra: () => ", max_parallel_requests: 1" });
    const home = pool.states[0]!;
    home.started(T);
    expect(pool.pick(open, T, "d0")?.id).toBe("d1");
    expect(pool.reason).toBe("affinity_moved");
    home.finished(T, 0);
    expect(pool.pick(open, T, "d0")?.id).toBe("d0");
  });

  it("only the deployments the caller may use", () => {
    const pool = poolOf(3);
    const permit = (r: { id: string }) => r.id === "d1";
    for (let k = 0; k < 10; k++) expect(pool.pick({ tried: undefined, permit }, T)?.id).toBe("d1");
    expect(pool.pick({ tried: [pool.states[1]!], permit }, T)).toBeUndefined();
    expect(pool.skipped(T, permit, undefined)).toEqual([
      { deployment: "d0", why: "not_allowed" },
      { deployment: "d2", why: "not_allowed" },
    ]);
  });
});

describe("health", () => {
  it("cools after more than allowed_fails in a minute, probes once, doubles on a failed probe, reopens on success", () => {
    const pool = poolOf(2);
    const d = pool.states[0]!;
    d.started(T);
    expect(pool.failed(d, T, undefined)).toBeUndefined();
    d.started(T);
    expect(pool.failed(d, T, undefined)).toBe("failures");
    expect(d.cooling(T + 999)).toBe(true);
    expect(d.cooling(T + 1000)).toBe(false);
    // The probe: while it is out, the deployment takes nothing else.
    d.started(T + 1000);
    expect(d.cooling(T + 1001)).toBe(true);
    expect(pool.failed(d, T + 1100, undefined)).toBe("probe_failed");
    expect(d.coolUntil).toBe(T + 1100 + 2000);
    d.started(T + 3100);
    d.answered(T + 3100, 5);
    expect(d.cooling(T + 3101)).toBe(false);
    expect(d.trips).toBe(0);
  });

  it("a Retry-After sets the cooldown at once; an abandoned probe frees the deployment", () => {
    const pool = poolOf(2);
    const d = pool.states[1]!;
    d.started(T);
    expect(pool.failed(d, T, 2000)).toBe("retry_after");
    expect(d.cooling(T + 1999)).toBe(true);
    d.started(T + 2000);
    d.abandoned();
    expect(d.cooling(T + 2001)).toBe(false);
    expect(d.inFlight).toBe(0);
  });

  it("never cools a group's only deployment", () => {
    const pool = poolOf(1);
    const d = pool.states[0]!;
    d.started(T);
    expect(pool.failed(d, T, 5000)).toBeUndefined();
    d.started(T);
    expect(pool.failed(d, T, undefined)).toBeUndefined();
    d.started(T);
    expect(pool.failed(d, T, undefined)).toBeUndefined();
    expect(pickId(pool)).toBe("d0");
  });

  it("reports the soonest reopening and whether rate limits closed the group", () => {
    const pool = poolOf(2);
    pool.failed(pool.states[0]!, T, 3000);
    pool.failed(pool.states[1]!, T, 1000);
    expect(pool.closed(T, undefined)).toEqual({ at: T + 1000, rateLimited: true });
    expect(pickId(pool)).toBeUndefined();
  });
});

describe("affinity", () => {
  it("drops the least recently set entry past max_entries, and entries past their TTL", () => {
    const map = new AffinityMap(2, 1000);
    map.set("a", "d0", T);
    map.set("b", "d1", T);
    map.set("a", "d2", T);
    map.set("c", "d0", T);
    expect([map.get("a", T), map.get("b", T), map.get("c", T)]).toEqual(["d2", undefined, "d0"]);
    expect(map.get("a", T + 1000)).toBeUndefined();
    expect(map.size).toBe(1);
  });

  it("keys a conversation by previous_response_id, a configured header, Claude Code's session, or prompt_cache_key", () => {
    expect(affinityKeyOf("g", { previous_response_id: "resp_1", prompt_cache_key: "c" }, {}, undefined)).toBe("g\0r:resp_1");
    expect(affinityKeyOf("g", { prompt_cache_key: "c" }, { "x-conv": "v", "x-claude-code-session-id": "s" }, "x-conv")).toBe("g\0h:v");
    expect(affinityKeyOf("g", { prompt_cache_key: "c" }, { "x-claude-code-session-id": "s" }, undefined)).toBe("g\0h:s");
    expect(affinityKeyOf("g", { prompt_cache_key: "c" }, {}, undefined)).toBe("g\0c:c");
    expect(affinityKeyOf("g", { prompt_cache_key: "x".repeat(300), previous_response_id: 5 }, {}, undefined)).toBeUndefined();
  });
});
