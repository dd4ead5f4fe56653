import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "./load-config.js";

const load = (yaml: string) => parseConfigText(yaml, "/tmp/config.yaml", {}).config;

const MODEL = `model_list:
  - model_name: m
    model_params: { api_type: mock, rpm_limit: 5, pricing: { input: 1, output: 2 } }
`;

describe("limits in the config", () => {
  it("gives a key its own limits over app_keys.defaults, and none to a key and model without any", () => {
    const config = load(`${MODEL}
app_keys:
  enabled: true
  defaults: { tpm_limit: 900, model_limits: { m: { rpm_limit: 2 } } }
  keys:
    - { key_id: a, secret: sa, rpm_limit: 3, max_budget: 1.5, budget_duration: 30d }
    - { key_id: b, secret: sb, tpm_limit: 100 }
`);
    const [a, b] = config.appKeys.keys;
    expect(a!.limits).toEqual({ rpm: 3, tpm: 900, budget: { maxUsd: 1.5, durationSeconds: 30 * 86400 }, models: new Map([["m", { rpm: 2, tpm: undefined }]]) });
    expect(b!.limits?.tpm).toBe(100);
    expect(config.models.get("m")!.limits).toEqual({ rpm: 5, tpm: undefined });
    expect(config.models.get("m")!.pricing).toEqual({ input: 1, output: 2, cachedInput: undefined, cacheWrite: undefined });
    const plain = load(`${MODEL}\napp_keys: { enabled: true, keys: [{ key_id: c, secret: sc }] }\n`);
    expect(plain.appKeys.keys[0]!.limits).toBeUndefined();
    expect(plain.usage).toEqual({ enabled: true, retentionDays: 400, flushIntervalMs: 1000, queueSize: 50_000 });
    expect(plain.rateLimits).toEqual({ failOpen: true, redisTimeoutMs: 250, leases: true, redisUrl: undefined });
  });

  it("reads rate_limits.leases, and refuses one that is not a boolean naming its path", () => {
    expect(load(`${MODEL}proxy_settings: { rate_limits: { leases: false } }\n`).rateLimits.leases).toBe(false);
    let problems: string[] = [];
    try {
      load(`${MODEL}proxy_settings: { rate_limits: { leases: "yes" } }\n`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems.join("\n")).toMatch(/rate_limits\.leases/);
  });

  it("refuses a budget without a duration, a bad duration and a zero limit, naming each path", () => {
    const bad = (keys: string): string[] => {
      try {
        load(`${MODEL}\napp_keys:\n  enabled: true\n  keys:\n${keys}`);
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    };
    expect(bad("    - { key_id: a, secret: s, max_budget: 2 }\n").join()).toMatch(/app_keys\.keys\[0\]\.budget_duration: required with max_budget/);
    expect(bad("    - { key_id: a, secret: s, max_budget: 2, budget_duration: monthly }\n").join()).toMatch(/app_keys\.keys\[0\]\.budget_duration/);
    expect(bad("    - { key_id: a, secret: s, rpm_limit: 0 }\n").join()).toMatch(/app_keys\.keys\[0\]\.rpm_limit/);
  });
});
